"""The fully connected autoencoder: architecture, loss choice, training options."""

import keras
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skae import AutoencoderTransformer


def make_data(n_samples=60, n_features=8, seed=0, scale=1.0):
    return np.random.default_rng(seed).random((n_samples, n_features)) * scale


def dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def describe(model):
    return [
        (layer.units, keras.activations.serialize(layer.activation))
        for layer in dense_layers(model)
    ]


def test_no_hidden_layers_is_the_tutorials_single_layer_autoencoder():
    est = AutoencoderTransformer(
        n_components=4, hidden_layer_sizes=(), epochs=1, random_state=0
    )
    est.fit(make_data())
    assert describe(est.encoder_) == [(4, "relu")]
    assert describe(est.decoder_) == [(8, "sigmoid")]
    assert est.loss_ == "binary_crossentropy"
    assert est.output_activation_ == "sigmoid"


def test_deep_decoder_mirrors_encoder_with_linear_code():
    est = AutoencoderTransformer(
        n_components=3,
        hidden_layer_sizes=(16, 5),
        pca_shortcut=False,
        epochs=1,
        random_state=0,
    ).fit(make_data())
    assert describe(est.encoder_) == [(16, "relu"), (5, "relu"), (3, "linear")]
    assert describe(est.decoder_) == [(5, "relu"), (16, "relu"), (8, "sigmoid")]


def test_decoder_layer_sizes_give_the_decoder_its_own_widths():
    est = AutoencoderTransformer(
        n_components=3,
        hidden_layer_sizes=(16,),
        decoder_layer_sizes=(4, 32),
        pca_shortcut=False,
        epochs=1,
        random_state=0,
    ).fit(make_data())
    assert describe(est.encoder_) == [(16, "relu"), (3, "linear")]
    assert describe(est.decoder_) == [(4, "relu"), (32, "relu"), (8, "sigmoid")]
    assert est.hidden_layer_sizes_ == (16,)
    assert est.decoder_layer_sizes_ == (4, 32)
    assert est.inverse_transform(est.transform(make_data())).shape == (60, 8)


def test_decoder_layer_sizes_auto_mirrors_explicit_encoder_widths():
    est = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(16, 5), epochs=1, random_state=0
    ).fit(make_data())
    assert est.decoder_layer_sizes_ == (5, 16)
    output = est.decoder_.get_layer("output")
    assert [layer.units for layer in output.body] == [5, 16, 8]


def test_a_deep_decoder_alone_starts_as_pca():
    """Check that hidden layers on either side turn the PCA shortcut on."""
    from sklearn.decomposition import PCA

    X = make_data(n_samples=80)
    est = AutoencoderTransformer(
        n_components=3,
        hidden_layer_sizes=(),
        decoder_layer_sizes=(16,),
        epochs=1,
        learning_rate=1e-12,
        validation_fraction=0.0,
    ).fit(X)
    assert est.loss_ == "mse" and est.output_activation_ == "linear"
    pca = PCA(3).fit(X)
    assert_allclose(
        est.inverse_transform(est.transform(X)),
        pca.inverse_transform(pca.transform(X)),
        atol=1e-5,
    )


@pytest.mark.parametrize("widths", [(0,), (4, -1), (2.5,), ("wide",)])
def test_bad_decoder_layer_sizes_are_refused_by_name(widths):
    est = AutoencoderTransformer(3, decoder_layer_sizes=widths, epochs=1)
    with pytest.raises(ValueError, match=r"decoder_layer_sizes must be a tuple"):
        est.fit(make_data())
    assert not hasattr(est, "n_iter_")


def test_a_spec_without_decoder_widths_mirrors_its_encoder():
    """Check the specs of models saved before the decoder had its own widths."""
    from skae.networks.dense import DenseSpec

    common = dict(n_features=8, n_components=3, output_activation="linear")
    old = DenseSpec(**common, loss="mse", hidden_layer_sizes=(16, 5))
    assert old.decoder_layer_sizes == (5, 16)
    new = DenseSpec(
        **common, loss="mse", hidden_layer_sizes=(16, 5), decoder_layer_sizes=(5, 16)
    )
    assert old == new and not old.differences(new)


