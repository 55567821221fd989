"""The safe file format: an estimator as plain data plus a ``.keras`` model.

:func:`save` (``skae.save``, and the method :meth:`BaseAutoencoder.save`)
writes, and :func:`load` reads, one zip file with three members:

``skae.json``
    The format version, the skae version that wrote the file, the estimator's
    class name, its parameters and its fitted attributes, as JSON. Values JSON
    cannot hold directly (tuples, NumPy scalars, non-finite floats, Keras
    optimizers, NumPy random states) are tagged objects; arrays are references
    into ``arrays.npz``.
``arrays.npz``
    The NumPy arrays, read back with ``allow_pickle=False``.
``model.keras``
    The fitted Keras model in Keras's own format (absent while unfitted).

The zip's comment holds the SHA-256 of every byte before it (format 2 and
later), and ``skae.json`` the SHA-256 of each other member (format 3), all
checked before anything is parsed. Reading never runs code from the file: it
refuses to start under a Keras with published ``safe_mode`` bypasses
(``keras_bytes.MIN_KERAS``), the zip is read in memory (nothing is extracted),
every member name is checked, every parser's failure is a ``ValueError`` (see
:mod:`skae.saving.archive`), the estimator class must be one of skae's or one
the caller names, and the ``.keras`` member goes through the check every route
that rebuilds a Keras model takes (:func:`~skae.saving.keras_bytes.load_model_bytes`):
its configuration may only name what skae's own estimators write or the
caller's ``custom_objects`` (see :mod:`skae.saving.allowlist`), and the model
is loaded with Keras's ``safe_mode``. Only the ``.keras`` member is written to
disk, into a temporary folder that is removed afterwards.
"""

import hashlib
import io
import json
import os
import secrets
import sys
import warnings
import zipfile

import numpy as np

from .._registry import ESTIMATORS, is_estimator_class
from .._version import __version__
from .archive import check_seal, read_npz, read_zip, seal, unsealed_comment
from .keras_bytes import check_keras_version, load_model_bytes
from .values import Decoder, Encoder, corrupt

FORMAT_NAME = "skae"
FORMAT_VERSION = 3
METADATA = "skae.json"
ARRAYS = "arrays.npz"
MODEL = "model.keras"
MEMBERS = (METADATA, ARRAYS, MODEL)
# Parameters holding live objects rather than settings; saved as None.
RUNTIME_PARAMS = ("callbacks", "distribute")


