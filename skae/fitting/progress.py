"""One progress bar over a whole fit, for ``verbose=1``."""

import keras


class FitProgress(keras.callbacks.Callback):
    """Show one bar for the fit: epochs done, the last losses, time left.

    Keras's own ``verbose=1`` draws a bar per epoch, which for the hundreds of
    short epochs of a typical fit scrolls away what matters: how far the fit
    has come and how long it has left. This bar advances once per epoch,
    towards the epoch cap; an early stop ends it where it is.

    Parameters
    ----------
    epochs : int
        The epoch cap of the fit.
    start : int, default=0
        Epochs already run by a resumed fit.
    """

    def __init__(self, epochs, start=0):
        super().__init__()
        self.epochs = epochs
        self.done = start

    def on_train_begin(self, logs=None):
        self.bar = keras.utils.Progbar(self.epochs, unit_name="epoch")
        self.bar.update(self.done)

    def on_epoch_end(self, epoch, logs=None):
        self.done = epoch + 1
        values = [(key, float(value)) for key, value in (logs or {}).items()]
        # The last epoch's losses, not a running mean over epochs.
        self.bar.stateful_metrics = {key for key, _ in values}
        self.bar.update(self.done, values=values, finalize=False)

    def on_train_end(self, logs=None):
        self.bar.update(self.done, finalize=True)
