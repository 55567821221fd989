"""scikit-learn's 8x8 digits, scaled and split like the MNIST loaders' data."""

import numpy as np


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
        The float32 pixels in [0, 1] (scikit-learn's 0..16 intensities divided by
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
