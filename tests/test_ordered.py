"""Ordered codes: nested dropout, prefixes, truncate, and n_components as a fraction."""

import pickle

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

import skae
from skae import (
    AutoencoderTransformer,
    BaseAutoencoder,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
)
from skae.fitting.prefix_validation import PrefixValidation, prefix_sizes
from skae.networks.layers import NestedDropout


def digits(n_samples=600):
    X, _ = load_digits(return_X_y=True)
    return X[:n_samples] / 16.0


def mse(est, X):
    return float(np.mean((est.inverse_transform(est.transform(X)) - X) ** 2))


@pytest.fixture(scope="module")
def ordered():
    """An 8-unit ordered model of 500 digits, and 200 held-out digits."""
    X = digits(700)
    est = AutoencoderTransformer(
        8,
        ordered=True,
        hidden_layer_sizes=(64,),
        epochs=40,
        batch_size=64,
        random_state=0,
    )
    return est.fit(X[:500]), X[500:]


def test_nested_dropout_keeps_a_random_prefix_of_each_row_while_training():
    codes = np.ones((4000, 8), dtype="float32")
    layer = NestedDropout(8, seed=0)
    masked = keras.ops.convert_to_numpy(layer(codes, training=True))
    kept = masked.sum(axis=1).astype(int)
    # Each row keeps its first units and zeroes the rest.
    assert_array_equal(masked, np.arange(8)[None, :] < kept[:, None])
    # Log-uniform: every doubling of the prefix is drawn about equally often.
    octaves = np.bincount(np.ceil(np.log2(kept)).astype(int), minlength=4)
    assert kept.min() >= 1 and kept.max() == 8
    assert_allclose(octaves[1:] / len(kept), 1 / 3, atol=0.03)
    assert_array_equal(keras.ops.convert_to_numpy(layer(codes)), codes)


def test_prefix_sizes_are_the_octaves_and_the_whole_code():
    assert prefix_sizes(1) == [1]
    assert prefix_sizes(8) == [1, 2, 4, 8]
    assert prefix_sizes(12) == [1, 2, 4, 8, 12]


def test_prefix_validation_is_the_mean_loss_over_prefixes():
    rng = np.random.default_rng(0)
    X = rng.random((50, 6)).astype("float32")
    encoder = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    decoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
    batches = [(X[:32], X[:32]), (X[32:], X[32:])]
    logs = {"val_loss": 123.0}
    PrefixValidation(encoder, decoder, batches, "mse").on_epoch_end(0, logs)
    Z = keras.ops.convert_to_numpy(encoder(X))
    expected = []
    for k in (1, 2, 4):
        Z_k = np.where(np.arange(4) < k, Z, 0)
        X_hat = keras.ops.convert_to_numpy(decoder(Z_k))
        expected.append(np.mean((X - X_hat) ** 2))
    assert_allclose(logs["val_loss"], np.mean(expected), rtol=1e-5)


def test_prefixes_of_an_ordered_code_beat_pca(ordered):
    est, X_test = ordered
    # (The prefix of 2 of this small model gains least: 0.98 of PCA's error.)
    for k, ratio in [(2, 1.0), (4, 0.97), (8, 0.97)]:
        pca = PCA(k).fit(digits(500))
        assert mse(est.truncate(k), X_test) < ratio * mse(pca, X_test), k


def test_ordered_fit_trains_past_its_pca_start(ordered):
    """Check that early stopping does not keep the PCA start of an ordered code.

    The whole code's validation loss first rises while the short prefixes
    improve; early stopping on it would restore the starting weights.
    """
    est, _ = ordered
    losses = est.history_["val_loss"]
    assert int(np.argmin(losses)) > 5


