"""What a seed reproduces bit for bit: fresh processes and thread counts.

Each fit runs in a fresh interpreter, so that nothing one fit leaves behind
(traced functions, thread pools, Keras's global state) can make two fits agree.
TensorFlow's CPU kernels for dense layers sum in an order that does not depend
on the number of threads; its oneDNN convolutions (on by default on x86) split
the work by thread, so a conv net trained with another intra-op thread count
ends a few float32 ulps away. tests/test_training.py checks the same seed in
one process.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_allclose

FIT = textwrap.dedent(
    """
    import sys

    import numpy as np
    import tensorflow as tf

    threads = int(sys.argv[2])
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)

    from sklearn.datasets import load_digits

    from skae import AutoencoderTransformer, ConvAutoencoderTransformer

    X = load_digits().data[:600] / 16.0
    estimators = {
        # 3 steps an epoch: 6 epochs run eagerly, 12 on the compiled step.
        "dense_eager": AutoencoderTransformer(8, epochs=6, random_state=0),
        "dense_compiled": AutoencoderTransformer(8, epochs=12, random_state=0),
        "conv": ConvAutoencoderTransformer(
            8, image_shape=(8, 8), filters=(4, 8), epochs=4, random_state=0
        ),
    }
    out = {}
    for name, est in estimators.items():
        codes = est.fit(X).transform(X)
        out[f"{name}.codes"] = codes
        out[f"{name}.reconstruction"] = est.inverse_transform(codes)
        for i, weights in enumerate(est.model_.get_weights()):
            out[f"{name}.weights.{i}"] = weights
    assert tf.config.threading.get_intra_op_parallelism_threads() == threads
    np.savez(sys.argv[1], **out)
    """
)


def fit_in_fresh_process(path, threads=0, **env):
    """The arrays of the fits of FIT, run in a new interpreter; 0 threads is
    TensorFlow's default (one per core)."""
    subprocess.run(
        [sys.executable, "-c", FIT, str(path), str(threads)],
        check=True,
        capture_output=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
    )
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def other_thread_count():
    """An intra-op thread count other than the default of one per core."""
    return 1 if len(os.sched_getaffinity(0)) > 1 else 2


def differing(a, b, prefix):
    assert a.keys() == b.keys()
    keys = [key for key in a if key.startswith(prefix)]
    assert keys
    return [key for key in keys if a[key].tobytes() != b[key].tobytes()]


@pytest.fixture(scope="module")
def default_threads(tmp_path_factory):
    return fit_in_fresh_process(tmp_path_factory.mktemp("fit") / "default.npz")


@pytest.mark.slow
def test_two_fresh_processes_give_the_same_bytes(default_threads, tmp_path):
    again = fit_in_fresh_process(tmp_path / "again.npz")
    assert differing(default_threads, again, "") == []


@pytest.mark.slow
def test_dense_fits_give_the_same_bytes_whatever_the_thread_count(
    default_threads, tmp_path
):
    other = fit_in_fresh_process(tmp_path / "other.npz", other_thread_count())
    assert differing(default_threads, other, "dense") == []
    # Conv layers run on oneDNN, whose sums depend on the thread count: close,
    # not always the same bytes (the same where the default is one thread).
    for key in [key for key in other if key.startswith("conv")]:
        assert_allclose(other[key], default_threads[key], rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_without_onednn_conv_fits_give_the_same_bytes_whatever_the_thread_count(
    tmp_path,
):
    off = {"TF_ENABLE_ONEDNN_OPTS": "0"}
    default = fit_in_fresh_process(tmp_path / "default.npz", **off)
    other = fit_in_fresh_process(tmp_path / "other.npz", other_thread_count(), **off)
    assert differing(default, other, "") == []
