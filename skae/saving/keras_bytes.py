"""Keras models as bytes: the native ``.keras`` archive, written and read in memory.

Pickling an estimator stores its Keras model through these two functions, so the
pickled payload is the same archive Keras itself writes, and loading uses Keras's
``safe_mode`` (no arbitrary code from the archive is run).
"""

import os
import tempfile


def model_to_bytes(model):
    """Return the ``.keras`` archive of ``model`` as bytes."""
    import keras

    with tempfile.TemporaryDirectory(prefix="skae-") as folder:
        path = os.path.join(folder, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data, custom_objects=None):
    """Rebuild the Keras model stored by :func:`model_to_bytes`.

    ``custom_objects`` names the caller's own layers, as for
    ``keras.saving.load_model``.
    """
    import keras

    # Importing skae's layer modules registers their layers with Keras, which
    # a fresh process has not done before it builds a model itself.
    from ..networks import layers  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="skae-") as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return keras.saving.load_model(
            path, custom_objects=custom_objects, compile=False, safe_mode=True
        )
