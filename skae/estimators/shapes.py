"""Samples as users hold them: images and sequences in, flat rows inside.

Every skae estimator trains on flat rows, one sample per row, its values in C
order. Users often hold samples with a shape of their own: images as
``(n, height, width)`` or ``(n, height, width, channels)``, sequences as
``(n, timesteps, channels)``. An array with more than two dimensions is read
as ``n`` samples of shape ``X.shape[1:]`` and flattened (a view, so a
``numpy.memmap`` stays a memmap and is still read a batch at a time); ``fit``
records that shape in ``sample_shape_``, and ``inverse_transform`` gives its
rows back in it. Each estimator says which sample shapes mean something to it
(``_sample_ndims``: any for the dense models, one to three dimensions for
images, one or two for sequences).
"""

import math
import warnings

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

from .._validation import (
    FLOAT_DTYPES,
    check_float32_range,
    plain_rows,
    too_large_for_float64,
    validate_rows,
)


class SampleShapes:
    """What an estimator reads as samples, and the shape ``fit`` saw."""

    # How many dimensions one sample may have besides flat rows (None: any,
    # flattened in C order), and how the estimator's error message says so.
    _sample_ndims = None
    _sample_hint = "rows of any shape"

    def _network_shapes(self):
        """Sample shapes the fitted network works in, besides flat rows."""
        return ()

    @property
    def sample_shape_(self):
        """The shape of one sample of the data ``fit`` saw.

        ``(n_features_in_,)`` for flat rows, ``(28, 28)`` for images passed as
        an array of shape ``(n_samples, 28, 28)``; ``inverse_transform``
        returns samples of this shape.
        """
        check_is_fitted(self)
        return self._fitted_sample_shape()

    def _fitted_sample_shape(self):
        # Files and pickles from before sample shapes were recorded hold rows.
        return self.__dict__.get("_sample_shape") or (self.n_features_in_,)

    def _fit_rows(self, X, *, reset):
        """``X`` as validated rows, and the shape of one of its samples.

        A continued fit must be given samples of a shape the fitted model
        reads; a ``fit`` records the shape of its own samples.
        """
        fitted = not reset and self.__dict__.get("_models") is not None
        X, shape = to_rows(self, X, fitted=fitted)
        X = validate_rows(self, X, reset=reset, accept_sparse="csr")
        check_float32_range(X)
        return X, shape or (X.shape[1],)

    def _fit_targets(self, X_target, X, sample_shape, y=None):
        """``X_target`` as validated rows of ``X``'s shape, or None.

        Without targets, a ``y`` holding rows of ``X``'s shape (the clean rows
        of the Keras tutorial's ``fit(x_noisy, x_clean)``) is not silently
        ignored: a warning says how to train to them.
        """
        if X_target is None:
            # The shape only: y may be anything a supervised Pipeline holds.
            shape = getattr(y, "shape", None)
            if shape is None and isinstance(y, list | tuple):
                shape = np.shape(y)
            if shape is not None and len(shape) >= 2 and shape[0] == X.shape[0]:
                warnings.warn(
                    f"{type(self).__name__} ignores y in fit and partial_fit, as "
                    "every transformer does: the model learns to reconstruct X. "
                    "To train from corrupted inputs X to clean targets, pass them as "
                    "fit(X, X_target=X_clean) (in a Pipeline, "
                    "step__X_target=X_clean).",
                    UserWarning,
                    stacklevel=4,
                )
            return None
        targets, shape = to_rows(self, X_target, input_name="X_target")
        with too_large_for_float64():
            targets = check_array(
                targets, accept_sparse="csr", dtype=FLOAT_DTYPES, input_name="X_target"
            )
        if targets.shape != X.shape or shape not in (None, sample_shape):
            raise ValueError(
                f"X_target holds {targets.shape[0]} samples of shape "
                f"{shape or (targets.shape[1],)}, but X holds {X.shape[0]} of "
                f"shape {sample_shape}: X_target must have X's shape, one target "
                "per row of X."
            )
        check_float32_range(targets)
        return targets

    def _rows(self, X):
        """Validated rows of ``X`` for a fitted estimator (samples flattened)."""
        check_is_fitted(self)
        X, _ = to_rows(self, X, fitted=True)
        rows = None
        if not hasattr(self, "feature_names_in_"):
            rows = plain_rows(X, self.n_features_in_)
        if rows is None:
            rows = validate_rows(self, X, reset=False, accept_sparse="csr")
        return rows


def to_rows(estimator, X, *, fitted=False, input_name="X"):
    """Return ``(rows, sample_shape)``: ``X`` as flat rows and one sample's shape.

    ``sample_shape`` is None for input that is already rows (two dimensions or
    fewer, sparse matrices, DataFrames), which validation then checks as it
    always has. For a ``fitted`` estimator, an array of samples must have a
    shape the fitted model reads: see :func:`accepted_shapes`.
    """
    ndim = getattr(X, "ndim", None)
    if ndim is None or ndim < 3:
        return X, None
    X = X if isinstance(X, np.ndarray) else np.asarray(X)
    shape = tuple(int(s) for s in X.shape[1:])
    name = type(estimator).__name__
    if not fitted:
        allowed = getattr(estimator, "_sample_ndims", None)
        if allowed is not None and len(shape) not in allowed:
            raise ValueError(
                f"{name} reads {estimator._sample_hint}; got {input_name} of "
                f"shape {X.shape}. Reshape {input_name} to one of these shapes."
            )
    else:
        fitted_shape = estimator._fitted_sample_shape()
        accepted = accepted_shapes(estimator, fitted_shape)
        if shape not in accepted:
            spelled = " or ".join(f"(n_samples, {_inner(s)})" for s in accepted)
            raise ValueError(
                f"{input_name} has samples of shape {shape}, but this {name} was "
                f"fitted on samples of shape {fitted_shape}: pass {input_name} of "
                f"shape {spelled}."
            )
    return X.reshape(X.shape[0], math.prod(shape)), shape


def accepted_shapes(estimator, fitted_shape):
    """The sample shapes a fitted ``estimator`` reads, the fitted one first.

    Those are the shape ``fit`` saw, flat rows, and the shapes the estimator's
    network itself works in (``_network_shapes``, such as an image's
    ``(height, width, channels)``).
    """
    shapes = [tuple(fitted_shape), (estimator.n_features_in_,)]
    shapes += [tuple(s) for s in estimator._network_shapes()]
    return list(dict.fromkeys(shapes))


def from_rows(rows, sample_shape):
    """Give flat ``rows`` back the shape of the samples ``fit`` saw."""
    if sample_shape is None or len(sample_shape) == 1:
        return rows
    return rows.reshape(rows.shape[0], *sample_shape)


def _inner(shape):
    return ", ".join(str(s) for s in shape)
