"""Where transform runs: the NumPy pass for a few rows, Keras's compiled call else."""

import warnings

import keras
import numpy as np
import pytest
from _float32_kernels import FLOAT32
from numpy.testing import assert_allclose, assert_array_equal

from skae import AutoencoderTransformer, ConvAutoencoderTransformer
from skae.inference import compiled, runner
from skae.inference.compiled import CompiledPass
from skae.inference.numpy_pass import ACTIVATIONS, dense_steps, forward
from skae.inference.runner import NUMPY_MAX_ROWS, ModelRunner


def make_data(n_samples=33, n_features=5, seed=0):
    return np.random.default_rng(seed).normal(size=(n_samples, n_features)) * 2


def keras_output(model, X):
    return keras.ops.convert_to_numpy(model(X.astype(np.float32), training=False))


def dense_model(*layers, n_features=5):
    return keras.Sequential([keras.Input((n_features,)), *layers])


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_numpy_pass_matches_keras_for_every_activation(activation):
    model = dense_model(
        keras.layers.Dense(7, activation=activation),
        keras.layers.Dense(3, activation=activation),
    )
    steps = dense_steps(model)
    assert steps is not None
    X = make_data()
    assert_allclose(forward(steps, X), keras_output(model, X), rtol=1e-5, atol=1e-6)


def test_numpy_pass_handles_batch_normalization_and_dropout():
    model = dense_model(
        keras.layers.Dense(6),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("tanh"),
        keras.layers.Dropout(0.5),
        keras.layers.GaussianNoise(1.0),
        keras.layers.Dense(2, use_bias=False),
    )
    bn = model.layers[1]
    bn.moving_mean.assign(np.linspace(-1, 1, 6))
    bn.moving_variance.assign(np.linspace(0.5, 2, 6))
    bn.gamma.assign(np.linspace(0.5, 1.5, 6))
    bn.beta.assign(np.linspace(-0.2, 0.2, 6))
    X = make_data()
    assert_allclose(
        forward(dense_steps(model), X), keras_output(model, X), rtol=1e-5, atol=1e-6
    )


