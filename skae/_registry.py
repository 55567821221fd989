"""The classes skae's files may name, filled in as their modules are imported.

Estimators and network specs register themselves, with ``registered=True``
in their class statement (``class ConvSpec(NetworkSpec, registered=True)``), so
that saving, loading and the common tests find every variant without a list
kept by hand. Only skae's own classes register: a user's subclass is named to
:func:`skae.load` through ``custom_objects``.
"""

ESTIMATORS = {}
SPECS = {}
# Estimators that hold a skae autoencoder without being one (the outlier
# detector): what a skops file of them names besides the autoencoder's types.
WRAPPERS = {}
# For each registered estimator, a function that yields the specs of its
# variations: what its networks may hold, for the allowlist of model files.
SPEC_EXAMPLES = {}
# The base classes every estimator, skae's or a user's, derives from.
BASES = []


def register(registry, cls):
    """Add ``cls`` to ``registry`` under its name."""
    registry[cls.__name__] = cls
    return cls


def is_estimator_class(cls):
    """Whether ``cls`` is an estimator class: a subclass of a registered base."""
    return any(issubclass(cls, base) for base in BASES)
