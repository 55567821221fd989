"""Training a network that works in a basis, through its twin.

A network with a basis (:mod:`skae.networks.basis`) trains its inner layers on
the rows' coordinates in the basis, through a twin model that shares those
layers. The callbacks a user passes are written for the autoencoder they fit:
they see ``model_``'s model, which reads and writes features, and whatever
they do to it (stop the fit, change the learning rate of the optimizer the two
share) is done to the training.
"""

import dataclasses

import keras

from ..networks.basis import basis_rows, basis_trainer
from .loop import train
from .setup import distribution_scope


def train_in_basis(model, spec, X_train, X_val, config, *, optimizer, **kwargs):
    """:func:`~skae.fitting.loop.train` the twin of ``model`` on the
    coordinates of ``X_train`` (and ``X_val``); ``optimizer=None`` goes on
    with ``model``'s. Returns the history."""
    twin, loss = basis_trainer(model)
    if optimizer is None:
        optimizer = model.optimizer
    # The model holds the optimizer that trains it, for the callbacks that
    # read it and for the next partial_fit to go on with.
    with distribution_scope(config.distribute):
        model.compile(optimizer=optimizer, loss=spec.loss)
    model.stop_training = False
    callbacks = [
        c if isinstance(c, keras.callbacks.BackupAndRestore) else ForModel(c, model)
        for c in config.callbacks
    ]
    return train(
        twin,
        basis_rows(model, X_train),
        None if X_val is None else basis_rows(model, X_val),
        # XLA's compilation is not won back by the twin's cheaper steps, and
        # its steps ran slower than TensorFlow's own graphs in our trials
        # (benchmarks/bench_time_to_quality.py).
        dataclasses.replace(config, callbacks=callbacks, xla=False),
        loss=loss,
        optimizer=optimizer,
        **kwargs,
    )


HOOKS = tuple(
    f"on_{what}"
    for what in (
        "train_begin",
        "train_end",
        "epoch_begin",
        "epoch_end",
        "train_batch_begin",
        "train_batch_end",
        "test_begin",
        "test_end",
        "test_batch_begin",
        "test_batch_end",
        "predict_begin",
        "predict_end",
        "predict_batch_begin",
        "predict_batch_end",
    )
)


class ForModel(keras.callbacks.Callback):
    """``callback``, shown ``model`` where Keras would show it the twin that
    trains; a stop it asks of ``model`` stops the training."""

    def __init__(self, callback, model):
        super().__init__()
        self.callback, self.shown = callback, model

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(self.shown)

    def set_params(self, params):
        super().set_params(params)
        self.callback.set_params(params)


def _forward(hook):
    def forward(self, *args, **kwargs):
        getattr(self.callback, hook)(*args, **kwargs)
        if self.shown.stop_training:
            self.model.stop_training = True

    forward.__name__ = hook
    return forward


for _hook in HOOKS:
    setattr(ForModel, _hook, _forward(_hook))
