"""Small image datasets to try autoencoders on.

:func:`load_fashion_mnist` and :func:`load_mnist` return the 28x28 grayscale
image datasets, :func:`load_digits` returns scikit-learn's 8x8 digits in the same
``(X_train, y_train), (X_test, y_test)`` structure, and :func:`read_idx` parses
the IDX files the first two are distributed as.

Lookup order
------------
The two MNIST-style loaders look for their files in these folders and load the
first one that holds a complete set:

1. ``data_home`` when given, else the folder named by the environment variable
   ``SKAE_DATA`` (ignored when ``data_home`` is given). In that folder the
   subfolder named for the dataset (``fashion-mnist`` or ``mnist``) is tried
   first, then the folder itself; the subfolder comes first because both
   datasets use the same IDX file names.
2. The Keras dataset cache, ``$KERAS_HOME/datasets`` when ``KERAS_HOME`` is set,
   else ``~/.keras/datasets``: Fashion-MNIST in its ``fashion-mnist``
   subfolder, MNIST in the folder itself (where Keras keeps ``mnist.npz``).
3. Fashion-MNIST only: ``/usr/share/datasets/fashion-mnist``, where Debian's
   ``dataset-fashion-mnist`` package installs it.
4. With ``download=True``, a download through ``keras.utils.get_file`` into the
   Keras cache, so that the next call finds the files in step 2.

A complete set is either ``mnist.npz`` (MNIST only, with the arrays
``x_train``, ``y_train``, ``x_test``, ``y_test``) or the four IDX files
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each gzipped (with
the suffix ``.gz``) or not. When nothing is found a
:class:`DatasetNotFoundError` lists every folder searched and how to get the
data.

Integrity checks
----------------
Whatever is loaded must hold uint8 images of shape ``(n, 28, 28)`` and as many
integer labels in ``0..9``. Beyond that, a Fashion-MNIST IDX file whose
(decompressed) content has the length of the full-size file must have the
SHA-256 of the published dataset; a mismatch raises a ``ValueError`` naming the
file. The hash covers the IDX content, not the gzip file, so recompressed copies
such as Debian's and uncompressed copies pass alike. Files of any other length
are subsets (or test fixtures) and get the structural checks only. No MNIST
content hashes are known here: a downloaded ``mnist.npz`` is checked by
``keras.utils.get_file`` against the hash Keras publishes, and MNIST files found
locally get the structural checks.
"""

import gzip
import hashlib
import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "DatasetNotFoundError",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
]

_SYSTEM_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

_TRAIN_IMAGES = "train-images-idx3-ubyte"
_TRAIN_LABELS = "train-labels-idx1-ubyte"
_TEST_IMAGES = "t10k-images-idx3-ubyte"
_TEST_LABELS = "t10k-labels-idx1-ubyte"
_IDX_STEMS = (_TRAIN_IMAGES, _TRAIN_LABELS, _TEST_IMAGES, _TEST_LABELS)

