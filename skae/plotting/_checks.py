"""Checks of the arguments the displays receive, with messages naming them."""

import math
from collections.abc import Mapping
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _check_image_shape(image_shape, n_features):
    """Return the shape to hand to ``imshow``: (h, w), (h, w, 3) or (h, w, 4)."""
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = None
    if (
        shape is None
        or len(shape) not in (2, 3)
        or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape
        )
    ):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, channels) "
            f"with positive ints; got image_shape={image_shape!r}."
        )
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={image_shape!r} holds {math.prod(shape)} values, but "
            f"each image has n_features={n_features}."
        )
    if len(shape) == 3:
        if shape[2] == 1:
            return shape[:2]
        if shape[2] not in (3, 4):
            raise ValueError(
                "Images can have 1, 3 (RGB) or 4 (RGBA) channels; got "
                f"image_shape={image_shape!r}."
            )
    return tuple(int(s) for s in shape)


def _default_image_shape(estimator, n_features):
    """The shape of one image as the estimator was fitted on it.

    The images ``fit`` saw (a ``sample_shape_`` of two or three dimensions),
    else the estimator's ``image_shape_``, else a square of ``n_features``.
    """
    shape = getattr(estimator, "sample_shape_", None)
    if shape is not None and len(shape) in (2, 3):
        return tuple(shape)
    shape = getattr(estimator, "image_shape_", None)
    if shape is not None:
        return tuple(shape)
    side = math.isqrt(n_features)
    if side * side == n_features:
        return (side, side)
    raise ValueError(
        f"Cannot infer the image shape: {type(estimator).__name__} was not fitted "
        f"on images, has no image_shape_, and n_features={n_features} is not a "
        "perfect square. Pass image_shape=(height, width)."
    )


def _check_extra_estimators(extra_estimators):
    if extra_estimators is None:
        return {}
    if not isinstance(extra_estimators, Mapping):
        raise TypeError(
            "extra_estimators must be a dict of name to fitted estimator; got "
            f"{type(extra_estimators).__name__}."
        )
    for key, est in extra_estimators.items():
        if not hasattr(est, "inverse_transform"):
            raise TypeError(
                f"extra_estimators[{key!r}] must have transform and "
                f"inverse_transform; got {type(est).__name__}."
            )
        check_is_fitted(est)
    return dict(extra_estimators)


def _check_or_make_axes_grid(ax, n_rows, n_cols, *, rows):
    """Return ``ax`` as a 2-d object array of Axes, creating a figure if None.

    ``rows`` says what the rows of the grid hold, for the error message.
    """
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            n_rows,
            n_cols,
            figsize=(1.1 * n_cols + 2.5, 1.1 * n_rows),
            squeeze=False,
            layout="constrained",
        )
        return axes
    axes = np.asarray(ax, dtype=object)
    if axes.shape != (n_rows, n_cols) or not all(
        isinstance(a, Axes) for a in axes.flat
    ):
        raise ValueError(
            f"ax must be a 2-d array of matplotlib Axes of shape ({n_rows}, "
            f"{n_cols}): {rows}, one column per image; got "
            f"{_describe_ax(ax, axes)}."
        )
    return axes


def _describe_ax(ax, axes):
    if isinstance(ax, np.ndarray | list | tuple):
        return f"an array of shape {axes.shape}"
    return type(ax).__name__


def _check_components(components, n_columns, source=None):
    """Return ``components`` as two ints, checked against the codes' width."""
    if source is None:
        source = f"the codes have {n_columns} column(s)"
    if n_columns < 2:
        raise ValueError(f"CodeScatterDisplay plots two code dimensions, but {source}.")
    try:
        pair = tuple(components)
    except TypeError:
        pair = None
    if (
        pair is None
        or len(pair) != 2
        or not all(isinstance(c, Integral) and not isinstance(c, bool) for c in pair)
        or not all(0 <= c < n_columns for c in pair)
    ):
        raise ValueError(
            f"components must be two code dimensions between 0 and "
            f"{n_columns - 1} ({source}); got components={components!r}."
        )
    return int(pair[0]), int(pair[1])
