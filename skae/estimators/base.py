"""The scikit-learn face shared by every skae autoencoder.

:class:`BaseAutoencoder` holds the public API and the fitted state; the work is
done where its name says: the fit's set-up in :mod:`skae.fitting.setup`, its
loop in :mod:`skae.fitting.loop`, the Keras models in :mod:`skae.networks`,
``transform`` in :mod:`skae.inference`, files in :mod:`skae.saving`. Keras is
imported on first use, so that ``import skae`` stays as cheap as scikit-learn.
"""

from copy import deepcopy

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils.validation import check_array, check_is_fitted

from .._registry import BASES, ESTIMATORS, register
from .._validation import FLOAT_DTYPES, plain_rows, too_large_for_float64, validate_rows
from ..inference.scoring import squared_errors
from ..networks.ordered import truncate_autoencoder
from ..networks.spec import CustomSpec, freeze
from .fitted import FittedState
from .losses import resolve_output_and_loss
from .ordered import (
    PREFIX_MAX_ROWS,
    check_prefix,
    fraction_width,
    is_fraction,
    prefix_scores,
    select_prefix,
    truncated_spec,
)
from .parameters import RESOLVED_PARAMS, TRAINING_PARAMS, SharedParameters
from .shapes import from_rows, to_rows


class BaseAutoencoder(
    FittedState,
    SharedParameters,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Base class for autoencoders that behave like scikit-learn transformers.

    This is skae's extension point for custom Keras models. A subclass defines
    ``__init__`` with the parameters it exposes, each stored verbatim as in every
    scikit-learn estimator (``n_components`` is required; the training parameters
    of :class:`AutoencoderTransformer` that it leaves out keep their defaults),
    and implements :meth:`build_encoder` and :meth:`build_decoder`. Everything
    else (validation, the fit loop, ``transform``, scoring, saving) comes from
    this class. Parameters other than the training ones shape the model: a
    ``warm_start`` refit refuses to continue after one of them changed. Layers
    that are not part of Keras itself must be registered with
    ``keras.saving.register_keras_serializable`` so that fitted estimators can
    be saved and pickled. A subclass may also take ``ordered`` to train an
    ordered code (see :class:`AutoencoderTransformer`); its encoder's output
    must then be the code itself, ``(batch, n_components)``.

    See Also
    --------
    AutoencoderTransformer : The fully connected autoencoder skae builds.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skae import BaseAutoencoder
    >>> def dense(n_in, n_out, name):
    ...     layers = [keras.Input((n_in,)), keras.layers.Dense(n_out)]
    ...     return keras.Sequential(layers, name=name)
    >>> class Linear(BaseAutoencoder):
    ...     def __init__(self, n_components=2, *, epochs=2):
    ...         self.n_components, self.epochs = n_components, epochs
    ...     def build_encoder(self, n_features, seed):
    ...         return dense(n_features, self.n_components, "encoder")
    ...     def build_decoder(self, n_features, output_activation, seed):
    ...         return dense(self.n_components, n_features, "decoder")
    >>> Linear().fit(np.random.default_rng(0).random((40, 5))).n_components_
    2
    """

    # Parameters of a small model that adapts to data of any width, which the
    # common tests build for every registered estimator.
    _small_params = {}

    # Trained with nested dropout, so that every prefix of the code is a good
    # code; estimators that can order their code take it as a parameter.
    ordered = False

    # Whether long fits compile the training step with XLA: only for networks
    # where it measures faster (see skae.fitting.loop.XLA_MIN_STEPS).
    _xla = False

    # How many dimensions one sample may have besides flat rows (None: any,
    # flattened in C order), and how the estimator's error message says so.
    _sample_ndims = None
    _sample_hint = "rows of any shape"

    def __init_subclass__(cls, *, registered=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if registered:
            register(ESTIMATORS, cls)

    # -- extension points ---------------------------------------------------------

    def build_encoder(self, n_features, seed):
        """Return the Keras encoder: ``(batch, n_features)`` rows to codes.

        Parameters
        ----------
        n_features : int
            Values per row.
        seed : int
            Derived from ``random_state``; pass it to initializers and random
            layers for reproducible fits.

        Returns
        -------
        encoder : keras.Model
            Named ``"encoder"``, mapping rows to ``(batch, n_components)``.
        """
        raise NotImplementedError(f"{type(self).__name__} must define build_encoder")

    def build_decoder(self, n_features, output_activation, seed):
        """Return the Keras decoder: codes to ``(batch, n_features)`` rows.

        Parameters
        ----------
        n_features : int
            Values per row.
        output_activation : str
            The activation the output must end in (``"auto"`` resolved).
        seed : int
            Derived from ``random_state``.

        Returns
        -------
        decoder : keras.Model
            Named ``"decoder"``, mapping ``(batch, n_components)`` to rows.
        """
        raise NotImplementedError(f"{type(self).__name__} must define build_decoder")

    def _resolve_spec(self, X, fitted, sample_shape=None):
        """What this fit builds; ``fitted`` is the spec a warm start continues.

        ``sample_shape`` is the shape of one sample of the training data as the
        user passed it (``(n_features,)`` for flat rows).
        """
        parameters = {
            name: freeze(value)
            for name, value in self.get_params(deep=False).items()
            if name not in TRAINING_PARAMS | RESOLVED_PARAMS
        }
        return CustomSpec(
            **self._resolve_common(X, fitted), parameters=tuple(parameters.items())
        )

    def _resolve_common(self, X, fitted, linear_start=False):
        """The settings every spec has, resolved from the parameters and ``X``."""
        output, loss = resolve_output_and_loss(
            X, self.output_activation, self.loss, linear_start, fitted
        )
        if is_fraction(self.n_components):
            width, ordered = fraction_width(X.shape[1]), True
        else:
            width, ordered = self.n_components, bool(self.ordered)
        return dict(
            n_features=X.shape[1],
            n_components=width,
            output_activation=output,
            loss=loss,
            ordered=ordered,
        )

    def _build_network(self, spec, seed):
        """Return the :class:`~skae.networks.autoencoder.Network` of ``spec``."""
        from ..fitting.state import int_seed
        from ..networks.autoencoder import Network

        encoder_seed, decoder_seed = (int_seed(s) for s in seed.spawn(2))
        return Network(
            self.build_encoder(spec.n_features, seed=encoder_seed),
            self.build_decoder(spec.n_features, spec.output_activation, decoder_seed),
        )

    def _start_network(self, network, spec, X_train, seed):
        """Set weights that depend on the training data, before training."""

    def _encode(self, X, dtype):
        """The codes of the rows of ``X``: the heart of ``transform``."""
        return self._models.encode(X, dtype)

    def _network_shapes(self):
        """Sample shapes the fitted network works in, besides flat rows."""
        return ()

    @property
    def sample_shape_(self):
        """The shape of one sample of the data ``fit`` saw.

        ``(n_features_in_,)`` for flat rows, ``(28, 28)`` for images passed as
        an array of shape ``(n_samples, 28, 28)``; ``inverse_transform``
        returns samples of this shape.
        """
        check_is_fitted(self)
        return self.__dict__.get("_sample_shape") or (self.n_features_in_,)

    def _rows(self, X):
        """Validated rows of ``X`` for a fitted estimator (samples flattened)."""
        check_is_fitted(self)
        X, _ = to_rows(self, X, fitted_shape=self.sample_shape_)
        rows = None
        if not hasattr(self, "feature_names_in_"):
            rows = plain_rows(X, self.n_features_in_)
        if rows is None:
            rows = validate_rows(self, X, reset=False, accept_sparse="csr")
        return rows

    # -- public API ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; ``numpy.memmap`` and sparse input are read a batch
            at a time. An array with more dimensions holds samples of shape
            ``X.shape[1:]`` (such as images), flattened in C order; which
            shapes an estimator reads is in its class documentation, and
            ``sample_shape_`` records the one seen.
        y : None
            Ignored; present so the autoencoder fits in supervised Pipelines.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        from .training import fit

        return fit(self, X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train on the rows of ``X`` for one epoch, continuing from the last call.

        The first call builds the model from ``X`` as :meth:`fit` does. Every
        call then makes one pass over the rows of ``X`` in a new random order,
        without a validation split or early stopping, and keeps the optimizer's
        state (Adam's moment estimates) from one call to the next, so that a
        loop over chunks of data too large for memory trains as :meth:`fit`
        does. After :meth:`fit`, unpickling or loading, the first call starts
        a fresh optimizer on the fitted weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data; ``numpy.memmap`` and sparse chunks are
            read a batch at a time.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The estimator, trained for one more epoch.
        """
        from .training import partial_fit

        return partial_fit(self, X)

    def transform(self, X):
        """Encode ``X`` into the code space.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to encode, with the training data's features: flat, or
            samples of the shape ``fit`` saw (``sample_shape_``).

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_)
            The codes, float32 for float32 input, float64 otherwise.
        """
        rows = self._rows(X)
        return self._encode(rows, dtype=rows.dtype)

    def inverse_transform(self, X):
        """Decode codes back into the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, *sample_shape_)
            The reconstruction, float32 for float32 codes, float64 otherwise,
            in the shape of the samples ``fit`` saw: flat rows
            ``(n_samples, n_features_in_)`` after a fit on rows, images after
            a fit on images.
        """
        check_is_fitted(self)
        width = self.n_components_
        Z = plain_rows(X, width)
        if Z is None:
            with too_large_for_float64():
                Z = check_array(X, dtype=FLOAT_DTYPES, input_name="X")
        if Z.shape[1] != width:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but {type(self).__name__}."
                f"inverse_transform expects codes with n_components={width} "
                "columns, as returned by transform."
            )
        return from_rows(self._models.decode(Z, Z.dtype), self.sample_shape_)

    def score_samples(self, X):
        """Return the negative mean squared reconstruction error of each row.

        Higher is better; unusually low values flag rows unlike the training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to score, with the training data's features.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus each row's mean squared reconstruction error.
        """
        X = self._rows(X)
        return -squared_errors(X, self._reconstruct, self._width()) / X.shape[1]

    def score(self, X, y=None):
        """Return the mean of :meth:`score_samples` over the rows of ``X``.

        That is minus the mean squared reconstruction error, except for the
        variational autoencoder, whose :meth:`score_samples` is the evidence
        lower bound (ELBO). Higher is better, so model selection tools such as
        ``GridSearchCV`` pick the model that models held-out data best.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows like the training data.
        y : None
            Ignored.

        Returns
        -------
        score : float
            The mean score of the rows.
        """
        return float(np.mean(self.score_samples(X)))

    def truncate(self, n_components):
        """Return a fitted copy that keeps the first ``n_components`` code units.

        The model must have been trained with ``ordered=True`` (or a float
        ``n_components``), so that every prefix of its code is a good code. The
        copy's encoder outputs the first ``n_components`` units and its decoder
        reads them, zeros standing in for the rest: the same weights, no
        refitting. One ordered fit thus serves every code size, e.g. a
        ``GridSearchCV`` over ``FrozenEstimator(est.truncate(k))`` for several
        ``k``. This estimator is left as it is.

        Parameters
        ----------
        n_components : int
            Code units to keep, from 1 to the size of the trained code.

        Returns
        -------
        estimator : object
            A fitted copy with ``n_components_ == n_components``.
        """
        check_is_fitted(self)
        check_prefix(self._spec, n_components, "truncate")
        copy = deepcopy(self)
        copy.n_components = n_components
        copy._set_model(truncate_autoencoder(copy._models.model, n_components))
        copy._spec = truncated_spec(self._spec, n_components)
        # Prefix R^2 does not depend on the units after the prefix.
        copy.explained_variance_ratio_ = self.explained_variance_ratio_[
            :n_components
        ].copy()
        copy.reconstruction_r2_ = float(np.sum(copy.explained_variance_ratio_))
        return copy

    def save(self, path):
        """Save the estimator to one file that loads without running code.

        The file holds the parameters and fitted attributes as JSON and NumPy
        arrays (no pickle) and the Keras model in Keras's ``.keras`` format.
        Read it back with :func:`skae.load`, which refuses files that would run
        code and gives bit-identical ``transform``, ``inverse_transform`` and
        ``score``. Keras callbacks in ``callbacks`` are not saved (a warning
        says so). The file is replaced only once it is completely written.

        Parameters
        ----------
        path : str or path-like
            Where to write; the ``.skae`` suffix is customary.

        Returns
        -------
        path : str
            The path written.
        """
        from ..saving.format import save

        return save(self, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # Sparse rows are densified a batch at a time, never whole.
        tags.input_tags.sparse = True
        return tags

    # -- what a fit leaves (see skae.estimators.training) -------------------------

    def _store_fit(
        self, model, spec, history, X, fraction=None, X_held_out=None, max_rows=None
    ):
        """Set the fitted attributes after training ``model`` on ``X``.

        With a ``fraction``, keep the shortest prefix of the ordered code whose
        R^2 on ``X_held_out`` reaches it. R^2 is measured on at most
        ``max_rows`` rows of ``X`` (``PREFIX_MAX_ROWS`` by default).
        """
        self._models_handed_out = False  # new models, in skae's hands only
        self._set_model(model)
        self._spec = spec
        if fraction is not None:
            kept = select_prefix(self, X_held_out, fraction)
            self._set_model(truncate_autoencoder(model, kept))
            self._spec = truncated_spec(spec, kept)
        self.history_ = history
        self.n_iter_ = len(history["loss"])
        r2 = prefix_scores(self, X, max_rows or PREFIX_MAX_ROWS)
        self.reconstruction_r2_ = float(r2[-1])
        self.explained_variance_ratio_ = np.diff(r2, prepend=0.0)


BASES.append(BaseAutoencoder)
