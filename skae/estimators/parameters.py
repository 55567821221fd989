"""The parameters every skae autoencoder shares: their constraints and defaults."""

from numbers import Integral, Real

from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions

from .._options import ACTIVATION_NAMES, LOSSES
from ..fitting.config import TrainingConfig

# Parameters that say how to train, not what to build: everything else a
# subclass takes shapes its model, and a warm start must keep it.
TRAINING_PARAMS = TrainingConfig.parameter_names() | {"warm_start"}
RESOLVED_PARAMS = frozenset({"n_components", "output_activation", "loss"})


class SharedParameters:
    """The constraints and defaults of the parameters every autoencoder takes.

    A subclass's ``__init__`` may expose only some of them; the others keep the
    defaults below (the built-in estimators expose every one, with these same
    defaults: tests/test_base.py checks they agree).
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "output_activation": [StrOptions({"auto"} | ACTIVATION_NAMES)],
        "loss": [StrOptions({"auto", *LOSSES})],
        "optimizer": [str, HasMethods(["apply_gradients", "get_config"])],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"plateau", "constant"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "noise_type": [StrOptions({"gaussian", "mask"})],
        "noise_clip": [StrOptions({"auto"}), None, tuple, list],
        "callbacks": [list, None],
        "distribute": [None, HasMethods(["scope", "experimental_distribute_dataset"])],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    output_activation = "auto"
    loss = "auto"
    optimizer = "adam"
    learning_rate = 1e-3
    learning_rate_schedule = "plateau"
    epochs = 200
    batch_size = 256
    shuffle = True
    validation_fraction = 0.1
    early_stopping = True
    n_iter_no_change = 10
    tol = 1e-4
    noise = 0.0
    noise_type = "gaussian"
    noise_clip = "auto"
    callbacks = None
    distribute = None
    warm_start = False
    random_state = None
    verbose = 0


# The parameters of estimators whose code can be ordered (a float n_components
# trains an ordered code and keeps a prefix; see skae.estimators.prefixes).
ORDERED_CONSTRAINTS = {
    "n_components": [
        Interval(Integral, 1, None, closed="left"),
        Interval(RealNotInt, 0, 1, closed="neither"),
    ],
    "ordered": ["boolean"],
}
