"""Thread safety: one fitted estimator serving many threads at once.

A web service or a parallel pipeline calls ``transform`` on one shared, fitted
estimator from several threads. Eight threads released together by a barrier
must get exactly what serial calls get, for inputs from one row to thousands,
in float32 and float64, with transforms and inverse transforms interleaved.
"""

import concurrent.futures
import threading

import numpy as np
import pytest
from sklearn.base import clone

from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

N_THREADS = 8
N_ROUNDS = 4
N_FEATURES = 16
N_COMPONENTS = 3
# Rows of each call; a round runs eight of them at once, every one with another
# set of neighbours from round to round.
SIZES = (1, 5000, 2, 17, 3000, 1, 256, 4096, 1, 64, 3, 2500)
ESTIMATORS = {
    "dense": AutoencoderTransformer(N_COMPONENTS, hidden_layer_sizes=(8,)),
    "variational": VariationalAutoencoderTransformer(
        N_COMPONENTS, hidden_layer_sizes=(8,)
    ),
    "conv": ConvAutoencoderTransformer(N_COMPONENTS, image_shape=(4, 4), filters=(2,)),
    "sequence": SequenceAutoencoderTransformer(
        N_COMPONENTS, sequence_shape=(8, 2), units=3
    ),
}


@pytest.fixture(scope="module", params=list(ESTIMATORS))
def fitted(request):
    X = np.random.default_rng(0).standard_normal((40, N_FEATURES))
    est = clone(ESTIMATORS[request.param]).set_params(epochs=1, random_state=0)
    return est.fit(X)


def make_calls(est):
    """Every (method, input) pair the rounds draw from, in both float dtypes."""
    rng = np.random.default_rng(1)
    calls = []
    for i, n_rows in enumerate(SIZES):
        dtype = np.float32 if i % 2 else np.float64
        X = rng.standard_normal((n_rows, N_FEATURES)).astype(dtype)
        calls.append(("transform", X))
        calls.append(("inverse_transform", est.transform(X)))
    return calls


def run_together(est, calls):
    """Run ``calls`` on ``est``, one thread each, all released at once."""
    barrier = threading.Barrier(len(calls))

    def call(method_and_input):
        method, X = method_and_input
        # A timeout turns a thread that never arrives into an error, not a hang.
        barrier.wait(timeout=60)
        return getattr(est, method)(X)

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(call, calls))


def test_concurrent_calls_give_the_serial_results(fitted):
    calls = make_calls(fitted)
    expected = [getattr(fitted, method)(X) for method, X in calls]
    # Start with cold runners, so that the NumPy pass is built, checked and cast
    # to each dtype, and Keras's predict function traced, while eight threads
    # ask for them.
    fitted._set_model(fitted._models.model)
    for round_ in range(N_ROUNDS):
        picked = [(round_ * 5 + 3 * i) % len(calls) for i in range(N_THREADS)]
        results = run_together(fitted, [calls[i] for i in picked])
        for i, result in zip(picked, results, strict=True):
            method, X = calls[i]
            assert result.dtype == expected[i].dtype
            assert np.array_equal(result, expected[i]), (round_, method, X.shape)


def test_concurrent_scores_give_the_serial_score(fitted):
    X = np.random.default_rng(2).standard_normal((300, N_FEATURES))
    expected = fitted.score(X)
    barrier = threading.Barrier(N_THREADS)

    def score(_):
        barrier.wait(timeout=60)
        return fitted.score(X)

    with concurrent.futures.ThreadPoolExecutor(N_THREADS) as pool:
        scores = list(pool.map(score, range(N_THREADS)))
    assert scores == [expected] * N_THREADS
