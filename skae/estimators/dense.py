"""The fully connected autoencoder: the tutorial's model, shallow or deep."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import positive_int_tuple
from .base import ACTIVATION_NAMES, BaseAutoencoder
from .docstrings import fill_shared_docs


@fill_shared_docs
class AutoencoderTransformer(BaseAutoencoder):
    """Fully connected autoencoder usable wherever PCA is.

    The encoder maps each row to ``n_components`` numbers and the decoder maps
    them back to the input space; both are Keras models trained together to
    reconstruct the input. ``transform`` returns the codes and
    ``inverse_transform`` the reconstructions, as
    :class:`~sklearn.decomposition.PCA` does.

    By default the autoencoder starts as PCA and learns to do better: the encoder
    is a linear projection initialised to PCA's plus a nonlinear correction
    through a hidden layer, which starts at zero, and the decoder mirrors it
    (``pca_shortcut``). Training with early stopping on held-out rows can then
    only improve on PCA's reconstruction, which a plain autoencoder of the same
    size often fails to reach on small data.

    ``hidden_layer_sizes=()`` gives the model of the classic Keras tutorial: a
    ``Dense(n_components, relu)`` encoder and a ``Dense(n_features)`` decoder
    with sigmoid output and binary cross-entropy for data in [0, 1]. Other
    tuples, e.g. ``(128, 64)``, give deeper models whose decoder mirrors the
    encoder (``64, 128``); ``pca_shortcut=False`` removes the linear path.

    Parameters
    ----------
    n_components : int, default=32
        Size of the code. May exceed the number of features (an overcomplete
        code), unlike PCA.
    hidden_layer_sizes : tuple of int, default=(256,)
        Widths of the encoder's hidden layers, outermost first. The decoder uses
        the same widths in reverse order. ``()`` is the tutorial's model.
    pca_shortcut : bool or "auto", default="auto"
        Add a linear path from input to code and from code to output,
        initialised to PCA's projection and reconstruction, with the hidden
        layers learning a correction that starts at zero. ``"auto"`` uses it
        whenever there are hidden layers. With the shortcut, ``"auto"`` loss and
        output activation are mean squared error and linear, the setting in
        which the starting point is exactly PCA.
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
    {shared_parameters}

    Attributes
    ----------
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
        "hidden_layer_sizes": ["array-like", Integral],
        "activation": [StrOptions(set(ACTIVATION_NAMES))],
        "code_activation": [StrOptions({"auto"} | ACTIVATION_NAMES)],
        "pca_shortcut": ["boolean", StrOptions({"auto"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_normalization": ["boolean"],
        "activity_l1": [Interval(Real, 0, None, closed="left")],
    }

    _architecture_params = (
        "n_components",
        "hidden_layer_sizes",
        "pca_shortcut",
        "activation",
        "code_activation",
        "dropout",
        "batch_normalization",
        "activity_l1",
    )

    def __init__(
        self,
        n_components=32,
        *,
        hidden_layer_sizes=(256,),
        pca_shortcut="auto",
        activation="relu",
        dropout=0.0,
        batch_normalization=False,
        activity_l1=0.0,
        code_activation="auto",
        output_activation="auto",
        loss="auto",
        optimizer="adam",
        learning_rate=1e-3,
        epochs=200,
        batch_size=256,
        shuffle=True,
        validation_fraction=0.1,
        early_stopping=True,
        n_iter_no_change=10,
        tol=1e-4,
        noise=0.0,
        noise_type="gaussian",
        callbacks=None,
        distribute=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.pca_shortcut = pca_shortcut
        self.activation = activation
        self.dropout = dropout
        self.batch_normalization = batch_normalization
        self.activity_l1 = activity_l1
        self.code_activation = code_activation
        self.output_activation = output_activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.noise = noise
        self.noise_type = noise_type
        self.callbacks = callbacks
        self.distribute = distribute
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _check_params(self):
        super()._check_params()
        self._hidden_layer_sizes()
        if self._uses_shortcut() and self.code_activation not in ("auto", "linear"):
            raise ValueError(
                "With pca_shortcut the code is linear; got "
                f"code_activation={self.code_activation!r}. Use 'auto', or set "
                "pca_shortcut=False."
            )

    def _uses_shortcut(self):
        if self.pca_shortcut == "auto":
            return bool(self._hidden_layer_sizes())
        return bool(self.pca_shortcut)

    def _resolve_loss_and_output(self, X):
        loss, output_activation = super()._resolve_loss_and_output(X)
        if self._uses_shortcut():
            # PCA is the least-squares solution: start from it in its own terms.
            loss = "mse" if self.loss == "auto" else loss
            if self.output_activation == "auto":
                output_activation = "linear"
        return loss, output_activation

    def _initialize_weights(self, encoder, decoder, X_train, seed):
        if not self._uses_shortcut():
            return
        from sklearn.decomposition import PCA

        n_samples, n_features = X_train.shape
        # Extra code units beyond PCA's rank start unused; one row has no
        # principal direction at all, only its mean. A sparse sample (of data
        # too large to densify) goes to ARPACK, which needs fewer components
        # than either dimension.
        sparse = sp.issparse(X_train)
        n_pca = min(self.n_components, n_features - sparse, n_samples - 1)
        components = np.zeros((n_features, self.n_components), dtype=np.float32)
        if n_pca > 0:
            # PCA's directions do not depend on the data's scale, but float32
            # squares overflow above about 1e19 (and vanish below 1e-19): PCA
            # sees the rows divided by a power of two, which is exact.
            scale = _power_of_two_scale(X_train)
            # Constant data makes PCA's explained variance ratio 0 / 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                pca = PCA(
                    n_pca,
                    copy=False,
                    svd_solver="arpack" if sparse else "auto",
                    random_state=seed,
                ).fit(X_train / scale)
            components[:, :n_pca] = pca.components_.T
            mean = (pca.mean_ * scale).astype(np.float32)
        else:
            mean = np.asarray(X_train.mean(axis=0, dtype=np.float64)).ravel()
            mean = mean.astype(np.float32)
        encoder.get_layer("code").shortcut.set_weights([components, -mean @ components])
        decoder.get_layer("output").shortcut.set_weights([components.T, mean])

    def _hidden_layer_sizes(self):
        return positive_int_tuple("hidden_layer_sizes", self.hidden_layer_sizes)

    def _resolved_code_activation(self, hidden):
        if self.code_activation != "auto":
            return self.code_activation
        return self.activation if not hidden else "linear"

    def _dense_stack(self):
        from ..networks.dense import DenseStack

        hidden = self._hidden_layer_sizes()
        return DenseStack(
            hidden_layer_sizes=hidden,
            activation=self.activation,
            dropout=self.dropout,
            batch_normalization=self.batch_normalization,
        )

    def build_encoder(self, n_features, seed):
        from ..networks.dense import build_dense_encoder, build_shortcut_encoder

        if self._uses_shortcut():
            return build_shortcut_encoder(
                self._dense_stack(),
                n_features,
                self.n_components,
                activity_l1=self.activity_l1,
                seed=seed,
            )
        return build_dense_encoder(
            self._dense_stack(),
            n_features,
            self.n_components,
            code_activation=self._resolved_code_activation(self._hidden_layer_sizes()),
            activity_l1=self.activity_l1,
            seed=seed,
        )

    def build_decoder(self, n_features, output_activation, seed):
        from ..networks.dense import build_dense_decoder, build_shortcut_decoder

        build = build_shortcut_decoder if self._uses_shortcut() else build_dense_decoder
        return build(
            self._dense_stack(),
            self.n_components,
            n_features,
            output_activation=output_activation,
            seed=seed,
        )


def _power_of_two_scale(X):
    """The power of two that brings the largest magnitude in ``X`` into [1, 2)."""
    largest = max(-float(X.min()), float(X.max()))
    if largest < np.finfo(np.float32).tiny:
        return np.float32(1.0)
    return np.float32(2.0 ** (np.frexp(largest)[1] - 1))