def save(estimator, path):
    """Save a skae estimator to one file that loads without running code.

    The file holds the parameters and fitted attributes as JSON and NumPy
    arrays (no pickle) and the Keras model in Keras's ``.keras`` format.
    Read it back with :func:`skae.load`, which refuses files that would run
    code and gives bit-identical ``transform``, ``inverse_transform`` and
    ``score``. Keras callbacks in ``callbacks`` are not saved (a warning says
    so). The file is written next to ``path`` first and then moved over it,
    so an interrupted or failed save (a full disk) never leaves a
    half-written file in place of an existing one. ``est.save(path)`` does
    the same.

    Parameters
    ----------
    estimator : BaseAutoencoder
        A skae autoencoder, fitted or not: one of skae's or a subclass of
        :class:`~skae.BaseAutoencoder` of your own.
    path : str or path-like
        Where to write; the ``.skae`` suffix is customary.

    Returns
    -------
    path : str
        The path written.

    Raises
    ------
    TypeError
        For anything but a skae autoencoder. A whole Pipeline or
        ColumnTransformer (or an :class:`~skae.AutoencoderOutlierDetector`)
        is saved without pickle through skops: ``skops.io.dump(pipeline,
        path)``, then ``skops.io.load(path, trusted=skae.skops_trusted_types())``.

    See Also
    --------
    load : Read the file back.
    skops_trusted_types : The types to trust when loading skae's estimators
        with skops.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skae
    >>> X = np.random.default_rng(0).random((50, 6))
    >>> est = skae.AutoencoderTransformer(2, epochs=2, random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = skae.save(est, os.path.join(folder, "model.skae"))
    ...     loaded = skae.load(path)
    >>> bool(np.array_equal(loaded.transform(X), est.transform(X)))
    True
    """
    if not is_estimator_class(type(estimator)):
        raise TypeError(
            "skae.save writes one skae autoencoder (a BaseAutoencoder); got a "
            f"{type(estimator).__name__}. To save a Pipeline, a ColumnTransformer "
            "or an AutoencoderOutlierDetector without pickle, use skops: "
            "skops.io.dump(obj, path), then skops.io.load(path, "
            "trusted=skae.skops_trusted_types())."
        )
    state = estimator.__getstate__()
    model = state.pop("_model_archive", None)
    params = estimator.get_params(deep=False)
    for name in RUNTIME_PARAMS:
        if params.get(name):
            warnings.warn(
                f"{name} is not saved: it holds training-time objects (Keras "
                "callbacks, a tf.distribute strategy), not data. The loaded "
                f"estimator has {name}=None.",
                UserWarning,
                stacklevel=_caller_level(),
            )
            params[name] = None
    attributes = {k: v for k, v in state.items() if k not in params}
    encode = Encoder()
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "skae_version": __version__,
        "class": type(estimator).__name__,
        "params": {k: encode(v, f"parameter {k!r}") for k, v in params.items()},
        "attributes": {k: encode(v, f"attribute {k!r}") for k, v in attributes.items()},
    }
    arrays = io.BytesIO()
    np.savez(arrays, **encode.arrays)
    members = {ARRAYS: arrays.getvalue()}
    if model is not None:
        members[MODEL] = model
    # Integrity of each member, checked before it is parsed; the file's own
    # checksum covers skae.json. Neither says who wrote the file.
    metadata["sha256"] = {
        name: hashlib.sha256(data).hexdigest() for name, data in members.items()
    }

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, json.dumps(metadata, allow_nan=False, indent=1))
        for name, data in members.items():
            archive.writestr(name, data)
        archive.comment = unsealed_comment()
    data = seal(buffer.getvalue())

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    partial = os.path.join(folder, f".skae-{secrets.token_hex(8)}.partial")
    # Created as open() would create the file (mode 0o666 less the umask), not
    # private to its owner as mkstemp's files are: the rename keeps the mode.
    handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return path


