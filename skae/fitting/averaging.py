"""Moving averages of the weights: where a fit judges and keeps them.

A Keras optimizer made with ``use_ema=True`` keeps an exponential moving
average of every trainable weight beside the weights it trains. Averaged
weights reconstruct held-out rows better than the last step's (the average
smooths the noise of the steps), so a fit with such an optimizer is judged by
them: :class:`AveragedWeights` puts the averages in the model for Keras's
validation pass and for every callback at the end of an epoch (the held-out
loss that early stopping and the plateau schedule watch, the weights that
early stopping keeps), and :class:`TrainedWeights`, placed after the
monitor, puts the trained weights back before the next epoch and before a
backup is taken, so that training goes on from them and a resumed fit finds
both where an uninterrupted one has them. After the epoch that ends the fit,
it leaves the final weights in the model and makes them the averages too:
Keras's ``fit`` ends by overwriting the weights with the averages, which
would otherwise undo the best epoch that early stopping restored.

Keras's own ``keras.callbacks.SwapEMAWeights`` swaps in the same way, but its
swapped state at the end of an epoch is what a backup would save, and it
leaves Keras's final overwrite to undo early stopping's restore.
"""

import keras


def uses_averages(model):
    """Whether ``model``'s optimizer keeps moving averages of its weights."""
    return bool(getattr(getattr(model, "optimizer", None), "use_ema", False))


def _pairs(optimizer):
    # The optimizer keeps the averages beside the variables it trains, in the
    # same order (Keras's own SwapEMAWeights reads the same two attributes).
    return [
        (variable, average)
        for variable, average in zip(
            optimizer._trainable_variables,
            optimizer._model_variables_moving_average,
            strict=True,
        )
        if average is not None
    ]


class AveragedWeights(keras.callbacks.Callback):
    """Keras callback: the averaged weights in the model wherever a fit
    judges it (validation, and every callback at the end of an epoch).

    Place it before every callback that reads the model at the end of an
    epoch; :class:`TrainedWeights` puts the trained weights back.
    """

    def __init__(self):
        super().__init__()
        self.averages_in_model = False

    def swap(self):
        """Exchange the weights and their averages."""
        for variable, average in _pairs(self.model.optimizer):
            trained = keras.ops.convert_to_numpy(variable)
            variable.assign(average)
            average.assign(trained)
        self.averages_in_model = not self.averages_in_model

    def on_test_begin(self, logs=None):
        if not self.averages_in_model:
            self.swap()

    def on_epoch_end(self, epoch, logs=None):
        if not self.averages_in_model:
            self.swap()


class TrainedWeights(keras.callbacks.Callback):
    """Keras callback: the trained weights back in the model after an epoch
    that :class:`AveragedWeights` judged, unless it ends the fit.

    Place it after the callbacks that judge the epoch and before
    ``keras.callbacks.BackupAndRestore``.

    Parameters
    ----------
    averaged : AveragedWeights
    monitor : skae.fitting.monitor.TrainingMonitor
        Whose ``finished`` says that the final weights are in place.
    """

    def __init__(self, averaged, monitor):
        super().__init__()
        self.averaged = averaged
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs=None):
        # AveragedWeights has put the averages in at the end of every epoch.
        if not self.monitor.finished:
            self.averaged.swap()
            return
        # The fit ends with the model's weights as they are (the best
        # epoch's, with early stopping); Keras then copies the averages into
        # the weights, which must change nothing. Training after this
        # (partial_fit, a warm start) averages on from these weights.
        for variable, average in _pairs(self.model.optimizer):
            average.assign(variable)
        self.averaged.averages_in_model = False
