"""scikit-learn's estimator checks: the contract every skae estimator keeps."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

# Small models and a few epochs keep each of the ~50 checks per estimator fast;
# the checks are about behaviour, not reconstruction quality. The shape
# parameters are None so each model adapts to the checks' data of any width.
ESTIMATORS = [
    AutoencoderTransformer(n_components=3, epochs=3),
    AutoencoderTransformer(
        n_components=2,
        hidden_layer_sizes=(8,),
        dropout=0.1,
        batch_normalization=True,
        activity_l1=1e-4,
        noise=0.1,
        epochs=2,
    ),
    ConvAutoencoderTransformer(
        n_components=2, image_shape=None, filters=(4,), epochs=2
    ),
    VariationalAutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(8,), epochs=2
    ),
    SequenceAutoencoderTransformer(n_components=2, units=4, epochs=2),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
