"""How an encoder and a decoder become one autoencoder model, and back again.

``model_`` is ``decoder(encoder(inputs))`` with the encoder and decoder nested as
named sub-models, so the three models share one set of weights. Because the
nesting survives Keras's own saving, :func:`split_autoencoder` recovers the
shared encoder and decoder from a reloaded ``model_``.
"""

from typing import NamedTuple

ENCODER_NAME = "encoder"
DECODER_NAME = "decoder"


class Network(NamedTuple):
    """What a builder returns: the two models and what lies between them."""

    encoder: object  # keras.Model
    decoder: object  # keras.Model
    bottleneck: object = None  # keras.layers.Layer, or None


def join_autoencoder(encoder, decoder, bottleneck=None):
    """Return the model that applies ``decoder`` to ``encoder``'s output.

    ``bottleneck``, when given, is a layer applied to the encoder's output on the
    way to the decoder (the variational autoencoder's sampling).
    """
    import keras

    if encoder.name != ENCODER_NAME or decoder.name != DECODER_NAME:
        raise ValueError(
            f"The encoder and decoder models must be named {ENCODER_NAME!r} and "
            f"{DECODER_NAME!r}; got {encoder.name!r} and {decoder.name!r}."
        )
    inputs = keras.Input(shape=encoder.input_shape[1:], name="inputs")
    codes = encoder(inputs)
    if bottleneck is not None:
        codes = bottleneck(codes)
    return keras.Model(inputs, decoder(codes), name="autoencoder")


def split_autoencoder(model):
    """Return the ``(encoder, decoder)`` sub-models of a joined autoencoder."""
    return model.get_layer(ENCODER_NAME), model.get_layer(DECODER_NAME)
