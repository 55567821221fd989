"""Keras builders for the convolutional encoder and decoder.

The encoder reshapes each row into an image and halves its height and width
with every block, a stride-2 ``Conv2D`` (``downsampling="stride"``) or a
``Conv2D`` followed by ``MaxPooling2D`` (``"pool"``), then flattens into a
linear code. The decoder expands the code into a feature map and doubles its
height and width with as many stride-2 ``Conv2DTranspose`` blocks, of its own
filters, back to full size, a crop to the exact image size (halving rounds odd
sizes up), and a flatten, so it returns rows again.

With ``pca_shortcut`` each side is a :class:`~skae.networks.layers.Residual`
whose linear path starts as PCA's (see :func:`~skae.networks.dense.
start_as_pca`) and whose convolutional body starts at zero, as in the dense
model: the autoencoder starts as PCA and learns a correction.
"""

import math
from dataclasses import dataclass

from .._seeds import int_seeds
from .autoencoder import Network
from .dense import code_regularizer, seeded_dense, zero_dense
from .spec import NetworkSpec, builds


@dataclass(frozen=True, kw_only=True)
class ConvSpec(NetworkSpec, registered=True):
    """A convolutional autoencoder; see :class:`~skae.ConvAutoencoderTransformer`.

    The defaults of ``downsampling`` and ``pca_shortcut`` are the architecture
    of models saved before they existed.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width, channels)`` of one image.
    filters : tuple of int
        Filters of each convolution block, outermost first.
    decoder_filters : tuple of int or None
        Filters of each decoder block, outermost first, as many as
        ``filters``: the innermost sets the channels of the feature map the
        code expands to. None, the decoder of models saved before the two could
        differ, is set to ``filters``.
    decoder_dense : int
        Units of a ``Dense`` layer between the code and the layer that expands
        it into the feature map; 0, the decoder of models saved before it
        existed, for none.
    kernel_size : int
        Height and width of every convolution kernel.
    activation : str
        Activation of the convolution layers.
    activity_l1 : float
        Weight of an L1 penalty on the code.
    downsampling : str
        ``"stride"`` or ``"pool"``: how each encoder block halves the image.
    pca_shortcut : bool
        Whether both sides have a linear path that starts as PCA.
    output_clip : bool
        Whether the linear output of a ``pca_shortcut`` network is clipped to
        [0, 1], as a denoiser of images in [0, 1] needs (see
        :func:`skae.estimators.losses.clip_output`).
    """

    image_shape: tuple = ()
    filters: tuple = ()
    decoder_filters: tuple | None = None
    decoder_dense: int = 0
    kernel_size: int = 3
    activation: str = "relu"
    activity_l1: float = 0.0
    downsampling: str = "pool"
    pca_shortcut: bool = False
    output_clip: bool = False

    def __post_init__(self):
        if self.decoder_filters is None:
            object.__setattr__(self, "decoder_filters", self.filters)


@builds(ConvSpec)
def build_conv(spec, seed):
    """Return the :class:`~skae.networks.autoencoder.Network` of ``spec``."""
    encoder_seed, decoder_seed = seed.spawn(2)
    return Network(conv_encoder(spec, encoder_seed), conv_decoder(spec, decoder_seed))