def test_warm_start_refuses_new_decoder_widths():
    X = make_data()
    est = AutoencoderTransformer(
        3, hidden_layer_sizes=(8,), epochs=1, warm_start=True, random_state=0
    ).fit(X)
    with pytest.raises(ValueError, match=r"decoder_layer_sizes is \(8,\); got"):
        est.set_params(decoder_layer_sizes=(8, 16)).fit(X)
    # The same widths, given explicitly, continue the fitted model.
    model = est.model_
    est.set_params(decoder_layer_sizes=(8,)).fit(X)
    assert est.model_ is model


def test_explicit_activations_are_used():
    est = AutoencoderTransformer(
        n_components=3,
        hidden_layer_sizes=4,
        pca_shortcut=False,
        activation="tanh",
        code_activation="sigmoid",
        output_activation="linear",
        loss="mse",
        epochs=1,
        random_state=0,
    ).fit(make_data())
    assert describe(est.encoder_) == [(4, "tanh"), (3, "sigmoid")]
    assert describe(est.decoder_) == [(4, "tanh"), (8, "linear")]


def test_default_model_starts_as_pca_and_learns_a_correction():
    """Check the PCA shortcut: before any real training the model is PCA."""
    from sklearn.decomposition import PCA

    X = make_data(n_samples=80)
    est = AutoencoderTransformer(
        n_components=3, epochs=1, learning_rate=1e-12, validation_fraction=0.0
    ).fit(X)
    assert est.loss_ == "mse" and est.output_activation_ == "linear"
    code = est.encoder_.get_layer("code")
    assert type(code).__name__ == "Residual"
    assert [layer.units for layer in code.body if hasattr(layer, "units")] == [256, 3]
    pca = PCA(3).fit(X)
    # PCA was fitted to the float32 training data: agreement to float32 precision.
    assert_allclose(est.transform(X), pca.transform(X), atol=1e-4)
    assert_allclose(
        est.inverse_transform(est.transform(X)),
        pca.inverse_transform(pca.transform(X)),
        atol=1e-5,
    )
    trained = AutoencoderTransformer(
        n_components=3, epochs=40, validation_fraction=0.0, random_state=0
    )
    assert trained.fit(X).score(X) > est.score(X)


def test_pca_shortcut_pads_codes_beyond_pca_rank():
    X = make_data(n_samples=10, n_features=4)
    est = AutoencoderTransformer(
        n_components=6, epochs=1, learning_rate=1e-12, validation_fraction=0.0
    ).fit(X)
    Z = est.transform(X)
    assert_allclose(Z[:, 4:], 0, atol=1e-6)
    assert_allclose(est.inverse_transform(Z), X, atol=1e-5)


def test_pca_shortcut_needs_a_linear_code():
    with pytest.raises(ValueError, match="code_activation='relu'"):
        AutoencoderTransformer(code_activation="relu", epochs=1).fit(make_data())


def test_auto_picks_mse_and_linear_output_outside_unit_interval():
    X = make_data(scale=5.0) - 2.0
    est = AutoencoderTransformer(n_components=2, epochs=1, random_state=0).fit(X)
    assert est.loss_ == "mse"
    assert est.output_activation_ == "linear"
    assert est.model_.loss == "mse"


def test_model_shares_weights_with_encoder_and_decoder():
    est = AutoencoderTransformer(n_components=3, epochs=1, random_state=0)
    est.fit(make_data())
    X = make_data(n_samples=5, seed=1).astype(np.float32)
    joined = keras.ops.convert_to_numpy(est.model_(X))
    chained = keras.ops.convert_to_numpy(est.decoder_(est.encoder_(X)))
    assert_array_equal(joined, chained)
    model_weights = {id(w) for w in est.model_.weights}
    assert {id(w) for w in est.encoder_.weights + est.decoder_.weights} == model_weights


def test_transform_matches_keras_encoder():
    est = AutoencoderTransformer(n_components=3, hidden_layer_sizes=(7,), epochs=2)
    X = make_data()
    est.fit(X)
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_training_reduces_reconstruction_error():
    X = make_data(n_samples=200)
    short = AutoencoderTransformer(n_components=4, epochs=1, random_state=0).fit(X)
    long = AutoencoderTransformer(
        n_components=4, epochs=60, early_stopping=False, batch_size=32, random_state=0
    ).fit(X)
    assert long.score(X) > short.score(X)
    assert long.history_["loss"][-1] < long.history_["loss"][0]


