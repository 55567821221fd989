"""scikit-learn's estimator checks: the contract every skae estimator keeps."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer

# A few epochs keep each of the ~50 checks fast; the checks are about behaviour,
# not reconstruction quality.
ESTIMATORS = [
    AutoencoderTransformer(n_components=3, epochs=3),
    AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), epochs=2),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
