"""The MNIST and Fashion-MNIST loaders, and what is known of their files."""

from pathlib import Path

from ._files import _TEST_IMAGES, _TEST_LABELS, _TRAIN_IMAGES, _TRAIN_LABELS
from ._keras import _download_fashion_mnist, _download_mnist, _keras_datasets_dir
from ._lookup import _load, _user_folders

_SYSTEM_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


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
        Shaped and scaled as :func:`load_fashion_mnist` returns them: 60,000
        and 10,000 float32 rows of 784 pixels in [0, 1] (the stored bytes
        divided by 255), or (n, 28, 28) with ``flatten=False``, and their
        int64 labels, the digits 0 to 9.

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
