"""A time budget for a fit: :class:`TimeBudget`, public as ``skae.callbacks``.

It ends a fit after the epoch that spends a given number of seconds, with the
weights of its best epoch in place, and works in any Keras ``fit`` as well.
"""

import time

import keras
import numpy as np

from .monitor import learning_rate_variable


class TimeBudget(keras.callbacks.Callback):
    """Stop training after the epoch that crosses a time budget.

    The clock starts when training begins (for a skae estimator, after the data
    is validated and the network built) and is read at the end of every epoch:
    the first epoch that ends ``seconds`` or more after the start is the last.
    The fit then ends with the weights of the epoch whose ``monitor`` value was
    lowest, so that a budget that stops training mid-way through a noisy phase
    still returns the best model seen.

    Pass it in an estimator's ``callbacks`` (``AutoencoderTransformer(
    callbacks=[TimeBudget(60)])``) or to ``keras.Model.fit``. With skae's early
    stopping on, whichever ends the fit first ends it; both restore the same
    best epoch. The budget counts from the start of each fit: a fit resumed
    from a ``keras.callbacks.BackupAndRestore`` backup gets the whole budget
    again.

    Parameters
    ----------
    seconds : float
        Training time, in seconds, after which no new epoch starts. Must be
        positive.
    monitor : str, default="val_loss"
        The log whose lowest value picks the best epoch; ``"loss"`` is used
        when the fit has no ``monitor`` log (no validation split).
    restore_best_weights : bool, default=True
        End the fit with the best epoch's weights rather than the last's.
    anneal : bool, default=False
        Lower the optimizer's learning rate along a half cosine over the
        budget: before each epoch it is multiplied by how much the factor
        ``(1 + cos(pi * t / seconds)) / 2`` fell since the last epoch, ``t``
        being the time the coming epoch is expected to reach half-way. A fit
        that knows when it must end can then settle into its minimum in the
        last epochs instead of being stopped at full speed. Other changes to
        the rate (skae's plateau halving) still apply. The rate never falls
        below 1% of where it started; a Keras ``LearningRateSchedule`` is left
        alone.

    Attributes
    ----------
    stopped_epoch : int or None
        The (0-based) epoch after which the budget stopped training; None when
        the fit ended within the budget.
    best_epoch : int or None
        The (0-based) epoch with the lowest ``monitor`` value so far, whose
        weights a stop restores; None with ``restore_best_weights=False``.
    elapsed : float
        Seconds from the start of training to the end of the last epoch.

    See Also
    --------
    keras.callbacks.EarlyStopping : Stops when a monitored loss stops improving.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.callbacks import TimeBudget
    >>> X = load_digits().data / 16.0
    >>> budget = TimeBudget(0.5)
    >>> ae = AutoencoderTransformer(8, callbacks=[budget], random_state=0).fit(X)
    >>> ae.n_iter_ == budget.stopped_epoch + 1
    True
    """

    def __init__(
        self,
        seconds,
        *,
        monitor="val_loss",
        restore_best_weights=True,
        anneal=False,
    ):
        super().__init__()
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError(
                f"seconds must be a number of seconds; got {type(seconds).__name__}."
            )
        if not np.isfinite(seconds) or seconds <= 0:
            raise ValueError(f"seconds must be positive and finite; got {seconds!r}.")
        self.seconds = float(seconds)
        self.monitor = monitor
        self.restore_best_weights = restore_best_weights
        self.anneal = anneal
        self.stopped_epoch = self.best_epoch = None
        self.elapsed = 0.0

    def on_train_begin(self, logs=None):
        """Start the clock."""
        self._start = time.perf_counter()
        self.stopped_epoch = self.best_epoch = None
        self.elapsed = 0.0
        self._best = np.inf
        self._best_weights = None
        self._factor = 1.0
        self._epoch_start = 0.0
        self._epoch_seconds = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        """With ``anneal``, lower the learning rate for the coming epoch."""
        now = time.perf_counter() - self._start
        if epoch > 0:
            self._epoch_seconds = now - self._epoch_start
        self._epoch_start = now
        if not self.anneal:
            return
        learning_rate = learning_rate_variable(self.model)
        if learning_rate is None:
            return
        # Where the coming epoch will be half-way, from the last epoch's length.
        progress = min(1.0, (now + self._epoch_seconds / 2) / self.seconds)
        factor = max(0.01, (1.0 + np.cos(np.pi * progress)) / 2)
        if factor < self._factor:
            learning_rate.assign(learning_rate * (factor / self._factor))
            self._factor = factor

    def on_epoch_end(self, epoch, logs=None):
        """Keep the best weights so far; stop once the budget is spent."""
        logs = logs or {}
        self.elapsed = time.perf_counter() - self._start
        current = logs.get(self.monitor, logs.get("loss"))
        if (
            self.restore_best_weights
            and current is not None
            and np.isfinite(current)
            and current < self._best
        ):
            self._best, self.best_epoch = float(current), epoch
            self._best_weights = self.model.get_weights()
        if self.elapsed < self.seconds or self.model.stop_training:
            return
        self.model.stop_training = True
        self.stopped_epoch = epoch
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)

    def remaining(self):
        """Return the seconds left in the budget.

        Returns
        -------
        float
            The budget less the time since training began, at least 0; the
            whole budget before training begins.
        """
        if not hasattr(self, "_start"):
            return self.seconds
        return max(0.0, self.seconds - (time.perf_counter() - self._start))
