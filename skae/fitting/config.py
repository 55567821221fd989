"""What a fit trains with: the training parameters of an estimator, frozen.

The estimator hands the fit one :class:`TrainingConfig`, whose fields are named
as its parameters are, so that a setting has one name from the user's call to
the training loop.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """The settings of one fit: see the estimators' parameters of these names.

    Parameters
    ----------
    optimizer : str or keras.optimizers.Optimizer
    learning_rate : float
    learning_rate_schedule : {"plateau", "constant"}
    epochs : int
    batch_size : int
    shuffle : bool
    validation_fraction : float
    early_stopping : bool
    n_iter_no_change : int
    tol : float
    noise : float
    noise_type : {"gaussian", "mask"}
    noise_clip : "auto", None or (float, float)
        As the estimators take it; :func:`~skae.fitting.fit.fit_model` resolves
        ``"auto"`` to a pair or None for the rows it trains on.
    callbacks : list of keras.callbacks.Callback or None
    distribute : tf.distribute.Strategy or None
    random_state : int, RandomState instance or None
    verbose : int
    random_flip : {"horizontal", "vertical", "horizontal_and_vertical"} or None, \
            default=None
        A parameter of the image estimators only; the others train without.
    xla : bool, default=False
        Whether long fits compile the training step with XLA, which only some
        networks gain from (see :data:`skae.fitting.loop.XLA_MIN_STEPS`); a
        property of the estimator, not a parameter.
    """

    optimizer: object
    learning_rate: float
    learning_rate_schedule: str
    epochs: int
    batch_size: int
    shuffle: bool
    validation_fraction: float
    early_stopping: bool
    n_iter_no_change: int
    tol: float
    noise: float
    noise_type: str
    noise_clip: object
    callbacks: object
    distribute: object
    random_state: object
    verbose: int
    random_flip: object = None
    xla: bool = False

    @classmethod
    def parameter_names(cls):
        """The estimator parameters a config holds, by name."""
        return frozenset(f.name for f in dataclasses.fields(cls)) - {"xla"}

    @classmethod
    def of(cls, params, xla=False):
        """The config of an estimator's ``params`` (as ``get_params`` gives them).

        A parameter with a default here (``random_flip``) may be missing.
        """
        names = cls.parameter_names() & set(params)
        return cls(**{name: params[name] for name in names}, xla=xla)
