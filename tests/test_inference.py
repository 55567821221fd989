"""The NumPy forward pass behind transform and inverse_transform."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose

from skae.inference import numpy_pass as _inference
from skae.inference.numpy_pass import ACTIVATIONS, ForwardPlan


def make_data(n_samples=33, n_features=5, seed=0):
    return np.random.default_rng(seed).normal(size=(n_samples, n_features)) * 2


def keras_output(model, X):
    return keras.ops.convert_to_numpy(model(X.astype(np.float32), training=False))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_dense_plan_matches_keras_for_every_activation(activation):
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(7, activation=activation),
            keras.layers.Dense(3, activation=activation),
        ]
    )
    plan = ForwardPlan(model)
    assert plan.uses_numpy
    X = make_data()
    assert_allclose(plan(X), keras_output(model, X), rtol=1e-5, atol=1e-6)


def test_plan_handles_batch_normalization_and_dropout():
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(6),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("tanh"),
            keras.layers.Dropout(0.5),
            keras.layers.GaussianNoise(1.0),
            keras.layers.Dense(2, use_bias=False),
        ]
    )
    bn = model.layers[1]
    bn.moving_mean.assign(np.linspace(-1, 1, 6))
    bn.moving_variance.assign(np.linspace(0.5, 2, 6))
    bn.gamma.assign(np.linspace(0.5, 1.5, 6))
    bn.beta.assign(np.linspace(-0.2, 0.2, 6))
    plan = ForwardPlan(model)
    assert plan.uses_numpy
    X = make_data()
    assert_allclose(plan(X), keras_output(model, X), rtol=1e-5, atol=1e-6)


def test_unknown_layers_run_through_keras():
    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(4), keras.layers.UnitNormalization()]
    )
    plan = ForwardPlan(model)
    assert not plan.uses_numpy
    X = make_data()
    out = plan(X, dtype=np.float32)
    assert out.dtype == np.float32
    assert_allclose(out, keras_output(model, X), rtol=1e-6)


def test_rows_do_not_depend_on_the_rest_of_the_batch():
    """Check that a row's float64 output barely depends on the rest of the batch."""
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, "relu")])
    plan = ForwardPlan(model)
    X = make_data(n_samples=50)
    full = plan(X)
    one_by_one = np.vstack([plan(X[i : i + 1]) for i in range(len(X))])
    # BLAS may sum in another order for one row than for many: a few ulps only.
    assert_allclose(full, one_by_one, rtol=1e-13, atol=1e-15)


def test_chunking_bounds_rows_per_step_and_keeps_results(monkeypatch):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, "relu")])
    X = make_data(n_samples=101)
    expected = ForwardPlan(model)(X)
    # Five float64 values per chunk: one row of the widest layer.
    monkeypatch.setattr(_inference, "CHUNK_BYTES", 5 * 8)
    seen = []
    plan = ForwardPlan(model)
    original = plan._run_numpy

    def spy(x, dtype):
        seen.append(len(x))
        return original(x, dtype)

    plan._run_numpy = spy
    assert_allclose(plan(X), expected, rtol=1e-12)
    assert max(seen) == 1 and len(seen) == 101


def test_output_dtype_is_the_requested_one():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    plan = ForwardPlan(model)
    X = make_data()
    assert plan(X, dtype=np.float32).dtype == np.float32
    assert plan(X).dtype == np.float64
    assert_allclose(plan(X, dtype=np.float32), plan(X), rtol=1e-5, atol=1e-6)


def test_functional_models_run_through_keras():
    inputs = keras.Input((5,))
    branch = keras.layers.Dense(3)(inputs)
    outputs = keras.layers.Add()([keras.layers.Dense(3)(inputs), branch])
    model = keras.Model(inputs, outputs)
    plan = ForwardPlan(model)
    assert not plan.uses_numpy
    X = make_data()
    assert_allclose(plan(X), keras_output(model, X), rtol=1e-5, atol=1e-6)


