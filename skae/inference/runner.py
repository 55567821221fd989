"""The fitted Keras models, and the one place that decides how they run on rows.

The Keras models are the fitted state. A :class:`ModelRunner` applies one of them
to rows: a few rows through a dense stack skae builds run in NumPy, where
Keras's per-call overhead would cost more than the arithmetic; everything else
runs on Keras's compiled call. The NumPy pass holds a copy of the weights, a
cache that must never disagree with the model: it is taken when first needed,
checked against Keras on a probe batch, and dropped for good once the models are
handed out (``encoder_``, ``decoder_``, ``model_``), since whoever holds them may
change their weights.
"""

import threading
import warnings

import numpy as np

from .._arrays import dense_rows
from .compiled import CompiledPass
from .numpy_pass import cast_steps, dense_steps, forward, only_cheap_steps

# Up to this many rows, a dense stack runs in NumPy: Keras's compiled call has a
# fixed cost per call and computes a whole padded chunk. Above it, Keras is as
# fast or faster on float64 rows (it computes in float32, and its kernels use
# every core); see the "inference crossover" table of
# benchmarks/bench_speed.py.
NUMPY_MAX_ROWS = 256
# Float32 rows through a stack of matrix products, ReLUs and sigmoids run in
# NumPy whatever their number, in chunks: NumPy's float32 product runs at the
# machine's peak without the copies into and out of tensors that Keras's call
# makes, and its float32 exponential is vectorised; about 1.5x to 2x faster on
# 10,000 Fashion-MNIST rows (the "inference" table of
# benchmarks/bench_speed.py).
NUMPY_ANY_ROWS_DTYPE = np.dtype(np.float32)
# Rows per chunk of that NumPy pass (fewer where the compiled pass's chunks are
# smaller): a chunk's activations then stay in the cache between steps. Over
# 10,000 Fashion-MNIST rows, 1,024-row chunks were 10% to 20% faster than
# 4,096-row ones for inverse transforms, and as fast for transforms.
NUMPY_CHUNK_ROWS = 1024
# How closely the NumPy pass must agree with Keras on the probe batch.
PROBE_RTOL, PROBE_ATOL = 1e-4, 1e-5


class ModelRunner:
    """Apply one fitted Keras model to rows.

    Parameters
    ----------
    model : keras.Model
        A built model taking ``(batch, n_features)`` float inputs.
    """

    def __init__(self, model):
        self.model = model
        self.compiled = CompiledPass(model)
        self.handed_out = False
        # None until first needed; then {dtype: steps} (None: the float64
        # originals), or False where Keras runs the model.
        self._steps = None
        self._lock = threading.Lock()

    @property
    def width(self):
        """Values per row of the widest array a pass holds."""
        return self.compiled.width

    def __call__(self, X, dtype=np.float64):
        """Return the model's output for the rows of ``X``, as ``dtype``."""
        dtype = np.dtype(dtype)
        if self.handed_out:
            return self.compiled(X, dtype)
        if X.shape[0] <= NUMPY_MAX_ROWS:
            steps = self._numpy_steps(dtype)
            if steps is not None:
                return forward(steps, dense_rows(X, dtype))
        elif dtype == NUMPY_ANY_ROWS_DTYPE:
            steps = self._numpy_steps(dtype)
            if steps is not None and only_cheap_steps(steps):
                return self._numpy_chunks(steps, X, dtype)
        return self.compiled(X, dtype)

    def _numpy_chunks(self, steps, X, dtype):
        """The NumPy pass over chunks of rows, which bound its memory."""
        chunk = min(self.compiled.chunk_rows, NUMPY_CHUNK_ROWS)
        first = forward(steps, dense_rows(X[:chunk], dtype))
        out = np.empty((X.shape[0], *first.shape[1:]), dtype)
        out[:chunk] = first
        for start in range(chunk, X.shape[0], chunk):
            out[start : start + chunk] = forward(
                steps, dense_rows(X[start : start + chunk], dtype)
            )
        return out

    def hand_out(self):
        """The model is out of skae's hands: from now on only Keras runs it."""
        self.handed_out = True
        self._steps = False

    def _numpy_steps(self, dtype):
        """The NumPy steps cast to ``dtype``, or None where Keras must run."""
        if self._steps is None:
            with self._lock:
                if self._steps is None:
                    steps = dense_steps(self.model)
                    usable = steps is not None and self._agrees(steps)
                    self._steps = {None: steps} if usable else False
        if not self._steps:
            return None
        steps = self._steps.get(dtype)
        if steps is None:
            steps = self._steps[dtype] = cast_steps(self._steps[None], dtype)
        return steps

    def _agrees(self, steps):
        """Whether the NumPy pass gives what Keras gives, on a probe batch."""
        probe = np.random.default_rng(0).standard_normal((4, self.model.input_shape[1]))
        expected = self.compiled(probe, np.float64)
        got = forward(steps, probe)
        if np.allclose(got, expected, rtol=PROBE_RTOL, atol=PROBE_ATOL):
            return True
        warnings.warn(
            f"skae's NumPy pass disagrees with Keras on the model {self.model.name!r} "
            f"(largest difference {np.max(np.abs(got - expected)):.3g}); Keras runs "
            "it instead. Please report this.",
            RuntimeWarning,
            stacklevel=4,
        )
        return False


class FittedModels:
    """An estimator's fitted Keras models and the runners that apply them.

    Parameters
    ----------
    model : keras.Model
        ``decoder(encoder(inputs))``.
    encoder, decoder : keras.Model
        The two halves of ``model``, sharing its weights.
    """

    def __init__(self, model, encoder, decoder):
        self.model = model
        self.encoder, self.decoder = encoder, decoder
        self.encode = ModelRunner(self.encoder)
        self.decode = ModelRunner(self.decoder)

    def hand_out(self):
        """Hand the models out: their weights may change behind skae's back."""
        self.encode.hand_out()
        self.decode.hand_out()
        return self
