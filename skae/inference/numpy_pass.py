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

Each supported layer kind has one translator (``_translate_<kind>``), listed in
``_TRANSLATORS``, that reads the layer's settings and weights and returns the
steps that reproduce it; the array work itself lives in small kernels
(``_conv2d``, ``_pool2d``, ``_lstm``, ...) that take a chunk of rows and return
the next activation. Spatial layers follow Keras's ``channels_last`` layout:
intermediate tensors are ``(n_rows, height, width, channels)`` arrays.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import special

from .._arrays import dense_rows

# Rows per chunk are chosen so that one chunk's widest activation, or the widest
# scratch buffer a step allocates, takes about this many bytes; it bounds the
# working set of ``transform`` on arbitrarily many rows.
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

# Layers that do nothing at inference time.
_IDENTITY_LAYERS = (
    "InputLayer",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
)


class _Unsupported(Exception):
    """Raised while compiling a plan for a layer the NumPy engine cannot run."""


class _Step(NamedTuple):
    """One NumPy operation: ``fn(x, **arrays, **options)``.

    ``arrays`` are weights, cast once to the dtype a plan runs in; ``options``
    are static settings (sizes, strides, activation functions) passed as they
    are. ``scratch`` is the number of elements per row of the largest temporary
    buffer ``fn`` allocates, used to size chunks.
    """

    fn: Callable
    arrays: dict = {}
    options: dict = {}
    scratch: int = 0


def _to_numpy(variable):
    import keras

    return np.array(keras.ops.convert_to_numpy(variable), dtype=np.float64)


def _activation_fn(activation):
    import keras

    name = keras.activations.serialize(activation)
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise _Unsupported(name)
    return ACTIVATIONS[name]


def _activation_steps(activation):
    """Steps applying ``activation``: none for the identity."""
    fn = _activation_fn(activation)
    return [] if fn is ACTIVATIONS["linear"] else [_Step(fn)]


def _static_shape(layer):
    """The layer's output shape without the batch axis; every size must be known."""
    shape = tuple(layer.output.shape[1:])
    if any(size is None for size in shape):
        raise _Unsupported(f"{layer.name} has an unknown output size {shape}")
    return shape


def _row_width(shape):
    return math.prod(int(size) for size in shape)


def _require(condition, what):
    if not condition:
        raise _Unsupported(what)


# -- array kernels --------------------------------------------------------------------
# Each takes a chunk of rows ``x`` (first axis) and returns the next activation.


def _dense(x, kernel, bias=None):
    # ``@`` contracts the last axis, so this is also Keras's Dense on N-d inputs.
    x = x @ kernel
    if bias is not None:
        x += bias
    return x


def _affine(x, scale, shift):
    return x * scale + shift


def _reshape(x, shape):
    return x.reshape((x.shape[0], *shape))


def _pad2d(x, pads, value=0.0):
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top : top + h, left : left + w] = x
    return out


def _window(x, a, b, out_hw, strides):
    """The view of ``x`` seen by window offset ``(a, b)`` at every output pixel."""
    (ho, wo), (sh, sw) = out_hw, strides
    return x[:, a : a + (ho - 1) * sh + 1 : sh, b : b + (wo - 1) * sw + 1 : sw]


