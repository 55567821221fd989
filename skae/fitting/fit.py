"""A fit from start to end, on rows and a frozen config: a model comes back.

:func:`fit_model` and :func:`partial_fit_model` take the spec the estimator
resolved, its validated rows and its :class:`~skae.fitting.config.TrainingConfig`;
they draw the fit's seeds, split off the validation rows, build the network
(:func:`~skae.networks.build.build_autoencoder`) or continue the fitted one,
and train it (:func:`~skae.fitting.loop.train`). What they return is what the
estimator stores.
"""

import dataclasses
import functools
from typing import NamedTuple

import numpy as np

from .._arrays import StreamedRows, is_streamed
from .._seeds import fit_seeds, int_seed
from ..networks.autoencoder import split_autoencoder
from ..networks.build import build_autoencoder
from ..saving.keras_bytes import model_from_bytes, model_to_bytes
from .augment import with_mirror_images
from .in_basis import train_in_basis
from .loop import train
from .setup import (
    check_callbacks,
    check_noise,
    distribution_scope,
    make_optimizer,
    resolve_noise_clip,
    split_rows,
)
from .state import IncrementalFit


class Trained(NamedTuple):
    """What a fit returns: the trained model, its history, its held-out rows."""

    model: object  # keras.Model
    history: dict
    held_out: object  # the validation rows, or the training rows without them


def fit_model(
    spec, X, config, *, streamed=False, model=None, network=None, targets=None
):
    """Train a new model of ``spec`` on the rows ``X``, or go on with ``model``.

    Parameters
    ----------
    spec : NetworkSpec
        What to build (and, with ``model``, what ``model`` is).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated rows.
    config : TrainingConfig
    streamed : bool, default=False
        Whether ``X`` is read a batch at a time (a memmap or a sparse matrix)
        rather than copied.
    model : keras.Model, default=None
        A fitted model to continue (a warm start); None builds a new one.
    network : callable, default=None
        ``network(spec, seed)`` for a spec no builder is registered for.
    targets : ndarray or sparse matrix of shape (n_samples, n_features), default=None
        Validated rows the model learns to output for the rows of ``X`` (clean
        versions of corrupted inputs), split as ``X`` is; None: ``X`` itself.

    Returns
    -------
    trained : Trained
    """
    config = _checked(config, X)
    init_seed, split_seed, shuffle_seed = fit_seeds(config.random_state)
    split = int_seed(split_seed)
    X_train, X_val = split_rows(X, config.validation_fraction, split, streamed)
    # The same rows of the targets: the split depends on the seed and the
    # number of rows only.
    T_train, T_val = (None, None)
    if targets is not None:
        T_train, T_val = split_rows(
            targets, config.validation_fraction, split, is_streamed(targets)
        )
    with distribution_scope(config.distribute):
        optimizer = make_optimizer(config.optimizer, config.learning_rate)
        if model is not None:
            model = copy_into_scope(model, config.distribute)
        else:
            model = build_autoencoder(
                spec, init_seed, X_train, network, _pca_rows(config, spec)
            )
    history = _train(
        model,
        spec,
        X_train,
        X_val,
        config,
        optimizer=optimizer,
        seed=int_seed(shuffle_seed),
        ordered_halves=split_autoencoder(model) if spec.ordered else None,
        targets=(T_train, T_val),
    )
    return Trained(model, history, X_val if X_val is not None else X_train)


def partial_fit_model(
    spec,
    X,
    config,
    run=None,
    *,
    streamed=False,
    model=None,
    network=None,
    targets=None,
):
    """Train one epoch on the rows ``X``, continuing the calls ``run`` counts.

    The first call (``model`` None) builds the model of ``spec``; later calls
    continue ``model`` with the optimizer (and its state) of ``run``, when it
    is still the model's. ``targets`` are as for :func:`fit_model`. Returns
    ``(model, history, run)``, ``run`` counting this call.
    """
    config = dataclasses.replace(_checked(config, X), epochs=1, early_stopping=False)
    rows = _training_rows(X, streamed)
    if targets is not None:
        targets = _training_rows(targets, is_streamed(targets))
    optimizer = run and run.optimizer
    if run is None:
        init_seed, _, shuffle_seed = fit_seeds(config.random_state)
        run = IncrementalFit(init_seed, shuffle_seed)
    with distribution_scope(config.distribute):
        if model is None:
            model = build_autoencoder(
                spec, run.init_seed, rows, network, _pca_rows(config, spec)
            )
        else:
            model = copy_into_scope(model, config.distribute)
        if optimizer is None or getattr(model, "optimizer", None) is not optimizer:
            optimizer = make_optimizer(config.optimizer, config.learning_rate)
        else:
            optimizer = None  # compiled by an earlier call: keep its state
    history = _train(
        model,
        spec,
        rows,
        None,
        config,
        optimizer=optimizer,
        seed=int_seed(run.call_seed()),
        run_eagerly=False,
        targets=(targets, None),
    )
    # None where a twin of the model trained (see trainer_for).
    trained = getattr(model, "optimizer", None)
    return (
        model,
        history,
        IncrementalFit(run.init_seed, run.shuffle_seed, run.calls + 1, trained),
    )


def _train(model, spec, X_train, X_val, config, *, optimizer, **kwargs):
    """:func:`~skae.fitting.loop.train` ``model`` on its rows, or, for a
    network with a basis, its twin on the rows' coordinates in the basis
    (:mod:`skae.networks.basis`); ``optimizer=None`` goes on with the one
    ``model`` was last trained with."""
    if not getattr(spec, "pca_basis", 0):
        return train(
            model,
            X_train,
            X_val,
            config,
            loss=spec.loss,
            optimizer=optimizer,
            image_shape=getattr(spec, "image_shape", None),
            **kwargs,
        )
    return train_in_basis(
        model, spec, X_train, X_val, config, optimizer=optimizer, **kwargs
    )


def _checked(config, X):
    """``config`` with its callbacks checked and its ``noise_clip`` resolved."""
    check_noise(config.noise, config.noise_type, config.noise_clip)
    return dataclasses.replace(
        config,
        callbacks=check_callbacks(config.callbacks),
        noise_clip=resolve_noise_clip(
            config.noise_clip, config.noise, config.noise_type, X
        ),
    )


def _pca_rows(config, spec):
    """What a PCA start is computed from: with ``random_flip``, the training
    rows and their mirror images, the images the fit trains on."""
    if config.random_flip is None:
        return None
    return functools.partial(
        with_mirror_images,
        random_flip=config.random_flip,
        image_shape=spec.image_shape,
    )


def _training_rows(X, streamed):
    """All the rows of ``X`` as training reads them: streamed, or float32."""
    return StreamedRows(X) if streamed else X.astype(np.float32, copy=False)


def copy_into_scope(model, strategy):
    """``model``, copied inside ``strategy``'s scope when there is a strategy.

    A strategy mirrors the variables created under its scope; a fitted model's
    were created outside it, so a copy is made inside.
    """
    if strategy is None:
        return model
    return model_from_bytes(model_to_bytes(model))
