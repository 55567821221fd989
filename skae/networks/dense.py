"""The fully connected encoder and decoder, with or without the PCA shortcut.

The encoder maps rows through hidden ``Dense`` layers to a code; the decoder
maps the code through hidden layers of its own widths (the encoder's, reversed,
unless the spec says otherwise) back to rows. With ``pca_shortcut`` each side
is a :class:`~skae.networks.layers.Residual`: a linear path, set to PCA's
projection (or reconstruction) by :func:`start_as_pca`, plus the hidden layers,
whose last layer starts at zero, so that the autoencoder starts as PCA and
learns a correction.
"""

from dataclasses import dataclass

import numpy as np

from .._seeds import int_seeds
from .autoencoder import Network
from .basis import BASIS_NAME, EXPANSION_NAME, start_basis
from .spec import NetworkSpec, builds


@dataclass(frozen=True, kw_only=True)
class DenseSpec(NetworkSpec, registered=True):
    """A fully connected autoencoder; see :class:`~skae.AutoencoderTransformer`.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        The encoder's hidden widths, outermost first.
    decoder_layer_sizes : tuple of int or None
        The decoder's hidden widths, from the code outwards. None, the
        decoder of models saved before the two could differ, is set to
        ``hidden_layer_sizes`` reversed.
    activation : str
        Activation of the hidden layers.
    code_activation : str
        Activation of the code layer (linear with the shortcut).
    pca_shortcut : bool
        Whether both sides have a linear path that starts as PCA.
    dropout : float
        Dropout rate after every hidden layer.
    batch_normalization : bool
        Batch-normalise every hidden layer before its activation.
    activity_l1 : float
        Weight of an L1 penalty on the code.
    output_clip : bool
        Whether the linear output of a ``pca_shortcut`` network is clipped to
        [0, 1], as a denoiser of data in [0, 1] needs (see
        :func:`skae.estimators.losses.clip_output`).
    pca_basis : int
        The number of principal directions a ``pca_shortcut`` network works in
        (see :mod:`skae.networks.basis`); 0: the features themselves.
    """

    hidden_layer_sizes: tuple = ()
    decoder_layer_sizes: tuple | None = None
    activation: str = "relu"
    code_activation: str = "linear"
    pca_shortcut: bool = False
    dropout: float = 0.0
    batch_normalization: bool = False
    activity_l1: float = 0.0
    output_clip: bool = False
    pca_basis: int = 0

    def __post_init__(self):
        if self.decoder_layer_sizes is None:
            mirrored = tuple(reversed(self.hidden_layer_sizes))
            object.__setattr__(self, "decoder_layer_sizes", mirrored)


@builds(DenseSpec)
def build_dense(spec, seed):
    """Return the :class:`~skae.networks.autoencoder.Network` of ``spec``.

    ``seed`` is a ``numpy.random.SeedSequence``: each layer's initial weights
    and dropout draw from a child of it.
    """
    encoder_seed, decoder_seed = seed.spawn(2)
    return Network(dense_encoder(spec, encoder_seed), dense_decoder(spec, decoder_seed))


def dense_encoder(spec, seed, n_outputs=None):
    """``Input(n_features) -> hidden layers -> Dense(n_outputs)`` (the code)."""

    import keras

    from .layers import Residual

    n_outputs = n_outputs or spec.n_components
    seeds = int_seeds(seed, len(spec.hidden_layer_sizes) + 1)
    hidden = hidden_layers(spec, spec.hidden_layer_sizes, seeds[:-1])
    regularizer = code_regularizer(spec.activity_l1)
    if spec.pca_shortcut:
        body = [*hidden, zero_dense(n_outputs, "correction")]
        code = Residual(
            seeded_dense(n_outputs, None, seeds[-1], "projection"),
            body,
            activity_regularizer=regularizer,
            name="code",
        )
        layers = [code]
    else:
        code = seeded_dense(
            n_outputs,
            spec.code_activation,
            seeds[-1],
            "code",
            activity_regularizer=regularizer,
        )
        layers = [*hidden, code]
    inputs = keras.Input(shape=(spec.n_features,), name="features")
    if spec.pca_basis:
        layers.insert(0, fixed_dense(spec.pca_basis, BASIS_NAME))
    return keras.Sequential([inputs, *layers], name="encoder")


def dense_decoder(spec, seed):
    """``Input(n_components) -> hidden layers -> Dense(n_features)`` (the output).

    The hidden widths are ``spec.decoder_layer_sizes``, by default the
    encoder's reversed.
    """

    import keras

    from .layers import Clip, Residual

    widths = spec.decoder_layer_sizes
    seeds = int_seeds(seed, len(widths) + 1)
    hidden = hidden_layers(spec, widths, seeds[:-1])
    layers = [keras.Input(shape=(spec.n_components,), name="code")]
    if spec.pca_shortcut:
        width = spec.pca_basis or spec.n_features
        body = [*hidden, zero_dense(width, "correction")]
        reconstruction = seeded_dense(width, None, seeds[-1], "reconstruction")
        layers.append(Residual(reconstruction, body, name="output"))
        if spec.pca_basis:
            layers.append(fixed_dense(spec.n_features, EXPANSION_NAME))
        elif spec.output_clip:
            layers.append(Clip(0.0, 1.0, name="output_clip"))
        elif spec.output_activation != "linear":
            layers.append(
                keras.layers.Activation(
                    spec.output_activation, name="output_activation"
                )
            )
    else:
        output = seeded_dense(
            spec.n_features, spec.output_activation, seeds[-1], "output"
        )
        layers.extend([*hidden, output])
    return keras.Sequential(layers, name="decoder")