def test_history_and_n_iter_record_epochs():
    est = AutoencoderTransformer(n_components=2, epochs=4, early_stopping=False)
    est.fit(make_data())
    assert est.n_iter_ == 4
    assert set(est.history_) == {"loss", "val_loss"}
    assert len(est.history_["loss"]) == len(est.history_["val_loss"]) == 4
    no_split = AutoencoderTransformer(n_components=2, epochs=3, validation_fraction=0)
    assert set(no_split.fit(make_data()).history_) == {"loss"}


class RecordWeights(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_and_restores_lowest_loss_weights():
    """Check that training stops once the loss stalls and keeps the best epoch."""
    recorder = RecordWeights()
    est = AutoencoderTransformer(
        n_components=2,
        epochs=50,
        n_iter_no_change=2,
        tol=0.5,
        random_state=0,
        callbacks=[recorder],
    ).fit(make_data())
    # Epoch 1 sets the reference; two more epochs without a 50% gain stop it.
    assert est.n_iter_ == 3
    best = int(np.argmin(est.history_["val_loss"]))
    for restored, recorded in zip(
        est.model_.get_weights(), recorder.weights[best], strict=True
    ):
        assert_array_equal(restored, recorded)


def test_without_early_stopping_runs_every_epoch():
    est = AutoencoderTransformer(
        n_components=2, epochs=6, early_stopping=False, tol=0.9, n_iter_no_change=1
    ).fit(make_data())
    assert est.n_iter_ == 6


def test_optimizer_by_name_uses_learning_rate():
    est = AutoencoderTransformer(
        n_components=2, optimizer="sgd", learning_rate=0.05, epochs=1
    ).fit(make_data())
    assert isinstance(est.model_.optimizer, keras.optimizers.SGD)
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.05)


def test_optimizer_instance_is_copied_for_each_fit():
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    est = AutoencoderTransformer(n_components=2, optimizer=optimizer, epochs=2)
    est.fit(make_data())
    used = est.model_.optimizer
    assert isinstance(used, keras.optimizers.RMSprop) and used is not optimizer
    assert float(used.learning_rate) == pytest.approx(0.01)
    assert int(used.iterations) > 0
    assert not optimizer.built
    est.fit(make_data())
    assert est.model_.optimizer is not used


def test_user_callbacks_are_called_every_epoch():
    class CountEpochs(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            type(self).epochs += 1

    AutoencoderTransformer(
        n_components=2, epochs=3, early_stopping=False, callbacks=[CountEpochs()]
    ).fit(make_data())
    assert CountEpochs.epochs == 3


def test_warm_start_continues_from_fitted_weights():
    X = make_data(n_samples=100)
    est = AutoencoderTransformer(
        n_components=3, epochs=3, warm_start=True, early_stopping=False, random_state=0
    ).fit(X)
    model = est.model_
    first_losses = est.history_["loss"]
    est.fit(X)
    assert est.model_ is model
    assert est.history_["loss"][0] < first_losses[0]
    cold = AutoencoderTransformer(
        n_components=3, epochs=3, early_stopping=False, random_state=0
    ).fit(X)
    assert cold.history_["loss"] == first_losses


def test_warm_start_refuses_new_architecture_or_width():
    X = make_data()
    est = AutoencoderTransformer(n_components=3, epochs=1, warm_start=True).fit(X)
    with pytest.raises(ValueError, match="n_components is 3; got n_components=4"):
        est.set_params(n_components=4).fit(X)
    est.set_params(n_components=3)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes is \(256,\); got"):
        est.set_params(hidden_layer_sizes=(5,)).fit(X)
    est.set_params(hidden_layer_sizes=(256,))
    with pytest.raises(ValueError, match="X has 5 features"):
        est.fit(make_data(n_features=5))
    assert est.transform(X).shape == (60, 3)


def test_feature_names_out_and_pandas_output():
    X = pd.DataFrame(make_data(), columns=[f"pixel{i}" for i in range(8)])
    est = AutoencoderTransformer(n_components=3, epochs=1).set_output(
        transform="pandas"
    )
    Z = est.fit_transform(X)
    expected = [f"autoencodertransformer{i}" for i in range(3)]
    assert list(est.get_feature_names_out()) == expected
    assert isinstance(Z, pd.DataFrame) and list(Z.columns) == expected
    assert list(est.feature_names_in_) == list(X.columns)
    assert est.n_features_in_ == 8
    assert_allclose(est.inverse_transform(Z.to_numpy()).shape, (60, 8))


def test_overcomplete_code_is_allowed():
    est = AutoencoderTransformer(n_components=12, epochs=1).fit(make_data())
    assert est.transform(make_data()).shape == (60, 12)


def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, _ = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, test_size=0.25, random_state=0)


