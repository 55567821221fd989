"""What a fit prints: one bar or a few plain lines, and how the fit ended.

At ``verbose=1`` on a terminal, :class:`FitProgress` draws one bar over the
whole fit. Written anywhere else (a file, a pipe, a notebook's or a test's
captured stream, absl logging), a bar's carriage returns, backspaces and colour
codes are noise, so it prints plain lines instead: one as the fit starts, at
most ``MAX_LINES + 1`` as it goes, whatever the number of epochs, and one as it
ends. At every ``verbose >= 1`` the last line says what ended the fit (the
epoch cap, early stopping, the NaN guard, a time budget) and which epoch's
weights it kept.
"""

import math
import sys
import time

import keras
from absl import logging

from .budget import TimeBudget

# Progress lines of a fit printed as plain lines, besides its first epoch.
MAX_LINES = 10


def print_line(line):
    """Print ``line`` where Keras prints its own logs: stdout, or absl logging."""
    if not keras.config.is_interactive_logging_enabled():
        logging.info(line)
        return
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def draws_bar():
    """Whether a bar can be drawn: Keras prints to a terminal.

    Keras's ``Progbar`` also draws wherever the ``posix`` module is loaded,
    which is every Linux and macOS process, written to a file or not.
    """
    isatty = getattr(sys.stdout, "isatty", None)
    return keras.config.is_interactive_logging_enabled() and bool(isatty and isatty())


class FitProgress(keras.callbacks.Callback):
    """Print the progress of a fit and, at its end, what ended it.

    Keras's own ``verbose=1`` draws a bar per epoch, which for the hundreds of
    short epochs of a typical fit scrolls away what matters: how far the fit
    has come and how long it has left. With ``per_epoch=True`` this callback
    draws one bar towards the epoch cap on a terminal (an early stop ends it
    where it is), and prints plain lines elsewhere. It runs after the
    callbacks that may stop the fit, so that it sees the weights they kept.

    Parameters
    ----------
    epochs : int
        The epoch cap of the fit.
    monitor : skae.fitting.monitor.TrainingMonitor
        The fit's monitor, which knows about early stopping and the NaN guard.
    start : int, default=0
        Epochs already run by a resumed fit.
    callbacks : list of keras.callbacks.Callback, default=()
        The user's callbacks, among which a ``TimeBudget`` may end the fit.
    per_epoch : bool, default=True
        Show the progress of the epochs; False prints the final line only
        (Keras prints its own line per epoch).
    rows : tuple of (int, int or None), default=None
        The training and validation rows, named in the first line.
    corrupted : str, default=None
        The corruption of a denoising fit (``"gaussian noise 0.3"``), which
        the validation rows get too, as the first line says.
    """

    def __init__(
        self,
        epochs,
        monitor,
        *,
        start=0,
        callbacks=(),
        per_epoch=True,
        rows=None,
        corrupted=None,
    ):
        super().__init__()
        self.epochs = epochs
        self.monitor = monitor
        self.done = self.start = start
        self.callbacks = list(callbacks)
        self.per_epoch = per_epoch
        self.rows = rows
        self.corrupted = corrupted
        self.bar = None

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()
        # The first epoch, every ``every``-th and the last are printed: at most
        # MAX_LINES + 1 lines (the last is an every-th when there are
        # MAX_LINES of those).
        self.every = max(1, math.ceil((self.epochs - self.start) / MAX_LINES))
        if not self.per_epoch:
            return
        if draws_bar():
            self.bar = keras.utils.Progbar(self.epochs, unit_name="epoch")
            self.bar.update(self.done)
        else:
            print_line(self._first_line())

    def on_epoch_end(self, epoch, logs=None):
        self.done = epoch + 1
        logs = logs or {}
        if not self.per_epoch:
            return
        if self.bar is not None:
            values = [(key, float(value)) for key, value in logs.items()]
            # The last epoch's losses, not a running mean over epochs.
            self.bar.stateful_metrics = {key for key, _ in values}
            self.bar.update(self.done, values=values, finalize=False)
            return
        run = self.done - self.start
        last = self.model.stop_training or self.done == self.epochs
        if run == 1 or run % self.every == 0 or last:
            losses = "".join(
                f" - {key}: {_number(float(value))}" for key, value in logs.items()
            )
            print_line(
                f"Epoch {self.done}/{self.epochs}{losses}"
                f" - {_duration(time.perf_counter() - self._started)}"
            )

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.update(self.done, finalize=True)
        print_line(self._last_line())

    def _first_line(self):
        verb = f"Resuming after epoch {self.start} of" if self.start else "Training"
        line = f"{verb} up to {self.epochs} epochs"
        if self.rows is not None:
            n_train, n_val = self.rows
            line += f" on {n_train} rows"
            if n_val:
                line += f", validating on {n_val}"
                if self.corrupted:
                    line += (
                        f" with the same {self.corrupted} (val_loss: restoring them)"
                    )
        return f"{line}."

    def _last_line(self):
        """What ended the fit and which epoch's weights it kept."""
        monitor, last = self.monitor, self.done
        history = monitor.history
        key = "val_loss" if "val_loss" in history else "loss"
        budget = next(
            (
                c
                for c in self.callbacks
                if isinstance(c, TimeBudget) and c.stopped_epoch == last - 1
            ),
            None,
        )
        took = f" in {_duration(time.perf_counter() - self._started)}"
        if monitor.diverged_epoch is not None:
            kept = monitor.last_finite_epoch
            return (
                f"The NaN guard stopped training after epoch {last}: {key} "
                "became non-finite (NaN or inf); "
                + (
                    _kept(kept, key, history)
                    if kept is not None
                    else "kept the weights from before training."
                )
            )
        if monitor.early_stopping:
            # The monitor restores the lowest loss, also after a time budget.
            kept = monitor.lowest_epoch
        elif budget is not None and budget.best_epoch is not None:
            kept = budget.best_epoch
        else:
            kept = last - 1
        if monitor.stopped_early:
            return (
                f"Early stopping after epoch {last}: {key} did not improve by "
                f"tol={monitor.tol:g} (relative) for {monitor.n_iter_no_change} "
                f"epochs; {_kept(kept, key, history)}"
            )
        if budget is not None:
            return (
                f"The time budget of {budget.seconds:g}s ended training "
                f"after epoch {last}{took}; {_kept(kept, key, history)}"
            )
        if last < self.epochs:
            return (
                f"A callback stopped training after epoch {last}{took}; "
                f"{_kept(kept, key, history)}"
            )
        return f"Ran all {self.epochs} epochs{took}; {_kept(kept, key, history)}"


def _kept(epoch, key, history):
    """``kept the weights of epoch 33 (val_loss 0.0123).``; 0-based ``epoch``."""
    if epoch is None:  # resumed from a backup that did not record it
        return f"kept the weights of the epoch with the lowest {key}."
    values = history.get(key, [])
    loss = f" ({key} {_number(values[epoch])})" if epoch < len(values) else ""
    return f"kept the weights of epoch {epoch + 1}{loss}."


def _number(value):
    """A loss as Keras's progress bar prints it, huge ones too."""
    return f"{value:.4f}" if 1e-3 < abs(value) < 1e5 else f"{value:.4e}"


def _duration(seconds):
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
