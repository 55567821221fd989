"""The specs of every variation of an estimator: what its networks may hold.

Each registered estimator registers :func:`example_specs` of its class in
``skae._registry.SPEC_EXAMPLES``; the allowlist of what a model file may name
builds their networks (see :mod:`skae.saving.allowlist`).
"""

import itertools
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._options import ACTIVATION_NAMES
from .losses import clip_output
from .parameters import TRAINING_PARAMS

# A square and an odd width: images of either shape, and the crop that odd
# sizes need after pooling.
EXAMPLE_WIDTHS = (16, 15)


def example_specs(cls):
    """Yield, once each, the specs of ``cls``'s variations on rows in [0, 1]."""
    rng = np.random.default_rng(0)
    seen = set()
    for params, n_features in itertools.product(variations(cls), EXAMPLE_WIDTHS):
        est = cls(2, **{**cls._small_params, **params})
        spec = est._resolve_spec(rng.random((8, n_features)), None)
        # A denoiser's network may clip its output (see clip_output).
        for variant in (spec, clip_output(spec, None, noise=1.0)):
            if variant not in seen:
                seen.add(variant)
                yield variant


def variations(cls):
    """Parameter settings that change which Keras objects ``cls`` builds.

    One parameter at a time away from the small parameters: each boolean both
    ways, each option that is not an activation name, and each non-negative
    rate at zero and above. Activations and losses are written as names, which
    the allowlist allows by name.
    """
    yield {}
    for name, constraints in cls._parameter_constraints.items():
        if name in TRAINING_PARAMS or name in ("n_components", "loss"):
            continue
        for constraint in constraints:
            if constraint == "boolean":
                yield from ({name: True}, {name: False})
            elif isinstance(constraint, StrOptions):
                for option in constraint.options - ACTIVATION_NAMES:
                    yield {name: option}
            elif (
                isinstance(constraint, Interval)
                and constraint.type is Real
                and constraint.left == 0
            ):
                yield from ({name: 0.0}, {name: 0.1})
