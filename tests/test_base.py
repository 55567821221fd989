"""Behaviour shared by every autoencoder: validation, errors, scoring, rollback."""

import dataclasses
import re

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

import skae
from skae import AutoencoderTransformer
from skae._registry import ESTIMATORS
from skae.estimators.parameters import TRAINING_PARAMS


def make_data(n_samples=40, n_features=6, seed=0, scale=1.0):
    return np.random.default_rng(seed).random((n_samples, n_features)) * scale


def quick(**params):
    params.setdefault("n_components", 2)
    params.setdefault("epochs", 2)
    params.setdefault("random_state", 0)
    return AutoencoderTransformer(**params)


@pytest.fixture(scope="module")
def fitted():
    X = make_data()
    return quick().fit(X), X


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[0.1, np.nan], [0.2, 0.3], [0.4, 0.5]]), "NaN"),
        (np.array([[0.1, np.inf], [0.2, 0.3], [0.4, 0.5]]), "infinity"),
        (np.ones(10), "Expected 2D array, got 1D array"),
        (np.empty((0, 3)), "0 sample"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), "could not convert"),
        (np.array([[1 + 1j, 2], [3, 4]]), "Complex data not supported"),
    ],
    ids=["nan", "inf", "1d", "empty", "strings", "complex"],
)
def test_fit_rejects_bad_data_with_clear_error(X, message):
    with pytest.raises(ValueError, match=message):
        quick().fit(X)


def test_transform_before_fit_raises_not_fitted():
    for method in ("transform", "inverse_transform", "score", "score_samples"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(quick(), method)(make_data())


def test_transform_rejects_wrong_number_of_features(fitted):
    est, _ = fitted
    with pytest.raises(ValueError, match="X has 5 features, but .* expecting 6"):
        est.transform(make_data(n_features=5))


def test_inverse_transform_rejects_wrong_width(fitted):
    est, _ = fitted
    with pytest.raises(ValueError, match="X has 3 columns.*n_components=2"):
        est.inverse_transform(np.zeros((4, 3)))


def test_inverse_transform_rejects_non_finite_codes(fitted):
    est, _ = fitted
    with pytest.raises(ValueError, match="NaN"):
        est.inverse_transform(np.full((2, 2), np.nan))


@pytest.mark.parametrize(
    "params, name, shown",
    [
        ({"n_components": 0}, "n_components", "0"),
        ({"n_components": 2.5}, "n_components", "2.5"),
        ({"epochs": 0}, "epochs", "0"),
        ({"batch_size": -1}, "batch_size", "-1"),
        ({"learning_rate": 0.0}, "learning_rate", "0.0"),
        ({"validation_fraction": 1.0}, "validation_fraction", "1.0"),
        ({"tol": -1.0}, "tol", "-1.0"),
        ({"n_iter_no_change": 0}, "n_iter_no_change", "0"),
        ({"activation": "softmaxx"}, "activation", "'softmaxx'"),
        ({"output_activation": "nope"}, "output_activation", "'nope'"),
        ({"code_activation": "nope"}, "code_activation", "'nope'"),
        ({"loss": "hinge"}, "loss", "'hinge'"),
        ({"optimizer": 3}, "optimizer", "3"),
        ({"callbacks": "stop"}, "callbacks", "'stop'"),
        ({"shuffle": "yes"}, "shuffle", "'yes'"),
        ({"random_state": "seed"}, "random_state", "'seed'"),
    ],
)
def test_invalid_parameter_error_names_parameter_and_value(params, name, shown):
    pattern = rf"'{name}' parameter.*Got {re.escape(shown)} instead"
    with pytest.raises(ValueError, match=pattern):
        quick(**params).fit(make_data())


@pytest.mark.parametrize("sizes", [(0,), (8, -1), (2.5,), ("a",), (True,)])
def test_invalid_hidden_layer_sizes_named_in_error(sizes):
    with pytest.raises(ValueError, match=r"hidden_layer_sizes.*got \("):
        quick(hidden_layer_sizes=sizes).fit(make_data())


def test_unknown_optimizer_name_is_reported():
    with pytest.raises(ValueError, match="optimizer='adamw2' is not the name"):
        quick(optimizer="adamw2").fit(make_data())


def test_callbacks_must_be_keras_callbacks():
    with pytest.raises(TypeError, match="got int at position 1"):
        quick(callbacks=[keras.callbacks.History(), 3]).fit(make_data())


def test_binary_crossentropy_rejects_data_outside_unit_interval():
    X = make_data(scale=3.0)
    with pytest.raises(ValueError, match=r"binary_crossentropy.*\[0, 1\].*from 0"):
        quick(loss="binary_crossentropy").fit(X)


def test_binary_crossentropy_requires_sigmoid_output():
    with pytest.raises(ValueError, match="output_activation='linear'"):
        quick(loss="binary_crossentropy", output_activation="linear").fit(make_data())


def test_too_few_samples_for_validation_split():
    with pytest.raises(ValueError, match="validation_fraction=0.6.*got 2 samples"):
        quick(validation_fraction=0.6).fit(make_data(n_samples=2))
    with pytest.raises(ValueError, match="validation_fraction=0.1.*got 1 sample\\."):
        quick().fit(make_data(n_samples=1))
    # Without a split a single sample is enough.
    quick(validation_fraction=0.0).fit(make_data(n_samples=1))


def test_failed_refit_keeps_previous_model(fitted):
    """Check that a fit that raises leaves the fitted estimator untouched."""
    est, X = fitted
    before = est.transform(X)
    attributes = dict(vars(est))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad)
    with pytest.raises(ValueError, match="binary_crossentropy"):
        est.set_params(loss="binary_crossentropy").fit(X * 5)
    est.set_params(loss="auto")
    assert vars(est).keys() == attributes.keys()
    assert_array_equal(est.transform(X), before)


