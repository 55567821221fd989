"""AutoencoderOutlierDetector: scikit-learn's outlier-detector contract."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)


def small(**params):
    params = {"hidden_layer_sizes": (4,), "epochs": 2, "random_state": 0, **params}
    return AutoencoderTransformer(2, **params)


def planar(n_samples=300, seed=0):
    """Rows on a 2-d plane in 4-d space: what the autoencoder learns."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_samples, 2)) @ np.array([[1, 1, 0, 0], [0, 0, 1, 1]])


@pytest.mark.slow
@parametrize_with_checks([AutoencoderOutlierDetector(small())])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25, 0.5])
def test_contamination_flags_that_fraction_of_the_training_rows(contamination):
    X = planar()
    detector = AutoencoderOutlierDetector(small(), contamination=contamination)
    labels = detector.fit(X).predict(X)
    assert set(np.unique(labels)) == {-1, 1}
    assert np.mean(labels == -1) == pytest.approx(contamination, abs=1 / len(X))


@pytest.mark.slow
def test_auto_contamination_flags_rows_far_off_the_training_data():
    X = planar()
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(8,), random_state=0)
    detector = AutoencoderOutlierDetector(ae, contamination="auto").fit(X)
    assert np.mean(detector.predict(X) == -1) < 0.01
    off_plane = np.array([[3.0, -3.0, 0.0, 0.0], [0.0, 0.0, 4.0, -4.0]])
    assert_array_equal(detector.predict(off_plane), [-1, -1])
    assert detector.predict([[1.0, 1.0, -1.0, -1.0]])[0] == 1


def test_scores_decision_and_feature_errors_agree():
    X = planar()
    detector = AutoencoderOutlierDetector(small(), contamination=0.1).fit(X)
    scores = detector.score_samples(X)
    assert_allclose(detector.decision_function(X), scores - detector.offset_)
    assert_array_equal(detector.score_samples(X), detector.estimator_.score_samples(X))
    errors = detector.feature_errors(X)
    assert errors.shape == X.shape
    assert_allclose(-errors.mean(axis=1), scores, rtol=1e-6)


@pytest.mark.slow
def test_feature_errors_point_at_the_unusual_columns():
    X = planar()
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(8,), random_state=0)
    detector = AutoencoderOutlierDetector(ae, contamination="auto").fit(X)
    # Off the plane in the first pair of columns only.
    errors = detector.feature_errors([[2.0, -2.0, 0.5, 0.5]])[0]
    assert errors[:2].min() > 10 * errors[2:].max()


@pytest.mark.parametrize(
    "ae",
    [
        VariationalAutoencoderTransformer(2, hidden_layer_sizes=(8,), epochs=2),
        ConvAutoencoderTransformer(2, image_shape=(2, 2), filters=(2,), epochs=2),
        SequenceAutoencoderTransformer(2, units=4, epochs=2),
    ],
    ids=["variational", "conv", "sequence"],
)
def test_any_skae_autoencoder_can_detect(ae):
    X = planar(100)
    detector = AutoencoderOutlierDetector(ae, contamination=0.1).fit(X)
    assert type(detector.estimator_) is type(ae)
    assert np.sum(detector.predict(X) == -1) == 10
    assert not hasattr(ae, "n_features_in_")  # cloned, not fitted in place


def test_sparse_rows_score_as_dense_ones():
    X = np.abs(planar(100))
    X[X < 0.5] = 0
    detector = AutoencoderOutlierDetector(small(), contamination=0.1).fit(X)
    assert_array_equal(
        detector.score_samples(sp.csr_matrix(X)), detector.score_samples(X)
    )


def test_pickled_detector_predicts_the_same():
    X = planar(100)
    detector = AutoencoderOutlierDetector(small(), contamination=0.1).fit(X)
    copy = pickle.loads(pickle.dumps(detector))
    assert copy.offset_ == detector.offset_
    assert_array_equal(copy.score_samples(X), detector.score_samples(X))


def test_bad_estimator_and_contamination_are_refused():
    X = planar(50)
    with pytest.raises(TypeError, match="must be a skae autoencoder"):
        from sklearn.decomposition import PCA

        AutoencoderOutlierDetector(PCA(2)).fit(X)
    for bad in (0.0, 0.6, "most"):
        with pytest.raises(ValueError, match="contamination"):
            AutoencoderOutlierDetector(small(), contamination=bad).fit(X)
    with pytest.raises(ValueError, match="4 features"):
        AutoencoderOutlierDetector(small()).fit(X).predict(X[:, :3])
