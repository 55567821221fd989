"""A user's own Keras encoder and decoder, with all the scikit-learn behaviour kept.

This is the documented extension point: subclass ``BaseAutoencoder``, list the
parameters in ``__init__`` and build the two Keras models.
"""

import pickle

import keras
import numpy as np
import pytest
from _float32_kernels import (
    assert_rows_agree_in_any_order_and_alone,
    float32_kernel_failures,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import BaseAutoencoder


class ResidualAutoencoder(BaseAutoencoder):
    """An encoder with a linear shortcut around a nonlinear layer."""

    _parameter_constraints = {**BaseAutoencoder._parameter_constraints}
    _parameter_constraints["width"] = [int]

    def __init__(
        self, n_components=2, *, width=8, epochs=3, batch_size=32, random_state=None
    ):
        # Only what this model tunes; the other training parameters keep the
        # base class's defaults.
        self.n_components = n_components
        self.width = width
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    def build_encoder(self, n_features, seed):
        init = keras.initializers.GlorotUniform(seed=seed)
        inputs = keras.Input((n_features,))
        hidden = keras.layers.Dense(self.width, "tanh", kernel_initializer=init)(inputs)
        nonlinear = keras.layers.Dense(self.n_components, kernel_initializer=init)(
            hidden
        )
        shortcut = keras.layers.Dense(self.n_components, kernel_initializer=init)(
            inputs
        )
        codes = keras.layers.Add()([nonlinear, shortcut])
        return keras.Model(inputs, codes, name="encoder")

    def build_decoder(self, n_features, output_activation, seed):
        init = keras.initializers.GlorotUniform(seed=seed + 1)
        return keras.Sequential(
            [
                keras.Input((self.n_components,)),
                keras.layers.Dense(self.width, "tanh", kernel_initializer=init),
                keras.layers.Dense(
                    n_features, output_activation, kernel_initializer=init
                ),
            ],
            name="decoder",
        )


@pytest.mark.slow
@parametrize_with_checks(
    [ResidualAutoencoder()], expected_failed_checks=float32_kernel_failures
)
def test_custom_model_passes_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
def test_custom_model_rows_agree_in_any_order_and_alone():
    assert_rows_agree_in_any_order_and_alone(ResidualAutoencoder())


@pytest.mark.slow
def test_custom_model_fits_transforms_pickles_and_searches():
    X = np.random.default_rng(0).random((60, 10))
    est = ResidualAutoencoder(n_components=3, random_state=0).fit(X)
    assert est.transform(X).shape == (60, 3)
    assert est.inverse_transform(est.transform(X)).shape == (60, 10)
    assert est.encoder_.get_layer(index=-1).__class__.__name__ == "Add"
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-6)
    copied = pickle.loads(pickle.dumps(est))
    assert_array_equal(copied.transform(X), est.transform(X))
    search = GridSearchCV(ResidualAutoencoder(random_state=0), {"width": [4, 8]}, cv=2)
    assert search.fit(X).best_params_["width"] in (4, 8)


def test_missing_builder_is_reported():
    class NoDecoder(BaseAutoencoder):
        def __init__(self, n_components=2):
            self.n_components = n_components

    import pytest

    with pytest.raises(NotImplementedError, match="NoDecoder must define"):
        NoDecoder().fit(np.zeros((5, 2)))


class MinimalAutoencoder(BaseAutoencoder):
    """The README's example: only the parameters it wants to expose."""

    def __init__(self, n_components=3, *, width=16, epochs=5, random_state=None):
        self.n_components = n_components
        self.width = width
        self.epochs = epochs
        self.random_state = random_state

    def build_encoder(self, n_features, seed):
        return keras.Sequential(
            [
                keras.Input((n_features,)),
                keras.layers.Dense(self.width, "relu"),
                keras.layers.Dense(self.n_components),
            ],
            name="encoder",
        )

    def build_decoder(self, n_features, output_activation, seed):
        return keras.Sequential(
            [
                keras.Input((self.n_components,)),
                keras.layers.Dense(self.width, "relu"),
                keras.layers.Dense(n_features, output_activation),
            ],
            name="decoder",
        )


def test_minimal_subclass_uses_default_training_parameters():
    X = np.random.default_rng(0).random((40, 6))
    est = MinimalAutoencoder(random_state=0).fit(X)
    assert est.loss_ == "binary_crossentropy"
    assert est.n_iter_ == 5
    assert est.transform(X).shape == (40, 3)
    assert set(est.get_params()) == {"n_components", "width", "epochs", "random_state"}