def _caller_level():
    """The ``stacklevel`` of the first frame outside skae, for a warning.

    Counted from the caller of :func:`warnings.warn`: ``skae.save(est, path)``
    and ``est.save(path)`` both warn at the line of the user's call.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(package):
        level, frame = level + 1, frame.f_back
    return level


def load(path, *, custom_objects=None):
    """Load an estimator written by :func:`save` or :meth:`BaseAutoencoder.save`.

    Loading runs no code from the file: see :mod:`skae.saving.format`. A
    malformed, truncated or tampered file raises a ``ValueError`` saying what
    is wrong.

    Parameters
    ----------
    path : str or path-like
        The file written by ``save``.
    custom_objects : dict, default=None
        Classes the file may name besides skae's own: a subclass of
        :class:`~skae.BaseAutoencoder` defined by the caller, and the custom
        Keras layers its models use, by name, as for
        ``keras.saving.load_model``. Naming a class here trusts it.

    Returns
    -------
    estimator : BaseAutoencoder
        Fitted if the saved estimator was; its ``transform``,
        ``inverse_transform`` and ``score`` are bit-identical to the saved one's.

    See Also
    --------
    save : Write the file this function reads.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skae
    >>> X = np.random.default_rng(0).random((50, 6))
    >>> est = skae.AutoencoderTransformer(2, epochs=2, random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = est.save(os.path.join(folder, "model.skae"))
    ...     loaded = skae.load(path)
    >>> bool(np.array_equal(loaded.transform(X), est.transform(X)))
    True
    """
    check_keras_version()
    members, sealed = _read_members(path)
    metadata = _read_metadata(members[METADATA])
    _check_version(metadata, sealed)
    _check_hashes(metadata, members)
    cls = _estimator_class(metadata.get("class"), custom_objects)
    arrays = read_npz(members[ARRAYS], ARRAYS)
    decode = Decoder(arrays)
    sections = [metadata.get(key) for key in ("params", "attributes")]
    if not all(isinstance(section, dict) for section in sections):
        raise corrupt("no mappings of parameters and attributes")
    try:
        params, attributes = (
            {key: decode(value) for key, value in section.items()}
            for section in sections
        )
    except (TypeError, ValueError, KeyError) as exc:
        if str(exc).startswith("Not a valid skae model file"):
            raise
        raise corrupt(f"a malformed value ({exc!r})") from exc
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise corrupt(f"parameters {unknown} that {cls.__name__} does not take")
    # Fitted attributes and the model are saved together or not at all (the
    # rule of scikit-learn's check_is_fitted: names ending in an underscore).
    fitted = any(k.endswith("_") and not k.startswith("__") for k in attributes)
    if fitted != (MODEL in members):
        raise corrupt(
            "fitted attributes without a model" if fitted else "a model but no fit"
        )

    estimator = cls.__new__(cls)
    state = {**attributes, **params}
    if MODEL in members:
        model = load_model_bytes(members[MODEL], custom_objects)
        estimator.__setstate__(state)
        estimator._set_model(model)
    else:
        estimator.__setstate__(state)
    return estimator


def _read_members(path):
    """Return the checked members of the model file at ``path``, and if it is sealed."""
    with open(path, "rb") as file:
        data = file.read()
    if data[:4] != b"PK\x03\x04":
        kind = "something else"
        if data[:1] == b"\x80":
            kind = "a pickle"
        elif data[:8] == b"\x89HDF\r\n\x1a\n":
            kind = "HDF5, a legacy Keras model, which skae never reads"
        raise ValueError(
            f"Not a valid skae model file: {path!s} is not a zip archive (it looks "
            f"like {kind}). skae.load reads the files est.save writes; unpickle "
            "only files from sources you trust."
        )
    sealed = check_seal(data, os.fspath(path))
    members = read_zip(data, os.fspath(path), lambda name: name in MEMBERS)
    missing = [name for name in (METADATA, ARRAYS) if name not in members]
    if missing:
        raise corrupt(f"no {missing}")
    return members, sealed


def _check_hashes(metadata, members):
    """Compare each member with the SHA-256 that skae.json records for it."""
    recorded = metadata.get("sha256")
    if recorded is None and metadata["format_version"] < 3:
        return  # written before member hashes; the file checksum still holds
    if not isinstance(recorded, dict) or set(recorded) != set(members) - {METADATA}:
        raise corrupt("no SHA-256 for each of its members")
    for name, digest in recorded.items():
        if hashlib.sha256(members[name]).hexdigest() != digest:
            raise ValueError(
                f"Not a valid skae model file: its member {name} does not match "
                "its SHA-256 recorded in skae.json; it was damaged or edited."
            )


def _read_metadata(data):
    try:
        metadata = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise corrupt("a skae.json that is not JSON") from exc
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise corrupt("a skae.json without the skae format marker")
    return metadata


def _check_version(metadata, sealed):
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise corrupt("no format version")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"This file was written by skae {metadata.get('skae_version', '?')} in "
            f"format version {version}; skae {__version__} reads format "
            f"versions up to {FORMAT_VERSION}. Upgrade skae to load it."
        )
    if version < 1:
        raise corrupt(f"an unknown format version {version}")
    if version >= 2 and not sealed:
        # Format 2 files end in their own SHA-256; only damage removes it.
        raise corrupt("no checksum at its end: the file is damaged")


def _estimator_class(name, custom_objects):
    known = dict(ESTIMATORS)
    for key, value in (custom_objects or {}).items():
        if isinstance(value, type) and is_estimator_class(value):
            known[key] = value
    if name not in known:
        raise ValueError(
            f"The file names the estimator class {name!r}, which is not one of "
            f"skae's ({', '.join(sorted(known))}). To load your own subclass, pass "
            f"it in custom_objects={{{name!r}: YourClass}}."
        )
    return known[name]
