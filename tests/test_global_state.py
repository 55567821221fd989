"""Independence from global state: Keras's floatx and dtype policy, seeds, threads.

A fitted estimator's ``transform``, ``inverse_transform`` and ``score`` must not
change when code elsewhere in the process changes Keras's float type or dtype
policy, reseeds NumPy, Keras or TensorFlow, or limits the number of threads; a
fit made under a non-default floatx or policy must be the fit made under the
defaults (skae builds and trains in float32 whatever they are), and so must a
pickle round trip under them. A fixture restores all of that state after each
test, so other tests are unaffected.
"""

import pickle
import random
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from numpy.testing import assert_array_equal
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.inference.compiled import CompiledPass
from skae.networks.layers import GaussianSampling

ESTIMATORS = {
    "dense": AutoencoderTransformer(2, hidden_layer_sizes=(4,)),
    "variational": VariationalAutoencoderTransformer(2, hidden_layer_sizes=(4,)),
    "conv": ConvAutoencoderTransformer(2, image_shape=(2, 3), filters=(2,)),
    "sequence": SequenceAutoencoderTransformer(2, sequence_shape=(3, 2), units=2),
}
# One gradient step and a validation pass: every part of a fit, kept short.
TINY = {"epochs": 1, "batch_size": 32, "validation_fraction": 0.2, "random_state": 0}
SETTINGS = ["floatx=float64", "floatx=float16", "policy=mixed_float16"]


def change(setting):
    """Change Keras's global floatx or dtype policy, as ``setting`` says."""
    what, value = setting.split("=")
    if what == "floatx":
        keras.config.set_floatx(value)
    else:
        keras.config.set_dtype_policy(value)


@pytest.fixture(autouse=True)
def restore_global_state():
    """Put back every global setting the tests change."""
    # Neither Keras nor TensorFlow has a public getter for its global seed.
    from keras.src.backend.common import global_state
    from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR
    from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    from tensorflow.python.eager import context

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    numpy_state, python_state = np.random.get_state(), random.getstate()
    keras_seed = global_state.get_global_attribute(GLOBAL_RANDOM_SEED)
    keras_generator = global_state.get_global_attribute(GLOBAL_SEED_GENERATOR)
    tf_seed = context.global_seed()
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)
        np.random.set_state(numpy_state)
        random.setstate(python_state)
        global_state.set_global_attribute(GLOBAL_RANDOM_SEED, keras_seed)
        global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, keras_generator)
        tf.random.set_seed(tf_seed)


def make_data(n_samples=30, seed=0):
    return np.random.default_rng(seed).standard_normal((n_samples, 6))


def outputs(est, X):
    """What a fitted estimator computes: codes in both dtypes, decoding, score.

    Many rows run on Keras's compiled call; a few rows of a dense model run in
    NumPy (see skae.inference.runner): both ways are checked.
    """
    Z = est.transform(X)
    return {
        "transform": Z,
        "transform float32": est.transform(X.astype(np.float32)),
        "inverse_transform": est.inverse_transform(Z),
        "score_samples": est.score_samples(X),
        "score": np.array(est.score(X)),
        "transform of few rows": est.transform(X[:3]),
        "inverse_transform of few rows": est.inverse_transform(Z[:3]),
    }


@pytest.fixture
def keras_calls(monkeypatch):
    """Count the calls that reach Keras's compiled predict step."""
    calls = []
    original = CompiledPass._predict

    def counted(self, x):
        calls.append(len(x))
        return original(self, x)

    monkeypatch.setattr(CompiledPass, "_predict", counted)
    return calls


def assert_same_outputs(got, expected):
    for key, value in expected.items():
        assert got[key].dtype == value.dtype, key
        assert_array_equal(got[key], value, err_msg=key)


@pytest.fixture(scope="module")
def fitted():
    """Each estimator fitted under Keras's defaults, with its outputs on new rows.

    Many rows, so that NumPy's matrix products are large enough to be split
    across BLAS threads.
    """
    X = make_data()
    X_new = make_data(5000, seed=1)
    fits = {}
    for name, est in ESTIMATORS.items():
        est = clone(est).set_params(**TINY).fit(X)
        fits[name] = (est, outputs(est, X_new))
    return fits, X_new


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("setting", [*SETTINGS, "floatx=bfloat16"])
def test_fitted_results_ignore_keras_floatx_and_dtype_policy(
    fitted, name, setting, keras_calls
):
    fits, X_new = fitted
    est, expected = fits[name]
    change(setting)
    assert_same_outputs(outputs(est, X_new), expected)
    assert keras_calls, "the check never reached Keras"


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_fitted_results_ignore_global_seeds(fitted, name, keras_calls):
    fits, X_new = fitted
    est, expected = fits[name]
    keras.utils.set_random_seed(1234)
    np.random.seed(99)
    tf.random.set_seed(7)
    assert_same_outputs(outputs(est, X_new), expected)
    assert_same_outputs(outputs(est, X_new), expected)
    assert keras_calls, "the check never reached Keras"


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("n_threads", [1, 2])
def test_fitted_results_ignore_the_number_of_blas_threads(fitted, name, n_threads):
    """Check that limiting NumPy's BLAS threads leaves every result unchanged.

    A few rows of a dense model run in NumPy, and scores are summed in NumPy:
    their matrix products are what a thread count could change.
    """
    fits, X_new = fitted
    est, expected = fits[name]
    with threadpool_limits(n_threads):
        assert_same_outputs(outputs(est, X_new), expected)


