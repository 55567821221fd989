"""Estimator plumbing shared by every skae autoencoder.

:class:`BaseAutoencoder` validates parameters and data, runs the fit (seeding,
validation split, training, fail-safe rollback), and implements ``transform``,
``inverse_transform``, scoring and pickling. A concrete autoencoder only says how
its Keras encoder and decoder are built (``build_encoder`` / ``build_decoder``).

Keras is imported on first use, inside the methods that need it, so that
``import skae`` stays as cheap as importing scikit-learn.
"""

import contextlib
import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .._arrays import StreamedRows, dense_rows, is_streamed
from ..inference.numpy_pass import ACTIVATIONS

ACTIVATION_NAMES = frozenset(ACTIVATIONS)
LOSSES = ("mse", "binary_crossentropy")
FLOAT_DTYPES = (np.float64, np.float32)
# Bytes of float64 rows per chunk when computing reconstruction errors, so that
# scoring a large array never holds more than a chunk's reconstruction at once.
SCORE_CHUNK_BYTES = 4 * 2**20


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class for autoencoders that behave like scikit-learn transformers.

    This is skae's extension point for custom Keras models. A subclass defines
    ``__init__`` with the parameters it exposes, each stored verbatim as in every
    scikit-learn estimator (``n_components`` is required; the training parameters
    of :class:`AutoencoderTransformer` that it leaves out keep their defaults),
    and implements two builder methods:

    * ``build_encoder(n_features, seed)`` returns a Keras model named
      ``"encoder"`` mapping ``(batch, n_features)`` rows to
      ``(batch, n_components)`` codes;
    * ``build_decoder(n_features, output_activation, seed)`` returns a Keras
      model named ``"decoder"`` mapping codes back to ``(batch, n_features)``,
      ending in ``output_activation`` (resolved from the data when ``"auto"``).

    ``seed`` is an int derived from ``random_state``; pass it to initializers
    and random layers for reproducible fits. Everything else (validation, the
    fit loop, ``transform``, scoring, pickling) comes from this class. Layers
    that are not part of Keras itself must be registered with
    ``keras.saving.register_keras_serializable`` so that fitted estimators can
    be pickled. Parameters that shape the model are listed in
    ``_architecture_params`` so that a ``warm_start`` refit refuses to continue
    with a different architecture.
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "output_activation": [StrOptions({"auto"} | ACTIVATION_NAMES)],
        "loss": [StrOptions({"auto", *LOSSES})],
        "optimizer": [str, HasMethods(["apply_gradients", "get_config"])],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "noise_type": [StrOptions({"gaussian", "mask"})],
        "callbacks": [list, None],
        "distribute": [None, HasMethods(["scope", "experimental_distribute_dataset"])],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _architecture_params = ("n_components",)

    # Defaults of the shared parameters, used by subclasses whose ``__init__``
    # does not expose them all; the built-in estimators expose every one with
    # these same defaults (tests/test_base.py checks they agree).
    output_activation = "auto"
    loss = "auto"
    optimizer = "adam"
    learning_rate = 1e-3
    epochs = 200
    batch_size = 256
    shuffle = True
    validation_fraction = 0.1
    early_stopping = True
    n_iter_no_change = 10
    tol = 1e-4
    noise = 0.0
    noise_type = "gaussian"
    callbacks = None
    distribute = None
    warm_start = False
    random_state = None
    verbose = 0

    def build_encoder(self, n_features, seed):
        """Return the Keras encoder model; see the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} must define build_encoder")

    def build_decoder(self, n_features, output_activation, seed):
        """Return the Keras decoder model; see the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} must define build_decoder")

    def _initialize_weights(self, encoder, decoder, X_train, seed):
        """Set weights that depend on the training data before training starts."""

    def _build_bottleneck(self, n_features, seed):
        """Return a layer between encoder and decoder during training, or None."""
        return None

    def _encode(self, X, dtype=np.float64):
        """Return the codes of the rows of ``X``; the heart of ``transform``."""
        return self._encoder_plan(X, dtype=dtype)

    # -- public API ----------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present so the autoencoder fits in supervised Pipelines.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fail_safe(self._fit, X)

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
        """
        return self._fail_safe(self._partial_fit, X)

    def transform(self, X):
        """Encode ``X`` into the code space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            float32 for float32 input, float64 otherwise.
        """
        check_is_fitted(self)
        rows = None
        if not hasattr(self, "feature_names_in_"):
            rows = _plain_rows(X, self.n_features_in_)
        if rows is None:
            rows = validate_rows(self, X, reset=False, accept_sparse="csr")
        return self._encode(rows, dtype=rows.dtype)

    def inverse_transform(self, X):
        """Decode codes back into the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            The reconstruction, float32 for float32 codes, float64 otherwise.
        """
        check_is_fitted(self)
        width = self._decoder_plan.n_inputs
        Z = _plain_rows(X, width)
        if Z is None:
            with _too_large_for_float64():
                Z = check_array(X, dtype=FLOAT_DTYPES, input_name="X")
        if Z.shape[1] != width:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but {type(self).__name__}."
                f"inverse_transform expects codes with n_components={width} "
                "columns, as returned by transform."
            )
        return self._decoder_plan(Z, dtype=Z.dtype)

    def score_samples(self, X):
        """Return the negative mean squared reconstruction error of each row.

        Higher is better; unusually low values flag rows unlike the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_rows(self, X, reset=False, accept_sparse="csr")
        return -self._row_squared_errors(X) / X.shape[1]

    def score(self, X, y=None):
        """Return the negative mean squared reconstruction error of ``X``.

        Higher is better, so model selection tools such as ``GridSearchCV``
        pick the model that reconstructs held-out data best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # Sparse rows are densified a batch at a time, never whole.
        tags.input_tags.sparse = True
        return tags

    # -- fitting -------------------------------------------------------------------

    def _fail_safe(self, step, X):
        """Run ``step(X)``; if anything goes wrong, leave ``self`` as it was."""
        snapshot = self._snapshot()
        try:
            # Built and trained in float32 whatever Keras's global floatx and
            # dtype policy, so that they cannot change what a fit computes.
            with _float32_keras():
                step(X)
        except BaseException:
            self._restore(snapshot)
            raise
        return self

    def _fit_seeds(self, n):
        """``n`` independent int seeds for one fit, drawn from ``random_state``."""
        entropy = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return [int(seed) for seed in np.random.SeedSequence(entropy).generate_state(n)]

    def _fit(self, X):
        warm = self.warm_start and hasattr(self, "model_")
        streamed = is_streamed(X)
        X = self._validate_training_rows(X, reset=not warm)
        loss, output_activation = self._loss_and_output(X, warm)
        callbacks = self._check_callbacks()
        init_seed, split_seed, shuffle_seed = self._fit_seeds(3)
        X_train, X_val = self._split(X, split_seed, streamed)
        with self._distribution_scope():
            optimizer = self._make_optimizer()
            if warm:
                model = self._model_in_scope()
            else:
                model = self._build_model(X_train, output_activation, init_seed)
        history = self._train(
            model,
            X_train,
            X_val,
            optimizer=optimizer,
            loss=loss,
            epochs=self.epochs,
            seed=shuffle_seed,
            early_stopping=self.early_stopping,
            callbacks=callbacks,
        )
        self._store_fit(model, loss, output_activation, history, X)
        # The next partial_fit starts its own optimizer and shuffling sequence.
        self._partial = None

    def _partial_fit(self, X):
        first = not hasattr(self, "model_")
        streamed = is_streamed(X)
        X = self._validate_training_rows(X, reset=first)
        loss, output_activation = self._loss_and_output(X, not first, "partial_fit")
        callbacks = self._check_callbacks()
        rows = StreamedRows(X) if streamed else X.astype(np.float32, copy=False)
        partial = getattr(self, "_partial", None)
        if partial is None:
            # The seeds of the whole sequence of calls: the weights' on the
            # first, and the shuffling's, which each call combines with its
            # number in the sequence.
            init_seed, shuffle_seed = self._fit_seeds(2)
            partial = {"init_seed": init_seed, "shuffle_seed": shuffle_seed}
            partial.update(calls=0, optimizer=None)
        seed = int(
            np.random.SeedSequence(
                [partial["shuffle_seed"], partial["calls"]]
            ).generate_state(1)[0]
        )
        with self._distribution_scope():
            if first:
                model = self._build_model(rows, output_activation, partial["init_seed"])
            else:
                model = self._model_in_scope()
            optimizer = partial["optimizer"]
            if optimizer is None or getattr(model, "optimizer", None) is not optimizer:
                optimizer = self._make_optimizer()
            else:
                optimizer = None  # compiled by an earlier call: keep its state
        history = self._train(
            model,
            rows,
            None,
            optimizer=optimizer,
            loss=loss,
            epochs=1,
            seed=seed,
            early_stopping=False,
            callbacks=callbacks,
            run_eagerly=False,
        )
        if not first:
            history = {
                key: [*self.history_.get(key, []), *values]
                for key, values in history.items()
            }
        self._store_fit(model, loss, output_activation, history, X)
        self._partial = dict(
            partial,
            calls=partial["calls"] + 1,
            # None where a twin of the model trained (see trainer_for).
            optimizer=getattr(model, "optimizer", None),
        )

    def _train(self, model, X_train, X_val, **settings):
        """:func:`skae.fitting.loop.train` with this estimator's training parameters."""
        from ..fitting.loop import train

        return train(
            model,
            X_train,
            X_val,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            verbose=self.verbose,
            noise_type=self.noise_type,
            noise=self.noise,
            strategy=self.distribute,
            **settings,
        )

    def _store_fit(self, model, loss, output_activation, history, X):
        """Set the fitted attributes after training ``model`` on ``X``."""
        self._set_model(model)
        self._architecture = self._current_architecture()
        self.loss_ = loss
        self.output_activation_ = output_activation
        self.history_ = history
        self.n_iter_ = len(history["loss"])
        self.explained_variance_ratio_ = self._explained_variance_ratio(X)

    def _validate_training_rows(self, X, *, reset):
        X = validate_rows(self, X, reset=reset, accept_sparse="csr")
        _check_float32_range(X)
        self._check_params()
        return X

    def _loss_and_output(self, X, continuing, method="fit"):
        if continuing:
            self._check_same_architecture(method)
            loss, output_activation = self.loss_, self.output_activation_
        else:
            loss, output_activation = self._resolve_loss_and_output(X)
        self._check_loss_fits_data(X, loss, output_activation)
        return loss, output_activation

    def _build_model(self, X_train, output_activation, seed):
        """Build the encoder and decoder, initialise them and join them."""
        from ..networks.autoencoder import join_autoencoder

        n_features = X_train.shape[1]
        encoder = self.build_encoder(n_features, seed=seed)
        decoder = self.build_decoder(n_features, output_activation, seed=seed)
        if isinstance(X_train, StreamedRows):
            X_train = X_train.sample(seed)
        self._initialize_weights(encoder, decoder, X_train, seed)
        return join_autoencoder(
            encoder, decoder, self._build_bottleneck(n_features, seed)
        )

    def _distribution_scope(self):
        """Return the ``distribute`` strategy's scope, or a no-op context."""
        if self.distribute is None:
            return contextlib.nullcontext()
        import keras

        if keras.backend.backend() != "tensorflow":
            raise ValueError(
                "distribute takes a tf.distribute.Strategy, which needs the "
                f"TensorFlow backend; Keras runs on {keras.backend.backend()!r}. "
                "With JAX, set keras.distribution.set_distribution("
                "keras.distribution.DataParallel()) before fit instead."
            )
        import tensorflow as tf

        if not isinstance(self.distribute, tf.distribute.Strategy):
            raise TypeError(
                "distribute must be a tf.distribute.Strategy such as "
                "tf.distribute.MirroredStrategy(); got "
                f"{type(self.distribute).__name__}."
            )
        return self.distribute.scope()

    def _model_in_scope(self):
        """The fitted model, rebuilt under ``distribute``'s scope when there is one.

        A strategy mirrors the variables created under its scope; the fitted
        model's were created outside it, so a copy is made inside.
        """
        if self.distribute is None:
            return self.model_
        from ..saving.keras_bytes import model_from_bytes, model_to_bytes

        return model_from_bytes(model_to_bytes(self.model_))

    def _check_params(self):
        """Validate what ``_parameter_constraints`` cannot express."""
        if self.noise_type == "mask" and self.noise >= 1:
            raise ValueError(
                "noise_type='mask' zeroes a fraction noise of the inputs, which "
                f"must be below 1; got noise={self.noise!r}."
            )

    def _current_architecture(self):
        return {
            name: _freeze(getattr(self, name)) for name in self._architecture_params
        }

    def _check_same_architecture(self, method="fit"):
        current = self._current_architecture()
        for name, before in self._architecture.items():
            if current[name] != before:
                how, instead = (
                    ("partial_fit", "call fit to build a new model")
                    if method == "partial_fit"
                    else (
                        "warm_start=True",
                        "set warm_start=False to build a new model",
                    )
                )
                raise ValueError(
                    f"{how} continues training the fitted model, whose {name} is "
                    f"{before!r}; got {name}={current[name]!r}. Restore {name} or "
                    f"{instead}."
                )

    def _resolve_loss_and_output(self, X):
        unit = _inside_unit_interval(X)
        loss = self.loss
        if loss == "auto":
            loss = "binary_crossentropy" if unit else "mse"
        output_activation = self.output_activation
        if output_activation == "auto":
            output_activation = "sigmoid" if unit else "linear"
        return loss, output_activation

    def _check_loss_fits_data(self, X, loss, output_activation):
        if loss != "binary_crossentropy":
            return
        if not _inside_unit_interval(X):
            raise ValueError(
                "loss='binary_crossentropy' needs data inside [0, 1]; got values "
                f"from {X.min():.6g} to {X.max():.6g}. Scale X into [0, 1] (for "
                "example with MinMaxScaler) or use loss='mse'."
            )
        if output_activation != "sigmoid":
            raise ValueError(
                "loss='binary_crossentropy' needs outputs inside (0, 1); got "
                f"output_activation={output_activation!r}. Use "
                "output_activation='sigmoid' or 'auto'."
            )

    def _check_callbacks(self):
        if self.callbacks is None:
            return []
        import keras

        for i, callback in enumerate(self.callbacks):
            if not isinstance(callback, keras.callbacks.Callback):
                raise TypeError(
                    "callbacks must be a list of keras.callbacks.Callback instances; "
                    f"got {type(callback).__name__} at position {i}."
                )
        backups = [
            c for c in self.callbacks if isinstance(c, keras.callbacks.BackupAndRestore)
        ]
        if len(backups) > 1:
            raise ValueError(
                "callbacks may hold one keras.callbacks.BackupAndRestore, which "
                f"a fit resumes from; got {len(backups)}."
            )
        return list(self.callbacks)

    def _split(self, X, seed, streamed=False):
        """Return float32 ``(X_train, X_val)``; ``X_val`` is None without a split.

        Streamed data (a memmap or a sparse matrix) is not copied: the two parts
        are :class:`StreamedRows` that read their rows a batch at a time.
        """
        n_samples = X.shape[0]
        n_val = math.ceil(self.validation_fraction * n_samples)
        if n_val == 0:
            if streamed:
                return StreamedRows(X), None
            return X.astype(np.float32, copy=False), None
        if n_val >= n_samples:
            plural = "s" if n_samples != 1 else ""
            raise ValueError(
                f"validation_fraction={self.validation_fraction} holds out {n_val} "
                f"of the samples and leaves none to train on; got {n_samples} "
                f"sample{plural}. Pass more samples or set validation_fraction=0."
            )
        order = np.random.default_rng(seed).permutation(n_samples)
        val_rows, train_rows = np.sort(order[:n_val]), np.sort(order[n_val:])
        if streamed:
            return StreamedRows(X, train_rows), StreamedRows(X, val_rows)
        return (
            X[train_rows].astype(np.float32, copy=False),
            X[val_rows].astype(np.float32, copy=False),
        )

    def _make_optimizer(self):
        """Return a fresh Keras optimizer for this fit."""
        import keras

        if isinstance(self.optimizer, str):
            try:
                optimizer_cls = type(keras.optimizers.get(self.optimizer))
            except ValueError as exc:
                raise ValueError(
                    f"optimizer={self.optimizer!r} is not the name of a Keras "
                    "optimizer; use e.g. 'adam', 'sgd', 'rmsprop' or an instance "
                    "of keras.optimizers.Optimizer."
                ) from exc
            return optimizer_cls(learning_rate=self.learning_rate)
        if not isinstance(self.optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "optimizer must be a name or a keras.optimizers.Optimizer instance; "
                f"got {type(self.optimizer).__name__}."
            )
        # A copy per fit: the user's instance is never built or stepped.
        return type(self.optimizer).from_config(self.optimizer.get_config())

    # -- fitted state --------------------------------------------------------------

    def _set_model(self, model):
        """Store the Keras models and compile their NumPy forward passes."""
        from ..inference.numpy_pass import ForwardPlan
        from ..networks.autoencoder import split_autoencoder

        self.model_ = model
        self.encoder_, self.decoder_ = split_autoencoder(model)
        self._encoder_plan = ForwardPlan(self.encoder_)
        self._decoder_plan = ForwardPlan(self.decoder_)

    def _snapshot(self):
        state = dict(self.__dict__)
        weights = self.model_.get_weights() if hasattr(self, "model_") else None
        optimizer = (getattr(self, "_partial", None) or {}).get("optimizer")
        moments = [v.numpy() for v in optimizer.variables] if optimizer else None
        return state, weights, moments

    def _restore(self, snapshot):
        state, weights, moments = snapshot
        self.__dict__.clear()
        self.__dict__.update(state)
        if weights is not None:
            self.model_.set_weights(weights)
        if moments is not None:
            variables = self._partial["optimizer"].variables
            for variable, value in zip(variables, moments, strict=True):
                variable.assign(value)

    def _score_chunks(self, X):
        """Yield slices of the rows of ``X`` small enough to score at once.

        A chunk's rows, as float64, take at most ``SCORE_CHUNK_BYTES`` in the
        widest of the input, the encoder's and the decoder's layers.
        """
        width = max(
            int(np.prod(X.shape[1:])),
            self._encoder_plan.width,
            self._decoder_plan.width,
        )
        step = max(1, SCORE_CHUNK_BYTES // (8 * width))
        for start in range(0, X.shape[0], step):
            yield slice(start, start + step)

    def _row_squared_errors(self, X):
        """Sum of squared reconstruction errors of each row, in float64."""
        errors = np.empty(X.shape[0], dtype=np.float64)
        for rows in self._score_chunks(X):
            x = dense_rows(X[rows], np.float64)
            x_hat = self._decoder_plan(self._encode(x), dtype=np.float64)
            x_hat -= x
            errors[rows] = np.einsum("ij,ij->i", x_hat, x_hat)
        return errors

    def _explained_variance_ratio(self, X):
        mean = np.asarray(X.mean(axis=0, dtype=np.float64)).ravel()
        total = 0.0
        for rows in self._score_chunks(X):
            chunk = dense_rows(X[rows], np.float64) - mean  # never X itself
            total += float(np.einsum("ij,ij->", chunk, chunk))
        residual = float(np.sum(self._row_squared_errors(X)))
        if total == 0.0:
            # Constant data has no variance to explain.
            return float("nan")
        return 1.0 - residual / total

    # -- saving and pickling -----------------------------------------------------------

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
        """
        from ..saving.format import save

        return save(self, path)

    def __getstate__(self):
        state = dict(super().__getstate__())
        # Runtime objects: a strategy belongs to its process, and partial_fit's
        # optimizer to the Keras model it compiled (not pickled as such).
        state["distribute"] = None
        state.pop("_partial", None)
        if "model_" in state:
            from ..saving.keras_bytes import model_to_bytes

            state["_model_archive"] = model_to_bytes(state["model_"])
            for key in (
                "model_",
                "encoder_",
                "decoder_",
                "_encoder_plan",
                "_decoder_plan",
            ):
                state.pop(key, None)
        return state

    def __setstate__(self, state):
        archive = state.pop("_model_archive", None)
        super().__setstate__(state)
        if archive is not None:
            from ..saving.keras_bytes import model_from_bytes

            self._set_model(model_from_bytes(archive))


def _freeze(value):
    """Make list-valued parameters comparable with their tuple spelling."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _plain_rows(X, n_columns):
    """Return ``X`` if it is already what validation would return, else None.

    That is a float32 or float64 ndarray of shape ``(n, n_columns)``, ``n >= 1``,
    with a finite sum (so every value is finite). Such input needs neither a
    conversion nor a check, and skipping scikit-learn's generic validation makes
    a one-row ``transform`` several times faster: the validation costs more than
    the forward pass. Anything else (lists, DataFrames, other dtypes, NaN or
    inf, a wrong width, a sum that overflows) goes through the full validation
    and gets its errors and conversions.
    """
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in FLOAT_DTYPES
        and X.shape[0] > 0
        and X.shape[1] == n_columns
        and _has_finite_sum(X)
    ):
        return X
    return None


