"""Keras builders for the convolutional encoder and decoder.

The encoder reshapes each row into an image, halves its height and width with
every ``Conv2D`` + ``MaxPooling2D`` block, and flattens into a linear code. The
decoder mirrors it with stride-2 ``Conv2DTranspose`` blocks, a last ``Conv2D``
onto the image's channels, a crop back to the exact image size (pooling rounds
odd sizes up), and a flatten, so it returns rows again.
"""

import math
from dataclasses import dataclass

from .autoencoder import Network
from .dense import code_regularizer, layer_seeds, seeded_dense
from .spec import NetworkSpec


@dataclass(frozen=True, kw_only=True)
class ConvSpec(NetworkSpec, registered=True):
    """A convolutional autoencoder; see :class:`~skae.ConvAutoencoderTransformer`.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width, channels)`` of one image.
    filters : tuple of int
        Filters of each convolution block, outermost first.
    kernel_size : int
        Height and width of every convolution kernel.
    activation : str
        Activation of the convolution layers.
    activity_l1 : float
        Weight of an L1 penalty on the code.
    """

    image_shape: tuple = ()
    filters: tuple = ()
    kernel_size: int = 3
    activation: str = "relu"
    activity_l1: float = 0.0


def build_conv(spec, seed):
    """Return the :class:`~skae.networks.autoencoder.Network` of ``spec``."""
    encoder_seed, decoder_seed = seed.spawn(2)
    return Network(conv_encoder(spec, encoder_seed), conv_decoder(spec, decoder_seed))


def downsampled_size(image_shape, n_blocks):
    """Height and width after ``n_blocks`` poolings of size 2 with "same" padding."""
    height, width = image_shape[:2]
    for _ in range(n_blocks):
        height, width = math.ceil(height / 2), math.ceil(width / 2)
    return height, width


def _conv_kwargs(seed):
    import keras

    return {
        "padding": "same",
        "kernel_initializer": keras.initializers.GlorotUniform(seed=seed),
        "bias_initializer": "zeros",
    }


def conv_encoder(spec, seed):
    """Return ``rows -> image -> [Conv2D, MaxPooling2D] * len(filters) -> code``."""

    import keras

    seeds = layer_seeds(seed, len(spec.filters) + 1)
    layers = [
        keras.Input(shape=(math.prod(spec.image_shape),), name="features"),
        keras.layers.Reshape(spec.image_shape, name="to_image"),
    ]
    for i, (n_filters, layer_seed) in enumerate(zip(spec.filters, seeds, strict=False)):
        layers.append(
            keras.layers.Conv2D(
                n_filters,
                spec.kernel_size,
                activation=spec.activation,
                name=f"conv_{i}",
                **_conv_kwargs(layer_seed),
            )
        )
        layers.append(keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    layers.append(
        seeded_dense(
            spec.n_components,
            None,
            seeds[-1],
            "code",
            activity_regularizer=code_regularizer(spec.activity_l1),
        )
    )
    return keras.Sequential(layers, name="encoder")


def conv_decoder(spec, seed):
    """Return ``code -> feature map -> [Conv2DTranspose] * len(filters) -> rows``."""

    import keras

    image_shape, filters, kernel_size = spec.image_shape, spec.filters, spec.kernel_size
    activation = spec.activation
    seeds = layer_seeds(seed, len(filters) + 2)
    height, width = downsampled_size(image_shape, len(filters))
    layers = [
        keras.Input(shape=(spec.n_components,), name="code"),
        seeded_dense(height * width * filters[-1], activation, seeds[0], "expand"),
        keras.layers.Reshape((height, width, filters[-1]), name="to_feature_map"),
    ]
    for i, n_filters in enumerate(reversed(filters)):
        layers.append(
            keras.layers.Conv2DTranspose(
                n_filters,
                kernel_size,
                strides=2,
                activation=activation,
                name=f"deconv_{i}",
                **_conv_kwargs(seeds[i + 1]),
            )
        )
    layers.append(
        keras.layers.Conv2D(
            image_shape[2],
            kernel_size,
            activation=spec.output_activation,
            name="to_channels",
            **_conv_kwargs(seeds[-1]),
        )
    )
    extra_height = height * 2 ** len(filters) - image_shape[0]
    extra_width = width * 2 ** len(filters) - image_shape[1]
    if extra_height or extra_width:
        layers.append(
            keras.layers.Cropping2D(((0, extra_height), (0, extra_width)), name="crop")
        )
    layers.append(keras.layers.Flatten(name="to_rows"))
    return keras.Sequential(layers, name="decoder")
