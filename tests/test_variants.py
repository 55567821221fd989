"""What every autoencoder variant promises: searches, copies, seeds, bad input."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

# Each variant on rows of 16 features (4x4 images, 16-step series), with the
# parameter of its own that a search would tune.
VARIANTS = {
    "dense": (
        AutoencoderTransformer(
            n_components=2, hidden_layer_sizes=(6,), dropout=0.1, noise=0.1, epochs=2
        ),
        {"activity_l1": [0.0, 1e-3]},
    ),
    "conv": (
        ConvAutoencoderTransformer(
            n_components=2, image_shape=(4, 4), filters=(3,), epochs=2
        ),
        {"filters": [(2,), (3, 4)]},
    ),
    "variational": (
        VariationalAutoencoderTransformer(
            n_components=2, hidden_layer_sizes=(6,), epochs=2
        ),
        {"kl_weight": [0.5, 1.0]},
    ),
    "sequence": (
        SequenceAutoencoderTransformer(
            n_components=2, sequence_shape=(8, 2), units=3, epochs=2
        ),
        {"units": [2, 3]},
    ),
}
ESTIMATORS = [est for est, _ in VARIANTS.values()]
IDS = list(VARIANTS)


def make_data(n_samples=48, seed=0):
    return np.random.default_rng(seed).random((n_samples, 16))


@pytest.mark.slow
@pytest.mark.parametrize("estimator, grid", VARIANTS.values(), ids=IDS)
def test_grid_search_over_own_parameter_in_two_processes(estimator, grid):
    estimator = clone(estimator).set_params(random_state=0)
    search = GridSearchCV(estimator, grid, cv=2, n_jobs=2).fit(make_data())
    serial = GridSearchCV(estimator, grid, cv=2, n_jobs=1).fit(make_data())
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert_array_equal(scores, serial.cv_results_["mean_test_score"])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_pickle_round_trip_is_bit_identical(estimator):
    X = make_data()
    est = clone(estimator).set_params(random_state=0).fit(X)
    copied = pickle.loads(pickle.dumps(est))
    Z = est.transform(X)
    assert_array_equal(copied.transform(X), Z)
    assert_array_equal(copied.inverse_transform(Z), est.inverse_transform(Z))
    assert_array_equal(copied.score_samples(X), est.score_samples(X))


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_same_seed_same_result_other_seed_other_weights(estimator):
    X = make_data()
    first = clone(estimator).set_params(random_state=3).fit(X).transform(X)
    second = clone(estimator).set_params(random_state=3).fit(X).transform(X)
    other = clone(estimator).set_params(random_state=4).fit(X).transform(X)
    assert_array_equal(first, second)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_bad_input_gets_clear_errors(estimator):
    X = make_data()
    with pytest.raises(ValueError, match="NaN"):
        clone(estimator).fit(np.where(X > 0.9, np.nan, X))
    with pytest.raises(ValueError, match="Expected 2D array"):
        clone(estimator).fit(X[0])
    est = clone(estimator).set_params(random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 15 features"):
        est.transform(X[:, :15])
    with pytest.raises(ValueError, match="X has 3 columns.*n_components=2"):
        est.inverse_transform(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "estimator, message",
    [
        (
            ConvAutoencoderTransformer(image_shape=(28, 28, 1)),
            r"image_shape=\(28, 28, 1\) holds 784 values per row, but X has 16",
        ),
        (
            SequenceAutoencoderTransformer(sequence_shape=(5, 2)),
            r"sequence_shape=\(5, 2\) holds 10 values per row, but X has 16",
        ),
        (ConvAutoencoderTransformer(image_shape=(4, 4, 1, 1)), "image_shape must be"),
        (ConvAutoencoderTransformer(filters=()), "filters must be a tuple of positive"),
        (SequenceAutoencoderTransformer(sequence_shape=(16,)), "sequence_shape must"),
        (
            AutoencoderTransformer(noise=1.0, noise_type="mask"),
            "below 1; got noise=1.0",
        ),
    ],
)
def test_shape_parameters_that_do_not_fit_the_data_are_named(estimator, message):
    with pytest.raises(ValueError, match=message):
        clone(estimator).set_params(epochs=1).fit(make_data())
