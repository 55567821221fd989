"""The steps of ``fit`` and ``partial_fit``, in order, undone if one fails.

The estimator says what it builds and keeps (its ``_resolve_spec``,
``_build_network``, ``_start_network`` and ``_store_fit``); this module runs
those steps in order with the data's validation, the fit's set-up
(:mod:`skae.fitting.setup`) and the training loop (:mod:`skae.fitting.loop`),
and leaves the estimator as it was when a step fails or the fit is interrupted.
"""

import numpy as np

from .._arrays import StreamedRows, is_streamed
from .._validation import check_float32_range, validate_rows
from ..fitting.loop import train
from ..fitting.setup import (
    check_callbacks,
    check_noise,
    distribution_scope,
    float32_keras,
    make_optimizer,
    split_rows,
)
from ..fitting.state import IncrementalFit, fit_seeds, int_seed, rollback
from ..networks.autoencoder import join_autoencoder, split_autoencoder
from ..networks.ordered import ordered_network
from ..networks.spec import check_continues
from ..saving.keras_bytes import model_from_bytes, model_to_bytes
from .losses import check_loss_fits_data
from .ordered import PARTIAL_FIT_PREFIX_ROWS, is_fraction
from .shapes import to_rows

# The estimator's parameters that train() takes as they are.
TRAINING_SETTINGS = (
    "batch_size",
    "learning_rate_schedule",
    "shuffle",
    "n_iter_no_change",
    "tol",
    "verbose",
    "noise_type",
    "noise",
)


def fit(estimator, X):
    """Train ``estimator`` on ``X``: a new model, or the fitted one with warm_start."""
    models = estimator.__dict__.get("_models")
    # Built and trained in float32 whatever Keras's global floatx and dtype
    # policy, so that they cannot change what a fit computes.
    with rollback(estimator, models and models.model), float32_keras():
        continuing = estimator.warm_start and models is not None
        streamed = is_streamed(X)
        X, shape = _validate(estimator, X, reset=not continuing)
        spec = _resolve(estimator, X, shape, continuing, "fit")
        callbacks = check_callbacks(estimator.callbacks)
        init_seed, split_seed, shuffle_seed = fit_seeds(estimator.random_state)
        X_train, X_val = split_rows(
            X, estimator.validation_fraction, int_seed(split_seed), streamed
        )
        with distribution_scope(estimator.distribute):
            optimizer = make_optimizer(estimator.optimizer, estimator.learning_rate)
            if continuing:
                model = copy_into_scope(models.model, estimator.distribute)
            else:
                model = _build(estimator, spec, X_train, init_seed)
        history = _train(
            estimator,
            model,
            X_train,
            X_val,
            loss=spec.loss,
            optimizer=optimizer,
            epochs=estimator.epochs,
            seed=int_seed(shuffle_seed),
            early_stopping=estimator.early_stopping,
            callbacks=callbacks,
            ordered_halves=split_autoencoder(model) if spec.ordered else None,
        )
        fraction = (
            estimator.n_components if is_fraction(estimator.n_components) else None
        )
        held_out = X_val if X_val is not None else X_train
        estimator._store_fit(model, spec, history, X, fraction, held_out)
        estimator._sample_shape = shape
        # The next partial_fit starts its own optimizer and shuffling sequence.
        estimator._incremental = None
    return estimator


