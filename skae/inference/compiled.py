"""Any Keras model applied to rows through Keras's own compiled predict step.

Rows go to ``model.predict_on_batch`` in chunks of at most ``chunk_rows`` rows,
the largest size that keeps the widest activation near ``CHUNK_BYTES``: as many
full chunks as fit, then one chunk for the rest. On TensorFlow that last chunk
holds exactly the rows left (one trace, made for any number of rows, serves
every chunk); on other backends, which compile once per shape, it is padded
with zeros to ``MIN_CHUNK_ROWS`` times a power of two, so that only a few
shapes are ever compiled. A chunk of fewer rows than ``MIN_CHUNK_ROWS`` is
padded to that size on every backend: a few rows then cost what they need,
not a whole large chunk, and memory stays bounded whatever the number of
rows.

A row's result does not depend on the rows around it or on how many there
are, beyond float32's last bits: Keras's CPU kernels pick their code by the
batch's size and a row's position in it, so a row's last bits can differ
between calls (``tests/test_inference.py`` checks dense, convolutional and
recurrent layers to float32's precision).

On TensorFlow that trace is made ahead of the first call, through
``get_concrete_function``. Every Keras model's predict function wraps the same
Python code, and TensorFlow counts the traces of all of them together: traced
on their first calls, the predict functions of a few fitted estimators (each
called a few times) would set off its warning about "excessive retracing",
though none of them ever traces twice.
"""

import math
import threading

import keras
import numpy as np

from .._arrays import dense_rows

# Rows per chunk are chosen so that the widest activation of a chunk takes about
# this many bytes, between MIN_CHUNK_ROWS and MAX_CHUNK_ROWS rows. Larger
# chunks are faster up to about 2,000 to 4,096 rows for every model family skae
# builds (over 10,000 Fashion-MNIST rows: 10% to 25% against 1,024 rows; the
# convolutional decoder 4% faster in 2,672-row chunks than in 668-row ones).
CHUNK_BYTES = 64 * 2**20
MIN_CHUNK_ROWS = 16
MAX_CHUNK_ROWS = 4096


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
        # TensorFlow runs one trace on chunks of any size; other backends
        # compile each shape, so the last chunk is padded to one of a few.
        self.any_size = keras.config.backend() == "tensorflow"
        self._output_shape = tuple(int(s) for s in model.output_shape[1:])
        # Keras builds its predict function on the first call; threads that
        # start at once wait for that instead of building one each.
        self._first_call = threading.Lock()
        # The predict function traced for the chunks; a new one where Keras
        # made another (the user compiled the model).
        self._traced = None

    def __call__(self, X, dtype=np.float64):
        """Return the model's output for the rows of ``X`` as ``dtype``."""
        out = np.empty((X.shape[0], *self._output_shape), dtype=dtype)
        for start, stop, chunk in self.chunks(X.shape[0]):
            x = dense_rows(X[start:stop], np.float32)
            size = len(x)
            if size < chunk:
                x = np.concatenate([x, np.zeros((chunk - size, *x.shape[1:]), x.dtype)])
            out[start:stop] = self._predict(x)[:size]
        return out

    def chunks(self, n):
        """``(start, stop, rows)`` of each call for ``n`` rows: rows
        ``start:stop``, padded to ``rows`` rows."""
        start = 0
        while n - start > self.chunk_rows:
            yield start, start + self.chunk_rows, self.chunk_rows
            start += self.chunk_rows
        if start < n:
            yield start, n, self.padded_rows(n - start)

    def padded_rows(self, n):
        """The rows of the call that holds the last ``n`` rows."""
        if self.any_size:
            return max(n, MIN_CHUNK_ROWS)
        rows = MIN_CHUNK_ROWS
        while rows < n:
            rows *= 2
        return min(rows, self.chunk_rows)

    def _predict(self, x):
        if not self._is_traced():
            with self._first_call:
                if not self._is_traced():
                    self._traced = traced_predict_function(self.model, x)
        return self.model.predict_on_batch(x)

    def _is_traced(self):
        function = self.model.predict_function
        return function is not None and function is self._traced


def traced_predict_function(model, x):
    """Build ``model``'s predict function, traced for batches of any number of
    rows shaped as those of ``x``.

    On TensorFlow the trace is made by ``get_concrete_function``, which
    TensorFlow leaves out of its count of retracings; ``predict_on_batch`` then
    finds it made, for every chunk. Other backends compile on the first call of
    each shape as usual.
    """
    model.make_predict_function()
    function = model.predict_function
    if hasattr(function, "get_concrete_function"):
        import tensorflow as tf

        # The structure predict_on_batch passes: a list of one (x,) batch.
        spec = tf.TensorSpec((None, *x.shape[1:]), x.dtype)
        function.get_concrete_function([(spec,)])
    return function
