"""The convolutional autoencoder: rows in, images inside, rows out."""

import math
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .._options import ACTIVATION_NAMES, FLIP_AXES
from .._validation import check_shape_fits_rows, positive_int_tuple, shape_param
from ..networks.conv import ConvSpec
from .base import BaseAutoencoder
from .docstrings import fill_shared_docs
from .fitted import from_spec
from .parameters import ORDERED_CONSTRAINTS

# decoder_dense="auto": a dense layer of this many units between the code and
# the decoder's feature map (benchmarks/bench_time_to_quality.py).
AUTO_DECODER_DENSE = 256


@fill_shared_docs
class ConvAutoencoderTransformer(BaseAutoencoder, registered=True):
    """Convolutional autoencoder for images, as arrays of images or flat rows.

    ``X`` holds images of shape ``(n_samples, height, width)`` or
    ``(n_samples, height, width, channels)``, or flat rows, each reshaped to
    ``image_shape``. Stride-2 ``Conv2D`` blocks (one per entry of
    ``filters``) halve its height and width, and a dense layer maps the result
    to a linear code of ``n_components`` numbers. The decoder expands the code
    (through a dense layer, ``decoder_dense``) into a feature map and doubles
    its height and width with as many stride-2 ``Conv2DTranspose`` blocks, of
    its own filters (``decoder_filters``, by default twice the encoder's).

    By default the autoencoder starts as PCA and learns to do better, as
    :class:`AutoencoderTransformer` does: a linear path from the pixels to the
    code and back, initialised to PCA's projection and reconstruction, plus the
    convolutional encoder and decoder, which start as a zero correction
    (``pca_shortcut``).
    ``transform`` returns one code per image, ``(n_samples, n_components)``,
    and ``inverse_transform`` returns images in the shape ``fit`` saw
    (``sample_shape_``), so it drops into the same Pipelines as
    :class:`AutoencoderTransformer` and PCA, in front of any classifier.

    Parameters
    ----------
    n_components : int or float, default=32
        Size of the code.
    {fraction}
    image_shape : tuple of int or None, default=None
        ``(height, width, channels)`` of one image (``(height, width)`` means
        one channel), channels last; a flat row holds the pixels in C order, as
        ``images.reshape(len(images), -1)`` gives them. ``None`` reads the shape
        from images passed as ``(n_samples, height, width)`` or ``(n_samples,
        height, width, channels)`` arrays, and from flat rows infers a square
        single-channel image (28 x 28 for 784 features), or a one-pixel-high
        image when the number of features is not a square. When set with
        images, it must match them.
    filters : tuple of int, default=(32, 64)
        Number of filters of each convolution block, outermost first.
    decoder_filters : tuple of int or "auto", default="auto"
        Number of filters of each decoder block, outermost first, one per
        entry of ``filters``; the innermost is the channels of the feature map
        the code expands into. ``"auto"`` gives the decoder twice the
        encoder's filters: the decoder draws every pixel, the encoder only has
        to compute ``n_components`` numbers, and the decoder's width buys more
        quality per second. ``decoder_filters=filters`` mirrors the encoder,
        the architecture before this parameter existed. The filters used are
        in ``decoder_filters_``.
    decoder_dense : int or "auto", default="auto"
        Units of a ``Dense`` layer between the code and the layer that expands
        it into the decoder's feature map; 0 for none, the architecture before
        this parameter existed. ``"auto"`` is 256: on Fashion-MNIST it
        lowered the error reached after every epoch, for 1.1x to 1.2x the
        time per epoch. The units used are in ``decoder_dense_``.
    kernel_size : int, default=3
        Height and width of every convolution kernel.
    activation : str, default="relu"
        Activation of the convolution layers.
    activity_l1 : float, default=0.0
        Weight of an L1 penalty on the code (a sparse autoencoder).
    pca_shortcut : bool, default=True
        Add a linear path from the pixels to the code and from the code to the
        pixels, initialised to PCA's projection and reconstruction, with the
        convolutions learning a correction that starts at zero. With the
        shortcut, ``"auto"`` loss and output activation are mean squared error
        and linear, the setting in which the starting point is exactly PCA.
    downsampling : {"stride", "pool"}, default="stride"
        How each encoder block halves the image: a stride-2 convolution, or a
        convolution at full size followed by ``MaxPooling2D`` (the Keras
        tutorial's network, several times slower). With ``"stride"`` the
        decoder's last ``Conv2DTranspose`` outputs the image's channels
        directly.
    random_flip : str or None, default=None
        Train on mirror images too: in every epoch each training image is
        mirrored with probability 1/2, left to right (``"horizontal"``), up and
        down (``"vertical"``), or each way independently
        (``"horizontal_and_vertical"``), as ``keras.layers.RandomFlip`` does,
        and the model learns to reconstruct the mirrored image. Use it where a
        mirror image is an image of the same kind (clothes, most photographs;
        not digits or text): it helps a model that learns its training
        images better than the images it has not seen. The held-out rows and
        ``transform`` see the images as they are. None trains on the images
        alone.
    {ordered_and_shared_parameters}

    Attributes
    ----------
    image_shape_ : tuple of int
        The ``(height, width, channels)`` used.
    decoder_filters_ : tuple of int
        The decoder's filters used, ``"auto"`` resolved.
    decoder_dense_ : int
        The units of the decoder's dense layer used, ``"auto"`` resolved.
    {shared_attributes}

    See Also
    --------
    AutoencoderTransformer : The fully connected autoencoder.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import ConvAutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X[:200] / 16.0
    >>> ae = ConvAutoencoderTransformer(
    ...     n_components=8, image_shape=(8, 8), filters=(8,), epochs=2, random_state=0
    ... )
    >>> ae.fit_transform(X).shape
    (200, 8)
    >>> ae.inverse_transform(ae.transform(X[:3])).shape
    (3, 64)
    """

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        **ORDERED_CONSTRAINTS,
        "image_shape": ["array-like", None],
        "filters": ["array-like", Integral],
        "decoder_filters": ["array-like", Integral, StrOptions({"auto"})],
        "decoder_dense": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATION_NAMES))],
        "activity_l1": [Interval(Real, 0, None, closed="left")],
        "pca_shortcut": ["boolean"],
        "downsampling": [StrOptions({"stride", "pool"})],
        "random_flip": [StrOptions(set(FLIP_AXES)), None],
    }

    _small_params = {"image_shape": None, "filters": (4,)}

    def __init__(
        self,
        n_components=32,
        *,
        image_shape=None,
        filters=(32, 64),
        decoder_filters="auto",
        decoder_dense="auto",
        kernel_size=3,
        activation="relu",
        activity_l1=0.0,
        pca_shortcut=True,
        downsampling="stride",
        random_flip=None,
        ordered=False,
        output_activation="auto",
        loss="auto",
        optimizer="adam",
        learning_rate=1e-3,
        learning_rate_schedule="plateau",
        epochs=200,
        batch_size=256,
        shuffle=True,
        validation_fraction=0.1,
        early_stopping=True,
        n_iter_no_change=10,
        tol=1e-4,
        noise=0.0,
        noise_type="gaussian",
        noise_clip="auto",
        callbacks=None,
        distribute=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.image_shape = image_shape
        self.filters = filters
        self.decoder_filters = decoder_filters
        self.decoder_dense = decoder_dense
        self.kernel_size = kernel_size
        self.activation = activation
        self.activity_l1 = activity_l1
        self.pca_shortcut = pca_shortcut
        self.downsampling = downsampling
        self.random_flip = random_flip
        self.ordered = ordered
        self.output_activation = output_activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.noise = noise
        self.noise_type = noise_type
        self.noise_clip = noise_clip
        self.callbacks = callbacks
        self.distribute = distribute
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    image_shape_ = from_spec("image_shape", "The ``(height, width, channels)`` used.")
    decoder_filters_ = from_spec("decoder_filters", "The decoder's filters used.")
    decoder_dense_ = from_spec(
        "decoder_dense", "The units of the decoder's dense layer used."
    )

    _sample_ndims = (2, 3)
    _sample_hint = (
        "flat rows (n_samples, n_features), or images of shape (n_samples, "
        "height, width) or (n_samples, height, width, channels)"
    )

    def _resolve_spec(self, X, fitted, sample_shape=None):
        filters = positive_int_tuple("filters", self.filters, allow_empty=False)
        shortcut = bool(self.pca_shortcut)
        decoder_filters, decoder_dense = self._resolve_decoder(filters, fitted)
        return ConvSpec(
            **self._resolve_common(X, fitted, linear_start=shortcut),
            image_shape=self._image_shape(X.shape[1], sample_shape),
            filters=filters,
            decoder_filters=decoder_filters,
            decoder_dense=decoder_dense,
            kernel_size=int(self.kernel_size),
            activation=self.activation,
            activity_l1=float(self.activity_l1),
            downsampling=self.downsampling,
            pca_shortcut=shortcut,
        )

    def _resolve_decoder(self, filters, fitted):
        """``decoder_filters`` and ``decoder_dense``, ``"auto"`` settled.

        A fit that continues a ``fitted`` spec keeps what ``"auto"`` chose then.
        """
        if fitted is not None:
            auto = fitted.decoder_filters, fitted.decoder_dense
        else:
            auto = tuple(2 * n for n in filters), AUTO_DECODER_DENSE
        dense = auto[1] if self.decoder_dense == "auto" else int(self.decoder_dense)
        if isinstance(self.decoder_filters, str):
            return auto[0], dense
        decoder = positive_int_tuple(
            "decoder_filters", self.decoder_filters, allow_empty=False
        )
        if len(decoder) != len(filters):
            raise ValueError(
                f"decoder_filters must have one entry per block of filters "
                f"{filters!r}; got decoder_filters={self.decoder_filters!r}."
            )
        return decoder, dense

    def _image_shape(self, n_features, sample_shape=None):
        images = sample_shape is not None and len(sample_shape) > 1
        read = (*sample_shape, 1)[:3] if images else None
        if self.image_shape is None:
            if images:
                return read
            side = math.isqrt(n_features)
            return (side, side, 1) if side * side == n_features else (1, n_features, 1)
        shape = shape_param(
            "image_shape",
            self.image_shape,
            (2, 3),
            "(height, width) or (height, width, channels)",
        )
        shape = shape if len(shape) == 3 else (*shape, 1)
        if images and shape != read:
            raise ValueError(
                f"image_shape={self.image_shape!r} does not match the images in X, "
                f"of shape {tuple(sample_shape)}. Set image_shape=None to read the "
                "shape from X, or pass X as flat rows."
            )
        check_shape_fits_rows(
            "image_shape",
            self.image_shape,
            shape,
            n_features,
            "Set image_shape to the shape of one image, or None to infer a square one.",
        )
        return shape

    def _network_shapes(self):
        height, width, channels = self.image_shape_
        return [(height, width, channels)] + (
            [(height, width)] if channels == 1 else []
        )
