"""The NumPy forward pass behind transform and inverse_transform."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose

from skae import _inference
from skae._inference import ACTIVATIONS, ForwardPlan


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
    assert_allclose(plan(X), keras_output(model, X), rtol=1e-6)
