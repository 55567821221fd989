"""A dense network working in the leading principal directions of its data."""

import pickle

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.decomposition import PCA

import skae
from skae import AutoencoderTransformer
from skae.estimators.dense import resolve_basis
from skae.networks.basis import BasisError, basis_rows, basis_size, basis_trainer
from skae.networks.build import build_autoencoder
from skae.networks.dense import DenseSpec


def make_rows(n_samples=240, n_features=30, rank=12, seed=0):
    """Rows near a curved surface of ``rank`` dimensions, plus a little noise."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n_samples, 4))
    mixing = rng.normal(size=(4 + 4, rank)) / 3
    spread = np.tanh(np.hstack([latent, latent**2]) @ mixing)
    lift = rng.normal(size=(rank, n_features)) / np.sqrt(rank)
    rows = spread @ lift + 0.01 * rng.normal(size=(n_samples, n_features))
    return rows.astype(np.float32)


def basis_model(**params):
    params = {
        "hidden_layer_sizes": (16,),
        "pca_basis": 10,
        "epochs": 3,
        "batch_size": 32,
        "random_state": 0,
        **params,
    }
    return AutoencoderTransformer(3, **params)


def test_network_with_a_basis_starts_as_pca():
    X = make_rows()
    spec = DenseSpec(
        n_features=30,
        n_components=3,
        output_activation="linear",
        loss="mse",
        hidden_layer_sizes=(16,),
        pca_shortcut=True,
        pca_basis=10,
    )
    model = build_autoencoder(spec, np.random.SeedSequence(0), X)
    pca = PCA(3).fit(X)
    assert_allclose(
        model.predict(X, verbose=0),
        pca.inverse_transform(pca.transform(X)),
        atol=1e-5,
    )
    encoder = model.get_layer("encoder")
    assert [layer.name for layer in encoder.layers] == ["basis", "code"]
    assert encoder.get_layer("basis").trainable is False


def test_basis_rows_loss_is_the_models_mean_squared_error_over_the_features():
    """Check that the twin's loss on a row's coordinates, with the part the
    basis leaves out, is what the whole model's error over the features is."""
    X = make_rows()
    est = basis_model().fit(X)
    twin, loss = basis_trainer(est.model_)
    rows = basis_rows(est.model_, X)
    in_basis = keras.ops.convert_to_numpy(loss(rows, twin.predict(rows, verbose=0)))
    over_features = np.mean((X - est.model_.predict(X, verbose=0)) ** 2, axis=1)
    assert_allclose(in_basis, over_features, rtol=1e-4, atol=1e-7)
    assert isinstance(loss, BasisError)


def test_fit_in_a_basis_trains_the_inner_layers_only():
    X = make_rows()

    class Before(keras.callbacks.Callback):
        weights = {}

        def on_train_begin(self, logs=None):
            for name in ("encoder", "decoder"):
                for layer in self.model.get_layer(name).layers:
                    self.weights[layer.name] = layer.get_weights()

    est = basis_model(epochs=20, callbacks=[Before()]).fit(X)
    assert est.pca_basis_ == 10
    directions = est.encoder_.get_layer("basis").get_weights()[0]
    assert_allclose(directions.T @ directions, np.eye(10), atol=1e-5)
    for layer in (*est.encoder_.layers, *est.decoder_.layers):
        fixed = layer.name in ("basis", "expansion")
        for before, after in zip(
            Before.weights[layer.name], layer.get_weights(), strict=True
        ):
            assert np.array_equal(before, after) == fixed, layer.name
    start = PCA(3).fit(X)
    pca_error = np.mean((X - start.inverse_transform(start.transform(X))) ** 2)
    error = np.mean((X - est.inverse_transform(est.transform(X))) ** 2)
    assert error < 0.95 * pca_error
    assert est.history_["loss"][-1] < est.history_["loss"][0]


def test_transform_and_inverse_transform_of_a_basis_model_match_keras():
    X = make_rows()
    est = basis_model().fit(X)
    codes = est.transform(X)
    assert codes.shape == (240, 3)
    assert_allclose(codes, est.encoder_.predict(X, verbose=0), rtol=1e-4, atol=1e-5)
    assert_allclose(
        est.inverse_transform(codes),
        est.decoder_.predict(codes, verbose=0),
        rtol=1e-4,
        atol=1e-5,
    )


def test_basis_model_saves_loads_and_pickles(tmp_path):
    X = make_rows()
    est = basis_model().fit(X)
    skae.save(est, tmp_path / "basis.skae")
    for again in (skae.load(tmp_path / "basis.skae"), pickle.loads(pickle.dumps(est))):
        assert again.pca_basis_ == 10
        assert_allclose(again.transform(X), est.transform(X), rtol=1e-5, atol=1e-6)


