"""The validation loss of an ordered code: the mean loss over its prefixes.

Nested dropout trains every prefix of the code; the full code's validation loss
alone would miss what the fit is for. Worse, from the PCA start, where the full
code is already good, it first rises while the short prefixes improve, and
early stopping would then keep the starting weights. :class:`PrefixValidation`
replaces ``val_loss`` by the mean of the validation loss of the prefixes of 1,
2, 4, ... units and of the whole code: the octaves the training draws equally
often.
"""

import keras
import numpy as np


def prefix_sizes(n_components):
    """1, 2, 4, ... below ``n_components``, then ``n_components``."""
    sizes = [2**i for i in range(int(np.log2(n_components)) + 1)]
    return sorted({*sizes, n_components} - {0})


class PrefixValidation(keras.callbacks.Callback):
    """Keras callback that sets ``val_loss`` to the mean loss over code prefixes.

    It replaces Keras's own validation pass: ``fit`` gets no validation data.

    Parameters
    ----------
    encoder, decoder : keras.Model
        The autoencoder's halves; the code is the encoder's output.
    validation : tf.data.Dataset
        ``(x, target)`` batches of the validation rows.
    loss : str
        The training loss's name.
    """

    def __init__(self, encoder, decoder, validation, loss):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.validation = validation
        self.loss = keras.losses.get(loss)
        width = encoder.output_shape[-1]
        units = np.arange(1, width + 1)
        self.masks = [
            (units <= k).astype(np.float32)[None, :] for k in prefix_sizes(width)
        ]

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        total, rows = np.zeros(len(self.masks)), 0
        for x, target in self.validation:
            codes = self.encoder(x, training=False)
            for i, mask in enumerate(self.masks):
                # keras.ops, not NumPy's product: on PyTorch the eager call's
                # output requires grad, which NumPy cannot read.
                output = self.decoder(keras.ops.multiply(codes, mask), training=False)
                total[i] += float(keras.ops.sum(self.loss(target, output)))
            rows += int(x.shape[0])
        logs["val_loss"] = float(np.mean(total / rows))
