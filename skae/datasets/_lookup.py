"""The search of the MNIST-style loaders through folders, and its error.

The folders are tried in order, the first complete set wins, then the download;
when all fail, :class:`DatasetNotFoundError` lists what was searched.
"""

import os
from pathlib import Path

from ._files import _IDX_STEMS, _find_files, _finish, _read_files
from ._keras import _keras_datasets_dir


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a dataset is in none of the searched folders.

    The message lists every folder searched, in order, and the ways to get the
    data. When a download was tried and failed, its exception is chained as
    ``__cause__``.

    See Also
    --------
    load_mnist, load_fashion_mnist : The loaders that raise it.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> from skae.datasets import DatasetNotFoundError, load_mnist
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     with mock.patch.dict(os.environ, {"KERAS_HOME": empty}):
    ...         try:
    ...             load_mnist(data_home=empty, download=False)
    ...         except DatasetNotFoundError as error:
    ...             print(str(error).splitlines()[0])
    MNIST was not found. Searched, in this order:
    """


def _user_folders(data_home, subfolder):
    """Folders to try first: data_home (else SKAE_DATA), its subfolder first."""
    root = data_home if data_home is not None else os.environ.get("SKAE_DATA")
    if not root:
        return []
    root = Path(root).expanduser()
    return [root / subfolder, root]


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
