"""scikit-learn's two exact row checks, and the models that run on float32 kernels.

``check_methods_sample_order_invariance`` wants a permuted batch to give the
same results to ``atol=1e-9`` and ``rtol=1e-7``, and
``check_methods_subset_invariance`` wants rows alone to give what they give in
the whole batch to ``atol=1e-7``. A model run on Keras's float32 CPU kernels
(or on float32 BLAS) cannot promise either: those kernels choose their code by
the batch's size and a row's position in it, and a row's last bits change
with them (on an AMD EPYC: by up to 1.2e-7, or 3.5e-6 of a small value). See
``python tests/_float32_kernels.py``, which prints, for a small dense model run
by Keras, the batch sizes at which a permutation changes some bits.

Dense stacks skae builds run few rows in NumPy in the input's dtype (float64
in the checks), so they keep both checks. For the models that run on Keras,
:func:`assert_rows_agree_in_any_order_and_alone` checks the same two
properties to float32's precision instead: what the checks exist to catch (a
transform that uses the batch's statistics) gives differences many orders
larger.
"""

import numpy as np
from numpy.testing import assert_allclose
from sklearn.base import clone

ROW_CHECKS = (
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
)
REASON = (
    "Keras's float32 CPU kernels change a row's last bits with the batch's size "
    "and the row's position; tests/_float32_kernels.py checks rows to float32's "
    "precision instead"
)


# How closely a row's float32 results agree between batches.
FLOAT32 = {"rtol": 1e-5, "atol": 1e-6}


def runs_on_keras(estimator):
    """Whether ``estimator``'s models run few rows on Keras, not in NumPy: all
    but the dense autoencoder."""
    from skae import AutoencoderTransformer

    return type(estimator) is not AutoencoderTransformer


def float32_kernel_failures(estimator):
    """The checks expected to fail on ``estimator``: scikit-learn's exact row
    checks, where its models run on Keras's float32 kernels."""
    return dict.fromkeys(ROW_CHECKS, REASON) if runs_on_keras(estimator) else {}


def assert_rows_agree_in_any_order_and_alone(estimator):
    """Fit ``estimator`` and check that its methods give each row what they
    give it in a permuted batch and alone, to float32's precision."""
    rng = np.random.default_rng(0)
    X = 3 * rng.uniform(size=(40, 5))
    est = clone(estimator).set_params(random_state=0).fit(X)
    codes = est.transform(X)
    results = {
        "transform": (codes, X),
        "inverse_transform": (est.inverse_transform(codes), codes),
    }
    if hasattr(est, "score_samples"):
        results["score_samples"] = (est.score_samples(X), X)
    order = rng.permutation(len(X))
    for method, (full, inputs) in results.items():
        run = getattr(est, method)
        assert_allclose(run(inputs[order]), full[order], **FLOAT32, err_msg=method)
        alone = np.concatenate([run(inputs[i : i + 1]) for i in range(len(X))])
        assert_allclose(alone, full, **FLOAT32, err_msg=method)


def position_dependent_batch_sizes(sizes=(16, 20, 32, 48, 128, 256, 1000)):
    """Batch sizes at which permuting the rows changes some of a small dense
    Keras model's output bits, on this machine."""
    import keras

    model = keras.Sequential(
        [keras.Input((20,)), keras.layers.Dense(64, "relu"), keras.layers.Dense(3)]
    )
    rng = np.random.default_rng(0)
    found = []
    for size in sizes:
        X = rng.normal(size=(size, 20)).astype(np.float32)
        order = rng.permutation(size)
        out = np.asarray(model.predict_on_batch(X))
        if not np.array_equal(np.asarray(model.predict_on_batch(X[order])), out[order]):
            found.append(size)
    return found


if __name__ == "__main__":
    print("batch sizes where row order changes bits:", position_dependent_batch_sizes())
