"""Callbacks and checks for the tests of fits (test_training.py,
test_averaging.py): weights recorded after every epoch, a fit interrupted and
resumed from a backup.

A resumed fit must end where an uninterrupted one ends, bit for bit: the
weights, the history and the number of epochs.
"""

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal


class PoisonAt(keras.callbacks.Callback):
    """Record the weights after every epoch; make them NaN as epoch ``at`` begins."""

    def __init__(self, at):
        super().__init__()
        self.at = at
        self.after_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            self.model.set_weights(
                [np.full_like(w, np.nan) for w in self.model.get_weights()]
            )

    def on_epoch_end(self, epoch, logs=None):
        self.after_epoch.append(self.model.get_weights())

    def on_train_end(self, logs=None):
        self.at_train_end = self.model.get_weights()


class InterruptAtEpoch(keras.callbacks.Callback):
    """Raise KeyboardInterrupt as epoch ``at`` begins, as Ctrl-C would."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


def interrupted_then_resumed(make, X, backup_dir):
    """Fit ``make(callbacks)`` on ``X`` until it is interrupted at its third
    epoch, backed up in ``backup_dir``; return a new one resumed from there."""
    stop = [InterruptAtEpoch(2), keras.callbacks.BackupAndRestore(backup_dir)]
    with pytest.raises(KeyboardInterrupt):
        make(stop).fit(X)
    return make([keras.callbacks.BackupAndRestore(backup_dir)]).fit(X)


def assert_same_fit(est, expected):
    for weight, expected_weight in zip(
        est.model_.get_weights(), expected.model_.get_weights(), strict=True
    ):
        assert_array_equal(weight, expected_weight)
    assert est.history_ == expected.history_
    assert est.n_iter_ == expected.n_iter_
