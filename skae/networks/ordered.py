"""Ordered codes: the nested dropout that trains them, and keeping a prefix of one.

An ordered autoencoder is trained with :class:`~skae.networks.layers.NestedDropout`
between its encoder and decoder, so that every prefix of its code is a good
code. :func:`truncate_autoencoder` then turns the fitted model into one whose
encoder outputs only the first ``n_components`` units and whose decoder reads
them, zeros standing in for the rest: the same weights, a smaller code.
"""

from .autoencoder import DECODER_NAME, ENCODER_NAME, Network, split_autoencoder


def ordered_network(network, n_components, seed):
    """``network`` with nested dropout on its code, checked to have a code to mask.

    The encoder's output must be the code itself, ``(batch, n_components)``:
    nested dropout zeroes its trailing units.
    """
    from .layers import NestedDropout

    shape = tuple(network.encoder.output_shape)
    if len(shape) != 2 or shape[1] != n_components or network.bottleneck is not None:
        what = (
            "a layer between the encoder and the decoder"
            if network.bottleneck is not None
            else f"an encoder output of shape {shape}"
        )
        raise ValueError(
            "ordered=True zeroes the trailing units of the code, which must be "
            f"the encoder's output of shape (None, {n_components}); this model has "
            f"{what}, so there is no code layer to mask. Set ordered=False."
        )
    dropout = NestedDropout(n_components, seed=seed, name="nested_dropout")
    return Network(network.encoder, network.decoder, dropout)


def truncate_autoencoder(model, n_components):
    """A model of ``model``'s weights that keeps its code's first ``n_components``.

    ``model`` is a joined autoencoder, possibly truncated before: the new one
    wraps the full encoder and decoder again, so truncating twice nests no
    deeper than once. The caller checks that ``n_components`` is between 1
    and the code's width.
    """
    import keras

    from .autoencoder import join_autoencoder
    from .layers import CodePrefix, ZeroPadCode

    encoder, decoder = full_halves(model)
    width = encoder.output_shape[-1]
    inputs = keras.Input(shape=encoder.input_shape[1:], name="inputs")
    codes = CodePrefix(n_components, name="code_prefix")(encoder(inputs))
    kept_encoder = keras.Model(inputs, codes, name=ENCODER_NAME)
    prefix = keras.Input(shape=(n_components,), name="codes")
    padded = ZeroPadCode(width, name="zero_pad_code")(prefix)
    kept_decoder = keras.Model(prefix, decoder(padded), name=DECODER_NAME)
    return join_autoencoder(kept_encoder, kept_decoder)


def full_halves(model):
    """The encoder and decoder of ``model``, from inside a truncation if any."""
    from .layers import CodePrefix

    encoder, decoder = split_autoencoder(model)
    if any(isinstance(layer, CodePrefix) for layer in encoder.layers):
        encoder = encoder.get_layer(ENCODER_NAME)
        decoder = decoder.get_layer(DECODER_NAME)
    return encoder, decoder