def start_from_pca(network, spec, X_train, seed, pca_rows=None):
    """Start the shortcuts of a ``pca_shortcut`` network as PCA of ``X_train``.

    ``seed`` is a ``numpy.random.SeedSequence``; it seeds PCA's solver and the
    sample that streamed rows are reduced to. ``pca_rows``, when given, maps
    those rows to the rows PCA is computed from.
    """
    from .._arrays import StreamedRows
    from .._seeds import int_seed

    seed = int_seed(seed)
    if isinstance(X_train, StreamedRows):
        X_train = X_train.sample(seed)
    if pca_rows is not None:
        X_train = pca_rows(X_train)
    size = getattr(spec, "pca_basis", 0)
    if not size:
        start_as_pca(network, *pca_start(X_train, spec.n_components, seed))
        return
    # PCA in the basis of the leading directions is their first coordinates.
    start_basis(network, *pca_start(X_train, size, seed))
    start_as_pca(
        network,
        np.eye(size, spec.n_components, dtype=np.float32),
        np.zeros(size, dtype=np.float32),
    )


def start_as_pca(network, components, mean):
    """Set the shortcuts of a ``pca_shortcut`` network to PCA's maps.

    ``components`` is ``(n_features, n_components)``, PCA's directions as
    columns (zero columns for unused code units), ``mean`` the data's mean.
    """
    encoder_shortcut = network.encoder.get_layer("code").shortcut
    decoder_shortcut = network.decoder.get_layer("output").shortcut
    encoder_shortcut.set_weights([components, -mean @ components])
    decoder_shortcut.set_weights([components.T, mean])


def hidden_layers(spec, sizes, seeds):
    """The Keras layers of hidden layers of the given widths."""

    import keras

    from .layers import signed_seed

    layers = []
    for i, (units, seed) in enumerate(zip(sizes, seeds, strict=True)):
        if spec.batch_normalization:
            layers.append(seeded_dense(units, None, seed, f"hidden_{i}"))
            layers.append(keras.layers.BatchNormalization(name=f"batchnorm_{i}"))
            layers.append(keras.layers.Activation(spec.activation))
        else:
            layers.append(seeded_dense(units, spec.activation, seed, f"hidden_{i}"))
        if spec.dropout > 0:
            # Seeded so that two fits with one random_state drop the same units.
            layers.append(
                keras.layers.Dropout(
                    spec.dropout, seed=signed_seed(seed), name=f"dropout_{i}"
                )
            )
    return layers


def seeded_dense(units, activation, seed, name, **kwargs):
    """A Dense layer whose Glorot-uniform initial weights depend only on ``seed``."""

    import keras

    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer="zeros",
        name=name,
        **kwargs,
    )


def fixed_dense(units, name):
    """A Dense layer that training leaves as it was set (a basis's map)."""

    import keras

    return keras.layers.Dense(units, trainable=False, name=name)


def zero_dense(units, name):
    """A Dense layer that starts as the zero map."""

    import keras

    return keras.layers.Dense(units, kernel_initializer="zeros", name=name)


def code_regularizer(activity_l1):
    """L1 penalty on the code's activations (a sparse autoencoder), or None."""

    import keras

    return keras.regularizers.L1(activity_l1) if activity_l1 > 0 else None


def pca_start(X, n_components, seed):
    """PCA's directions and the mean of the rows ``X``, for :func:`start_as_pca`.

    Returns float32 ``components`` of shape ``(n_features, n_components)``, its
    columns beyond PCA's rank zero, and the float32 mean. A sparse ``X`` (a
    sample too large to densify) goes to ARPACK.
    """
    import scipy.sparse as sp
    from sklearn.decomposition import PCA

    n_samples, n_features = X.shape
    # Extra code units beyond PCA's rank start unused; one row has no
    # principal direction at all, only its mean. ARPACK needs fewer components
    # than either dimension.
    sparse = sp.issparse(X)
    n_pca = min(n_components, n_features - sparse, n_samples - 1)
    components = np.zeros((n_features, n_components), dtype=np.float32)
    if n_pca <= 0:
        mean = np.asarray(X.mean(axis=0, dtype=np.float64)).ravel()
        return components, mean.astype(np.float32)
    # PCA's directions do not depend on the data's scale, but float32 squares
    # overflow above about 1e19 (and vanish below 1e-19): PCA sees the rows
    # divided by a power of two, which is exact.
    scale = _power_of_two_scale(X)
    # Constant data makes PCA's explained variance ratio 0 / 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        pca = PCA(
            n_pca,
            copy=False,
            svd_solver="arpack" if sparse else "auto",
            random_state=seed,
        ).fit(X / scale)
    components[:, :n_pca] = pca.components_.T
    return components, (pca.mean_ * scale).astype(np.float32)


def _power_of_two_scale(X):
    """The power of two that brings the largest magnitude in ``X`` into [1, 2)."""
    largest = max(-float(X.min()), float(X.max()))
    if largest < np.finfo(np.float32).tiny:
        return np.float32(1.0)
    return np.float32(2.0 ** (np.frexp(largest)[1] - 1))
