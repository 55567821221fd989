"""What a fit builds, resolved once into a frozen spec.

An estimator turns its parameters and the training data into a spec: every
size, activation and choice that ``"auto"`` or ``None`` left open is settled
there. The builders take the spec, the fitted estimator reads its fitted
attributes from it (never from parameters changed after the fit), and a
``warm_start`` or ``partial_fit`` continues only with an equal spec.
"""

from dataclasses import dataclass, fields

from .._registry import SPECS, register


@dataclass(frozen=True, kw_only=True)
class NetworkSpec:
    """The settings every autoencoder resolves.

    Parameters
    ----------
    n_features : int
        Values per row.
    n_components : int
        Size of the code.
    output_activation : str
        The decoder's output activation.
    loss : str
        The training loss, ``"mse"`` or ``"binary_crossentropy"``.
    ordered : bool
        Whether the code is trained with nested dropout, so that its prefixes
        are good codes (see :mod:`skae.networks.ordered`).
    trained_components : int or None
        Size of the code trained, when the fitted model keeps only its first
        ``n_components`` units; None when it keeps them all.
    """

    n_features: int
    n_components: int
    output_activation: str
    loss: str
    ordered: bool = False
    trained_components: int | None = None

    def __init_subclass__(cls, *, registered=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if registered:
            register(SPECS, cls)

    def differences(self, other):
        """``(name, mine, other's)`` for every setting ``other`` has otherwise."""
        return [
            (field.name, getattr(self, field.name), getattr(other, field.name))
            for field in fields(self)
            if getattr(self, field.name) != getattr(other, field.name)
        ]


@dataclass(frozen=True, kw_only=True)
class CustomSpec(NetworkSpec, registered=True):
    """The spec of a user's model: its own parameters, whatever they build.

    Parameters
    ----------
    parameters : tuple of (str, object)
        The estimator's parameters other than the training ones, by name.
    """

    parameters: tuple = ()

    def differences(self, other):
        mine, theirs = dict(self.parameters), dict(other.parameters)
        changed = [
            (name, mine.get(name), theirs.get(name))
            for name in sorted(mine.keys() | theirs.keys())
            if mine.get(name) != theirs.get(name)
        ]
        rest = [d for d in super().differences(other) if d[0] != "parameters"]
        return rest + changed


# The function that builds the network of each kind of spec, registered by
# the module that defines it (see :func:`builds`).
BUILDERS = {}


def builds(spec_class):
    """Register the decorated ``function(spec, seed) -> Network`` for ``spec_class``."""

    def register_builder(function):
        BUILDERS[spec_class] = function
        return function

    return register_builder


def check_continues(fitted, spec, method):
    """Raise unless ``spec`` builds what the ``fitted`` spec built.

    ``method`` is the call that would continue the fitted model, ``"fit"``
    (with ``warm_start``) or ``"partial_fit"``.
    """
    how, instead = {
        "fit": ("warm_start=True", "set warm_start=False to build a new model"),
        "partial_fit": ("partial_fit", "call fit to build a new model"),
    }[method]
    for name, before, now in fitted.differences(spec):
        raise ValueError(
            f"{how} continues training the fitted model, whose {name} is "
            f"{before!r}; got {name}={now!r}. Restore {name} or {instead}."
        )


def freeze(value):
    """Lists as tuples, so that a spec compares ``[8]`` and ``(8,)`` as equal."""
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


register(SPECS, NetworkSpec)
