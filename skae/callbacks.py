"""Keras callbacks for skae's fits, usable in any Keras ``fit`` as well.

:class:`TimeBudget` ends a fit after the epoch that spends a given number of
seconds, with the weights of its best epoch in place.
"""

from .fitting.budget import TimeBudget

__all__ = ["TimeBudget"]