# Length and SHA-256 of the decompressed full-size Fashion-MNIST IDX files,
# computed from the copies in Debian's dataset-fashion-mnist package.
_FASHION_MNIST_CONTENT = {
    _TRAIN_IMAGES: (
        47_040_016,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    _TRAIN_LABELS: (
        60_008,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    _TEST_IMAGES: (
        7_840_016,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    _TEST_LABELS: (
        10_008,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}

_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a dataset is in none of the searched folders.

    The message lists every folder searched, in order, and the ways to get the
    data. When a download was tried and failed, its exception is chained as
    ``__cause__``.
    """


def read_idx(path):
    """Read an IDX file into a NumPy array.

    IDX is the format MNIST and Fashion-MNIST are distributed in: two zero
    bytes, a data type code, the number of dimensions, each dimension as a
    big-endian 32-bit integer, then the data in C order and big-endian. The file
    may be gzip-compressed; compression is recognised from the content, not
    from the file name.

    Parameters
    ----------
    path : str or path-like
        The IDX file, gzipped or not.

    Returns
    -------
    array : ndarray
        The data with the file's shape and a native-byte-order dtype: uint8
        (code 0x08), int8 (0x09), int16 (0x0B), int32 (0x0C), float32 (0x0D)
        or float64 (0x0E).

    Raises
    ------
    ValueError
        If the file is not valid IDX (wrong magic number, unknown data type
        code), is shorter than its header declares, has bytes after the data,
        or is a gzip stream that cannot be decompressed. The message names the
        file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skae.datasets import read_idx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "labels-idx1-ubyte"
    ...     _ = path.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    ...     labels = read_idx(path)
    >>> labels
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    return _parse_idx(_read_payload(path), path)


def load_fashion_mnist(*, data_home=None, flatten=True, download=True):
    """Load Fashion-MNIST, 70,000 28x28 grayscale images of clothing.

    The labels are 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat,
    5 sandal, 6 shirt, 7 sneaker, 8 bag and 9 ankle boot. The files are looked
    up as described in :mod:`skae.datasets`: ``data_home`` or ``SKAE_DATA``,
    the Keras cache, ``/usr/share/datasets/fashion-mnist``, then a download.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the four IDX files, directly or in a ``fashion-mnist``
        subfolder. When None, the folder named by ``SKAE_DATA`` if that is set.
    flatten : bool, default=True
        Whether to return images as rows of 784 pixels rather than as 28x28
        arrays.
    download : bool, default=True
        Whether to download the files through Keras into its cache when they
        are found nowhere else.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of ndarray
        ``X_train`` has shape (60000, 784) and ``X_test`` (10000, 784), or
        (n, 28, 28) when ``flatten=False``; float32 pixels in [0, 1] (the
        stored bytes divided by 255). ``y_train`` and ``y_test`` are int64
        labels in 0..9.

    Raises
    ------
    DatasetNotFoundError
        If no folder holds the files and the download is disabled or fails.
    ValueError
        If the files found are malformed or, at full size, do not match the
        published dataset's SHA-256.

    See Also
    --------
    load_mnist : Handwritten digits in the same format.
    load_digits : Small 8x8 digits shipped with scikit-learn.

    Examples
    --------
    >>> from skae.datasets import load_fashion_mnist
    >>> (X_train, y_train), (X_test, y_test) = load_fashion_mnist()  # doctest: +SKIP
    >>> X_train.shape, X_test.shape  # doctest: +SKIP
    ((60000, 784), (10000, 784))
    """
    folders = [
        *_user_folders(data_home, "fashion-mnist"),
        _keras_datasets_dir() / "fashion-mnist",
        _SYSTEM_FASHION_MNIST_DIR,
    ]
    return _load(
        "Fashion-MNIST",
        folders,
        known_content=_FASHION_MNIST_CONTENT,
        accept_npz=False,
        downloader=_download_fashion_mnist if download else None,
        flatten=flatten,
    )


def load_mnist(*, data_home=None, flatten=True, download=True):
    """Load MNIST, 70,000 28x28 grayscale images of handwritten digits.

    The files are looked up as described in :mod:`skae.datasets`:
    ``data_home`` or ``SKAE_DATA``, ``mnist.npz`` in the Keras cache, then a
    download of that file by Keras.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``mnist.npz`` or the four IDX files, directly or in an
        ``mnist`` subfolder. When None, the folder named by ``SKAE_DATA`` if
        that is set.
    flatten : bool, default=True
        Whether to return images as rows of 784 pixels rather than as 28x28
        arrays.
    download : bool, default=True
        Whether to download ``mnist.npz`` through Keras into its cache when the
        data is found nowhere else.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of ndarray
        ``X_train`` has shape (60000, 784) and ``X_test`` (10000, 784), or
        (n, 28, 28) when ``flatten=False``; float32 pixels in [0, 1] (the
        stored bytes divided by 255). ``y_train`` and ``y_test`` are int64
        labels in 0..9.

    Raises
    ------
    DatasetNotFoundError
        If no folder holds the data and the download is disabled or fails.
    ValueError
        If the files found are malformed.

    See Also
    --------
    load_fashion_mnist : Images of clothing in the same format.
    load_digits : Small 8x8 digits shipped with scikit-learn.

    Examples
    --------
    >>> from skae.datasets import load_mnist
    >>> (X_train, y_train), _ = load_mnist(flatten=False)  # doctest: +SKIP
    >>> X_train.shape, y_train[:5]  # doctest: +SKIP
    ((60000, 28, 28), array([5, 0, 4, 1, 9]))
    """
    folders = [*_user_folders(data_home, "mnist"), _keras_datasets_dir()]
    return _load(
        "MNIST",
        folders,
        known_content={},
        accept_npz=True,
        downloader=_download_mnist if download else None,
        flatten=flatten,
    )


def load_digits(*, flatten=True, test_size=0.2, random_state=0):
    """Load scikit-learn's 8x8 digits, scaled and split like the MNIST loaders.

    The 1,797 images come with scikit-learn (:func:`sklearn.datasets.load_digits`),
    so this loader never touches the disk or network beyond that.

    Parameters
    ----------
    flatten : bool, default=True
        Whether to return images as rows of 64 pixels rather than as 8x8
        arrays.
    test_size : float or int, default=0.2
        Fraction (or number) of images in the test split, passed to
        :func:`sklearn.model_selection.train_test_split`.
    random_state : int, RandomState instance or None, default=0
        Seed of the split; the default gives the same split on every call.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of ndarray
        float32 pixels in [0, 1] (scikit-learn's 0..16 intensities divided by
        16), shape (n, 64) or (n, 8, 8) when ``flatten=False``; int64 labels in
        0..9. The split is stratified, so both parts have the classes in the
        same proportions.

    See Also
    --------
    load_mnist : The full-size 28x28 handwritten digits.

    Examples
    --------
    >>> from skae.datasets import load_digits
    >>> (X_train, y_train), (X_test, y_test) = load_digits()
    >>> X_train.shape, X_test.shape
    ((1437, 64), (360, 64))
    >>> X_train.dtype, y_train.dtype
    (dtype('float32'), dtype('int64'))
    >>> load_digits(flatten=False)[0][0].shape
    (1437, 8, 8)
    """
    from sklearn.datasets import load_digits as sklearn_load_digits
    from sklearn.model_selection import train_test_split

    X, y = sklearn_load_digits(return_X_y=True)
    X = np.divide(X, 16, dtype=np.float32)
    if not flatten:
        X = X.reshape(-1, 8, 8)
    y = y.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    return (X_train, y_train), (X_test, y_test)


def _user_folders(data_home, subfolder):
    """Folders to try first: data_home (else SKAE_DATA), its subfolder first."""
    root = data_home if data_home is not None else os.environ.get("SKAE_DATA")
    if not root:
        return []
    root = Path(root).expanduser()
    return [root / subfolder, root]


def _keras_home():
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def _keras_datasets_dir():
    return _keras_home() / "datasets"


def _load(title, folders, *, known_content, accept_npz, downloader, flatten):
    """Load the first complete set found in ``folders``, else download it."""
    searched = []
    for folder in folders:
        files, note = _find_files(folder, accept_npz)
        if files is not None:
            return _finish(_read_files(files, title, known_content), flatten)
        searched.append(f"{folder} ({note})")
    if downloader is None:
        raise _not_found(title, searched, accept_npz, None)
    try:
        files = downloader()
    except Exception as exc:
        raise _not_found(title, searched, accept_npz, exc) from exc
    return _finish(_read_files(files, title, known_content), flatten)


def _find_files(folder, accept_npz):
    """Return the dataset files in ``folder`` and, when incomplete, why not."""
    if not folder.is_dir():
        return None, "does not exist"
    if accept_npz and (folder / "mnist.npz").is_file():
        return {"npz": folder / "mnist.npz"}, ""
    files = {}
    for stem in _IDX_STEMS:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                files[stem] = folder / name
                break
    missing = [stem + "[.gz]" for stem in _IDX_STEMS if stem not in files]
    if not missing:
        return files, ""
    if len(missing) == len(_IDX_STEMS):
        return None, "no dataset files"
    return None, "incomplete, missing " + ", ".join(missing)


def _not_found(title, searched, accept_npz, download_error):
    files = ", ".join(stem + ".gz" for stem in _IDX_STEMS)
    if accept_npz:
        files = f"mnist.npz, or the four IDX files {files}"
    lines = [f"{title} was not found. Searched, in this order:"]
    lines += [f"  {entry}" for entry in searched]
    if download_error is None:
        lines.append("Downloading through Keras was disabled (download=False).")
    else:
        lines.append(
            f"Downloading through Keras failed: "
            f"{type(download_error).__name__}: {download_error}"
        )
    lines.append("To get the data, do one of:")
    if title == "Fashion-MNIST":
        lines.append(
            "  - on Debian or Ubuntu, install it system-wide: "
            "apt-get install dataset-fashion-mnist"
        )
    lines += [
        f"  - put {files} (gzipped or not) in a folder and pass it as data_home=... "
        "or set the environment variable SKAE_DATA to it",
        "  - run once with network access and download=True, so that Keras "
        f"caches the files in {_keras_datasets_dir()}",
    ]
    return DatasetNotFoundError("\n".join(lines))


def _download_mnist():
    # Keras is imported here only: it is slow to import and needed only here.
    import keras

    # cache_dir is passed so that a KERAS_HOME set after Keras was imported is
    # honoured, as it is by the lookup.
    path = keras.utils.get_file(
        fname="mnist.npz",
        origin=f"{_KERAS_ORIGIN}mnist.npz",
        file_hash=_MNIST_NPZ_SHA256,
        cache_dir=str(_keras_home()),
    )
    return {"npz": Path(path)}


def _download_fashion_mnist():
    import keras

    files = {}
    for stem in (_TRAIN_LABELS, _TRAIN_IMAGES, _TEST_LABELS, _TEST_IMAGES):
        path = keras.utils.get_file(
            stem + ".gz",
            origin=f"{_KERAS_ORIGIN}{stem}.gz",
            cache_subdir=os.path.join("datasets", "fashion-mnist"),
            cache_dir=str(_keras_home()),
        )
        files[stem] = Path(path)
    return files


def _read_files(files, title, known_content):
    """Read and check ``files``: ``{"npz": path}`` or one path per IDX stem."""
    if "npz" in files:
        return _read_npz(files["npz"])
    arrays = {}
    for stem, path in files.items():
        payload = _read_payload(path)
        _verify_content(payload, path, stem, title, known_content)
        arrays[stem] = (_parse_idx(payload, path), str(path))
    return (arrays[_TRAIN_IMAGES], arrays[_TRAIN_LABELS]), (
        arrays[_TEST_IMAGES],
        arrays[_TEST_LABELS],
    )


def _read_npz(path):
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = [(archive[key], f"{path}[{key!r}]") for key in keys]
    except (KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"Cannot read {path} as an MNIST npz archive with the arrays "
            f"{', '.join(keys)}: {exc}"
        ) from exc
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def _verify_content(payload, path, stem, title, known_content):
    """Check a full-size file's SHA-256; other sizes are subsets, not checked."""
    if stem not in known_content:
        return
    size, expected = known_content[stem]
    if len(payload) != size:
        return
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise ValueError(
            f"{path} has the size of the full {title} file {stem} but not its "
            f"content: the SHA-256 of its IDX content is {actual}, expected "
            f"{expected}. The file is corrupt or from another dataset (MNIST uses "
            "the same file names); delete it or replace it with a good copy."
        )


def _finish(splits, flatten):
    """Check the structure of both splits, then scale and reshape them."""
    result = []
    for (images, images_from), (labels, labels_from) in splits:
        _check_split(images, images_from, labels, labels_from)
        if flatten:
            images = images.reshape(len(images), -1)
        X = images.astype(np.float32)
        X /= 255
        result.append((X, labels.astype(np.int64)))
    return tuple(result)


def _check_split(images, images_from, labels, labels_from):
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_from} should hold uint8 images of shape (n, 28, 28); it "
            f"holds a {images.dtype} array of shape {images.shape}."
        )
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise ValueError(
            f"{labels_from} should hold a 1-d array of integer labels; it holds "
            f"a {labels.dtype} array of shape {labels.shape}."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_from} holds {len(images)} images but {labels_from} holds "
            f"{len(labels)} labels."
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(
            f"{labels_from} should hold labels in 0..9; found values from "
            f"{labels.min()} to {labels.max()}."
        )


def _read_payload(path):
    """Return the bytes of ``path``, decompressed when they are gzip."""
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{path} starts like a gzip file but cannot be decompressed: {exc}"
        ) from exc


def _parse_idx(payload, path):
    if len(payload) < 4:
        raise ValueError(
            f"{path} is not an IDX file: it is {len(payload)} bytes long, "
            "shorter than the 4-byte magic number."
        )
    if payload[:2] != b"\x00\x00":
        raise ValueError(
            f"{path} is not an IDX file: its magic number starts with bytes "
            f"0x{payload[:2].hex()}, expected 0x0000."
        )
    code, ndim = payload[2], payload[3]
    if code not in _IDX_DTYPES:
        supported = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(
            f"{path} has the unsupported IDX data type code 0x{code:02X}; "
            f"supported codes are {supported}."
        )
    header_size = 4 + 4 * ndim
    if len(payload) < header_size:
        raise ValueError(
            f"{path} is truncated: its header declares {ndim} dimensions, which "
            f"need {header_size} header bytes, but the file has {len(payload)}."
        )
    shape = tuple(int(n) for n in np.frombuffer(payload, ">u4", ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    count = math.prod(shape)
    expected, found = count * dtype.itemsize, len(payload) - header_size
    if found < expected:
        raise ValueError(
            f"{path} is truncated: its header declares shape {shape}, which "
            f"needs {expected} data bytes, but the file has {found}."
        )
    if found > expected:
        raise ValueError(
            f"{path} has {found - expected} trailing bytes after the {expected} "
            f"data bytes its header declares (shape {shape})."
        )
    data = np.frombuffer(payload, dtype, count, offset=header_size)
    return data.astype(dtype.newbyteorder("=")).reshape(shape)
