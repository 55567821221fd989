"""Keras models as bytes: the native ``.keras`` archive, written and read in memory.

Pickling an estimator, writing it with skops and saving it with :func:`skae.save`
all store its Keras model as the archive Keras itself writes. Every route that
rebuilds a model from such bytes (:func:`skae.load`, unpickling,
``skops.io.load``) goes through :func:`load_model_bytes`, the one place where
bytes from elsewhere are checked: the archive is read in memory, its member
names and its ``config.json`` are checked against skae's allowlist (see
:mod:`skae.saving.allowlist`), and only then does Keras load it, with
``safe_mode``, from a temporary folder that is removed afterwards.
"""

import json
import os
import re
import tempfile

from .allowlist import check_config
from .archive import DAMAGE_ERRORS, damaged, read_zip

# The first Keras with a fix for every published advisory against loading
# .keras files (see doc/security.rst, and MIN_KERAS_ADVISORIES).
MIN_KERAS = "3.14.0"
MIN_KERAS_ADVISORIES = (
    "CVE-2025-1550, CVE-2025-8747, CVE-2025-9905, CVE-2025-9906, "
    "CVE-2025-49655, CVE-2025-12060, CVE-2026-0897, CVE-2026-1462, "
    "GHSA-hqp4-2352-xf5r"
)
# What a ``.keras`` archive may hold (see ``keras.src.saving.saving_lib``).
KERAS_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
KERAS_ASSETS = "assets/"
ARCHIVE = "the Keras model archive"


def model_to_bytes(model):
    """Return the ``.keras`` archive of ``model`` as bytes."""
    import keras

    with tempfile.TemporaryDirectory(prefix="skae-") as folder:
        path = os.path.join(folder, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def load_model_bytes(data, custom_objects=None, *, user_model=False):
    """Check the ``.keras`` archive ``data`` as skae's allowlist says, then load it.

    Parameters
    ----------
    data : bytes
        A ``.keras`` archive, from a file, a pickle or a skops file.
    custom_objects : dict, default=None
        The caller's own classes and functions by name, as for
        ``keras.saving.load_model``; naming one trusts it.
    user_model : bool, default=False
        Whether the model belongs to a user's subclass of ``BaseAutoencoder``,
        whose class the caller already trusts (an unpickler, or skops told to
        trust it). Its model may also hold Keras's own built-in objects and
        the objects registered with ``keras.saving.register_keras_serializable``
        in this process; code objects, other modules and unknown names are
        refused all the same (see :func:`~skae.saving.allowlist.check_config`).

    Returns
    -------
    model : keras.Model
        The model, loaded with ``safe_mode=True`` and ``compile=False``.

    Raises
    ------
    ValueError
        For a damaged archive, or naming the path in ``config.json`` of the
        first entry that is not allowed; nothing from the archive was run.
    RuntimeError
        Under a Keras older than ``MIN_KERAS``.
    """
    check_keras_version()
    members = read_zip(data, ARCHIVE, _is_keras_member)
    if "config.json" not in members:
        raise damaged(ARCHIVE, "has no config.json")
    try:
        config = json.loads(members["config.json"])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise damaged(ARCHIVE, "holds a config.json that is not JSON") from exc
    check_config(config, custom_objects, where="config.json", user_model=user_model)
    try:
        return model_from_bytes(data, custom_objects=custom_objects)
    except DAMAGE_ERRORS as exc:
        raise ValueError(
            "Not a valid skae model file: it holds a Keras model that Keras cannot "
            f"load ({type(exc).__name__}: {exc})."
        ) from exc


def model_from_bytes(data, custom_objects=None):
    """Rebuild the Keras model stored by :func:`model_to_bytes`, unchecked.

    For bytes this process wrote itself (a copy of a model into a
    distribution strategy's scope); bytes from anywhere else go through
    :func:`load_model_bytes`. ``custom_objects`` names the caller's own
    layers, as for ``keras.saving.load_model``.
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


def check_keras_version():
    """Refuse to load under a Keras with published safe_mode bypasses.

    The package metadata asks for ``keras>=MIN_KERAS``, but an environment can
    hold an older Keras anyway (a pinned install, ``--no-deps``).
    """
    import keras

    if _version(keras.__version__) < _version(MIN_KERAS):
        raise RuntimeError(
            f"skae does not load Keras models under Keras {keras.__version__}: "
            f"Keras before {MIN_KERAS} has published ways around safe_mode when "
            f"loading .keras files ({MIN_KERAS_ADVISORIES}). Upgrade with "
            f"pip install 'keras>={MIN_KERAS}'."
        )


def _version(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _is_keras_member(name):
    if name in KERAS_MEMBERS:
        return True
    parts = name.split("/")
    return name.startswith(KERAS_ASSETS) and ".." not in parts and "\\" not in name
