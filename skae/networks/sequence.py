"""Keras builders for the sequence (LSTM) encoder and decoder.

Rows hold flattened sequences of shape ``(timesteps, channels)``. The encoder
reads the sequence with an LSTM and maps its last state to a linear code; the
decoder repeats the code at every time step, unrolls an LSTM over them and maps
each step back to the channels, then flattens into a row again.
"""

import math
from dataclasses import dataclass

from .._seeds import int_seeds
from .autoencoder import Network
from .dense import code_regularizer, seeded_dense
from .spec import NetworkSpec, builds


@dataclass(frozen=True, kw_only=True)
class SequenceSpec(NetworkSpec, registered=True):
    """An LSTM autoencoder; see :class:`~skae.SequenceAutoencoderTransformer`.

    Parameters
    ----------
    sequence_shape : tuple of int
        ``(timesteps, channels)`` of one sequence.
    units : int
        Size of the encoder's and the decoder's LSTM state.
    activity_l1 : float
        Weight of an L1 penalty on the code.
    """

    sequence_shape: tuple = ()
    units: int = 64
    activity_l1: float = 0.0


@builds(SequenceSpec)
def build_sequence(spec, seed):
    """Return the :class:`~skae.networks.autoencoder.Network` of ``spec``."""
    encoder_seed, decoder_seed = seed.spawn(2)
    return Network(
        sequence_encoder(spec, encoder_seed), sequence_decoder(spec, decoder_seed)
    )


def _seeded_lstm(units, seed, name, **kwargs):
    import keras

    return keras.layers.LSTM(
        units,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seed),
        name=name,
        **kwargs,
    )


def sequence_encoder(spec, seed):
    """Return ``rows -> (timesteps, channels) -> LSTM(units) -> code``."""

    import keras

    lstm_seed, code_seed = int_seeds(seed, 2)
    return keras.Sequential(
        [
            keras.Input(shape=(math.prod(spec.sequence_shape),), name="features"),
            keras.layers.Reshape(spec.sequence_shape, name="to_sequence"),
            _seeded_lstm(spec.units, lstm_seed, "lstm"),
            seeded_dense(
                spec.n_components,
                None,
                code_seed,
                "code",
                activity_regularizer=code_regularizer(spec.activity_l1),
            ),
        ],
        name="encoder",
    )


def sequence_decoder(spec, seed):
    """Return ``code -> repeated per step -> LSTM(units) -> channels -> rows``."""

    import keras

    timesteps, channels = spec.sequence_shape
    lstm_seed, output_seed = int_seeds(seed, 2)
    return keras.Sequential(
        [
            keras.Input(shape=(spec.n_components,), name="code"),
            keras.layers.RepeatVector(timesteps, name="repeat"),
            _seeded_lstm(spec.units, lstm_seed, "lstm", return_sequences=True),
            seeded_dense(channels, spec.output_activation, output_seed, "output"),
            keras.layers.Flatten(name="to_rows"),
        ],
        name="decoder",
    )
