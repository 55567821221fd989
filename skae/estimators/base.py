"""The scikit-learn face shared by every skae autoencoder.

``fit`` reads top to bottom in :meth:`BaseAutoencoder._fit`: the data validated
and resolved into a frozen spec, a model built and trained from the spec and a
frozen training config in :mod:`skae.fitting`, what comes back stored as the
fitted state (:mod:`skae.estimators.fitted`). Keras is imported on first use,
so that ``import skae`` stays as cheap as scikit-learn.
"""

import functools

from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)

from .._arrays import is_streamed
from .._registry import BASES, ESTIMATORS, SPEC_EXAMPLES, register
from ..fitting.config import TrainingConfig
from ..networks.spec import check_continues
from .custom import CustomNetwork
from .examples import example_specs
from .fitted import FittedState
from .losses import check_loss_fits_data, clip_output, resolve_output_and_loss
from .parameters import SharedParameters
from .prefixes import (
    PARTIAL_FIT_PREFIX_ROWS,
    PrefixMethods,
    fraction_width,
    is_fraction,
)
from .shapes import SampleShapes
from .transform import TransformMethods


class BaseAutoencoder(
    TransformMethods,
    PrefixMethods,
    CustomNetwork,
    SampleShapes,
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
    # common tests and the allowlist's examples build for every estimator.
    _small_params = {}

    # Trained with nested dropout, so that every prefix of the code is a good
    # code; estimators that can order their code take it as a parameter.
    ordered = False

    # Whether long fits compile the training step with XLA: only for networks
    # where it measures faster (see skae.fitting.loop.XLA_MIN_STEPS).
    _xla = False

    def __init_subclass__(cls, *, registered=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if registered:
            register(ESTIMATORS, cls)
            SPEC_EXAMPLES[cls.__name__] = functools.partial(example_specs, cls)

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

    # -- public API ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, X_target=None):
        """Train the autoencoder to reconstruct ``X``, or to output ``X_target``.

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
        X_target : {array-like, sparse matrix} of the shape of X, default=None
            What the model learns to output for each row of ``X``: the clean
            rows of corrupted inputs ``X``, to train a denoiser the Keras
            tutorial's way. In a Pipeline, pass it as ``step__X_target``
            (GridSearchCV splits it with ``X``), or request it with metadata
            routing. None reconstructs ``X`` itself.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, X_target)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, *, X_target=None):
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
        X_target : {array-like, sparse matrix} of the shape of X, default=None
            What the model learns to output for each row of ``X``, as in
            :meth:`fit`.

        Returns
        -------
        self : object
            The estimator, trained for one more epoch.
        """
        return self._partial_fit(X, y, X_target)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # Sparse rows are densified a batch at a time, never whole.
        tags.input_tags.sparse = True
        return tags

    # -- the steps of fit and partial_fit --------------------------------------------

    def _fit(self, X, y, X_target):
        """Train a new model on ``X``, or the fitted one with ``warm_start``."""
        from ..fitting.fit import fit_model
        from ..fitting.state import rollback
        from ..networks.build import float32_keras

        models = self.__dict__.get("_models")
        # Built and trained in float32 whatever Keras's global floatx and dtype
        # policy, so that they cannot change what a fit computes.
        with rollback(self, models and models.model), float32_keras():
            continuing = self.warm_start and models is not None
            streamed = is_streamed(X)
            X, shape = self._fit_rows(X, reset=not continuing)
            targets = self._fit_targets(X_target, X, shape, y)
            spec = self._resolve(X, targets, shape, continuing, "fit", streamed)
            trained = fit_model(
                spec,
                X,
                self._training_config(),
                streamed=streamed,
                model=models.model if continuing else None,
                network=self._build_network,
                targets=targets,
            )
            fraction = self.n_components if is_fraction(self.n_components) else None
            self._store(trained, spec, X, fraction=fraction)
            self._sample_shape = shape
            # The next partial_fit starts its own optimizer and shuffling sequence.
            self._incremental = None
        return self

    def _partial_fit(self, X, y, X_target):
        """Train one epoch on ``X``, continuing the last call."""
        from ..fitting.fit import Trained, partial_fit_model
        from ..fitting.state import rollback
        from ..networks.build import float32_keras

        models = self.__dict__.get("_models")
        run = self.__dict__.get("_incremental")
        optimizer = run and run.optimizer
        with rollback(self, models and models.model, optimizer), float32_keras():
            first = models is None
            streamed = is_streamed(X)
            X, shape = self._fit_rows(X, reset=first)
            targets = self._fit_targets(X_target, X, shape, y)
            spec = self._resolve(X, targets, shape, not first, "partial_fit", streamed)
            model, history, run = partial_fit_model(
                spec,
                X,
                self._training_config(),
                run,
                streamed=streamed,
                model=None if first else models.model,
                network=self._build_network,
                targets=targets,
            )
            if not first:
                history = {
                    key: [*self.history_.get(key, []), *values]
                    for key, values in history.items()
                }
            trained = Trained(model, history, None)
            self._store(trained, spec, X, max_rows=PARTIAL_FIT_PREFIX_ROWS)
            if first:
                self._sample_shape = shape
            self._incremental = run
        return self

    def _resolve(self, X, targets, sample_shape, continuing, method, streamed):
        """This fit's spec; a continued fit must build what it continues.

        The model outputs the targets (``X`` without them): their range picks
        the ``"auto"`` loss and output, and their shape is ``X``'s. A denoiser
        (``noise``, or targets that differ from ``X``) may clip its output
        (:func:`~skae.estimators.losses.clip_output`). ``streamed`` says whether
        the user's ``X`` is read a batch at a time, which validated rows of a
        memmap no longer show, for a network that depends on it.
        """
        outputs = X if targets is None else targets
        fitted = self._spec if continuing else None
        if fitted is not None and fitted.trained_components is not None:
            raise ValueError(
                f"This model keeps the first {fitted.n_components} units of a "
                f"{fitted.trained_components}-unit ordered code (a float "
                "n_components, or truncate()), so it cannot continue training; "
                f"{'call fit' if method == 'partial_fit' else 'set warm_start=False'} "
                "to train a new model."
            )
        if method == "partial_fit" and is_fraction(self.n_components):
            raise ValueError(
                f"n_components={self.n_components!r} picks the code size on "
                "held-out rows after training, which partial_fit does not have; "
                "use fit, or an int n_components."
            )
        spec = self._resolve_spec(outputs, fitted, sample_shape=sample_shape)
        inputs = None if targets is None else X
        spec = clip_output(
            spec, outputs, noise=self.noise, inputs=inputs, fitted=fitted
        )
        if fitted is not None:
            check_continues(fitted, spec, method)
        check_loss_fits_data(outputs, spec.loss, spec.output_activation)
        return spec

    def _training_config(self):
        """The training parameters, frozen for one fit."""
        # Parameters an estimator does not take (random_flip, for the image
        # models only) keep the config's defaults.
        names = TrainingConfig.parameter_names()
        params = {n: getattr(self, n) for n in names if hasattr(self, n)}
        return TrainingConfig.of(params, xla=self._xla)


BASES.append(BaseAutoencoder)