def test_keras_fallback_computes_float64_input_in_float64():
    """Check that rows run through Keras do not depend on their batch either."""
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(16, activation="tanh")(inputs)
    outputs = keras.layers.Add()(
        [keras.layers.Dense(3)(hidden), keras.layers.Dense(3)(inputs)]
    )
    plan = ForwardPlan(keras.Model(inputs, outputs))
    assert not plan.uses_numpy
    X = make_data(n_samples=40)
    full = plan(X)
    one_by_one = np.vstack([plan(X[i : i + 1]) for i in range(len(X))])
    assert_allclose(full, one_by_one, rtol=1e-12, atol=1e-14)
    assert plan(X, dtype=np.float32).dtype == np.float32


# -- layers beyond Dense: each must match Keras in float64 and float32 ---------------


def randomize_weights(model, seed=0):
    """Give every weight, biases included, small random values."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(0.5 * rng.normal(size=weight.shape))


def assert_plan_matches_keras(model, X, rtol=1e-5, atol=1e-5):
    plan = ForwardPlan(model)
    assert plan.uses_numpy
    expected = keras_output(model, X)
    for dtype in (np.float64, np.float32):
        out = plan(X.astype(dtype), dtype=dtype)
        assert out.dtype == dtype
        assert_allclose(out, expected, rtol=rtol, atol=atol)


def image_model(shape, *layers):
    """A Sequential from flat rows to ``layers`` applied on images, flattened."""
    return keras.Sequential(
        [
            keras.Input((int(np.prod(shape)),)),
            keras.layers.Reshape(shape),
            *layers,
            keras.layers.Flatten(),
        ]
    )


# Few channels into more filters are gathered (im2col); many into one, scattered.
@pytest.mark.parametrize(
    "shape, filters", [((5, 5, 2), 3), ((6, 7, 1), 3), ((6, 5, 8), 1)]
)
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("strides", [1, 2, (2, 3)])
@pytest.mark.parametrize("kernel_size", [1, 2, 3, (3, 2)])
def test_conv2d_matches_keras(kernel_size, strides, padding, shape, filters):
    conv = keras.layers.Conv2D(
        filters, kernel_size, strides, padding, activation="relu"
    )
    model = image_model(shape, conv)
    randomize_weights(model)
    assert_plan_matches_keras(model, make_data(n_features=int(np.prod(shape))))


@pytest.mark.parametrize("shape", [(3, 3, 2), (4, 5, 1)])
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("strides", [1, 2, 3, (2, 1)])
@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4])
def test_conv2d_transpose_matches_keras(kernel_size, strides, padding, shape):
    conv = keras.layers.Conv2DTranspose(
        3, kernel_size, strides, padding, activation="tanh"
    )
    model = image_model(shape, conv)
    randomize_weights(model)
    assert_plan_matches_keras(model, make_data(n_features=int(np.prod(shape))))


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("strides", [None, 1, 2])
@pytest.mark.parametrize("pool_size", [2, 3, (3, 2)])
@pytest.mark.parametrize("kind", ["MaxPooling2D", "AveragePooling2D"])
def test_pooling_matches_keras(kind, pool_size, strides, padding):
    pool = getattr(keras.layers, kind)(pool_size, strides, padding)
    model = image_model((5, 6, 2), pool)
    assert_plan_matches_keras(model, make_data(n_features=60))


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.UpSampling2D((2, 3)),
        keras.layers.Cropping2D(((1, 0), (2, 1))),
        keras.layers.ZeroPadding2D(((1, 2), (0, 1))),
        keras.layers.Reshape((6, 5, 2)),
        keras.layers.Reshape((-1, 4)),
        keras.layers.Dense(4, activation="elu"),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("sigmoid"),
        keras.layers.Dropout(0.5),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_image_layer_matches_keras(layer):
    model = image_model((5, 6, 2), layer)
    randomize_weights(model)
    for weight in model.weights:
        if "variance" in weight.path:
            weight.assign(np.abs(keras.ops.convert_to_numpy(weight)) + 0.5)
    assert_plan_matches_keras(model, make_data(n_features=60))


def sequence_model(n_steps, n_channels, *layers):
    return keras.Sequential(
        [
            keras.Input((n_steps * n_channels,)),
            keras.layers.Reshape((n_steps, n_channels)),
            *layers,
            keras.layers.Flatten(),
        ]
    )


@pytest.mark.parametrize(
    "layer",
    [
        pytest.param(keras.layers.LSTM(4), id="LSTM"),
        pytest.param(keras.layers.LSTM(4, return_sequences=True), id="LSTM-seq"),
        pytest.param(
            keras.layers.LSTM(3, use_bias=False, unroll=True), id="LSTM-no-bias"
        ),
        pytest.param(
            keras.layers.LSTM(3, activation="relu", recurrent_activation="tanh"),
            id="LSTM-relu-tanh",
        ),
        pytest.param(keras.layers.GRU(4), id="GRU"),
        pytest.param(keras.layers.GRU(4, return_sequences=True), id="GRU-seq"),
        pytest.param(keras.layers.GRU(3, reset_after=False), id="GRU-reset-before"),
        pytest.param(
            keras.layers.GRU(3, use_bias=False, activation="elu"), id="GRU-no-bias"
        ),
        pytest.param(
            keras.layers.TimeDistributed(keras.layers.Dense(5, activation="relu")),
            id="TimeDistributed-Dense",
        ),
        pytest.param(keras.layers.Dense(5), id="Dense-3d"),
    ],
)
def test_sequence_layer_matches_keras(layer):
    model = sequence_model(6, 3, layer)
    randomize_weights(model)
    assert_plan_matches_keras(model, make_data(n_features=18))


def test_repeat_vector_matches_keras():
    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.RepeatVector(4), keras.layers.Flatten()]
    )
    assert_plan_matches_keras(model, make_data())


# -- whole autoencoder-shaped models ---------------------------------------------------


def conv_encoder():
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Reshape((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Conv2D(6, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Flatten(),
            keras.layers.Dense(3),
        ]
    )


def conv_decoder():
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4 * 4 * 5, activation="relu"),
            keras.layers.Reshape((4, 4, 5)),
            keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
            keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
            keras.layers.Cropping2D(1),
            keras.layers.Flatten(),
        ]
    )


def lstm_encoder():
    return keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Reshape((6, 2)),
            keras.layers.LSTM(5),
            keras.layers.Dense(3),
        ]
    )


def lstm_decoder():
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.RepeatVector(6),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(2)),
            keras.layers.Dense(2),
            keras.layers.Flatten(),
        ]
    )


@pytest.mark.parametrize(
    "build", [conv_encoder, conv_decoder, lstm_encoder, lstm_decoder]
)
def test_autoencoder_shaped_models_match_keras(build):
    model = build()
    randomize_weights(model)
    X = make_data(n_features=model.input_shape[-1])
    assert_plan_matches_keras(model, X)
    assert ForwardPlan(model)(X).shape == (len(X), model.output_shape[-1])


def test_dense_applies_to_the_last_axis_of_nd_inputs():
    model = keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Reshape((3, 4)),
            keras.layers.Dense(5, activation="tanh"),
            keras.layers.Flatten(),
        ]
    )
    randomize_weights(model)
    assert_plan_matches_keras(model, make_data(n_features=12))


def test_conv_rows_do_not_depend_on_the_rest_of_the_batch():
    """Check that a conv model's float64 rows barely depend on the batch."""
    model = conv_encoder()
    randomize_weights(model)
    plan = ForwardPlan(model)
    X = make_data(n_samples=20, n_features=64)
    full = plan(X)
    one_by_one = np.vstack([plan(X[i : i + 1]) for i in range(len(X))])
    assert_allclose(full, one_by_one, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "channels, filters, way",
    [(1, 8, "_conv2d_gather"), (8, 8, "_conv2d_gather"), (8, 1, "_conv2d_scatter")],
)
def test_conv2d_holds_the_smaller_of_its_two_buffers(channels, filters, way):
    model = image_model((6, 6, channels), keras.layers.Conv2D(filters, 3))
    steps = ForwardPlan(model)._steps
    assert [step.fn.__name__ for step in steps if "conv" in step.fn.__name__] == [way]