def test_truncate_keeps_the_first_units_and_their_decoding(ordered):
    est, X = ordered
    Z = est.transform(X)
    short = est.truncate(3)
    assert short.n_components_ == 3 and short.n_components == 3
    assert short.get_feature_names_out().shape == (3,)
    assert_allclose(short.transform(X), Z[:, :3], rtol=1e-6, atol=1e-6)
    padded = np.hstack([Z[:, :3], np.zeros((len(Z), 5))])
    assert_allclose(
        short.inverse_transform(Z[:, :3]),
        est.inverse_transform(padded),
        rtol=1e-6,
        atol=1e-6,
    )
    assert short.encoder_.output_shape == (None, 3)
    assert short.decoder_.input_shape == (None, 3)
    assert_array_equal(
        short.explained_variance_ratio_, est.explained_variance_ratio_[:3]
    )
    # The original is untouched, and a truncated copy truncates further.
    assert est.n_components_ == 8 and est.transform(X).shape == (200, 8)
    assert_allclose(short.truncate(1).transform(X), Z[:, :1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("bad", [0, 9, 2.5, "2", True])
def test_truncate_rejects_sizes_outside_the_code(ordered, bad):
    est, _ = ordered
    with pytest.raises(ValueError, match="between 1 and the trained code's 8"):
        est.truncate(bad)


def test_truncate_refuses_an_unordered_code():
    est = AutoencoderTransformer(3, hidden_layer_sizes=(8,), epochs=1).fit(digits(50))
    with pytest.raises(ValueError, match="trained with ordered=False"):
        est.truncate(2)


def test_truncated_model_cannot_continue_training(ordered):
    est, X = ordered
    short = est.truncate(2)
    with pytest.raises(ValueError, match="first 2 units of a 8-unit ordered code"):
        short.partial_fit(X)
    short.set_params(warm_start=True)
    with pytest.raises(ValueError, match="set warm_start=False"):
        short.fit(X)
    assert short.n_components_ == 2


def test_float_n_components_keeps_the_shortest_prefix_reaching_it():
    X = digits(400)
    est = AutoencoderTransformer(
        0.7,
        hidden_layer_sizes=(16,),
        epochs=5,
        validation_fraction=0,
        random_state=0,
    ).fit(X)
    k = est.n_components_
    # Trained 64 units wide (min(n_features, 128)), kept k.
    assert est._spec.trained_components == 64 and est._spec.ordered
    assert est.transform(X).shape == (400, k)
    # Held-out rows are the training rows here, where prefix R^2 is the
    # cumulative sum of explained_variance_ratio_.
    r2 = np.cumsum(est.explained_variance_ratio_)
    assert r2[-1] >= 0.7
    assert k == 1 or r2[-2] < 0.7
    assert_allclose(r2[-1], est.reconstruction_r2_, rtol=1e-12)
    assert k < PCA(0.95).fit(X).n_components_


def test_float_n_components_warns_when_no_prefix_reaches_it():
    X = np.random.default_rng(0).random((60, 5))
    est = AutoencoderTransformer(0.999999, hidden_layer_sizes=(4,), epochs=1)
    with pytest.warns(UserWarning, match="No prefix of the 5-unit ordered code"):
        est.fit(X)
    assert est.n_components_ == 5


@pytest.mark.parametrize("bad", [1.0, 1.5, 0.0, -0.5])
def test_float_n_components_outside_0_1_is_refused(bad):
    est = AutoencoderTransformer(bad, epochs=1)
    with pytest.raises(ValueError, match="n_components"):
        est.fit(digits(50))
    assert not hasattr(est, "n_components_")


def test_float_n_components_needs_fit_not_partial_fit():
    with pytest.raises(ValueError, match="held-out rows after training"):
        AutoencoderTransformer(0.9).partial_fit(digits(50))


@pytest.mark.parametrize(
    "make",
    [
        lambda: ConvAutoencoderTransformer(
            4, ordered=True, image_shape=(8, 8), filters=(4,), epochs=2
        ),
        lambda: ConvAutoencoderTransformer(
            4, ordered=True, image_shape=(8, 8), filters=(4,), pca_shortcut=False
        ),
        lambda: SequenceAutoencoderTransformer(4, ordered=True, units=4, epochs=2),
        lambda: AutoencoderTransformer(4, ordered=True, hidden_layer_sizes=()),
    ],
    ids=["conv", "conv-no-shortcut", "sequence", "tutorial"],
)
def test_every_architecture_trains_an_ordered_code(make):
    X = digits(80)
    est = make().set_params(epochs=2, random_state=0).fit(X)
    short = est.truncate(2)
    Z = est.transform(X)
    assert_allclose(short.transform(X), Z[:, :2], rtol=1e-5, atol=1e-6)
    assert short.inverse_transform(Z[:, :2]).shape == X.shape
    assert "nested_dropout" in [layer.name for layer in est.model_.layers]


class ImageCode(BaseAutoencoder):
    """An encoder whose output is a column of values, not a code vector."""

    def __init__(self, n_components=2, *, ordered=False, epochs=1):
        self.n_components = n_components
        self.ordered = ordered
        self.epochs = epochs

    def build_encoder(self, n_features, seed):
        layers = [keras.Input((n_features,)), keras.layers.Dense(self.n_components)]
        layers.append(keras.layers.Reshape((self.n_components, 1)))
        return keras.Sequential(layers, name="encoder")

    def build_decoder(self, n_features, output_activation, seed):
        layers = [keras.Input((self.n_components, 1)), keras.layers.Flatten()]
        layers.append(keras.layers.Dense(n_features, output_activation))
        return keras.Sequential(layers, name="decoder")


def test_ordered_needs_a_code_layer_to_mask():
    X = digits(40)
    ImageCode().fit(X)  # unordered, it trains
    est = ImageCode(ordered=True)
    with pytest.raises(ValueError, match=r"shape \(None, 2, 1\), so there is no code"):
        est.fit(X)
    assert not hasattr(est, "n_components_")


def test_fraction_model_saves_and_pickles(tmp_path):
    X = digits(200)
    est = AutoencoderTransformer(
        0.6, hidden_layer_sizes=(8,), epochs=2, random_state=0
    ).fit(X)
    for copy in (
        skae.load(est.save(tmp_path / "est.skae")),
        pickle.loads(pickle.dumps(est)),
    ):
        assert copy.n_components_ == est.n_components_
        assert copy._spec == est._spec
        assert_array_equal(copy.transform(X), est.transform(X))
        assert_array_equal(
            copy.explained_variance_ratio_, est.explained_variance_ratio_
        )
        assert copy.reconstruction_r2_ == est.reconstruction_r2_
        assert_allclose(
            copy.truncate(1).transform(X), est.transform(X)[:, :1], rtol=1e-6
        )


def test_pickles_of_skae_0_1_keep_their_total_r2():
    X = digits(40)
    est = AutoencoderTransformer(3, hidden_layer_sizes=(8,), epochs=1).fit(X)
    state = est.__getstate__()
    state["explained_variance_ratio_"] = 0.5  # skae 0.1 kept the total only
    old = AutoencoderTransformer.__new__(AutoencoderTransformer)
    old.__setstate__(state)
    assert old.reconstruction_r2_ == 0.5
    assert old.explained_variance_ratio_.shape == (3,)
    assert np.isnan(old.explained_variance_ratio_).all()


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_r2_of_many_rows_is_measured_on_evenly_spaced_ones(monkeypatch, method):
    """Check the cap that keeps scoring every prefix cheap on large data."""
    monkeypatch.setattr("skae.estimators.fitted.PREFIX_MAX_ROWS", 50)
    monkeypatch.setattr("skae.estimators.base.PARTIAL_FIT_PREFIX_ROWS", 30)
    X = digits(120)
    est = AutoencoderTransformer(3, hidden_layer_sizes=(8,), epochs=1)
    getattr(est, method)(X)
    rows = X[np.linspace(0, 119, 50 if method == "fit" else 30).astype(int)]
    X_hat = est.inverse_transform(est.transform(rows))
    expected = 1 - ((rows - X_hat) ** 2).sum() / ((rows - rows.mean(0)) ** 2).sum()
    assert_allclose(est.reconstruction_r2_, expected, rtol=1e-10)
