"""Keras builders for the convolutional encoder and decoder.

The encoder reshapes each row into an image, halves its height and width with
every ``Conv2D`` + ``MaxPooling2D`` block, and flattens into a linear code. The
decoder mirrors it with stride-2 ``Conv2DTranspose`` blocks, a last ``Conv2D``
onto the image's channels, a crop back to the exact image size (pooling rounds
odd sizes up), and a flatten, so it returns rows again.
"""

import math

import keras

from .dense import code_regularizer, layer_seeds, seeded_dense


def downsampled_size(image_shape, n_blocks):
    """Height and width after ``n_blocks`` poolings of size 2 with "same" padding."""
    height, width = image_shape[:2]
    for _ in range(n_blocks):
        height, width = math.ceil(height / 2), math.ceil(width / 2)
    return height, width


def _conv_kwargs(seed):
    return {
        "padding": "same",
        "kernel_initializer": keras.initializers.GlorotUniform(seed=seed),
        "bias_initializer": "zeros",
    }


def build_conv_encoder(
    image_shape, n_components, *, filters, kernel_size, activation, activity_l1, seed
):
    """Return ``rows -> image -> [Conv2D, MaxPooling2D] * len(filters) -> code``."""
    seeds = layer_seeds(seed, len(filters) + 1)
    layers = [
        keras.Input(shape=(math.prod(image_shape),), name="features"),
        keras.layers.Reshape(image_shape, name="to_image"),
    ]
    for i, (n_filters, layer_seed) in enumerate(zip(filters, seeds, strict=False)):
        layers.append(
            keras.layers.Conv2D(
                n_filters,
                kernel_size,
                activation=activation,
                name=f"conv_{i}",
                **_conv_kwargs(layer_seed),
            )
        )
        layers.append(keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    layers.append(
        seeded_dense(
            n_components,
            None,
            seeds[-1],
            "code",
            activity_regularizer=code_regularizer(activity_l1),
        )
    )
    return keras.Sequential(layers, name="encoder")


def build_conv_decoder(
    image_shape,
    n_components,
    *,
    filters,
    kernel_size,
    activation,
    output_activation,
    seed,
):
    """Return ``code -> feature map -> [Conv2DTranspose] * len(filters) -> rows``."""
    seeds = layer_seeds(seed + 1, len(filters) + 2)
    height, width = downsampled_size(image_shape, len(filters))
    layers = [
        keras.Input(shape=(n_components,), name="code"),
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
            activation=output_activation,
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