def test_user_callbacks_see_the_model_of_features_and_can_stop_it():
    X = make_rows()

    class Watch(keras.callbacks.Callback):
        shapes = []

        def on_epoch_end(self, epoch, logs=None):
            self.shapes.append(self.model.predict(X[:5], verbose=0).shape)
            self.model.stop_training = True

    est = basis_model(epochs=5, callbacks=[Watch()]).fit(X)
    assert Watch.shapes == [(5, 30)]
    assert len(est.history_["loss"]) == 1


def test_partial_fit_in_a_basis_keeps_the_optimizer_between_calls():
    X = make_rows()
    est = basis_model()
    est.partial_fit(X)
    optimizer = est.model_.optimizer
    steps = int(optimizer.iterations.numpy())
    est.partial_fit(X)
    assert est.model_.optimizer is optimizer
    assert int(optimizer.iterations.numpy()) == 2 * steps
    assert est.pca_basis_ == 10


def test_warm_start_goes_on_in_its_basis():
    X = make_rows()
    est = basis_model(warm_start=True).fit(X)
    est.set_params(pca_basis="auto").fit(X)
    assert est.pca_basis_ == 10
    with pytest.raises(ValueError, match="cannot continue with pca_basis=None"):
        est.set_params(pca_basis=None).fit(X)
    # The failed fit kept the fitted model.
    assert est.pca_basis_ == 10


@pytest.mark.parametrize(
    "params, named",
    [
        ({"pca_basis": 3}, "between n_components"),
        ({"pca_basis": 30}, "between n_components"),
        ({"noise": 0.1}, "noise=0.1"),
        ({"hidden_layer_sizes": ()}, "pca_shortcut=False"),
        ({"loss": "binary_crossentropy"}, "loss='binary_crossentropy'"),
    ],
)
def test_explicit_pca_basis_that_cannot_work_is_a_clear_error(params, named):
    X = make_rows()
    X = (X - X.min()) / (X.max() - X.min())
    with pytest.raises(ValueError, match=f"pca_basis=.*{named}|{named}"):
        basis_model(**params).fit(X)


def test_auto_basis_takes_the_fewest_directions_within_a_tenth_of_pcas_error():
    rng = np.random.default_rng(0)
    # Variances 2**-i along 20 orthogonal directions.
    scales = 2.0 ** (-np.arange(20) / 2)
    X = rng.normal(size=(20_000, 20)) * scales
    X = X @ np.linalg.qr(rng.normal(size=(20, 20)))[0]
    left_out = np.cumsum((scales**2)[::-1])[::-1]
    expected = int(np.argmax(left_out <= 0.1 * left_out[3]))
    assert expected == 7
    before = X.copy()
    assert basis_size(X, 3) == expected
    # The rows are read, not centred in place.
    np.testing.assert_array_equal(X, before)
    # A flat spectrum needs nearly every direction: no basis.
    assert basis_size(rng.normal(size=(20_000, 20)), 3) == 0
    # Nothing left out beyond the code: no basis.
    assert basis_size(X[:, :2] @ rng.normal(size=(2, 20)), 3) == 0


def test_auto_basis_only_for_large_wide_data_it_can_work_on():
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(10_000, 8)) @ rng.normal(size=(8, 256))).astype(np.float32)
    X += 0.01 * rng.normal(size=X.shape).astype(np.float32)
    spec = AutoencoderTransformer(4)._resolve_spec(X, None)
    size = resolve_basis("auto", spec, X, 0.0, None)
    assert 4 < size < 256
    # The user's float64 rows, which validation does not copy, stay as they are.
    rows = X.astype(np.float64)
    assert resolve_basis("auto", spec, rows, 0.0, None) == size
    np.testing.assert_array_equal(rows, X)
    assert resolve_basis("auto", spec, X[:9_999], 0.0, None) == 0
    assert resolve_basis("auto", spec, X, 0.1, None) == 0
    assert resolve_basis("auto", spec, X, 0.0, X) == 0
    assert resolve_basis(None, spec, X, 0.0, None) == 0


def test_memory_mapped_rows_train_in_the_features(tmp_path):
    """Check that "auto" keeps a memmap's rows in the features (a basis would
    hold their coordinates in memory), and that an int says why it cannot."""
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(10_000, 8)) @ rng.normal(size=(8, 256))).astype(np.float32)
    path = tmp_path / "rows.dat"
    X.tofile(path)
    rows = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    assert AutoencoderTransformer(4, epochs=1, random_state=0).fit(rows).pca_basis_ == 0
    with pytest.raises(ValueError, match="sparse or memory-mapped X"):
        AutoencoderTransformer(4, pca_basis=16, epochs=1).fit(rows)