def _conv2d_gather(x, kernel, bias=None, *, kernel_hw, pads, strides, out_hw):
    # im2col: gather every kernel tap's view of the input into one
    # (pixels, kh*kw*c) matrix laid out like the kernel, so one large matmul does
    # the whole layer. The Python loop is over kernel taps only.
    (kh, kw), (ho, wo) = kernel_hw, out_hw
    x = _pad2d(x, pads)
    n, c = x.shape[0], x.shape[3]
    cols = np.empty((n, ho, wo, kh, kw, c), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            cols[:, :, :, a, b] = _window(x, a, b, out_hw, strides)
    out = (cols.reshape(n * ho * wo, kh * kw * c) @ kernel).reshape(n, ho, wo, -1)
    if bias is not None:
        out += bias
    return out


def _tap_products(x, kernel, kernel_hw):
    """Every pixel of ``x`` times every kernel tap, ``(n, h, w, kh, kw, filters)``.

    ``kernel`` is laid out ``(channels, kh * kw * filters)``, so this is one matmul.
    """
    n, h, w, c = x.shape
    return (x.reshape(n * h * w, c) @ kernel).reshape(n, h, w, *kernel_hw, -1)


def _conv2d_scatter(x, kernel, bias=None, *, kernel_hw, pads, strides, out_hw):
    # With many channels and few filters (an image decoder's last layer) the
    # im2col matrix would be far larger than the output: multiply each input
    # pixel by every tap instead, then add up each tap's shifted products.
    x = _pad2d(x, pads)
    parts = _tap_products(x, kernel, kernel_hw)
    out = np.zeros((x.shape[0], *out_hw, parts.shape[-1]), dtype=x.dtype)
    for a in range(kernel_hw[0]):
        for b in range(kernel_hw[1]):
            out += _window(parts[:, :, :, a, b], a, b, out_hw, strides)
    if bias is not None:
        out += bias
    return out


def _conv2d_transpose(x, kernel, bias=None, *, kernel_hw, strides, crop, out_hw):
    # Each input pixel's products with every tap are added into a strided view
    # of a buffer covering the full (uncropped) output, which is then cropped.
    (kh, kw), (sh, sw), (top, left), (ho, wo) = kernel_hw, strides, crop, out_hw
    n, h, w, _ = x.shape
    parts = _tap_products(x, kernel, kernel_hw)
    full_h = max((h - 1) * sh + kh, top + ho)
    full_w = max((w - 1) * sw + kw, left + wo)
    out = np.zeros((n, full_h, full_w, parts.shape[-1]), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            _window(out, a, b, (h, w), strides)[...] += parts[:, :, :, a, b]
    out = out[:, top : top + ho, left : left + wo]
    if bias is not None:
        out += bias
    return out


def _reduce_windows(x, axis, size, stride, n_out, reduce):
    """Reduce each window of ``size`` elements along ``axis`` with ``reduce``."""

    def offset_view(offset):
        index = [slice(None)] * x.ndim
        index[axis] = slice(offset, offset + (n_out - 1) * stride + 1, stride)
        return x[tuple(index)]

    out = offset_view(0).copy()
    for offset in range(1, size):
        reduce(out, offset_view(offset), out=out)
    return out


def _pool2d(x, counts=None, *, reduce, pad_value, pool, pads, strides, out_hw):
    # Max and sum are separable: reduce each window's rows, then its columns,
    # which takes ph + pw passes instead of ph * pw. ``reduce`` is np.maximum or
    # np.add; ``counts`` (average pooling) holds how many real elements each
    # window covers.
    x = _pad2d(x, pads, pad_value)
    x = _reduce_windows(x, 1, pool[0], strides[0], out_hw[0], reduce)
    x = _reduce_windows(x, 2, pool[1], strides[1], out_hw[1], reduce)
    if counts is not None:
        x /= counts
    return x


def _upsample2d(x, size):
    n, h, w, c = x.shape
    sh, sw = size
    out = np.broadcast_to(x[:, :, None, :, None], (n, h, sh, w, sw, c))
    return out.reshape(n, h * sh, w * sw, c)


def _crop2d(x, cropping):
    (top, bottom), (left, right) = cropping
    h, w = x.shape[1:3]
    return x[:, top : h - bottom, left : w - right]


def _repeat_vector(x, n):
    return np.repeat(x[:, None, :], n, axis=1)


def _lstm(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    activation,
    recurrent_activation,
    return_sequences,
):
    # The input projection of every timestep is one matmul, time-major so that
    # each step reads a contiguous block; only the recurrence loops over time.
    units = recurrent_kernel.shape[0]
    projected = x.transpose(1, 0, 2) @ kernel
    if bias is not None:
        projected += bias
    n_steps, n = projected.shape[:2]
    h = np.zeros((n, units), dtype=x.dtype)
    carry = np.zeros((n, units), dtype=x.dtype)
    outputs = []
    for t in range(n_steps):
        # Keras's gate order in the kernels: input, forget, candidate, output.
        z = projected[t] + h @ recurrent_kernel
        input_gate = recurrent_activation(z[:, :units])
        forget_gate = recurrent_activation(z[:, units : 2 * units])
        candidate = activation(z[:, 2 * units : 3 * units])
        output_gate = recurrent_activation(z[:, 3 * units :])
        carry = forget_gate * carry + input_gate * candidate
        h = output_gate * activation(carry)
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


def _gru(
    x,
    kernel,
    recurrent_kernel,
    input_bias=None,
    recurrent_bias=None,
    *,
    activation,
    recurrent_activation,
    reset_after,
    return_sequences,
):
    units = recurrent_kernel.shape[0]
    projected = x.transpose(1, 0, 2) @ kernel
    if input_bias is not None:
        projected += input_bias
    n_steps, n = projected.shape[:2]
    h = np.zeros((n, units), dtype=x.dtype)
    outputs = []
    for t in range(n_steps):
        # Keras's gate order in the kernels: update, reset, candidate.
        x_z, x_r, x_h = np.split(projected[t], 3, axis=1)
        if reset_after:
            inner = h @ recurrent_kernel
            if recurrent_bias is not None:
                inner += recurrent_bias
        else:
            inner = h @ recurrent_kernel[:, : 2 * units]
        z = recurrent_activation(x_z + inner[:, :units])
        r = recurrent_activation(x_r + inner[:, units : 2 * units])
        if reset_after:
            candidate = activation(x_h + r * inner[:, 2 * units :])
        else:
            candidate = activation(x_h + (r * h) @ recurrent_kernel[:, 2 * units :])
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


# -- translators: one Keras layer kind -> steps --------------------------------------


def _same_padding(size, window, stride):
    """Keras's (TensorFlow's) "same" padding: the odd element goes after."""
    total = max((-(-size // stride) - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def _window_geometry(layer, window):
    """Padding and output size of a 2-d sliding-window layer (conv or pooling)."""
    _require(layer.padding in ("valid", "same"), f"padding={layer.padding!r}")
    in_h, in_w = layer.input.shape[1:3]
    out_h, out_w = _static_shape(layer)[:2]
    if layer.padding == "same":
        pads = (
            _same_padding(in_h, window[0], layer.strides[0]),
            _same_padding(in_w, window[1], layer.strides[1]),
        )
    else:
        pads = ((0, 0), (0, 0))
    return pads, (out_h, out_w)


def _run_steps(x, steps):
    for step in steps:
        x = step.fn(x, **step.arrays, **step.options)
    return x


def _sum_of_branches(x, branches):
    out = _run_steps(x, branches[0])
    for steps in branches[1:]:
        out = out + _run_steps(x, steps)
    return out


def _cast_steps(steps, dtype):
    """The steps with their weights cast to ``dtype``, branches included."""
    cast = []
    for step in steps:
        options = step.options
        if "branches" in options:
            branches = tuple(
                _cast_steps(branch, dtype) for branch in options["branches"]
            )
            options = {**options, "branches": branches}
        arrays = {k: v.astype(dtype) for k, v in step.arrays.items()}
        cast.append(step._replace(arrays=arrays, options=options))
    return cast


def _translate_identity(layer):
    return []


def _translate_residual(layer):
    # skae's Residual layer: a Dense shortcut plus a chain of layers, summed.
    shortcut = _layer_steps(layer.shortcut)
    body = [step for sublayer in layer.body for step in _layer_steps(sublayer)]
    widths = [getattr(sublayer, "units", 0) for sublayer in layer.body]
    scratch = max([0, *widths, *(step.scratch for step in shortcut + body)])
    return [
        _Step(_sum_of_branches, options={"branches": (shortcut, body)}, scratch=scratch)
    ]


def _translate_dense(layer):
    arrays = {"kernel": _to_numpy(layer.kernel)}
    if layer.bias is not None:
        arrays["bias"] = _to_numpy(layer.bias)
    return [_Step(_dense, arrays), *_activation_steps(layer.activation)]


def _translate_activation(layer):
    return [_Step(_activation_fn(layer.activation))]


def _translate_batch_normalization(layer):
    # axis -1 needs no shape; layers nested in another layer have no ``input``.
    last_axis = layer.axis == -1 or layer.axis == len(layer.input.shape) - 1
    _require(last_axis, f"axis={layer.axis}")
    mean = _to_numpy(layer.moving_mean)
    var = _to_numpy(layer.moving_variance)
    scale = 1.0 / np.sqrt(var + layer.epsilon)
    if layer.gamma is not None:
        scale = scale * _to_numpy(layer.gamma)
    shift = -mean * scale
    if layer.beta is not None:
        shift = shift + _to_numpy(layer.beta)
    return [_Step(_affine, {"scale": scale, "shift": shift})]


def _translate_reshape(layer):
    # Flatten too: in channels_last it is a plain reshape of each row.
    return [_Step(_reshape, options={"shape": _static_shape(layer)})]


def _translate_conv2d(layer):
    _require(tuple(layer.dilation_rate) == (1, 1), "dilation_rate")
    _require(layer.groups == 1, "groups")
    kernel = _to_numpy(layer.kernel)  # (kh, kw, channels, filters)
    kh, kw, c, f = kernel.shape
    pads, out_hw = _window_geometry(layer, (kh, kw))
    (top, bottom), (left, right) = pads
    h, w = layer.input.shape[1:3]
    # Both ways hold a (pixels x taps) buffer: of input channels per output
    # pixel (gather) or of filters per padded input pixel (scatter). Take the
    # smaller one; the arithmetic is the same up to the stride's skipped pixels.
    gather = out_hw[0] * out_hw[1] * c
    scatter = (h + top + bottom) * (w + left + right) * f
    if gather <= scatter:
        fn, kernel = _conv2d_gather, kernel.reshape(kh * kw * c, f)
    else:
        fn, kernel = _conv2d_scatter, kernel.transpose(2, 0, 1, 3).reshape(c, -1)
    arrays = {"kernel": kernel}
    if layer.bias is not None:
        arrays["bias"] = _to_numpy(layer.bias)
    options = {
        "kernel_hw": (kh, kw),
        "pads": pads,
        "strides": tuple(layer.strides),
        "out_hw": out_hw,
    }
    step = _Step(fn, arrays, options, kh * kw * min(gather, scatter))
    return [step, *_activation_steps(layer.activation)]


def _translate_conv2d_transpose(layer):
    _require(tuple(layer.dilation_rate) == (1, 1), "dilation_rate")
    _require(layer.output_padding is None, "output_padding")
    _require(layer.padding in ("valid", "same"), f"padding={layer.padding!r}")
    kernel = _to_numpy(layer.kernel)  # (kh, kw, filters, channels)
    kh, kw, f, c = kernel.shape
    h, w = layer.input.shape[1:3]
    out_hw = _static_shape(layer)[:2]
    if layer.padding == "same":
        # TensorFlow defines the transposed convolution as the gradient of the
        # "same" convolution from the output size, so the crop is that padding.
        crop = tuple(
            _same_padding(size, k, s)[0]
            for size, k, s in zip(out_hw, (kh, kw), layer.strides, strict=True)
        )
    else:
        crop = (0, 0)
    arrays = {"kernel": kernel.transpose(3, 0, 1, 2).reshape(c, kh * kw * f)}
    if layer.bias is not None:
        arrays["bias"] = _to_numpy(layer.bias)
    options = {
        "kernel_hw": (kh, kw),
        "strides": tuple(layer.strides),
        "crop": crop,
        "out_hw": out_hw,
    }
    full = ((h - 1) * layer.strides[0] + kh) * ((w - 1) * layer.strides[1] + kw)
    scratch = (h * w * kh * kw + full) * f
    step = _Step(_conv2d_transpose, arrays, options, scratch)
    return [step, *_activation_steps(layer.activation)]


def _translate_pooling2d(layer):
    pool, strides = tuple(layer.pool_size), tuple(layer.strides)
    pads, out_hw = _window_geometry(layer, pool)
    options = {"pool": pool, "pads": pads, "strides": strides, "out_hw": out_hw}
    arrays = {}
    if layer.pool_mode == "max":
        options.update(reduce=np.maximum, pad_value=-np.inf)
    else:
        _require(layer.pool_mode == "average", f"pool_mode={layer.pool_mode!r}")
        options.update(reduce=np.add, pad_value=0.0)
        # Keras averages over the real elements of each window, not the padding.
        ones = np.ones((1, *layer.input.shape[1:3], 1))
        arrays["counts"] = _pool2d(ones, **options)[0]
    h, w = layer.input.shape[1:3]
    (top, bottom), (left, right) = pads
    scratch = (h + top + bottom) * (w + left + right) * layer.input.shape[3]
    return [_Step(_pool2d, arrays, options, scratch)]


def _translate_upsampling2d(layer):
    _require(layer.interpolation == "nearest", f"interpolation={layer.interpolation}")
    return [_Step(_upsample2d, options={"size": tuple(layer.size)})]


def _translate_cropping2d(layer):
    cropping = tuple(tuple(int(v) for v in pair) for pair in layer.cropping)
    return [_Step(_crop2d, options={"cropping": cropping})]


def _translate_zero_padding2d(layer):
    pads = tuple(tuple(int(v) for v in pair) for pair in layer.padding)
    return [_Step(_pad2d, options={"pads": pads})]


def _translate_repeat_vector(layer):
    return [_Step(_repeat_vector, options={"n": int(layer.n)})]


def _recurrent_options(layer):
    _require(not layer.return_state, "return_state")
    _require(not layer.go_backwards, "go_backwards")
    _require(not layer.stateful, "stateful")
    return {
        "activation": _activation_fn(layer.cell.activation),
        "recurrent_activation": _activation_fn(layer.cell.recurrent_activation),
        "return_sequences": bool(layer.return_sequences),
    }


def _recurrent_scratch(layer, gates):
    n_steps = layer.input.shape[1]
    return n_steps * (gates + 1) * layer.cell.units


def _translate_lstm(layer):
    options = _recurrent_options(layer)
    cell = layer.cell
    arrays = {
        "kernel": _to_numpy(cell.kernel),
        "recurrent_kernel": _to_numpy(cell.recurrent_kernel),
    }
    if cell.use_bias:
        arrays["bias"] = _to_numpy(cell.bias)
    return [_Step(_lstm, arrays, options, _recurrent_scratch(layer, 4))]


def _translate_gru(layer):
    options = _recurrent_options(layer)
    cell = layer.cell
    options["reset_after"] = bool(cell.reset_after)
    arrays = {
        "kernel": _to_numpy(cell.kernel),
        "recurrent_kernel": _to_numpy(cell.recurrent_kernel),
    }
    if cell.use_bias:
        bias = _to_numpy(cell.bias)
        if cell.reset_after:
            arrays["input_bias"], arrays["recurrent_bias"] = bias
        else:
            arrays["input_bias"] = bias
    return [_Step(_gru, arrays, options, _recurrent_scratch(layer, 3))]


def _translate_time_distributed(layer):
    # Dense and Activation act on the last axis only, so applying them to the
    # whole (rows, time, features) tensor is applying them at every timestep.
    inner = type(layer.layer).__name__
    _require(inner in ("Dense", "Activation"), f"TimeDistributed({inner})")
    return _layer_steps(layer.layer)


_TRANSLATORS = {
    **dict.fromkeys(_IDENTITY_LAYERS, _translate_identity),
    "Dense": _translate_dense,
    "Residual": _translate_residual,
    "Activation": _translate_activation,
    "BatchNormalization": _translate_batch_normalization,
    "Reshape": _translate_reshape,
    "Flatten": _translate_reshape,
    "Conv2D": _translate_conv2d,
    "Conv2DTranspose": _translate_conv2d_transpose,
    "MaxPooling2D": _translate_pooling2d,
    "AveragePooling2D": _translate_pooling2d,
    "UpSampling2D": _translate_upsampling2d,
    "Cropping2D": _translate_cropping2d,
    "ZeroPadding2D": _translate_zero_padding2d,
    "RepeatVector": _translate_repeat_vector,
    "LSTM": _translate_lstm,
    "GRU": _translate_gru,
    "TimeDistributed": _translate_time_distributed,
}


def _layer_steps(layer):
    """Translate one Keras layer into NumPy steps."""
    kind = type(layer).__name__
    _require(kind in _TRANSLATORS, kind)
    data_format = getattr(layer, "data_format", "channels_last")
    _require(data_format == "channels_last", f"{kind}(data_format={data_format!r})")
    _require(not getattr(layer, "quantization_mode", None), f"quantized {kind}")
    try:
        return _TRANSLATORS[kind](layer)
    except AttributeError as exc:
        # A setting the translator needs is unknown, e.g. the input shape of a
        # layer used inside another layer; Keras runs such a model instead.
        raise _Unsupported(f"{kind}: {exc}") from exc


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


def _widest_activation(model):
    """The largest number of elements per row of any layer's output, or 0."""
    widths = [0]
    for layer in model.layers:
        try:
            widths.append(_row_width(layer.output.shape[1:]))
        except (AttributeError, ValueError, TypeError):
            # Layers called more than once, or of unknown size, are skipped.
            continue
    return max(widths)


def _float64_clone(layer):
    config = layer.get_config()
    config["dtype"] = "float64"
    return type(layer).from_config(config)


def _float64_twin(model):
    """A float64 copy of ``model`` sharing nothing with it, or None.

    Models the NumPy engine cannot run still get float64 arithmetic this way,
    so that a row's result does not depend on the batch it is computed in.
    """
    import keras

    probe = np.random.default_rng(0).random((2, *model.input_shape[1:]))
    try:
        twin = keras.models.clone_model(model, clone_function=_float64_clone)
        twin.set_weights([np.asarray(w, np.float64) for w in model.get_weights()])
        # Some layers keep float32 parts (wrapped layers, custom code): only a
        # twin that runs and agrees with the original is used.
        expected = keras.ops.convert_to_numpy(model(probe.astype(np.float32)))
        got = keras.ops.convert_to_numpy(twin(probe, training=False))
    except Exception:  # any failure to clone or run: stay in float32
        return None
    if got.dtype != np.float64 or not np.allclose(got, expected, rtol=1e-3, atol=1e-4):
        return None
    return twin


class ForwardPlan:
    """A compiled, read-only forward pass of one Keras model.

    Parameters
    ----------
    model : keras.Model
        A built model taking 2-d float inputs. Sequential models made of the
        layers listed in ``_TRANSLATORS`` run in NumPy; anything else runs in
        Keras.

    Notes
    -----
    The NumPy engine runs ``Dense`` (on the last axis of any input),
    ``Activation``, ``BatchNormalization`` (last axis), ``Reshape``,
    ``Flatten``, ``Conv2D`` (no dilation, no groups), ``Conv2DTranspose`` (no
    dilation, no ``output_padding``), ``MaxPooling2D``, ``AveragePooling2D``,
    ``UpSampling2D`` (nearest), ``Cropping2D``, ``ZeroPadding2D``,
    ``RepeatVector``, ``LSTM`` and ``GRU`` (no state returned, forwards, not
    stateful), ``TimeDistributed`` over ``Dense`` or ``Activation``, and the
    layers that are identities at inference (dropout and noise layers), with
    the activations in ``ACTIVATIONS``. Image layers must use
    ``data_format="channels_last"``. One layer outside this list, or a setting
    outside these limits, makes the whole model run in Keras.
    """

    def __init__(self, model):
        self.n_inputs = int(model.input_shape[-1])
        self.n_outputs = int(model.output_shape[-1])
        self._output_shape = tuple(int(size) for size in model.output_shape[1:])
        self._model = model
        self._steps = _compile_steps(model)
        self._float64_model = None if self.uses_numpy else _float64_twin(model)
        widths = [self.n_inputs, _row_width(self._output_shape)]
        widths.append(_widest_activation(model))
        widths.extend(step.scratch for step in self._steps or [])
        self._width = max(widths)
        # Weights cast once per dtype, so a one-row call does no conversion work.
        self._cast = {}

    @property
    def width(self):
        """Values per row of the widest array a forward pass holds."""
        return self._width

    @property
    def uses_numpy(self):
        """Whether this plan runs without calling Keras."""
        return self._steps is not None

    def _steps_for(self, dtype):
        dtype = np.dtype(dtype)
        steps = self._cast.get(dtype)
        if steps is None:
            steps = _cast_steps(self._steps, dtype)
            self._cast[dtype] = steps
        return steps

    def _run_numpy(self, x, dtype):
        return _run_steps(x, self._steps_for(dtype))

    def _run_keras(self, x):
        import keras

        if x.dtype == np.float64 and self._float64_model is not None:
            out = self._float64_model(x, training=False)
        else:
            out = self._model(x.astype(np.float32, copy=False), training=False)
        return keras.ops.convert_to_numpy(out)

    def __call__(self, X, dtype=np.float64):
        """Return the model's output for the rows of ``X`` as an array of ``dtype``."""
        n = X.shape[0]
        out = np.empty((n, *self._output_shape), dtype=dtype)
        itemsize = np.dtype(dtype).itemsize
        chunk = max(1, CHUNK_BYTES // (itemsize * self._width))
        for start in range(0, n, chunk):
            x = dense_rows(X[start : start + chunk], dtype)
            if self._steps is not None:
                out[start : start + chunk] = self._run_numpy(x, dtype)
            else:
                out[start : start + chunk] = self._run_keras(x)
        return out