def downsampled_size(image_shape, n_blocks):
    """Height and width after ``n_blocks`` halvings with "same" padding."""
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
    """Return ``rows -> image -> convolution blocks -> code``."""

    import keras

    from .layers import Residual

    seeds = int_seeds(seed, len(spec.filters) + 1)
    body = [keras.layers.Reshape(spec.image_shape, name="to_image")]
    for i, (n_filters, layer_seed) in enumerate(zip(spec.filters, seeds, strict=False)):
        stride = 2 if spec.downsampling == "stride" else 1
        body.append(
            keras.layers.Conv2D(
                n_filters,
                spec.kernel_size,
                strides=stride,
                activation=spec.activation,
                name=f"conv_{i}",
                **_conv_kwargs(layer_seed),
            )
        )
        if spec.downsampling == "pool":
            body.append(keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i}"))
    body.append(keras.layers.Flatten(name="flatten"))
    regularizer = code_regularizer(spec.activity_l1)
    inputs = keras.Input(shape=(math.prod(spec.image_shape),), name="features")
    if spec.pca_shortcut:
        code = Residual(
            seeded_dense(spec.n_components, None, seeds[-1], "projection"),
            [*body, zero_dense(spec.n_components, "correction")],
            activity_regularizer=regularizer,
            name="code",
        )
        return keras.Sequential([inputs, code], name="encoder")
    code = seeded_dense(
        spec.n_components, None, seeds[-1], "code", activity_regularizer=regularizer
    )
    return keras.Sequential([inputs, *body, code], name="encoder")


def conv_decoder(spec, seed):
    """Return ``code -> [dense] -> feature map -> Conv2DTranspose blocks -> rows``."""

    import keras

    from .layers import Clip, Residual

    image_shape, filters = spec.image_shape, spec.decoder_filters
    kernel_size = spec.kernel_size
    activation = spec.activation
    # One seed more than the layers without decoder_dense use, last, so that
    # the others, and models without it, keep their initial weights.
    *seeds, dense_seed = int_seeds(seed, len(filters) + 3)
    height, width = downsampled_size(image_shape, len(filters))
    output_activation = None if spec.pca_shortcut else spec.output_activation
    # The image's channels come from a last full-size layer, which with the
    # shortcut starts at zero.
    last_kwargs = _conv_kwargs(seeds[-1])
    if spec.pca_shortcut:
        last_kwargs["kernel_initializer"] = "zeros"
    body = []
    if spec.decoder_dense:
        body.append(seeded_dense(spec.decoder_dense, activation, dense_seed, "dense"))
    body += [
        seeded_dense(height * width * filters[-1], activation, seeds[0], "expand"),
        keras.layers.Reshape((height, width, filters[-1]), name="to_feature_map"),
    ]
    upsampled = list(reversed(filters))
    if spec.downsampling == "stride":
        # The last upsampling outputs the channels itself: no convolution runs
        # at full size over many filters.
        upsampled = upsampled[1:]
    for i, n_filters in enumerate(upsampled):
        body.append(
            keras.layers.Conv2DTranspose(
                n_filters,
                kernel_size,
                strides=2,
                activation=activation,
                name=f"deconv_{i}",
                **_conv_kwargs(seeds[i + 1]),
            )
        )
    last = (
        keras.layers.Conv2DTranspose
        if spec.downsampling == "stride"
        else (keras.layers.Conv2D)
    )
    body.append(
        last(
            image_shape[2],
            kernel_size,
            **({"strides": 2} if spec.downsampling == "stride" else {}),
            activation=output_activation,
            name="to_channels",
            **last_kwargs,
        )
    )
    extra_height = height * 2 ** len(filters) - image_shape[0]
    extra_width = width * 2 ** len(filters) - image_shape[1]
    if extra_height or extra_width:
        body.append(
            keras.layers.Cropping2D(((0, extra_height), (0, extra_width)), name="crop")
        )
    body.append(keras.layers.Flatten(name="to_rows"))
    inputs = keras.Input(shape=(spec.n_components,), name="code")
    if not spec.pca_shortcut:
        return keras.Sequential([inputs, *body], name="decoder")
    reconstruction = seeded_dense(spec.n_features, None, seeds[-1], "reconstruction")
    layers = [inputs, Residual(reconstruction, body, name="output")]
    if spec.output_clip:
        layers.append(Clip(0.0, 1.0, name="output_clip"))
    elif spec.output_activation != "linear":
        layers.append(
            keras.layers.Activation(spec.output_activation, name="output_activation")
        )
    return keras.Sequential(layers, name="decoder")
