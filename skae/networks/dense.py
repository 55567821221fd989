"""Keras builders for the fully connected encoder and decoder.

This module only knows Keras: it receives resolved, validated settings and returns
``keras.Sequential`` models. The estimator decides what those settings are.
"""

from dataclasses import dataclass

import keras
import numpy as np


@dataclass(frozen=True)
class DenseStack:
    """Settings of the hidden layers, shared by an encoder and its mirror."""

    hidden_layer_sizes: tuple = ()
    activation: str = "relu"
    dropout: float = 0.0
    batch_normalization: bool = False

    def layers(self, sizes, seeds):
        """Return the Keras layers of hidden layers of the given widths."""
        layers = []
        for i, (units, seed) in enumerate(zip(sizes, seeds, strict=True)):
            if self.batch_normalization:
                layers.append(seeded_dense(units, None, seed, f"hidden_{i}"))
                layers.append(keras.layers.BatchNormalization(name=f"batchnorm_{i}"))
                layers.append(keras.layers.Activation(self.activation))
            else:
                layers.append(seeded_dense(units, self.activation, seed, f"hidden_{i}"))
            if self.dropout > 0:
                # Seeded so that two fits with one random_state drop the same units.
                layers.append(
                    keras.layers.Dropout(self.dropout, seed=seed, name=f"dropout_{i}")
                )
        return layers


def seeded_dense(units, activation, seed, name, **kwargs):
    """A Dense layer whose Glorot-uniform initial weights depend only on ``seed``."""
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer="zeros",
        name=name,
        **kwargs,
    )


def layer_seeds(seed, n_layers):
    """Return ``n_layers`` independent, reproducible seeds drawn from ``seed``."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n_layers)]


def code_regularizer(activity_l1):
    """L1 penalty on the code's activations (a sparse autoencoder), or None."""
    return keras.regularizers.L1(activity_l1) if activity_l1 > 0 else None


def build_dense_encoder(
    stack, n_features, n_components, *, code_activation, activity_l1, seed
):
    """Return ``Input(n_features) -> hidden layers -> Dense(n_components)``."""
    seeds = layer_seeds(seed, len(stack.hidden_layer_sizes) + 1)
    return keras.Sequential(
        [
            keras.Input(shape=(n_features,), name="features"),
            *stack.layers(stack.hidden_layer_sizes, seeds[:-1]),
            seeded_dense(
                n_components,
                code_activation,
                seeds[-1],
                "code",
                activity_regularizer=code_regularizer(activity_l1),
            ),
        ],
        name="encoder",
    )


def build_dense_decoder(stack, n_components, n_features, *, output_activation, seed):
    """Return the mirror image of the encoder: code -> reversed hidden -> output."""
    mirrored = tuple(reversed(stack.hidden_layer_sizes))
    # Offset the seed so the decoder's first layer never repeats the encoder's.
    seeds = layer_seeds(seed + 1, len(mirrored) + 1)
    return keras.Sequential(
        [
            keras.Input(shape=(n_components,), name="code"),
            *stack.layers(mirrored, seeds[:-1]),
            seeded_dense(n_features, output_activation, seeds[-1], "output"),
        ],
        name="decoder",
    )


def build_shortcut_encoder(stack, n_features, n_components, *, activity_l1, seed):
    """Return an encoder computing ``projection(x) + correction(hidden(x))``.

    ``projection`` is a linear map the estimator sets to PCA's; ``correction``
    starts at zero, so the encoder starts as PCA.
    """
    from .layers import Residual

    seeds = layer_seeds(seed, len(stack.hidden_layer_sizes) + 1)
    body = [
        *stack.layers(stack.hidden_layer_sizes, seeds[:-1]),
        keras.layers.Dense(n_components, kernel_initializer="zeros", name="correction"),
    ]
    code = Residual(
        seeded_dense(n_components, None, seeds[-1], "projection"),
        body,
        activity_regularizer=code_regularizer(activity_l1),
        name="code",
    )
    return keras.Sequential(
        [keras.Input(shape=(n_features,), name="features"), code], name="encoder"
    )


def build_shortcut_decoder(stack, n_components, n_features, *, output_activation, seed):
    """Return the decoder ``reconstruction(z) + correction(hidden(z))``."""
    from .layers import Residual

    mirrored = tuple(reversed(stack.hidden_layer_sizes))
    seeds = layer_seeds(seed + 1, len(mirrored) + 1)
    body = [
        *stack.layers(mirrored, seeds[:-1]),
        keras.layers.Dense(n_features, kernel_initializer="zeros", name="correction"),
    ]
    layers = [
        keras.Input(shape=(n_components,), name="code"),
        Residual(
            seeded_dense(n_features, None, seeds[-1], "reconstruction"),
            body,
            name="output",
        ),
    ]
    if output_activation != "linear":
        layers.append(
            keras.layers.Activation(output_activation, name="output_activation")
        )
    return keras.Sequential(layers, name="decoder")