@pytest.mark.slow
def test_l1_activity_penalty_makes_codes_sparser():
    """Check the sparse autoencoder: the L1 penalty lowers the mean activation."""
    X_train, X_test = digits_split()

    def mean_activation(activity_l1):
        est = AutoencoderTransformer(
            n_components=32,
            activity_l1=activity_l1,
            epochs=30,
            batch_size=64,
            random_state=0,
        ).fit(X_train)
        return float(np.mean(np.abs(est.transform(X_test))))

    plain, sparse = mean_activation(0.0), mean_activation(1e-3)
    print(f"mean code activation: plain {plain:.4f}, L1 {sparse:.4f}")
    assert sparse < 0.5 * plain


@pytest.mark.slow
def test_denoising_model_cleans_noisy_inputs_better_than_plain():
    """Check the denoising autoencoder on digits corrupted by Gaussian noise."""
    X_train, X_test = digits_split()
    noisy = np.clip(
        X_test + np.random.default_rng(1).normal(0, 0.3, X_test.shape), 0, 1
    )

    def error_on_noisy(noise):
        est = AutoencoderTransformer(
            n_components=64,
            hidden_layer_sizes=(128,),
            noise=noise,
            epochs=60,
            early_stopping=False,
            random_state=0,
        ).fit(X_train)
        return float(
            np.mean((est.inverse_transform(est.transform(noisy)) - X_test) ** 2)
        )

    plain, denoising = error_on_noisy(0.0), error_on_noisy(0.3)
    print(f"MSE to clean digits: plain {plain:.5f}, denoising {denoising:.5f}")
    assert denoising < 0.9 * plain


def test_mask_noise_trains_and_never_touches_transform():
    X = make_data()
    est = AutoencoderTransformer(
        n_components=3, noise=0.5, noise_type="mask", epochs=2, random_state=0
    ).fit(X)
    assert_array_equal(est.transform(X), est.transform(X))
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-6)


def test_dropout_and_batch_normalization_layers_are_built():
    est = AutoencoderTransformer(
        n_components=2,
        hidden_layer_sizes=(6, 4),
        pca_shortcut=False,
        dropout=0.2,
        batch_normalization=True,
        epochs=2,
        random_state=0,
    ).fit(make_data())
    kinds = [type(layer).__name__ for layer in est.encoder_.layers]
    assert kinds == [
        "Dense", "BatchNormalization", "Activation", "Dropout",
        "Dense", "BatchNormalization", "Activation", "Dropout",
        "Dense",
    ]  # fmt: skip
    X = make_data()
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "shape, expected",
    [((1797, 64), ((256,), None)), ((9_999, 784), ((256,), None)),
     ((10_000, 255), ((256,), None)), ((10_000, 256), ((256,), (256, 1024))),
     ((60_000, 784), ((256,), (256, 1024)))],
)  # fmt: skip
def test_auto_layer_sizes_widen_the_decoder_for_large_data(shape, expected):
    from skae.estimators.dense import auto_layer_sizes

    assert auto_layer_sizes(*shape) == expected


@pytest.mark.slow
def test_auto_layer_sizes_are_resolved_at_fit_and_kept_by_warm_start():
    X = np.random.default_rng(0).random((10_000, 256)).astype(np.float32)
    est = AutoencoderTransformer(
        4, epochs=1, validation_fraction=0.0, random_state=0
    ).fit(X)
    assert est.hidden_layer_sizes == est.decoder_layer_sizes == "auto"
    assert est.hidden_layer_sizes_ == (256,)
    assert est.decoder_layer_sizes_ == (256, 1024)
    code = est.encoder_.get_layer("code")
    assert [layer.units for layer in code.body] == [256, 4]
    output = est.decoder_.get_layer("output")
    assert [layer.units for layer in output.body] == [256, 1024, 256]
    # A warm start on fewer rows continues the network it has.
    est.set_params(warm_start=True).fit(X[:100])
    assert est.decoder_layer_sizes_ == (256, 1024)
    small = AutoencoderTransformer(4, epochs=1).fit(X[:100])
    assert small.hidden_layer_sizes_ == small.decoder_layer_sizes_ == (256,)
