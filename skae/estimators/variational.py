"""The variational autoencoder: a Gaussian latent space that can be sampled."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from .._options import ACTIVATION_NAMES
from .._validation import positive_int_tuple
from ..inference.scoring import chunked_rows
from ..networks.variational import VariationalSpec
from .base import BaseAutoencoder
from .docstrings import fill_shared_docs
from .shapes import from_rows


@fill_shared_docs(
    score=":meth:`score` reports the evidence lower bound (ELBO); see Notes.",
    encoder=(
        "Maps rows to the posterior's ``n_components_`` means followed by its "
        "``n_components_`` log-variances; ``transform`` returns the means."
    ),
)
class VariationalAutoencoderTransformer(BaseAutoencoder, registered=True):
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

    See Also
    --------
    AutoencoderTransformer : The deterministic autoencoder.

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

    _small_params = {"hidden_layer_sizes": (8,)}

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
        self.activation = activation
        self.kl_weight = kl_weight
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
        X : ndarray of shape (n_samples, *sample_shape_)
            The decoded codes, float64, in the shape of the samples ``fit``
            saw.
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        codes = rng.standard_normal((n_samples, self.n_components_))
        decoded = self._models.decode(codes, np.float64)
        return from_rows(decoded, self._fitted_sample_shape())

    def score_samples(self, X):
        """Return the evidence lower bound (ELBO) of each row; see Notes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows whose ELBO to compute, with the training data's features.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            The ELBO of each row; higher means more likely under the model.
        """
        X = self._rows(X)
        elbo = np.empty(X.shape[0], dtype=np.float64)
        for rows, x in chunked_rows(X, self._width()):
            elbo[rows] = self._elbo(x)
        return elbo

    def _elbo(self, X):
        from ..networks.layers import bounded_log_var

        k = self.n_components_
        stats = self._models.encode(X, np.float64)
        mean, log_var = stats[:, :k], bounded_log_var(stats[:, k:], tanh=np.tanh)
        kl = -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)
        reconstruction = self._models.decode(mean, np.float64)
        if self.loss_ == "binary_crossentropy":
            # Clipped as Keras clips its cross-entropy, so 0 and 1 stay finite.
            p = np.clip(reconstruction, 1e-7, 1 - 1e-7)
            error = -np.sum(X * np.log(p) + (1 - X) * np.log1p(-p), axis=1)
        else:
            error = np.sum((X - reconstruction) ** 2, axis=1)
        return -(error + kl)

    def _encode(self, X, dtype):
        # The posterior means: the first half of the encoder's outputs.
        return self._models.encode(X, dtype)[:, : self.n_components_]

    def _resolve_spec(self, X, fitted, sample_shape=None):
        return VariationalSpec(
            **self._resolve_common(X, fitted),
            hidden_layer_sizes=positive_int_tuple(
                "hidden_layer_sizes", self.hidden_layer_sizes
            ),
            activation=self.activation,
            kl_weight=float(self.kl_weight),
        )
