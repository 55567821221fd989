"""A NumPy forward pass for the dense stacks skae builds itself.

Calling a Keras model costs about a millisecond of framework overhead, more than
the arithmetic of a few rows through a dense network, and more than PCA takes
for a row. So, as scikit-learn's ``MLPRegressor._forward_pass_fast`` does, a
few rows through a ``keras.Sequential`` of ``Dense``, ``Activation``,
``BatchNormalization``, dropout and noise layers (identities at inference)
and skae's ``Residual`` and ``Clip`` run in NumPy, in the input's floating
dtype. Any other model runs on Keras's compiled call
(:mod:`skae.inference.compiled`).
"""

import numpy as np
from scipy import special


def _leaky_relu(x):
    # Keras's default negative slope for the "leaky_relu" activation.
    return np.where(x >= 0, x, 0.2 * x)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _sigmoid(x):
    # 1 / (1 + exp(-x)) on NumPy's vectorised exponential (about three times
    # faster than scipy.special.expit on float32 rows here). Where exp(-x)
    # overflows the result is 0, as it should be.
    y = np.negative(x)
    with np.errstate(over="ignore"):
        np.exp(y, out=y)
    y += 1
    return np.reciprocal(y, out=y)


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
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0, x),
}

# Layers that leave their input as it is at inference.
IDENTITY_LAYERS = frozenset(
    {
        "InputLayer",
        "Dropout",
        "GaussianNoise",
        "GaussianDropout",
        "AlphaDropout",
        "ActivityRegularization",
    }
)


def dense_steps(model):
    """The steps of ``model`` as ``(function, arrays)`` pairs, or None.

    None unless ``model`` is a ``keras.Sequential`` whose every layer is one of
    those the module docstring lists, with an activation of ``ACTIVATIONS``.
    The arrays are float64 copies of the weights at the time of the call.
    """
    import keras

    if not isinstance(model, keras.Sequential):
        return None
    steps = []
    for layer in model.layers:
        layer_steps = _layer_steps(layer)
        if layer_steps is None:
            return None
        steps.extend(layer_steps)
    return steps


# Element-wise steps that NumPy runs at about the speed of the memory traffic
# they cost (the sigmoid on its vectorised float32 exponential): a stack of only
# these runs faster in NumPy than on Keras's compiled call for any number of
# float32 rows (skae.inference.runner).
_CHEAP = frozenset(
    {ACTIVATIONS["relu"], ACTIVATIONS["leaky_relu"], ACTIVATIONS["sigmoid"]}
)


def only_cheap_steps(steps):
    """Whether ``steps`` hold matrix products and cheap element-wise steps only
    (no erf or expm1, as in gelu or elu)."""
    for function, arrays in steps:
        if function is _activate and arrays[0] not in _CHEAP:
            return False
        if function is _residual and not all(map(only_cheap_steps, arrays)):
            return False
    return True


def forward(steps, x):
    """Run ``x`` through ``steps``; the whole pass, as in ``_forward_pass_fast``."""
    for function, arrays in steps:
        x = function(x, *arrays)
    return x


def cast_steps(steps, dtype):
    """``steps`` with their arrays, nested steps included, cast to ``dtype``."""
    return [(function, _cast(arrays, dtype)) for function, arrays in steps]


def _cast(value, dtype):
    if isinstance(value, np.ndarray):
        return value.astype(dtype)
    if isinstance(value, tuple):
        return tuple(_cast(v, dtype) for v in value)
    if isinstance(value, list):
        return cast_steps(value, dtype)
    return value


def _affine(x, kernel, bias):
    x = x @ kernel
    x += bias
    return x


def _scale_shift(x, scale, shift):
    return x * scale + shift


def _activate(x, function):
    return function(x)


def _clip(x, low, high):
    return np.clip(x, low, high)


def _residual(x, shortcut, body):
    return forward(shortcut, x) + forward(body, x)


def _layer_steps(layer):
    """The steps of one layer, or None for a layer this pass does not run."""
    kind = type(layer).__name__
    if kind in IDENTITY_LAYERS:
        return []
    if kind == "Activation":
        activation = _activation(layer.activation)
        return None if activation is None else activation
    if kind == "Clip":
        return [(_clip, (layer.low, layer.high))]
    if kind == "Dense":
        activation = _activation(layer.activation)
        if activation is None or getattr(layer, "quantization_mode", None):
            return None
        bias = _weights(layer.bias) if layer.bias is not None else np.zeros(1)
        return [(_affine, (_weights(layer.kernel), bias)), *activation]
    if kind == "BatchNormalization" and layer.axis in (-1, 1):
        # Rows of features: axis 1 is the last axis.
        scale = 1.0 / np.sqrt(_weights(layer.moving_variance) + layer.epsilon)
        if layer.gamma is not None:
            scale = scale * _weights(layer.gamma)
        shift = -_weights(layer.moving_mean) * scale
        if layer.beta is not None:
            shift = shift + _weights(layer.beta)
        return [(_scale_shift, (scale, shift))]
    if kind == "Residual":
        shortcut = _layer_steps(layer.shortcut)
        body = [_layer_steps(sublayer) for sublayer in layer.body]
        if shortcut is None or any(steps is None for steps in body):
            return None
        return [(_residual, (shortcut, [step for steps in body for step in steps]))]
    return None


def _activation(activation):
    """``[]`` for the identity, a one-step list, or None for an unknown one."""
    import keras

    name = keras.activations.serialize(activation)
    if not isinstance(name, str) or name not in ACTIVATIONS:
        return None
    return [] if name == "linear" else [(_activate, (ACTIVATIONS[name],))]


def _weights(variable):
    import keras

    return np.array(keras.ops.convert_to_numpy(variable), dtype=np.float64)
