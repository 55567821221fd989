"""Keras builders for the sequence (LSTM) encoder and decoder.

Rows hold flattened sequences of shape ``(timesteps, channels)``. The encoder
reads the sequence with an LSTM and maps its last state to a linear code; the
decoder repeats the code at every time step, unrolls an LSTM over them and maps
each step back to the channels, then flattens into a row again.
"""

import math

import keras

from .dense import code_regularizer, layer_seeds, seeded_dense


def _seeded_lstm(units, seed, name, **kwargs):
    return keras.layers.LSTM(
        units,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seed),
        name=name,
        **kwargs,
    )


def build_sequence_encoder(sequence_shape, n_components, *, units, activity_l1, seed):
    """Return ``rows -> (timesteps, channels) -> LSTM(units) -> code``."""
    lstm_seed, code_seed = layer_seeds(seed, 2)
    return keras.Sequential(
        [
            keras.Input(shape=(math.prod(sequence_shape),), name="features"),
            keras.layers.Reshape(sequence_shape, name="to_sequence"),
            _seeded_lstm(units, lstm_seed, "lstm"),
            seeded_dense(
                n_components,
                None,
                code_seed,
                "code",
                activity_regularizer=code_regularizer(activity_l1),
            ),
        ],
        name="encoder",
    )


def build_sequence_decoder(
    sequence_shape, n_components, *, units, output_activation, seed
):
    """Return ``code -> repeated per step -> LSTM(units) -> channels -> rows``."""
    timesteps, channels = sequence_shape
    lstm_seed, output_seed = layer_seeds(seed + 1, 2)
    return keras.Sequential(
        [
            keras.Input(shape=(n_components,), name="code"),
            keras.layers.RepeatVector(timesteps, name="repeat"),
            _seeded_lstm(units, lstm_seed, "lstm", return_sequences=True),
            seeded_dense(channels, output_activation, output_seed, "output"),
            keras.layers.Flatten(name="to_rows"),
        ],
        name="decoder",
    )