@pytest.mark.slow
def test_fitted_results_ignore_tensorflow_thread_settings(fitted, tmp_path):
    """Check results in a process whose TensorFlow runs on one thread.

    TensorFlow's thread counts can only be set before it initialises, so the
    check runs in a new process, on the pickled estimators.
    """
    fits, X_new = fitted
    estimators = {name: est for name, (est, _) in fits.items()}
    (tmp_path / "estimators.pkl").write_bytes(pickle.dumps((estimators, X_new)))
    script = textwrap.dedent(
        """
        import pickle, sys
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        folder = sys.argv[1]
        with open(folder + "/estimators.pkl", "rb") as f:
            estimators, X = pickle.load(f)
        results = {}
        for name, est in estimators.items():
            Z = est.transform(X)
            results[name] = {
                "transform": Z,
                "inverse_transform": est.inverse_transform(Z),
                "score": est.score(X),
            }
        assert tf.config.threading.get_intra_op_parallelism_threads() == 1
        with open(folder + "/results.pkl", "wb") as f:
            pickle.dump(results, f)
        """
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], check=True, timeout=300
    )
    results = pickle.loads((tmp_path / "results.pkl").read_bytes())
    for name, (_, expected) in fits.items():
        got = results[name]
        assert_array_equal(got["transform"], expected["transform"])
        assert_array_equal(got["inverse_transform"], expected["inverse_transform"])
        assert got["score"] == expected["score"]


@pytest.mark.slow
def test_pickled_estimators_load_in_a_fresh_process(fitted, tmp_path):
    """Check that unpickling needs nothing imported beforehand.

    Which modules a process has imported is global state too: a worker process
    that receives a pickled estimator has imported none of skae.
    """
    fits, X_new = fitted
    estimators = {name: est for name, (est, _) in fits.items()}
    (tmp_path / "estimators.pkl").write_bytes(pickle.dumps((estimators, X_new)))
    script = textwrap.dedent(
        """
        import pickle, sys
        folder = sys.argv[1]
        with open(folder + "/estimators.pkl", "rb") as f:
            estimators, X = pickle.load(f)
        codes = {name: est.transform(X) for name, est in estimators.items()}
        with open(folder + "/codes.pkl", "wb") as f:
            pickle.dump(codes, f)
        """
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], check=True, timeout=300
    )
    codes = pickle.loads((tmp_path / "codes.pkl").read_bytes())
    for name, (_, expected) in fits.items():
        assert_array_equal(codes[name], expected["transform"])


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("setting", SETTINGS)
def test_fit_under_changed_floatx_or_policy_is_the_default_fit(fitted, name, setting):
    """Check that a fit builds and trains in float32 whatever the global settings.

    Under floatx="float64" or "float16" the losses used to be computed in that
    type, and the variational autoencoder failed with a TensorFlow
    InvalidArgumentError (float32 codes times noise drawn in floatx).
    """
    fits, X_new = fitted
    _, expected = fits[name]
    change(setting)
    before = keras.config.floatx(), keras.config.dtype_policy().name
    est = clone(ESTIMATORS[name]).set_params(**TINY).fit(make_data())
    assert (keras.config.floatx(), keras.config.dtype_policy().name) == before
    # Through the private models: handing model_ out would send every later
    # call through Keras, and the few-row outputs would come from float32.
    assert {w.dtype for w in est._models.model.weights} == {"float32"}
    assert_same_outputs(outputs(est, X_new), expected)


def test_failed_fit_restores_floatx_and_policy():
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("mixed_float16")
    X = make_data()

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            raise RuntimeError("stop here")

    est = AutoencoderTransformer(2, callbacks=[Interrupt()], **TINY)
    with pytest.raises(RuntimeError, match="stop here"):
        est.fit(X)
    assert keras.config.floatx() == "float64"
    assert keras.config.dtype_policy().name == "mixed_float16"


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("setting", SETTINGS)
def test_pickle_round_trip_under_changed_floatx_or_policy(fitted, name, setting):
    fits, X_new = fitted
    est, expected = fits[name]
    change(setting)
    restored = pickle.loads(pickle.dumps(est))
    assert {w.dtype for w in restored._models.model.weights} == {"float32"}
    assert_same_outputs(outputs(restored, X_new), expected)


@pytest.mark.parametrize("policy", ["float64", "mixed_float16", "mixed_bfloat16"])
def test_gaussian_sampling_draws_noise_in_its_compute_dtype(policy):
    """Check that the sampling layer trains under any dtype policy.

    Its noise used to be drawn in the global floatx (float32), which TensorFlow
    refuses to multiply with the codes of a float64 or float16 layer.
    """
    layer = GaussianSampling(2, kl_scale=1.0, seed=0, dtype=policy)
    stats = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    codes = layer(stats, training=True)
    assert keras.backend.standardize_dtype(codes.dtype) == layer.compute_dtype
    assert codes.shape == (5, 2)
