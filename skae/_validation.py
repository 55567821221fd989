"""Checks of parameters and data that scikit-learn's own validation leaves out.

Each returns the normalised value or raises a ValueError that names what was
wrong and repeats the value received.
"""

import contextlib
import math
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array, validate_data

FLOAT_DTYPES = (np.float64, np.float32)


def positive_int_tuple(name, value, *, allow_empty=True, allow_int=True):
    """Return ``value`` as a tuple of positive ints (a lone int is a 1-tuple)."""
    if allow_int and isinstance(value, Integral) and not isinstance(value, bool):
        value_tuple = (value,)
    else:
        try:
            value_tuple = tuple(value)
        except TypeError:
            value_tuple = None
    valid = value_tuple is not None and all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1
        for v in value_tuple
    )
    if not valid or (not allow_empty and not value_tuple):
        what = "a tuple of positive integers" + ("" if allow_empty else ", not empty")
        raise ValueError(f"{name} must be {what}; got {value!r}.")
    return tuple(int(v) for v in value_tuple)


def shape_param(name, value, lengths, spelled):
    """Return a shape parameter as a tuple of positive ints of an allowed length."""
    shape = positive_int_tuple(name, value, allow_int=False)
    if len(shape) not in lengths:
        raise ValueError(f"{name} must be {spelled}; got {value!r}.")
    return shape


def check_shape_fits_rows(name, value, shape, n_features, hint):
    """Raise unless one row of ``n_features`` values has exactly ``shape``."""
    size = math.prod(shape)
    if size != n_features:
        raise ValueError(
            f"{name}={value!r} holds {size} values per row, but X has "
            f"{n_features} features. {hint}"
        )


def validate_rows(estimator, X, *, reset, **kwargs):
    """``validate_data`` into float64 or float32, with skae's extra error."""
    with too_large_for_float64():
        return validate_data(estimator, X, dtype=FLOAT_DTYPES, reset=reset, **kwargs)


def validate_codes(X, width, owner):
    """Codes ``X`` for ``owner.inverse_transform``: ``width`` float columns."""
    Z = plain_rows(X, width)
    if Z is None:
        with too_large_for_float64():
            Z = check_array(X, dtype=FLOAT_DTYPES, input_name="X")
    if Z.shape[1] != width:
        raise ValueError(
            f"X has {Z.shape[1]} columns, but {type(owner).__name__}."
            f"inverse_transform expects codes with n_components={width} "
            "columns, as returned by transform."
        )
    return Z


def plain_rows(X, n_columns):
    """Return ``X`` if it is already what validation would return, else None.

    That is a float32 or float64 ndarray of shape ``(n, n_columns)``, ``n >= 1``,
    with a finite sum (so every value is finite). Such input needs neither a
    conversion nor a check, and skipping scikit-learn's generic validation makes
    a one-row ``transform`` several times faster: the validation costs more than
    the forward pass. Anything else (lists, DataFrames, other dtypes, NaN or
    inf, a wrong width, a sum that overflows) goes through the full validation
    and gets its errors and conversions.
    """
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in FLOAT_DTYPES
        and X.shape[0] > 0
        and X.shape[1] == n_columns
        and _has_finite_sum(X)
    ):
        return X
    return None


def _has_finite_sum(X):
    # A sum that overflows, or an inf - inf, only sends X on to the full
    # validation; NumPy must not warn about it (nor raise under -W error).
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()))


@contextlib.contextmanager
def too_large_for_float64():
    """Report numbers too large for float64 as a ValueError.

    NumPy raises OverflowError when it converts a Python int beyond float64's
    range (``10**400`` in a list or an object array); scikit-learn's validation
    lets it through.
    """
    try:
        yield
    except OverflowError as exc:
        raise ValueError(
            f"X holds a number too large to convert to float64 ({exc}). "
            "Scale X first, for example with StandardScaler."
        ) from exc


def check_float32_range(X):
    """Raise unless every value of ``X`` survives the cast to float32.

    Training runs in float32, so a float64 value beyond float32's range would
    silently become inf and the model would be trained on it.
    """
    if X.dtype == np.float32 or not X.size:
        return
    limit = float(np.finfo(np.float32).max)
    largest = max(-float(X.min()), float(X.max()))
    if largest > limit:
        raise ValueError(
            f"X holds values up to {largest:.3g} in magnitude, beyond the float32 "
            f"range (+-{limit:.3g}) in which the Keras model is trained. Scale X "
            "first, for example with StandardScaler."
        )


def inside_unit_interval(X):
    """Whether every value of the non-empty ``X`` lies in [0, 1]."""
    return X.shape[0] * X.shape[1] > 0 and X.min() >= 0 and X.max() <= 1
