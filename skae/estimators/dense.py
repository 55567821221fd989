"""The fully connected autoencoder: the tutorial's model, shallow or deep."""

import dataclasses
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .._arrays import is_streamed
from .._options import ACTIVATION_NAMES
from .._validation import positive_int_tuple
from ..networks.basis import basis_size
from ..networks.dense import DenseSpec
from .base import BaseAutoencoder
from .docstrings import fill_shared_docs
from .fitted import from_spec
from .parameters import ORDERED_CONSTRAINTS


@fill_shared_docs
class AutoencoderTransformer(BaseAutoencoder, registered=True):
    """Fully connected autoencoder usable wherever PCA is.

    The encoder maps each row to ``n_components`` numbers and the decoder maps
    them back to the input space; both are Keras models trained together to
    reconstruct the input. ``transform`` returns the codes and
    ``inverse_transform`` the reconstructions, as
    :class:`~sklearn.decomposition.PCA` does.

    By default the autoencoder starts as PCA and learns to do better: the encoder
    is a linear projection initialised to PCA's plus a nonlinear correction
    through a hidden layer, which starts at zero, and the decoder is built the
    same way, with hidden layers of its own (``pca_shortcut``). Training with
    early stopping on held-out rows can then only improve on PCA's
    reconstruction, which a plain autoencoder of the same size often fails to
    reach on small data.

    ``hidden_layer_sizes=()`` gives the model of the classic Keras tutorial: a
    ``Dense(n_components, relu)`` encoder and a ``Dense(n_features)`` decoder
    with sigmoid output and binary cross-entropy for data in [0, 1]. Other
    tuples, e.g. ``(128, 64)``, give deeper models whose decoder mirrors the
    encoder (``64, 128``) unless ``decoder_layer_sizes`` sets its own widths;
    ``pca_shortcut=False`` removes the linear path.

    Parameters
    ----------
    n_components : int or float, default=32
        Size of the code. May exceed the number of features (an overcomplete
        code), unlike PCA.
    {fraction}
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the encoder's hidden layers, outermost first. ``()`` is the
        tutorial's model. ``"auto"`` sizes the network to the data: ``(256,)``,
        with a decoder of ``(256, 1024)`` (see ``decoder_layer_sizes``) for at
        least 10,000 rows of at least 256 features (images such as MNIST's,
        where the decoder's capacity decides how far below PCA's error the
        model gets), and a mirrored decoder otherwise, which trains faster on
        small data. The widths used are in ``hidden_layer_sizes_``.
    decoder_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the decoder's hidden layers, from the code outwards.
        ``"auto"`` mirrors the encoder (its widths in reverse order), except
        where ``hidden_layer_sizes="auto"`` picks a wider decoder for large
        data. A decoder wider than its encoder learns faster per second: the
        decoder draws every pixel of the output, the encoder only has to
        compute ``n_components`` numbers. The widths used are in
        ``decoder_layer_sizes_``.
    pca_shortcut : bool or "auto", default="auto"
        Add a linear path from input to code and from code to output,
        initialised to PCA's projection and reconstruction, with the hidden
        layers learning a correction that starts at zero. ``"auto"`` uses it
        whenever either side has hidden layers. With the shortcut, ``"auto"``
        loss and output activation are mean squared error and linear, the
        setting in which the starting point is exactly PCA.
    pca_basis : int, "auto" or None, default="auto"
        Number of leading principal directions of the training data that the
        network works in: the encoder starts with a fixed projection onto
        them and the decoder ends with the fixed map back, so that the layers
        trained read and write that many numbers a row instead of every
        feature; the loss is still the mean squared error over all features.
        On wide data such as images, fits get as far in much less time (see
        the benchmarks page of the documentation), but the model cannot
        reconstruct what the directions leave out. ``"auto"`` takes the
        fewest directions that leave out at most a tenth of the error of PCA
        with ``n_components`` components, where they are at most three
        quarters of the features, for at least 10,000 rows of 256 to 4,096
        features (dense, in memory) reconstructed by a ``pca_shortcut``
        model with mean squared error and no noise, and works in the features
        otherwise, as ``None`` does. An int needs those settings too (any
        size of data). The number used is in ``pca_basis_`` (0 for the
        features).
    activation : str, default="relu"
        Activation of the hidden layers. One of ``"relu"``, ``"leaky_relu"``,
        ``"elu"``, ``"selu"``, ``"gelu"``, ``"silu"``, ``"tanh"``,
        ``"sigmoid"``, ``"softplus"``, ``"linear"``.
    dropout : float in [0, 1), default=0.0
        Dropout rate after every hidden layer, during training only.
    batch_normalization : bool, default=False
        Batch-normalise every hidden layer (before its activation).
    activity_l1 : float, default=0.0
        Weight of an L1 penalty on the code, averaged over the batch; a small
        value such as ``1e-5`` gives a sparse autoencoder whose codes are
        mostly near zero.
    code_activation : str, default="auto"
        Activation of the code layer. ``"auto"`` uses ``activation`` when there
        are no hidden layers (the tutorial's relu code) and ``"linear"`` in a
        deep model, where a linear code avoids dead code units (as in Hinton and
        Salakhutdinov, 2006). With ``pca_shortcut`` the code is always linear.
    {ordered_and_shared_parameters}

    Attributes
    ----------
    hidden_layer_sizes_ : tuple of int
        The encoder's hidden widths used, ``"auto"`` resolved.
    decoder_layer_sizes_ : tuple of int
        The decoder's hidden widths used, from the code outwards.
    pca_basis_ : int
        The number of principal directions the network works in; 0 where it
        works in the features.
    {shared_attributes}

    See Also
    --------
    sklearn.decomposition.PCA : The linear method this estimator replaces.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> ae = AutoencoderTransformer(n_components=8, epochs=3, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 8)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)
    >>> ae.loss_, ae.output_activation_
    ('mse', 'linear')
    >>> tutorial = AutoencoderTransformer(8, hidden_layer_sizes=(), epochs=1).fit(X)
    >>> tutorial.loss_, tutorial.output_activation_
    ('binary_crossentropy', 'sigmoid')
    """

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        **ORDERED_CONSTRAINTS,
        "hidden_layer_sizes": ["array-like", Integral, StrOptions({"auto"})],
        "decoder_layer_sizes": ["array-like", Integral, StrOptions({"auto"})],
        "activation": [StrOptions(set(ACTIVATION_NAMES))],
        "code_activation": [StrOptions({"auto"} | ACTIVATION_NAMES)],
        "pca_shortcut": ["boolean", StrOptions({"auto"})],
        "pca_basis": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_normalization": ["boolean"],
        "activity_l1": [Interval(Real, 0, None, closed="left")],
    }

    _small_params = {"hidden_layer_sizes": (8,)}
    # Dense layers compile well with XLA on CPU; convolutions do not
    # (benchmarks/bench_speed.py).
    _xla = True

    def __init__(
        self,
        n_components=32,
        *,
        hidden_layer_sizes="auto",
        decoder_layer_sizes="auto",
        pca_shortcut="auto",
        pca_basis="auto",
        activation="relu",
        dropout=0.0,
        batch_normalization=False,
        activity_l1=0.0,
        code_activation="auto",
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.decoder_layer_sizes = decoder_layer_sizes
        self.pca_shortcut = pca_shortcut
        self.pca_basis = pca_basis
        self.activation = activation
        self.dropout = dropout
        self.batch_normalization = batch_normalization
        self.activity_l1 = activity_l1
        self.code_activation = code_activation
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

    hidden_layer_sizes_ = from_spec(
        "hidden_layer_sizes", "The encoder's hidden widths used."
    )
    decoder_layer_sizes_ = from_spec(
        "decoder_layer_sizes",
        "The decoder's hidden widths used, from the code outwards.",
    )

    pca_basis_ = from_spec(
        "pca_basis",
        "The number of principal directions the network works in (0: none).",
    )

    def _resolve(self, X, targets, sample_shape, continuing, method, streamed):
        spec = super()._resolve(X, targets, sample_shape, continuing, method, streamed)
        if continuing:
            # A warm start goes on in the basis it was built with.
            if not isinstance(self.pca_basis, str) and (
                (self.pca_basis or 0) != spec.pca_basis
            ):
                raise ValueError(
                    f"This model works in {spec.pca_basis or 'no'} principal "
                    f"directions, so it cannot continue with pca_basis="
                    f"{self.pca_basis!r}; set pca_basis='auto' to go on, or "
                    "warm_start=False to build a new model."
                )
            return spec
        size = resolve_basis(self.pca_basis, spec, X, self.noise, targets, streamed)
        return dataclasses.replace(spec, pca_basis=size)

    def _resolve_spec(self, X, fitted, sample_shape=None):
        hidden, decoder = self._resolve_widths(X, fitted)
        deep = bool(hidden or decoder)
        shortcut = deep if self.pca_shortcut == "auto" else bool(self.pca_shortcut)
        if shortcut and self.code_activation not in ("auto", "linear"):
            raise ValueError(
                "With pca_shortcut the code is linear; got "
                f"code_activation={self.code_activation!r}. Use 'auto', or set "
                "pca_shortcut=False."
            )
        code_activation = self.code_activation
        if code_activation == "auto":
            # The tutorial's relu code without hidden layers; a linear code in
            # a deep model, where it avoids dead code units.
            code_activation = "linear" if deep or shortcut else self.activation
        return DenseSpec(
            **self._resolve_common(X, fitted, linear_start=shortcut),
            hidden_layer_sizes=hidden,
            decoder_layer_sizes=decoder,
            activation=self.activation,
            code_activation=code_activation,
            pca_shortcut=shortcut,
            dropout=float(self.dropout),
            batch_normalization=bool(self.batch_normalization),
            activity_l1=float(self.activity_l1),
            pca_basis=fitted.pca_basis if fitted is not None else 0,
        )

    def _resolve_widths(self, X, fitted):
        """The encoder's and the decoder's hidden widths; the decoder's None
        where it mirrors the encoder."""
        if fitted is not None:
            # A warm start continues with the widths it was built with.
            auto = fitted.hidden_layer_sizes, fitted.decoder_layer_sizes
        else:
            auto = auto_layer_sizes(*X.shape)
        if isinstance(self.hidden_layer_sizes, str):
            hidden = auto[0]
        else:
            hidden = positive_int_tuple("hidden_layer_sizes", self.hidden_layer_sizes)
        if not isinstance(self.decoder_layer_sizes, str):
            return hidden, positive_int_tuple(
                "decoder_layer_sizes", self.decoder_layer_sizes
            )
        # "auto" mirrors explicit encoder widths.
        return hidden, auto[1] if isinstance(self.hidden_layer_sizes, str) else None


# "auto" widens the decoder for large data of many features: there a single
# hidden layer of 256 on each side stalls well above what a decoder of (256,
# 1024) reaches, and the decoder's width buys more per second than the
# encoder's (benchmarks/bench_time_to_quality.py).
AUTO_LARGE = {"min_samples": 10_000, "min_features": 256}


# "auto" reads the size of a basis from the eigenvalues of the features'
# covariance, whose cost grows as the cube of their number.
AUTO_BASIS_MAX_FEATURES = 4096


def large_data(n_samples, n_features):
    """Whether data of this shape is large for ``"auto"`` (``AUTO_LARGE``)."""
    return (
        n_samples >= AUTO_LARGE["min_samples"]
        and n_features >= AUTO_LARGE["min_features"]
    )


def auto_layer_sizes(n_samples, n_features):
    """The encoder's and decoder's hidden widths that ``"auto"`` gives for data
    of this shape; the decoder's None where it mirrors the encoder."""
    if large_data(n_samples, n_features):
        return (256,), (256, 1024)
    return (256,), None


def resolve_basis(pca_basis, spec, X, noise, targets, streamed=False):
    """The number of principal directions a new network of ``spec`` works in
    for the training rows ``X``: ``pca_basis`` where the model can work in a
    basis, the size :func:`~skae.networks.basis.basis_size` gives for
    ``"auto"`` on large data, 0 otherwise. ``streamed``: whether the user's
    rows are read a batch at a time (a memmap or a sparse matrix), which
    validation does not always show."""
    if pca_basis is None:
        return 0
    reasons = [
        reason
        for reason, applies in (
            ("pca_shortcut=False", not spec.pca_shortcut),
            (f"loss={spec.loss!r}", spec.loss != "mse"),
            (
                f"output_activation={spec.output_activation!r}",
                spec.output_activation != "linear",
            ),
            ("an output clipped to [0, 1]", spec.output_clip),
            ("an ordered code", spec.ordered),
            (f"noise={noise!r}", noise),
            ("X_target", targets is not None),
            ("sparse or memory-mapped X", streamed or is_streamed(X)),
        )
        if applies
    ]
    if pca_basis == "auto":
        large = large_data(*X.shape) and X.shape[1] <= AUTO_BASIS_MAX_FEATURES
        return basis_size(X, spec.n_components) if large and not reasons else 0
    if reasons:
        raise ValueError(
            f"pca_basis={pca_basis!r} needs a pca_shortcut model reconstructing "
            "its own dense, in-memory rows with mean squared error, a linear "
            f"output and no noise; this fit has {', '.join(reasons)}. Use "
            "pca_basis=None (or 'auto')."
        )
    if not spec.n_components < pca_basis < spec.n_features:
        raise ValueError(
            f"pca_basis={pca_basis!r} must lie between n_components "
            f"({spec.n_components}) and the number of features "
            f"({spec.n_features}), both excluded."
        )
    return pca_basis
