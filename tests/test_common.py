"""scikit-learn's estimator checks: the contract every skae estimator keeps.

Every estimator that registers itself (every public skae class deriving from
BaseAutoencoder) is checked, with its small, shape-adaptive parameters; a new
variant is checked without this file changing. Two of scikit-learn's checks
want a row's results to the last bit whatever the batch; the models that run
on Keras's float32 kernels keep them to float32's precision instead
(tests/_float32_kernels.py).
"""

import pytest
from _float32_kernels import (
    assert_rows_agree_in_any_order_and_alone,
    float32_kernel_failures,
    runs_on_keras,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer
from skae._registry import ESTIMATORS

# Small models and a few epochs keep each of the ~50 checks per estimator fast;
# the checks are about behaviour, not reconstruction quality.
CHECKED = [
    cls(n_components=2, epochs=2, **cls._small_params)
    for _, cls in sorted(ESTIMATORS.items())
] + [
    # The dense model with every optional layer and the input noise on.
    AutoencoderTransformer(
        n_components=2,
        hidden_layer_sizes=(8,),
        dropout=0.1,
        batch_normalization=True,
        activity_l1=1e-4,
        noise=0.1,
        epochs=2,
    ),
]


@pytest.mark.slow
@parametrize_with_checks(CHECKED, expected_failed_checks=float32_kernel_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.slow
@pytest.mark.parametrize(
    "estimator", [e for e in CHECKED if runs_on_keras(e)], ids=repr
)
def test_rows_agree_in_any_order_and_any_batch(estimator):
    assert_rows_agree_in_any_order_and_alone(estimator)
