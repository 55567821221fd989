"""Where ``transform`` runs: a NumPy forward pass over a Keras model's exported weights.

Calling a Keras model costs milliseconds of framework overhead per call, which
dominates when a Pipeline transforms one row at a time, and its float32 results
shift visibly (about 1e-7 relative) with the batch a row is computed in. So after
``fit`` each Keras model is compiled once into a :class:`ForwardPlan`: a list of
NumPy steps holding a copy of the weights. A plan runs in the input's floating
dtype (float32 or float64), so float64 input gets float64 arithmetic and results
that agree to a few ulps whatever else is in the batch, and it works in chunks of
rows so that memory stays bounded. Layers the plan does not know are run by Keras
itself on float32 chunks, so any model still works.
"""

import numpy as np
from scipy import special

# Rows per chunk are chosen so that one chunk's widest activation takes about this
# many bytes; it bounds the working set of ``transform`` on arbitrarily many rows.
CHUNK_BYTES = 16 * 2**20


def _leaky_relu(x):
    # Keras's default negative slope for the "leaky_relu" activation.
    return np.where(x >= 0, x, 0.2 * x)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "gelu": lambda x: 0.5 * x * (1.0 + special.erf(x / np.sqrt(2.0))),
    "silu": lambda x: x * special.expit(x),
    "tanh": np.tanh,
    "sigmoid": special.expit,
    "softplus": lambda x: np.logaddexp(0, x),
}


class _Unsupported(Exception):
    """Raised while compiling a plan for a layer the NumPy engine cannot run."""


def _to_numpy(variable):
    import keras

    return np.array(keras.ops.convert_to_numpy(variable), dtype=np.float64)


def _activation_step(activation):
    import keras

    name = keras.activations.serialize(activation)
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise _Unsupported(name)
    return ACTIVATIONS[name]


def _layer_steps(layer):
    """Translate one Keras layer into NumPy steps ``(fn, weights)``."""
    kind = type(layer).__name__
    if kind == "InputLayer" or kind in {
        "Dropout",
        "GaussianNoise",
        "GaussianDropout",
        "AlphaDropout",
        "ActivityRegularization",
    }:
        return []  # identities at inference time
    if kind == "Dense":
        weights = {"kernel": _to_numpy(layer.kernel)}
        if layer.bias is not None:
            weights["bias"] = _to_numpy(layer.bias)
        steps = [("dense", weights)]
        act = _activation_step(layer.activation)
        if act is not ACTIVATIONS["linear"]:
            steps.append(("activation", act))
        return steps
    if kind == "Activation":
        return [("activation", _activation_step(layer.activation))]
    if kind == "BatchNormalization":
        if layer.axis not in (-1, len(layer.input.shape) - 1):
            raise _Unsupported(kind)
        mean = _to_numpy(layer.moving_mean)
        var = _to_numpy(layer.moving_variance)
        scale = 1.0 / np.sqrt(var + layer.epsilon)
        if layer.gamma is not None:
            scale = scale * _to_numpy(layer.gamma)
        shift = -mean * scale
        if layer.beta is not None:
            shift = shift + _to_numpy(layer.beta)
        return [("affine", {"scale": scale, "shift": shift})]
    raise _Unsupported(kind)


def _compile_steps(model):
    """Return the NumPy steps of ``model``, or None when Keras must run it.

    Only ``keras.Sequential`` models are translated: their layers form a chain,
    so running them one after the other is the model. Any other model (a
    functional graph, a subclassed model) runs in Keras.
    """
    import keras

    if not isinstance(model, keras.Sequential):
        return None
    try:
        return [step for layer in model.layers for step in _layer_steps(layer)]
    except _Unsupported:
        return None


class ForwardPlan:
    """A compiled, read-only forward pass of one Keras model.

    Parameters
    ----------
    model : keras.Model
        A built model taking 2-d float inputs. Sequential models made of the
        layers listed in ``_layer_steps`` run in NumPy; anything else runs in
        Keras.
    """

    def __init__(self, model):
        self.n_inputs = int(model.input_shape[-1])
        self.n_outputs = int(model.output_shape[-1])
        self._model = model
        self._steps = _compile_steps(model)
        widths = [self.n_inputs, self.n_outputs]
        for kind, params in self._steps or []:
            if kind == "dense":
                widths.append(params["kernel"].shape[1])
        self._width = max(widths)
        # Weights cast once per dtype, so a one-row call does no conversion work.
        self._cast = {}

    @property
    def uses_numpy(self):
        """Whether this plan runs without calling Keras."""
        return self._steps is not None

    def _steps_for(self, dtype):
        dtype = np.dtype(dtype)
        steps = self._cast.get(dtype)
        if steps is None:
            steps = []
            for kind, params in self._steps:
                if isinstance(params, dict):
                    params = {k: v.astype(dtype, copy=False) for k, v in params.items()}
                steps.append((kind, params))
            self._cast[dtype] = steps
        return steps

    def _run_numpy(self, x, dtype):
        for kind, params in self._steps_for(dtype):
            if kind == "dense":
                x = x @ params["kernel"]
                if "bias" in params:
                    x += params["bias"]
            elif kind == "affine":
                x = x * params["scale"] + params["shift"]
            else:
                x = params(x)
        return x

    def _run_keras(self, x):
        import keras

        out = self._model(x.astype(np.float32, copy=False), training=False)
        return keras.ops.convert_to_numpy(out)

    def __call__(self, X, dtype=np.float64):
        """Return the model's output for the rows of ``X`` as an array of ``dtype``."""
        n = X.shape[0]
        out = np.empty((n, self.n_outputs), dtype=dtype)
        itemsize = np.dtype(dtype).itemsize
        chunk = max(1, CHUNK_BYTES // (itemsize * self._width))
        for start in range(0, n, chunk):
            x = np.asarray(X[start : start + chunk], dtype=dtype)
            if self._steps is not None:
                out[start : start + chunk] = self._run_numpy(x, dtype)
            else:
                out[start : start + chunk] = self._run_keras(x)
        return out
