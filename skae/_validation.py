"""Checks of parameter values that scikit-learn's declarative constraints cannot say.

Each returns the normalised value or raises a ValueError that names the
parameter and repeats the value received.
"""

import math
from numbers import Integral


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
