"""Prefixes of a code on the estimator side: R^2 of each, the one a fraction picks.

``n_components=0.95`` trains an ordered code of :func:`fraction_width` units and
keeps the smallest prefix whose held-out R^2 reaches 0.95, as
``PCA(n_components=0.95)`` keeps enough components for 95% of the variance.
:func:`kept_prefix` gives the model and spec that keep a prefix, which both that
choice and ``truncate`` use.
"""

import dataclasses
import warnings
from copy import deepcopy
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..inference.scoring import prefix_r2

# The widest code a fraction trains. Scoring every prefix costs a decoder pass
# each, which this keeps a small part of the fit (benchmarks/bench_ordered.py
# measures what fractions it reaches).
FRACTION_MAX_COMPONENTS = 128
# Prefix R^2 is measured on at most this many rows, evenly spaced through the
# data: every prefix costs a pass of the decoder over them. partial_fit, which
# trains one epoch per call, measures it on fewer rows of its chunk, so that
# scoring costs a fraction of the call.
PREFIX_MAX_ROWS = 10_000
PARTIAL_FIT_PREFIX_ROWS = 1_000


def is_fraction(n_components):
    """Whether ``n_components`` asks for a fraction of the variance."""
    return isinstance(n_components, Real) and not isinstance(n_components, Integral)


def fraction_width(n_features):
    """The code size an ``n_components`` fraction trains for rows of this width."""
    return min(n_features, FRACTION_MAX_COMPONENTS)


def scored_rows(X, max_rows=PREFIX_MAX_ROWS):
    """The rows prefix R^2 is measured on: all, or ``max_rows`` evenly spaced."""
    if X.shape[0] <= max_rows:
        return X
    return X[np.linspace(0, X.shape[0] - 1, max_rows).astype(np.intp)]


def prefix_scores(estimator, X, max_rows=PREFIX_MAX_ROWS):
    """R^2 of every prefix of a fitted estimator's code on (a sample of) ``X``."""
    return prefix_r2(
        scored_rows(X, max_rows),
        lambda x: estimator._encode(x, np.float64),
        lambda z: estimator._models.decode(z, np.float64),
        estimator._width(),
    )


def select_prefix(estimator, X_held_out, fraction):
    """The fewest leading code units with R^2 on ``X_held_out`` of ``fraction``."""
    r2 = prefix_scores(estimator, X_held_out)
    reached = np.flatnonzero(r2 >= fraction)
    if reached.size:
        return int(reached[0]) + 1
    warnings.warn(
        f"No prefix of the {r2.size}-unit ordered code reaches R^2 = {fraction} "
        f"on held-out rows (the whole code reaches {np.nanmax(r2):.4f}); keeping "
        f"all {r2.size} units. Pass a lower fraction, or an int n_components "
        "for a wider code.",
        UserWarning,
        stacklevel=4,
    )
    return r2.size


def kept_prefix(model, spec, n_components):
    """The model and spec that keep the first ``n_components`` of ``spec``'s code."""
    from ..networks.ordered import truncate_autoencoder

    return truncate_autoencoder(model, n_components), truncated_spec(spec, n_components)


def truncated_spec(spec, n_components):
    """The spec of a model that keeps the first ``n_components`` of ``spec``'s code."""
    trained = spec.trained_components or spec.n_components
    return dataclasses.replace(
        spec, n_components=n_components, trained_components=trained
    )


def check_prefix(spec, n_components, name):
    """Raise unless ``spec``'s code is ordered and has ``n_components`` units."""
    if not spec.ordered:
        raise ValueError(
            f"{name} keeps the first units of an ordered code, but this model "
            "was trained with ordered=False: a prefix of its code is not a good "
            "code. Fit with ordered=True (or a float n_components)."
        )
    width = spec.trained_components or spec.n_components
    if (
        not isinstance(n_components, Integral)
        or isinstance(n_components, bool)
        or not 1 <= n_components <= width
    ):
        raise ValueError(
            f"{name} takes an int n_components between 1 and the trained code's "
            f"{width} units; got n_components={n_components!r}."
        )


class PrefixMethods:
    """``truncate``: a fitted copy that keeps a prefix of an ordered code."""

    def truncate(self, n_components):
        """Return a fitted copy that keeps the first ``n_components`` code units.

        The model must have been trained with ``ordered=True`` (or a float
        ``n_components``), so that every prefix of its code is a good code. The
        copy's encoder outputs the first ``n_components`` units and its decoder
        reads them, zeros standing in for the rest: the same weights, no
        refitting. One ordered fit thus serves every code size, e.g. a
        ``GridSearchCV`` over ``FrozenEstimator(est.truncate(k))`` for several
        ``k``. This estimator is left as it is.

        Parameters
        ----------
        n_components : int
            Code units to keep, from 1 to the size of the trained code.

        Returns
        -------
        estimator : object
            A fitted copy with ``n_components_ == n_components``.
        """
        check_is_fitted(self)
        check_prefix(self._spec, n_components, "truncate")
        copy = deepcopy(self)
        copy.n_components = n_components
        model, copy._spec = kept_prefix(copy._models.model, self._spec, n_components)
        copy._set_model(model)
        # Prefix R^2 does not depend on the units after the prefix.
        copy.explained_variance_ratio_ = self.explained_variance_ratio_[
            :n_components
        ].copy()
        copy.reconstruction_r2_ = float(np.sum(copy.explained_variance_ratio_))
        return copy
