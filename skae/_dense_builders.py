"""Keras builders for the fully connected encoder and decoder.

This module only knows Keras: it receives resolved, validated settings and returns
``keras.Sequential`` models. The estimator decides what those settings are.
"""

import keras
import numpy as np


def _seeded_dense(units, activation, seed, name):
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer="zeros",
        name=name,
    )


def _layer_seeds(seed, n_layers):
    # One independent, reproducible seed per layer, all drawn from the fit's seed.
    return np.random.SeedSequence(seed).generate_state(n_layers).tolist()


def build_dense_encoder(
    n_features, n_components, hidden_layer_sizes, activation, code_activation, seed
):
    """Return ``Input(n_features) -> hidden layers -> Dense(n_components)``."""
    seeds = _layer_seeds(seed, len(hidden_layer_sizes) + 1)
    layers = [keras.Input(shape=(n_features,), name="features")]
    for i, units in enumerate(hidden_layer_sizes):
        layers.append(_seeded_dense(units, activation, seeds[i], f"hidden_{i}"))
    layers.append(_seeded_dense(n_components, code_activation, seeds[-1], "code"))
    return keras.Sequential(layers, name="encoder")


def build_dense_decoder(
    n_components, n_features, hidden_layer_sizes, activation, output_activation, seed
):
    """Return the mirror image of the encoder: code -> reversed hidden -> output."""
    mirrored = tuple(reversed(hidden_layer_sizes))
    # Offset the seed so the decoder's first layer never repeats the encoder's.
    seeds = _layer_seeds(seed + 1, len(mirrored) + 1)
    layers = [keras.Input(shape=(n_components,), name="code")]
    for i, units in enumerate(mirrored):
        layers.append(_seeded_dense(units, activation, seeds[i], f"hidden_{i}"))
    layers.append(_seeded_dense(n_features, output_activation, seeds[-1], "output"))
    return keras.Sequential(layers, name="decoder")