def test_chunk_width_counts_convolution_scratch():
    """Check that chunks are sized by the im2col buffer, the widest thing held."""
    model = image_model((4, 4, 2), keras.layers.Conv2D(3, 3, padding="same"))
    # Outputs hold at most 48 values a row; im2col holds 4 * 4 * 3 * 3 * 2.
    assert ForwardPlan(model)._width == 288


def test_chunking_keeps_conv_results(monkeypatch):
    model = conv_decoder()
    randomize_weights(model)
    X = make_data(n_samples=21, n_features=3)
    expected = ForwardPlan(model)(X)
    monkeypatch.setattr(_inference, "CHUNK_BYTES", 1)
    assert_allclose(ForwardPlan(model)(X), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "shape, layer",
    [
        pytest.param(
            (6, 6, 1), keras.layers.Conv2D(2, 3, dilation_rate=2), id="dilated"
        ),
        pytest.param((6, 6, 2), keras.layers.Conv2D(4, 3, groups=2), id="groups"),
        pytest.param(
            (2, 6, 6),
            keras.layers.MaxPooling2D(data_format="channels_first"),
            id="MaxPooling2D-channels_first",
        ),
        pytest.param(
            (2, 6, 6),
            keras.layers.Cropping2D(1, data_format="channels_first"),
            id="Cropping2D-channels_first",
        ),
        pytest.param(
            (2, 3, 4),
            keras.layers.Flatten(data_format="channels_first"),
            id="Flatten-channels_first",
        ),
        pytest.param(
            (3, 3, 1),
            keras.layers.Conv2DTranspose(2, 3, 2, output_padding=1),
            id="output_padding",
        ),
        pytest.param(
            (3, 3, 2),
            keras.layers.UpSampling2D(interpolation="bilinear"),
            id="bilinear",
        ),
        pytest.param(
            (6, 6), keras.layers.LSTM(3, go_backwards=True), id="go_backwards"
        ),
        pytest.param(
            (6, 6),
            keras.layers.LSTM(3, recurrent_activation="hard_sigmoid"),
            id="hard_sigmoid",
        ),
        pytest.param(
            (6, 6, 1),
            keras.layers.TimeDistributed(keras.layers.Conv1D(2, 3)),
            id="TimeDistributed-Conv1D",
        ),
    ],
)
def test_unsupported_configurations_run_through_keras(shape, layer):
    model = image_model(shape, layer)
    randomize_weights(model)
    plan = ForwardPlan(model)
    assert not plan.uses_numpy
    X = make_data(n_features=int(np.prod(shape)))
    assert_allclose(plan(X), keras_output(model, X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.Conv2D(2, 3, data_format="channels_first"),
        keras.layers.Conv2DTranspose(2, 3, data_format="channels_first"),
        keras.layers.Conv2DTranspose(2, 3, dilation_rate=2),
    ],
    ids=["Conv2D-channels_first", "Conv2DTranspose-channels_first", "dilated"],
)
def test_plan_declines_convolutions_tensorflow_runs_only_on_gpus(layer):
    # TensorFlow's CPU kernels refuse these, so here the check can only be
    # that the plan leaves them to Keras rather than computing something else.
    assert not ForwardPlan(image_model((2, 6, 6), layer)).uses_numpy


@pytest.mark.parametrize("hidden", [(), (48,)])
def test_transform_memory_stays_bounded_on_a_large_slice(monkeypatch, hidden):
    """NumPy's peak while transforming is the output plus a few chunks, whatever
    the number of rows: no copy of the input, no full-size intermediate."""
    import tracemalloc

    from skae import AutoencoderTransformer

    X = np.random.default_rng(0).uniform(size=(60_000, 64)).astype(np.float32)
    ae = AutoencoderTransformer(
        4, hidden_layer_sizes=hidden, epochs=1, random_state=0
    ).fit(X[:200])
    chunk_bytes = 2**18
    monkeypatch.setattr(_inference, "CHUNK_BYTES", chunk_bytes)
    tracemalloc.start()
    try:
        Z = ae.transform(X)
        X_hat = ae.inverse_transform(Z)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert X.nbytes > 50 * chunk_bytes
    working_set = peak - Z.nbytes - X_hat.nbytes
    assert working_set <= 8 * chunk_bytes, working_set