def _has_finite_sum(X):
    # A sum that overflows, or an inf - inf, only sends X on to the full
    # validation; NumPy must not warn about it (nor raise under -W error).
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()))


def validate_rows(estimator, X, *, reset, **kwargs):
    """``validate_data`` into float64 or float32, with skae's extra error."""
    with _too_large_for_float64():
        return validate_data(estimator, X, dtype=FLOAT_DTYPES, reset=reset, **kwargs)


@contextlib.contextmanager
def _too_large_for_float64():
    """Report numbers too large for float64 as a ValueError.

    NumPy raises OverflowError when it converts a Python int beyond float64's
    range (``10**400`` in a list or an object array); scikit-learn's validation
    lets it through.
    """
    try:
        yield
    except OverflowError as exc:
        raise ValueError(
            f"X holds a number too large to convert to float64 ({exc}). "
            "Scale X first, for example with StandardScaler."
        ) from exc


def _check_float32_range(X):
    """Raise unless every value of ``X`` survives the cast to float32.

    Training runs in float32, so a float64 value beyond float32's range would
    silently become inf and the model would be trained on it.
    """
    if X.dtype == np.float32 or not X.size:
        return
    limit = float(np.finfo(np.float32).max)
    largest = max(-float(X.min()), float(X.max()))
    if largest > limit:
        raise ValueError(
            f"X holds values up to {largest:.3g} in magnitude, beyond the float32 "
            f"range (+-{limit:.3g}) in which the Keras model is trained. Scale X "
            "first, for example with StandardScaler."
        )


@contextlib.contextmanager
def _float32_keras():
    """Make Keras build float32 layers, whatever its global floatx and policy.

    Global state is changed only when it differs, and restored afterwards. Keras
    keeps the dtype policy per thread but floatx for the whole process, so a
    fit under a non-default floatx briefly changes it for other threads too.
    """
    import keras

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    if floatx == "float32" and policy.name == "float32":
        yield
        return
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


def _inside_unit_interval(X):
    return X.shape[0] * X.shape[1] > 0 and X.min() >= 0 and X.max() <= 1
