"""Keras backends: TensorFlow by default, JAX and PyTorch where installed.

The model code only uses ``keras`` and ``keras.ops``, so every backend Keras
supports should train and transform. The current backend is tested in-process;
the others in a subprocess with ``KERAS_BACKEND`` set, when they are installed.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose

from skae import AutoencoderTransformer

SCRIPT = textwrap.dedent(
    """
    import pickle
    import keras
    import numpy as np
    from skae import AutoencoderTransformer

    X = np.random.default_rng(0).random((60, 6))
    est = AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(4,), epochs=3, random_state=0
    ).fit(X)
    copied = pickle.loads(pickle.dumps(est))
    assert np.array_equal(copied.transform(X), est.transform(X))
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype("float32")))
    assert np.allclose(keras_codes, est.transform(X), rtol=1e-5, atol=1e-6)
    print(keras.backend.backend(), est.n_iter_, est.score(X))
    """
)


def test_current_backend_trains_and_transforms():
    X = np.random.default_rng(0).random((60, 6))
    est = AutoencoderTransformer(n_components=2, epochs=3, random_state=0).fit(X)
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-6)
    assert est.n_iter_ == 3


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backend_in_subprocess(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"the {backend} backend is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[0] == backend