def test_numpy_pass_runs_the_pca_shortcut_models_skae_builds():
    X = np.random.default_rng(0).random((60, 8))
    est = AutoencoderTransformer(3, hidden_layer_sizes=(6,), epochs=2, random_state=0)
    est.fit(X)
    models = est._models
    for model in (models.encoder, models.decoder):
        steps = dense_steps(model)
        assert steps is not None, model.summary()
        x = np.random.default_rng(1).normal(size=(5, model.input_shape[1]))
        assert_allclose(forward(steps, x), keras_output(model, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "model",
    [
        dense_model(keras.layers.Dense(4), keras.layers.UnitNormalization()),
        dense_model(keras.layers.Reshape((5, 1)), keras.layers.Flatten()),
        dense_model(keras.layers.Dense(4, activation="hard_sigmoid")),
    ],
    ids=["unknown-layer", "reshape", "unknown-activation"],
)
def test_models_outside_dense_stacks_take_the_keras_path(model):
    """A layer the NumPy pass does not know sends the whole model to Keras."""
    assert dense_steps(model) is None
    run = ModelRunner(model)
    X = make_data(n_samples=3)
    assert run._numpy_steps(np.dtype(np.float64)) is None
    assert_allclose(run(X), keras_output(model, X), rtol=1e-6, atol=1e-6)


def test_functional_models_take_the_keras_path():
    inputs = keras.Input((5,))
    outputs = keras.layers.Add()(
        [keras.layers.Dense(3)(inputs), keras.layers.Dense(3)(inputs)]
    )
    model = keras.Model(inputs, outputs)
    assert dense_steps(model) is None
    X = make_data()
    assert_allclose(ModelRunner(model)(X), keras_output(model, X), rtol=1e-6)


def test_runner_takes_numpy_for_few_rows_and_keras_for_many(monkeypatch):
    model = dense_model(keras.layers.Dense(4, "relu"))
    run = ModelRunner(model)
    calls = []
    monkeypatch.setattr(
        run.compiled,
        "_predict",
        lambda x: calls.append(len(x)) or keras_output(model, x),
    )
    run(make_data(n_samples=NUMPY_MAX_ROWS))
    assert calls == [compiled.MIN_CHUNK_ROWS]  # the probe batch only, padded
    run(make_data(n_samples=NUMPY_MAX_ROWS + 1))
    assert sum(calls[1:]) >= NUMPY_MAX_ROWS + 1  # all through Keras


@pytest.mark.parametrize(
    "activation, dtype, numpy_runs",
    [
        ("relu", np.float32, True),
        ("sigmoid", np.float32, True),  # NumPy's float32 exponential is vectorised
        ("gelu", np.float32, False),  # erf: Keras's kernels win
        ("relu", np.float64, False),  # float64 products: Keras's float32 wins
    ],
)
def test_float32_rows_of_a_cheap_stack_run_in_numpy_whatever_their_number(
    monkeypatch, activation, dtype, numpy_runs
):
    model = dense_model(
        keras.layers.Dense(8, "relu"), keras.layers.Dense(4, activation)
    )
    run = ModelRunner(model)
    monkeypatch.setattr(run.compiled, "chunk_rows", 64)  # several NumPy chunks
    X = make_data(n_samples=NUMPY_MAX_ROWS * 2 + 3).astype(dtype)
    expected = keras_output(model, X)
    calls = []
    original = run.compiled._predict
    monkeypatch.setattr(
        run.compiled, "_predict", lambda x: calls.append(len(x)) or original(x)
    )
    out = run(X, dtype)
    assert out.dtype == dtype and out.shape == expected.shape
    assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # The probe batch of the NumPy pass's check only, or every row.
    assert (sum(calls) < len(X)) == numpy_runs


def test_compiled_rows_agree_whatever_the_batch():
    """A row's result depends on its batch only in float32's last bits."""
    model = dense_model(keras.layers.Dense(16, "tanh"), keras.layers.Dense(3))
    run = CompiledPass(model)
    X = make_data(n_samples=40)
    full = run(X)
    one_by_one = np.vstack([run(X[i : i + 1]) for i in range(len(X))])
    assert_allclose(one_by_one, full, **FLOAT32)
    assert_allclose(run(X[::-1]), full[::-1], **FLOAT32)


@pytest.mark.parametrize("any_size", [True, False])
@pytest.mark.parametrize("n", [0, 1, 16, 17, 1000, 4096, 4097, 10_000])
def test_chunks_cover_every_row_once_padding_only_the_last(n, any_size):
    run = CompiledPass(dense_model(keras.layers.Dense(4)))
    assert run.chunk_rows == compiled.MAX_CHUNK_ROWS == 4096
    run.any_size = any_size
    calls = list(run.chunks(n))
    covered = [i for start, stop, _ in calls for i in range(start, stop)]
    assert covered == list(range(n))
    *full, last = calls or [(0, 0, 16)]
    assert all(stop - start == rows == 4096 for start, stop, rows in full)
    size = last[1] - last[0]
    assert compiled.MIN_CHUNK_ROWS <= last[2] <= 4096 and size <= last[2]
    if any_size:
        assert last[2] == max(size, compiled.MIN_CHUNK_ROWS)
    else:  # the smallest of a few padded sizes that holds the rows
        sizes = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
        assert last[2] == min(s for s in sizes if s >= size)


def test_tensorflow_traces_the_predict_function_once_for_every_chunk():
    model = dense_model(keras.layers.Dense(4))
    run = CompiledPass(model)
    for n in (1, 20, 300, 4096 + 7):
        run(make_data(n_samples=n))
    assert model.predict_function.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("kind", ["dense", "conv", "lstm"])
def test_rows_agree_in_every_chunk_size(kind):
    """A row's result is the same, to float32's precision, in a full chunk, in
    the last one, in a call of any other size and alone (padded): the layer
    families of skae's models on Keras's CPU kernels. Not to the bit: those
    kernels pick their code by the batch's size (tests/_float32_kernels.py)."""
    if kind == "dense":
        layers, shape = [keras.layers.Dense(64, "relu"), keras.layers.Dense(3)], (20,)
    elif kind == "conv":
        layers = [
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(3),
        ]
        shape = (8, 8, 1)
    else:
        layers, shape = [keras.layers.LSTM(8), keras.layers.Dense(3)], (6, 4)
    model = keras.Sequential([keras.Input(shape), *layers])
    run = CompiledPass(model)
    n = 4096 + 1024 + 256 + 64 + 16 + 5  # a full chunk and a last one
    X = np.random.default_rng(0).normal(size=(n, *shape)).astype(np.float32)
    full = run(X)
    for row in (0, 4095, 4096, 5120, 5440, n - 1):
        assert_allclose(run(X[row : row + 1]), full[row : row + 1], **FLOAT32)
    for start, stop in ((4096, 4096 + 1024), (5376, 5440), (10, 27)):
        assert_allclose(run(X[start:stop]), full[start:stop], **FLOAT32)


def test_compiled_chunks_bound_the_rows_per_call(monkeypatch):
    monkeypatch.setattr(compiled, "MAX_CHUNK_ROWS", 16)
    model = dense_model(keras.layers.Dense(4, "relu"))
    run = CompiledPass(model)
    seen = []
    original = run._predict
    monkeypatch.setattr(run, "_predict", lambda x: seen.append(len(x)) or original(x))
    X = make_data(n_samples=50)
    out = run(X, np.float32)
    assert seen == [16] * 4
    assert out.dtype == np.float32 and out.shape == (50, 4)
    assert_allclose(out, keras_output(model, X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_sigmoid_is_expit_over_the_whole_range_and_leaves_its_input(dtype):
    from scipy.special import expit

    x = np.concatenate(
        [np.linspace(-200, 200, 4001), [-1e30, -745.0, -89.0, 0.0, 89.0, 1e30]]
    ).astype(dtype)
    before = x.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning
        y = ACTIVATIONS["sigmoid"](x)
    assert y.dtype == dtype
    assert_array_equal(x, before)
    # Relative precision in the tails too (where 0.5 + 0.5 * tanh(x / 2) loses
    # it), down to the smallest normal number.
    assert_allclose(
        y, expit(x), rtol=4 * np.finfo(dtype).eps, atol=np.finfo(dtype).tiny
    )


def test_numpy_pass_gives_the_requested_dtype_and_agrees_with_keras():
    model = dense_model(keras.layers.Dense(4, "sigmoid"))
    run = ModelRunner(model)
    X = make_data(n_samples=10)
    assert run(X, np.float32).dtype == np.float32
    assert run(X).dtype == np.float64
    assert_allclose(run(X), run.compiled(X), rtol=1e-6, atol=1e-7)


def test_a_numpy_pass_that_disagrees_with_keras_warns_and_is_not_used(monkeypatch):
    model = dense_model(keras.layers.Dense(4))
    broken = dense_steps(model) + [(lambda x: x + 1.0, ())]
    monkeypatch.setattr(runner, "dense_steps", lambda model: broken)
    run = ModelRunner(model)
    X = make_data(n_samples=3)
    with pytest.warns(RuntimeWarning, match="disagrees with Keras"):
        out = run(X)
    assert_allclose(out, keras_output(model, X), rtol=1e-6, atol=1e-6)


# -- the Keras models are the fitted state ---------------------------------------------


@pytest.fixture
def fitted():
    X = np.random.default_rng(0).random((80, 8))
    est = AutoencoderTransformer(3, hidden_layer_sizes=(6,), epochs=2, random_state=0)
    return est.fit(X), X


def test_transform_follows_weights_set_through_encoder_(fitted):
    """Regression: transform ran a NumPy copy of the weights taken at fit time."""
    est, X = fitted
    rows = X[:3]
    before = est.transform(rows)  # builds the NumPy cache
    encoder = est.encoder_
    weights = [w * 0.5 for w in encoder.get_weights()]
    encoder.set_weights(weights)
    after = est.transform(rows)
    assert not np.allclose(after, before)
    assert_allclose(after, keras_output(encoder, rows), rtol=1e-5, atol=1e-6)


def test_transform_follows_a_user_fine_tuning_model_(fitted):
    """Regression: a user's own ``model_.fit`` left transform on the old weights."""
    est, X = fitted
    model = est.model_
    before = est.transform(X[:4]), est.inverse_transform(est.transform(X[:4]))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(X, X, epochs=2, verbose=0)
    codes = est.transform(X[:4])
    assert not np.allclose(codes, before[0])
    assert_allclose(codes, keras_output(est.encoder_, X[:4]), rtol=1e-5, atol=1e-6)
    decoded = est.inverse_transform(codes)
    assert_allclose(decoded, keras_output(est.decoder_, codes), rtol=1e-5, atol=1e-6)
    expected = -np.mean((keras_output(model, X) - X) ** 2)
    assert_allclose(est.score(X), expected, rtol=1e-5)


def test_models_held_from_before_a_transform_still_count(fitted):
    """A reference taken earlier changes the weights after the cache was built."""
    est, X = fitted
    encoder = est.encoder_
    est.transform(X[:2])
    encoder.set_weights([np.zeros_like(w) for w in encoder.get_weights()])
    assert_array_equal(est.transform(X[:2]), np.zeros((2, 3)))


def test_dense_one_row_transform_runs_in_numpy_until_the_models_are_handed_out(
    fitted, monkeypatch
):
    est, X = fitted
    models = est._models
    keras_calls = []
    for run in (models.encode, models.decode):
        original = run.compiled._predict
        monkeypatch.setattr(
            run.compiled,
            "_predict",
            lambda x, original=original: keras_calls.append(1) or original(x),
        )
    est.transform(X[:1])
    est.inverse_transform(est.transform(X[:1]))
    n_probes = len(keras_calls)  # the NumPy pass's check against Keras
    est.transform(X[:1])
    est.inverse_transform(est.transform(X[:1]))
    assert len(keras_calls) == n_probes
    assert est.decoder_ is models.decoder  # handed out: Keras runs both models now
    est.transform(X[:1])
    est.inverse_transform(est.transform(X[:1]))
    assert len(keras_calls) == n_probes + 3


def test_conv_models_run_on_keras_and_agree_with_their_models():
    X = np.random.default_rng(0).random((30, 16))
    est = ConvAutoencoderTransformer(
        3, image_shape=(4, 4), filters=(2,), epochs=1, random_state=0
    ).fit(X)
    assert dense_steps(est._models.encoder) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = est.transform(X)
    assert_allclose(Z, keras_output(est.encoder_, X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("hidden", [(), (48,)])
def test_transform_memory_stays_bounded_on_a_large_slice(monkeypatch, hidden):
    """NumPy's peak while transforming is the output plus a few chunks, whatever
    the number of rows: no copy of the input, no full-size intermediate."""
    import tracemalloc

    X = np.random.default_rng(0).uniform(size=(60_000, 64)).astype(np.float32)
    ae = AutoencoderTransformer(
        4, hidden_layer_sizes=hidden, epochs=1, random_state=0
    ).fit(X[:200])
    chunk_bytes = 2**18
    monkeypatch.setattr(compiled, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(compiled, "MIN_CHUNK_ROWS", 1)
    ae._set_model(ae._models.model)  # chunk sizes are chosen with the runners
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
