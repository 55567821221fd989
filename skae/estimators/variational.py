"""The variational autoencoder: a Gaussian latent space that can be sampled."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from .._arrays import dense_rows
from .._validation import positive_int_tuple
from .base import ACTIVATION_NAMES, BaseAutoencoder, validate_rows
from .docstrings import fill_shared_docs


@fill_shared_docs
class VariationalAutoencoderTransformer(BaseAutoencoder):
    """Variational autoencoder (VAE) usable wherever PCA is.

    The encoder maps each row to the mean and log-variance of a Gaussian
    posterior over ``n_components`` latent variables; training draws a code
    from it (the reparameterisation trick) and minimises the reconstruction
    loss plus ``kl_weight`` times the KL divergence from the standard normal
    prior. ``transform`` returns the posterior mean, so it is deterministic;
    :meth:`sample` generates new rows from the prior through the decoder.

    Parameters
    ----------
    n_components : int, default=32
        Number of latent variables.
    hidden_layer_sizes : tuple of int, default=(256,)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    activation : str, default="relu"
        Activation of the hidden layers.
    kl_weight : float, default=1.0
        Weight of the KL term; 1 is the standard VAE, larger values give a
        smoother latent space (a beta-VAE), 0 a plain autoencoder with noise.
    {shared_parameters}

    Attributes
    ----------
    {shared_attributes}

    Notes
    -----
    The loss is measured per feature: the reconstruction loss (binary
    cross-entropy or mean squared error) plus
    ``kl_weight * KL / n_features``. :meth:`score_samples` reports the evidence
    lower bound (ELBO) of each row, ``-(reconstruction + KL)`` summed over
    features, with the reconstruction evaluated at the posterior mean; with
    ``loss_ == "mse"`` the reconstruction term is the squared error (a Gaussian
    decoder of variance 1/2, constants dropped). :meth:`score` is its mean, so
    model selection maximises the ELBO.

    See Also
    --------
    AutoencoderTransformer : The deterministic autoencoder.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> vae = VariationalAutoencoderTransformer(
    ...     n_components=2, epochs=2, random_state=0
    ... )
    >>> vae.fit_transform(X).shape
    (1797, 2)
    >>> vae.sample(5, random_state=0).shape
    (5, 64)
    """

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Integral],
        "activation": [StrOptions(set(ACTIVATION_NAMES))],
        "kl_weight": [Interval(Real, 0, None, closed="left")],
    }

    _architecture_params = (
        "n_components",
        "hidden_layer_sizes",
        "activation",
        "kl_weight",
    )

    def __init__(
        self,
        n_components=32,
        *,
        hidden_layer_sizes=(256,),
        activation="relu",
        kl_weight=1.0,
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
        self.activation = activation
        self.kl_weight = kl_weight
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

    @validate_params(
        {
            "n_samples": [Interval(Integral, 1, None, closed="left")],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def sample(self, n_samples=1, random_state=None):
        """Generate new rows: codes drawn from the prior, decoded.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw of the codes.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        codes = rng.standard_normal((n_samples, self.n_components))
        return self._decoder_plan(codes)

    def score_samples(self, X):
        """Return the evidence lower bound (ELBO) of each row; see Notes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_rows(self, X, reset=False, accept_sparse="csr")
        elbo = np.empty(X.shape[0], dtype=np.float64)
        for rows in self._score_chunks(X):
            elbo[rows] = self._elbo(dense_rows(X[rows], np.float64))
        return elbo

    def _elbo(self, X):
        from ..networks.layers import bounded_log_var

        stats = self._encoder_plan(X)
        mean = stats[:, : self.n_components]
        log_var = bounded_log_var(stats[:, self.n_components :], tanh=np.tanh)
        kl = -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)
        if self.loss_ == "binary_crossentropy":
            # Clipped as Keras clips its cross-entropy, so 0 and 1 stay finite.
            p = np.clip(self._decoder_plan(mean), 1e-7, 1 - 1e-7)
            reconstruction = -np.sum(X * np.log(p) + (1 - X) * np.log1p(-p), axis=1)
        else:
            reconstruction = np.sum((X - self._decoder_plan(mean)) ** 2, axis=1)
        return -(reconstruction + kl)

    def _hidden_layer_sizes(self):
        return positive_int_tuple("hidden_layer_sizes", self.hidden_layer_sizes)

    def _check_params(self):
        super()._check_params()
        self._hidden_layer_sizes()

    def _encode(self, X, dtype=np.float64):
        return self._encoder_plan(X, dtype=dtype)[:, : self.n_components]

    def _dense_stack(self):
        from ..networks.dense import DenseStack

        return DenseStack(self._hidden_layer_sizes(), self.activation)

    def build_encoder(self, n_features, seed):
        from ..networks.dense import build_dense_encoder

        # One output per mean and one per log-variance.
        return build_dense_encoder(
            self._dense_stack(),
            n_features,
            2 * self.n_components,
            code_activation="linear",
            activity_l1=0.0,
            seed=seed,
        )

    def build_decoder(self, n_features, output_activation, seed):
        from ..networks.dense import build_dense_decoder

        return build_dense_decoder(
            self._dense_stack(),
            self.n_components,
            n_features,
            output_activation=output_activation,
            seed=seed,
        )

    def _build_bottleneck(self, n_features, seed):
        from ..networks.layers import GaussianSampling

        return GaussianSampling(
            self.n_components,
            kl_scale=self.kl_weight / n_features,
            seed=seed + 2,
            name="sampling",
        )