def test_interrupted_warm_start_restores_weights():
    """Check that an exception in training rolls a warm-started model back."""
    X = make_data()

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    est = quick(warm_start=True).fit(X)
    before = est.transform(X)
    est.set_params(callbacks=[Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X)
    assert_array_equal(est.transform(X), before)
    # The Keras model itself holds the restored weights too.
    keras_out = keras.ops.convert_to_numpy(est.model_(X.astype(np.float32)))
    assert_allclose(keras_out, est.inverse_transform(before), rtol=1e-5)


def test_score_is_negative_mean_squared_reconstruction_error(fitted):
    est, X = fitted
    X_hat = est.inverse_transform(est.transform(X))
    per_row = ((X - X_hat) ** 2).mean(axis=1)
    assert_allclose(est.score_samples(X), -per_row, rtol=1e-12)
    assert_allclose(est.score(X), -per_row.mean(), rtol=1e-12)
    assert est.score(X) < 0


def test_score_samples_ranks_outliers_lowest(fitted):
    est, X = fitted
    outliers = make_data(n_samples=3, seed=1, scale=10.0)
    scores = est.score_samples(np.vstack([X, outliers]))
    assert set(np.argsort(scores)[:3]) == {len(X), len(X) + 1, len(X) + 2}


def test_reconstruction_r2_matches_definition(fitted):
    est, X = fitted
    X_hat = est.inverse_transform(est.transform(X))
    expected = 1 - ((X - X_hat) ** 2).sum() / ((X - X.mean(axis=0)) ** 2).sum()
    assert_allclose(est.reconstruction_r2_, expected, rtol=1e-10)


def test_explained_variance_ratio_is_the_gain_of_each_prefix(fitted):
    """Check that the cumulative sum is each prefix's R^2, and the sum the model's."""
    est, X = fitted
    Z = est.transform(X)
    total = ((X - X.mean(axis=0)) ** 2).sum()
    prefix_r2 = []
    for k in range(1, est.n_components_ + 1):
        Z_k = np.zeros_like(Z)
        Z_k[:, :k] = Z[:, :k]
        prefix_r2.append(1 - ((X - est.inverse_transform(Z_k)) ** 2).sum() / total)
    assert est.explained_variance_ratio_.shape == (est.n_components_,)
    assert_allclose(np.cumsum(est.explained_variance_ratio_), prefix_r2, rtol=1e-10)
    assert_allclose(
        est.explained_variance_ratio_.sum(), est.reconstruction_r2_, rtol=1e-12
    )


def test_output_dtype_follows_input_dtype(fitted):
    est, X = fitted
    assert est.transform(X.astype(np.float32)).dtype == np.float32
    assert est.transform(X).dtype == np.float64
    assert est.transform((X * 0).astype(int)).dtype == np.float64
    Z = est.transform(X.astype(np.float32))
    assert est.inverse_transform(Z).dtype == np.float32
    # float32 arithmetic: a relative 1e-5, or an absolute 1e-6 near zero.
    assert_allclose(
        est.transform(X.astype(np.float32)), est.transform(X), rtol=1e-5, atol=1e-6
    )


REGISTERED = sorted(ESTIMATORS.items())


def test_every_public_estimator_registers_itself():
    """Saving, loading and the common tests find every variant in the registry."""
    public = {
        name
        for name in skae.__all__
        if isinstance(getattr(skae, name), type)
        and issubclass(getattr(skae, name), skae.BaseAutoencoder)
        and name != "BaseAutoencoder"
    }
    assert set(ESTIMATORS) == public


@pytest.mark.parametrize("name, estimator_class", REGISTERED)
def test_every_architecture_parameter_is_in_the_fitted_spec(name, estimator_class):
    """Check that the spec records every parameter that shapes the model.

    A parameter missing from the spec would let a warm start continue a model
    built with another value of it; the spec is where the fit resolves it.
    """
    X = make_data()
    est = estimator_class(2, epochs=1, **estimator_class._small_params).fit(X)
    shaping = set(est.get_params()) - TRAINING_PARAMS - {"n_components"}
    fields = {field.name for field in dataclasses.fields(est._spec)}
    assert shaping <= fields, shaping - fields


@pytest.mark.parametrize("name, estimator_class", REGISTERED)
def test_fitted_results_ignore_parameters_changed_after_fit(name, estimator_class):
    """Regression: after set_params(n_components=5) on a model fitted with 2,
    get_feature_names_out gave 5 names while transform returned 2 columns."""
    X = make_data()
    est = estimator_class(2, epochs=1, random_state=0, **estimator_class._small_params)
    est.fit(X)
    Z = est.transform(X)
    est.set_params(n_components=5)
    assert_array_equal(est.transform(X), Z)
    assert len(est.get_feature_names_out()) == Z.shape[1] == est.n_components_ == 2
    assert est.inverse_transform(Z).shape == X.shape
    if hasattr(est, "sample"):
        assert est.sample(3, random_state=0).shape == (3, X.shape[1])


@pytest.mark.parametrize("name, estimator_class", REGISTERED)
def test_shared_parameter_defaults_agree_with_base_class(name, estimator_class):
    params = estimator_class().get_params()
    for name in skae.BaseAutoencoder._parameter_constraints:
        if name != "n_components":
            assert params[name] == getattr(skae.BaseAutoencoder, name), name


def test_importing_skae_does_not_import_keras_or_tensorflow():
    """Check that Keras and its backend load on first use, not on import."""
    import subprocess
    import sys

    code = (
        "import sys, skae; "
        "loaded = [m for m in ('keras', 'tensorflow', 'jax', 'torch') "
        "if m in sys.modules]; "
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_plain_float_arrays_skip_validation_but_give_the_same_results():
    """The fast path for float ndarrays changes nothing but the time taken."""
    rng = np.random.default_rng(0)
    X = rng.random((40, 5))
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(4,), epochs=2, random_state=0)
    ae.fit(X)
    Z = ae.transform(X)
    assert_array_equal(Z, ae.transform(X.tolist()))
    assert_array_equal(ae.inverse_transform(Z), ae.inverse_transform(Z.tolist()))
    for bad in (np.nan, np.inf):
        X_bad = X.copy()
        X_bad[3, 2] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            ae.transform(X_bad)
        Z_bad = Z.copy()
        Z_bad[1, 0] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            ae.inverse_transform(Z_bad)
    with pytest.raises(ValueError, match="X has 4 features"):
        ae.transform(X[:, :4])
    with pytest.raises(ValueError, match="X has 3 columns"):
        ae.inverse_transform(np.zeros((2, 3)))
