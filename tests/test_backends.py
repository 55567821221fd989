"""Keras backends: TensorFlow by default, JAX and PyTorch where installed.

The model code only uses ``keras`` and ``keras.ops``, so every backend Keras
supports should train and transform. The current backend is tested in-process;
the others in a subprocess with ``KERAS_BACKEND`` set: each estimator fits,
transforms, inverse-transforms, saves, loads and pickles there. They are
skipped when their backend is not installed, unless ``SKAE_TEST_BACKENDS``
names them (as CI does, in a virtual environment that has them), when a
missing backend fails.
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
    import os
    import pickle
    import sys
    import tempfile

    import keras
    import numpy as np

    import skae

    rng = np.random.default_rng(0)
    rows = rng.random((60, 16))
    images = rows.reshape(60, 4, 4)
    t = np.linspace(0, 2 * np.pi, 8)
    sequences = np.sin(t[None, :, None] + rng.random((60, 1, 2)) * 3)
    tiny = dict(epochs=2, batch_size=16, random_state=0)
    cases = {
        "dense": (skae.AutoencoderTransformer(2, **tiny), rows),
        "dense-dropout-ordered": (
            skae.AutoencoderTransformer(
                3, hidden_layer_sizes=(8,), dropout=0.2, ordered=True, **tiny
            ),
            rows,
        ),
        "conv": (skae.ConvAutoencoderTransformer(2, filters=(4,), **tiny), images),
        "sequence": (
            skae.SequenceAutoencoderTransformer(2, units=4, **tiny),
            sequences,
        ),
        "variational": (
            skae.VariationalAutoencoderTransformer(
                2, hidden_layer_sizes=(8,), **tiny
            ),
            rows,
        ),
    }
    folder = tempfile.mkdtemp()
    for name, (est, X) in cases.items():
        codes = est.fit(X).transform(X)
        assert codes.shape == (60, est.n_components_), name
        assert np.isfinite(codes).all(), name
        back = est.inverse_transform(codes)
        assert back.shape == X.shape, (name, back.shape)
        path = skae.save(est, os.path.join(folder, name + ".skae"))
        for copy in (skae.load(path), pickle.loads(pickle.dumps(est))):
            assert np.array_equal(copy.transform(X), codes), name
            assert np.array_equal(copy.inverse_transform(codes), back), name
        # The Keras model itself computes the same codes.
        flat = X.reshape(60, -1).astype("float32")
        encoded = keras.ops.convert_to_numpy(est.encoder_(flat))[:, : codes.shape[1]]
        assert np.allclose(encoded, codes, rtol=1e-5, atol=1e-6), name
        print(name, est.n_iter_, est.score(X), file=sys.stderr)
    print(keras.backend.backend(), len(cases))
    """
)


def test_current_backend_trains_and_transforms():
    X = np.random.default_rng(0).random((60, 6))
    est = AutoencoderTransformer(n_components=2, epochs=3, random_state=0).fit(X)
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-6)
    assert est.n_iter_ == 3


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_every_estimator_fits_saves_and_loads_on_another_backend(backend):
    required = os.environ.get("SKAE_TEST_BACKENDS", "").split(",")
    if importlib.util.find_spec(backend) is None:
        if backend in required:
            pytest.fail(f"SKAE_TEST_BACKENDS names {backend}, which is not installed")
        pytest.skip(f"the {backend} backend is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [backend, "5"]
