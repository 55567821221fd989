"""What watches every epoch: early stopping, the NaN guard, and their backup.

:class:`TrainingMonitor` implements early stopping with a relative tolerance,
restores the best weights, and stops on a non-finite loss, restoring the last
finite weights and warning about it. With a ``keras.callbacks.BackupAndRestore``
among the callbacks it backs up its own state beside Keras's (which holds only
the weights, the optimizer and the epoch), so that a killed fit resumes exactly
where it stopped.
"""

import io
import json
import os
import warnings

import keras
import numpy as np
import tensorflow as tf


class TrainingMonitor(keras.callbacks.Callback):
    """Keras callback that watches every epoch of a fit.

    The epoch that ends training (the last one, or one after which training
    stops) ends with the fit's final weights in place: the best epoch's with
    early stopping, the last finite epoch's after a non-finite loss. A backup
    taken after that epoch therefore holds the fit's result.

    Parameters
    ----------
    early_stopping : bool
        Stop when the monitored loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the epoch with
        the lowest monitored loss.
    n_iter_no_change : int
    tol : float
        An epoch improves when its loss is below ``best - tol * |best|``.
    backup_dir : str, default=None
        A ``keras.callbacks.BackupAndRestore``'s directory. After every epoch
        the monitor saves there its state and that of the model's random
        generators (dropout, sampling), which Keras's backup leaves out.
    start : int, default=0
        The number of epochs a resumed fit has run before; the monitor goes on
        from the state it saved in ``backup_dir`` after them.
    plateau_patience : int, default=None
        Halve the optimizer's learning rate whenever the monitored loss has
        not improved by ``plateau_tol`` for this many epochs (counted again
        after each halving); None never changes it.
    plateau_tol : float, default=None
        An epoch ends a plateau when its loss is below ``plateau_best -
        plateau_tol * |plateau_best|``, ``plateau_best`` being the loss that
        ended the last one (or the lowest at the last halving). None: ``tol``.
    plateau_warmup : int, default=0
        The number of first epochs that ``plateau_patience`` does not count:
        the rate is never halved in them.

    Attributes
    ----------
    history : dict of lists of float
        The logs of every epoch since the fit began, also when it resumed.
    finished : bool
        Whether the final weights are in place: a fit resumed after that runs
        no more epochs.
    lowest_epoch : int or None
        The (0-based) epoch of the lowest monitored loss, whose weights early
        stopping restores.
    """

    # What the monitor knows of the fit besides weights, backed up as JSON.
    _STATE = (
        "history",
        "best",
        "lowest",
        "lowest_epoch",
        "best_epoch",
        "wait",
        "last_finite_epoch",
        "diverged_epoch",
        "finished",
        "plateau_wait",
        "plateau_best",
    )

    def __init__(
        self,
        early_stopping,
        n_iter_no_change,
        tol,
        *,
        backup_dir=None,
        start=0,
        plateau_patience=None,
        plateau_warmup=0,
        plateau_tol=None,
    ):
        super().__init__()
        self.plateau_patience = plateau_patience
        self.plateau_warmup = plateau_warmup
        self.plateau_tol = tol if plateau_tol is None else plateau_tol
        self.plateau_wait = 0
        self.plateau_best = np.inf
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.backup_dir = backup_dir
        self.start = start
        self.history = {}
        self.best = self.lowest = np.inf
        self.best_epoch = self.last_finite_epoch = self.diverged_epoch = None
        self.lowest_epoch = None
        self.wait = 0
        self.finished = False
        self.best_weights = self.last_finite_weights = self.random_states = None
        if start:
            self._restore(start)

    def on_train_begin(self, logs=None):
        if not self.start:
            self.last_finite_weights = self.model.get_weights()
            return
        # Keras's backup has restored the weights, but not the generators.
        random_states = _random_states(self.model)
        for variable, value in zip(random_states, self.random_states, strict=True):
            variable.assign(value)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self._watch(epoch, logs)
        if self.model.stop_training or epoch + 1 == self.params["epochs"]:
            self._finish()
        if self.backup_dir is not None:
            self._back_up(epoch + 1)

    def on_train_end(self, logs=None):
        if self.diverged_epoch is None:
            return
        restored = self.last_finite_epoch
        where = (
            f"the weights of epoch {restored + 1}"
            if restored is not None
            else "the weights from before training"
        )
        warnings.warn(
            f"The training loss became non-finite (NaN or inf) at epoch "
            f"{self.diverged_epoch + 1}; training stopped and {where} were "
            "restored. Lower learning_rate or scale the input.",
            RuntimeWarning,
            stacklevel=2,
        )

    def _watch(self, epoch, logs):
        """Update the early stopping and the NaN guard with an epoch's logs."""
        losses = [logs[k] for k in ("loss", "val_loss") if k in logs]
        if not all(np.isfinite(v) for v in losses):
            self.diverged_epoch = epoch
            self.model.stop_training = True
            return
        self.last_finite_weights = self.model.get_weights()
        self.last_finite_epoch = epoch
        current = float(logs.get("val_loss", logs.get("loss")))
        if current < self.lowest:
            # Restore the lowest loss seen, even when the gain is below ``tol``.
            self.lowest, self.lowest_epoch = current, epoch
            if self.early_stopping:
                self.best_weights = self.last_finite_weights
        if _improves(current, self.best, self.tol):
            self.best, self.best_epoch, self.wait = current, epoch, 0
        else:
            self.wait += 1
            if self.early_stopping and self.wait >= self.n_iter_no_change:
                self.model.stop_training = True
                return
        if self.plateau_patience:
            self._watch_plateau(epoch, current)

    def _watch_plateau(self, epoch, current):
        """Count the epochs of a plateau; halve the rate when it lasts."""
        if _improves(current, self.plateau_best, self.plateau_tol):
            self.plateau_best, self.plateau_wait = current, 0
            return
        if epoch >= self.plateau_warmup:
            self.plateau_wait += 1
        if self.plateau_wait >= self.plateau_patience:
            self._halve_learning_rate()

    @property
    def stopped_early(self):
        """Whether early stopping ended the fit (rather than the epoch cap)."""
        return (
            self.early_stopping
            and self.diverged_epoch is None
            and self.wait >= self.n_iter_no_change
        )

    def _halve_learning_rate(self):
        """Halve the learning rate, where it is a number rather than a schedule;
        the next plateau ends with an improvement on the lowest loss so far."""
        self.plateau_wait = 0
        self.plateau_best = self.lowest
        learning_rate = learning_rate_variable(self.model)
        if learning_rate is not None:
            learning_rate.assign(learning_rate * 0.5)

    def _finish(self):
        """Put the final weights in place, before anything backs them up."""
        if self.diverged_epoch is not None:
            self.model.set_weights(self.last_finite_weights)
        elif self.early_stopping and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        self.finished = True

    def _state_path(self, epochs_done):
        return os.path.join(self.backup_dir, f"skae_state_{epochs_done}.npz")

    def _back_up(self, epochs_done):
        """Save the state after ``epochs_done`` epochs, keeping the one before.

        Keras backs up the model just after (the monitor precedes its
        callback), so a kill in between leaves Keras's backup an epoch behind;
        it then resumes from the state before. The file is written whole and
        renamed, so a kill leaves either state complete.
        """
        arrays = {
            "last_finite_weights": self.last_finite_weights,
            "best_weights": self.best_weights or [],
            "random_states": [v.numpy() for v in _random_states(self.model)],
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            state=json.dumps({name: getattr(self, name) for name in self._STATE}),
            **{
                f"{name}.{i}": value
                for name, values in arrays.items()
                for i, value in enumerate(values)
            },
        )
        path = self._state_path(epochs_done)
        tf.io.gfile.makedirs(self.backup_dir)
        with tf.io.gfile.GFile(f"{path}.tmp", "wb") as f:
            f.write(buffer.getvalue())
        tf.io.gfile.rename(f"{path}.tmp", path, overwrite=True)
        stale = self._state_path(epochs_done - 2)
        if tf.io.gfile.exists(stale):
            tf.io.gfile.remove(stale)

    def _restore(self, epochs_done):
        path = self._state_path(epochs_done)
        if not tf.io.gfile.exists(path):
            raise ValueError(
                f"The backup in {os.fspath(self.backup_dir)!r} resumes a fit "
                f"after epoch {epochs_done}, but holds no skae state for that "
                "epoch: it was not made by a skae fit. Remove the directory, or "
                "pass another backup_dir to BackupAndRestore, to start a new fit."
            )
        with tf.io.gfile.GFile(path, "rb") as f:
            data = np.load(io.BytesIO(f.read()), allow_pickle=False)
        state = json.loads(data["state"].item())
        for name in self._STATE:
            # A backup from before a setting existed resumes with its default.
            setattr(self, name, state.get(name, getattr(self, name)))

        def arrays(name):
            n = sum(key.startswith(f"{name}.") for key in data.files)
            return [data[f"{name}.{i}"] for i in range(n)]

        self.last_finite_weights = arrays("last_finite_weights")
        self.best_weights = arrays("best_weights") or None
        self.random_states = arrays("random_states")


def _improves(current, reference, tol):
    """Whether a loss of ``current`` improves on ``reference`` by more than
    ``tol`` of it; any loss does where there is no reference yet (infinite)."""
    return not np.isfinite(reference) or current < reference - tol * abs(reference)


def learning_rate_variable(model):
    """The variable holding ``model``'s optimizer's learning rate, or None.

    None when the model is not compiled or the rate is a Keras
    ``LearningRateSchedule``, which nothing outside the optimizer changes.
    """
    optimizer = getattr(model, "optimizer", None)
    learning_rate = getattr(optimizer, "_learning_rate", None)
    return learning_rate if isinstance(learning_rate, keras.Variable) else None


def _random_states(model):
    """The variables of ``model`` beyond its weights: its random generators'.

    Dropout and sampling layers draw from these; ``get_weights`` and Keras's
    backup leave them out.
    """
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]
