"""Training to targets: corrupted inputs in, the clean rows they came from out."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skae import AutoencoderTransformer, ConvAutoencoderTransformer

TINY = dict(epochs=3, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def digits():
    """200 digits in [0, 1], the same with clipped Gaussian noise, and labels."""
    X, y = load_digits(return_X_y=True)
    X = X[:200] / 16.0
    noise = 0.3 * np.random.default_rng(0).standard_normal(X.shape)
    return np.clip(X + noise, 0, 1), X, y[:200]


@pytest.mark.parametrize("params", [{}, {"ordered": True, "dropout": 0.1}])
def test_targets_equal_to_the_inputs_train_the_same_bits(digits, params):
    """Check that targets reach the loss where the inputs did before."""
    noisy, _, _ = digits
    plain = AutoencoderTransformer(4, **TINY, **params).fit(noisy)
    targeted = AutoencoderTransformer(4, **TINY, **params).fit(noisy, X_target=noisy)
    assert targeted.history_ == plain.history_
    assert_array_equal(targeted.transform(noisy), plain.transform(noisy))


def test_partial_fit_with_targets_equal_to_the_inputs_trains_the_same_bits(digits):
    noisy, _, _ = digits
    plain, targeted = (
        AutoencoderTransformer(4, **TINY),
        AutoencoderTransformer(4, **TINY),
    )
    for rows in (slice(0, 100), slice(100, 200)):
        plain.partial_fit(noisy[rows])
        targeted.partial_fit(noisy[rows], X_target=noisy[rows])
    assert targeted.history_ == plain.history_
    assert_array_equal(targeted.transform(noisy), plain.transform(noisy))


def test_targets_change_what_the_model_learns(digits):
    noisy, clean, _ = digits
    plain = AutoencoderTransformer(4, **TINY).fit(noisy)
    targeted = AutoencoderTransformer(4, **TINY).fit(noisy, X_target=clean)
    assert targeted.history_["loss"] != plain.history_["loss"]


@pytest.mark.slow
def test_clean_targets_train_a_denoiser(digits):
    """Check that, trained to the clean rows, the model restores them better."""
    noisy, clean, _ = digits
    params = dict(n_components=16, epochs=60, random_state=0)
    plain = AutoencoderTransformer(**params).fit(noisy)
    denoiser = AutoencoderTransformer(**params).fit(noisy, X_target=clean)

    def error(est):
        return np.mean((est.inverse_transform(est.transform(noisy)) - clean) ** 2)

    assert error(denoiser) < 0.8 * error(plain)


def test_sparse_targets_train_as_dense_ones(digits):
    noisy, clean, _ = digits
    dense = AutoencoderTransformer(4, **TINY).fit(noisy, X_target=clean)
    sparse = AutoencoderTransformer(4, **TINY).fit(noisy, X_target=sp.csr_matrix(clean))
    assert sparse.history_ == dense.history_
    assert_array_equal(sparse.transform(noisy), dense.transform(noisy))


def test_rows_passed_as_y_get_a_warning_with_the_fix(digits):
    noisy, clean, y = digits
    with pytest.warns(UserWarning, match=r"fit\(X, X_target=X_clean\)"):
        AutoencoderTransformer(2, **TINY).fit(noisy, clean)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        AutoencoderTransformer(2, **TINY).fit(noisy, y)  # labels: no warning


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda clean: clean[:10], r"X_target holds 10 samples of shape \(64,\)"),
        (lambda clean: clean[:, :32], r"X_target holds 200 samples of shape \(32,\)"),
        (lambda clean: clean.reshape(200, 4, 16), r"samples of shape \(4, 16\)"),
        (lambda clean: np.where(clean > 0.5, np.nan, clean), "X_target contains NaN"),
    ],
    ids=["rows", "width", "image shape", "nan"],
)
def test_targets_that_do_not_fit_x_are_refused(digits, bad, message):
    noisy, clean, _ = digits
    est = AutoencoderTransformer(2, **TINY)
    with pytest.raises(ValueError, match=message):
        est.fit(noisy.reshape(200, 8, 8), X_target=bad(clean))
    assert not hasattr(est, "n_iter_")


def test_the_targets_range_picks_the_loss(digits):
    noisy, clean, _ = digits
    shifted = noisy - 0.5  # inputs outside [0, 1], targets inside
    tutorial = dict(hidden_layer_sizes=(), **TINY)
    assert AutoencoderTransformer(2, **tutorial).fit(shifted).loss_ == "mse"
    est = AutoencoderTransformer(2, **tutorial).fit(shifted, X_target=clean)
    assert est.loss_ == "binary_crossentropy"
    with pytest.raises(ValueError, match="binary_crossentropy' needs data inside"):
        AutoencoderTransformer(2, loss="binary_crossentropy", **TINY).fit(
            clean, X_target=shifted
        )


def test_images_train_to_their_clean_images(digits):
    noisy, clean, _ = digits
    images = noisy.reshape(200, 8, 8)
    est = ConvAutoencoderTransformer(4, filters=(4,), **TINY)
    est.fit(images, X_target=clean.reshape(200, 8, 8))
    assert est.sample_shape_ == (8, 8)
    flat = ConvAutoencoderTransformer(4, filters=(4,), **TINY)
    flat.fit(images, X_target=clean)  # flat targets for images are rows too
    assert_array_equal(flat.transform(images), est.transform(images))


def test_targets_reach_the_step_of_a_pipeline_and_a_grid_search(digits):
    noisy, clean, y = digits
    pipe = make_pipeline(AutoencoderTransformer(4, **TINY), LogisticRegression())
    search = GridSearchCV(
        pipe, {"autoencodertransformer__n_components": [2, 4]}, cv=2
    ).fit(noisy, y, autoencodertransformer__X_target=clean)
    alone = AutoencoderTransformer(4, **TINY).fit(noisy, X_target=clean)
    fitted = search.best_estimator_.named_steps["autoencodertransformer"]
    if fitted.n_components == 4:
        assert fitted.history_ == alone.history_
    assert search.predict(noisy).shape == (200,)


def test_targets_are_routed_as_metadata(digits):
    noisy, clean, y = digits
    with sklearn.config_context(enable_metadata_routing=True):
        est = AutoencoderTransformer(4, **TINY).set_fit_request(X_target=True)
        pipe = make_pipeline(est, LogisticRegression()).fit(noisy, y, X_target=clean)
    alone = AutoencoderTransformer(4, **TINY).fit(noisy, X_target=clean)
    assert pipe.steps[0][1].history_ == alone.history_