def partial_fit(estimator, X):
    """Train ``estimator`` for one epoch on ``X``, continuing the last call."""
    models = estimator.__dict__.get("_models")
    run = estimator.__dict__.get("_incremental")
    optimizer = run and run.optimizer
    with rollback(estimator, models and models.model, optimizer), float32_keras():
        first = models is None
        streamed = is_streamed(X)
        X, shape = _validate(estimator, X, reset=first)
        spec = _resolve(estimator, X, shape, not first, "partial_fit")
        callbacks = check_callbacks(estimator.callbacks)
        rows = StreamedRows(X) if streamed else X.astype(np.float32, copy=False)
        if run is None:
            init_seed, _, shuffle_seed = fit_seeds(estimator.random_state)
            run = IncrementalFit(init_seed, shuffle_seed)
        with distribution_scope(estimator.distribute):
            if first:
                model = _build(estimator, spec, rows, run.init_seed)
            else:
                model = copy_into_scope(models.model, estimator.distribute)
            if optimizer is None or getattr(model, "optimizer", None) is not optimizer:
                optimizer = make_optimizer(estimator.optimizer, estimator.learning_rate)
            else:
                optimizer = None  # compiled by an earlier call: keep its state
        history = _train(
            estimator,
            model,
            rows,
            None,
            loss=spec.loss,
            optimizer=optimizer,
            epochs=1,
            seed=int_seed(run.call_seed()),
            early_stopping=False,
            callbacks=callbacks,
            run_eagerly=False,
        )
        if not first:
            history = {
                key: [*estimator.history_.get(key, []), *values]
                for key, values in history.items()
            }
        estimator._store_fit(model, spec, history, X, max_rows=PARTIAL_FIT_PREFIX_ROWS)
        if first:
            estimator._sample_shape = shape
        # None where a twin of the model trained (see trainer_for).
        trained = getattr(model, "optimizer", None)
        estimator._incremental = IncrementalFit(
            run.init_seed, run.shuffle_seed, run.calls + 1, trained
        )
    return estimator


def _validate(estimator, X, *, reset):
    """``X`` as validated rows, and the shape of one of its samples.

    A ``partial_fit`` chunk after the first must hold samples of a shape the
    fitted model reads; a ``fit`` (also with ``warm_start``) records the shape
    of its own samples.
    """
    fitted_shape = None
    if not reset and estimator.__dict__.get("_models") is not None:
        fitted_shape = estimator.sample_shape_
    X, shape = to_rows(estimator, X, fitted_shape=fitted_shape)
    X = validate_rows(estimator, X, reset=reset, accept_sparse="csr")
    check_float32_range(X)
    check_noise(estimator.noise, estimator.noise_type)
    return X, shape or (X.shape[1],)


def _resolve(estimator, X, sample_shape, continuing, method):
    """This fit's spec; a continued fit must build what it continues."""
    fitted = estimator._spec if continuing else None
    if fitted is not None and fitted.trained_components is not None:
        raise ValueError(
            f"This model keeps the first {fitted.n_components} units of a "
            f"{fitted.trained_components}-unit ordered code (a float "
            "n_components, or truncate()), so it cannot continue training; "
            f"{'call fit' if method == 'partial_fit' else 'set warm_start=False'} "
            "to train a new model."
        )
    if method == "partial_fit" and is_fraction(estimator.n_components):
        raise ValueError(
            f"n_components={estimator.n_components!r} picks the code size on "
            "held-out rows after training, which partial_fit does not have; "
            "use fit, or an int n_components."
        )
    spec = estimator._resolve_spec(X, fitted, sample_shape=sample_shape)
    if fitted is not None:
        check_continues(fitted, spec, method)
    check_loss_fits_data(X, spec.loss, spec.output_activation)
    return spec


def _build(estimator, spec, X_train, seed):
    """Build the network of ``spec``, start it from the data, join it."""
    network_seed, start_seed, order_seed = seed.spawn(3)
    network = estimator._build_network(spec, network_seed)
    if spec.ordered:
        network = ordered_network(network, spec.n_components, int_seed(order_seed))
    estimator._start_network(network, spec, X_train, start_seed)
    return join_autoencoder(*network)


def copy_into_scope(model, strategy):
    """``model``, copied inside ``strategy``'s scope when there is a strategy.

    A strategy mirrors the variables created under its scope; a fitted model's
    were created outside it, so a copy is made inside.
    """
    if strategy is None:
        return model
    return model_from_bytes(model_to_bytes(model))


def _train(estimator, model, X_train, X_val, **settings):
    """:func:`~skae.fitting.loop.train` with the estimator's training parameters."""
    for name in TRAINING_SETTINGS:
        settings[name] = getattr(estimator, name)
    return train(
        model,
        X_train,
        X_val,
        strategy=estimator.distribute,
        xla=estimator._xla,
        **settings,
    )
