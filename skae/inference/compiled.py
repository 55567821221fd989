"""Any Keras model applied to rows through Keras's own compiled predict step.

Rows go to ``model.predict_on_batch`` in chunks of one fixed size, the last one
padded with zeros: every call runs the one compiled function (traced once, on
the CPU or an accelerator alike), a row's result does not depend on the rows
around it or on how many there are, and memory stays bounded whatever the
number of rows.
"""

import math
import threading

import numpy as np

from .._arrays import dense_rows

# Rows per chunk are chosen so that the widest activation of a chunk takes about
# this many bytes, between MIN_CHUNK_ROWS and MAX_CHUNK_ROWS rows.
CHUNK_BYTES = 16 * 2**20
MIN_CHUNK_ROWS = 16
MAX_CHUNK_ROWS = 1024


def widest_row(model):
    """Values per row of the widest activation of ``model``, as far as known.

    The outputs of its layers, and the output width of every kernel (layers
    nested in others, such as skae's ``Residual``, have no output of their own).
    """
    widths = [math.prod(model.input_shape[1:]), math.prod(model.output_shape[1:])]
    for layer in model.layers:
        try:
            widths.append(math.prod(layer.output.shape[1:]))
        except (AttributeError, ValueError, TypeError):
            # A layer called more than once: its size is unknown.
            continue
    widths.extend(int(w.shape[-1]) for w in model.weights if len(w.shape) >= 2)
    return max(widths)


class CompiledPass:
    """``model`` applied to rows on Keras's compiled predict step.

    Parameters
    ----------
    model : keras.Model
        A built model mapping ``(batch, *input_shape)`` float32 inputs to
        ``(batch, *output_shape)`` outputs.
    """

    def __init__(self, model):
        self.model = model
        self.width = widest_row(model)
        rows = CHUNK_BYTES // (4 * self.width)
        self.chunk_rows = int(np.clip(rows, MIN_CHUNK_ROWS, MAX_CHUNK_ROWS))
        self._output_shape = tuple(int(s) for s in model.output_shape[1:])
        # Keras builds its predict function on the first call; threads that
        # start at once wait for that instead of building one each.
        self._first_call = threading.Lock()
        self._called = False

    def __call__(self, X, dtype=np.float64):
        """Return the model's output for the rows of ``X`` as ``dtype``."""
        n, chunk = X.shape[0], self.chunk_rows
        out = np.empty((n, *self._output_shape), dtype=dtype)
        for start in range(0, n, chunk):
            x = dense_rows(X[start : start + chunk], np.float32)
            size = len(x)
            if size < chunk:
                x = np.concatenate([x, np.zeros((chunk - size, *x.shape[1:]), x.dtype)])
            out[start : start + size] = self._predict(x)[:size]
        return out

    def _predict(self, x):
        if self._called:
            return self.model.predict_on_batch(x)
        with self._first_call:
            result = self.model.predict_on_batch(x)
            self._called = True
        return result
