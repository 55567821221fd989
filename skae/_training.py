"""The fit loop: a reproducible input pipeline, early stopping and a NaN guard.

Training runs through Keras's own ``Model.fit`` so that user callbacks, verbosity
and every backend behave as Keras users expect. What skae adds is here:

* :func:`make_dataset` feeds shuffled batches whose order depends only on the
  fit's seed and the epoch number (stateless random ops), never on a global seed.
* :class:`TrainingMonitor` implements early stopping with a relative tolerance,
  restores the best weights, and stops on a non-finite loss, restoring the last
  finite weights and warning about it.
"""

import math
import warnings

import keras
import numpy as np
import tensorflow as tf

from ._streaming import StreamedRows

# Compiling a training step into a graph costs one to several seconds, which a
# fit of a few dozen steps never wins back (each step then saves milliseconds).
# Such fits, common in searches over small data and in tests, run eagerly.
EAGER_MAX_STEPS = 32


def make_dataset(X, *, batch_size, shuffle, seed, epochs, noise_type=None, noise=0.0):
    """Return a ``tf.data.Dataset`` of ``(inputs, targets)`` batches.

    Each epoch visits every row once. With ``shuffle``, epoch ``e`` uses the
    permutation drawn by a stateless generator from ``(seed, e)``. With
    ``noise > 0`` the inputs (never the targets) are corrupted, as a denoising
    autoencoder needs: ``"gaussian"`` adds noise of standard deviation
    ``noise``, ``"mask"`` sets a random fraction ``noise`` of the values to 0.
    The noise of batch ``b`` is drawn statelessly from ``(seed, e, b)`` too.
    """
    n_samples = X.shape[0]
    read = _row_reader(X)
    shuffle_seed, noise_seed = (
        tf.constant(int(s), dtype=tf.int64)
        for s in np.random.SeedSequence(seed).generate_state(2)
    )
    n_batches = steps_per_epoch(n_samples, batch_size)

    def epoch_batches(epoch):
        order = tf.range(n_samples, dtype=tf.int64)
        if shuffle:
            keys = tf.random.stateless_uniform(
                [n_samples], seed=tf.stack([shuffle_seed, epoch])
            )
            order = tf.argsort(keys, stable=True)
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
        return batches.enumerate().map(lambda b, rows: (epoch * n_batches + b, rows))

    def corrupt(step, batch):
        noise_key = tf.stack([noise_seed, step])
        if noise_type == "gaussian":
            return batch + noise * tf.random.stateless_normal(
                tf.shape(batch), noise_key
            )
        keep = tf.random.stateless_uniform(tf.shape(batch), noise_key) >= noise
        return batch * tf.cast(keep, batch.dtype)

    def gather(step, rows):
        batch = read(rows)
        if noise_type is None or noise == 0:
            return batch, batch
        return corrupt(step, batch), batch

    return (
        tf.data.Dataset.range(epochs)
        .flat_map(epoch_batches)
        .map(gather)
        .prefetch(tf.data.AUTOTUNE)
    )


def make_validation_dataset(X, *, batch_size):
    """Return a ``tf.data.Dataset`` of ``(x, x)`` batches of ``X``.

    A dataset, rather than arrays, lets Keras reuse one pipeline across epochs
    instead of rebuilding it after every epoch. In-memory rows are cached;
    streamed rows are read again each epoch.
    """
    if isinstance(X, StreamedRows):
        read = _row_reader(X)
        return (
            tf.data.Dataset.range(X.shape[0])
            .batch(batch_size)
            .map(lambda rows: (read(rows),) * 2)
            .prefetch(tf.data.AUTOTUNE)
        )
    return (
        tf.data.Dataset.from_tensor_slices(tf.constant(X, dtype=tf.float32))
        .batch(batch_size)
        .map(lambda batch: (batch, batch))
        .cache()
    )


def _row_reader(X):
    """Return a function from a tensor of row numbers to those rows, float32.

    In-memory rows become one float32 tensor that batches are gathered from.
    :class:`StreamedRows` stay where they are; each batch is read and converted
    by NumPy when the pipeline asks for it.
    """
    if isinstance(X, StreamedRows):
        row_shape = X.shape[1:]

        def read(rows):
            batch = tf.numpy_function(X.take, [rows], tf.float32, stateful=False)
            batch.set_shape([None, *row_shape])
            return batch

        return read
    data = tf.constant(X, dtype=tf.float32)
    return lambda rows: tf.gather(data, rows)


def steps_per_epoch(n_samples, batch_size):
    return math.ceil(n_samples / batch_size)


class TrainingMonitor(keras.callbacks.Callback):
    """Keras callback that watches every epoch of a fit.

    Parameters
    ----------
    early_stopping : bool
        Stop when the monitored loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the epoch with
        the lowest monitored loss.
    n_iter_no_change : int
    tol : float
        An epoch improves when its loss is below ``best - tol * |best|``.
    """

    def __init__(self, early_stopping, n_iter_no_change, tol):
        super().__init__()
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol

    def on_train_begin(self, logs=None):
        self.best = np.inf
        self.lowest = np.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.last_finite_weights = self.model.get_weights()
        self.last_finite_epoch = None
        self.diverged_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        losses = [logs[k] for k in ("loss", "val_loss") if k in logs]
        if not all(np.isfinite(v) for v in losses):
            self.diverged_epoch = epoch
            self.model.stop_training = True
            return
        self.last_finite_weights = self.model.get_weights()
        self.last_finite_epoch = epoch
        current = logs.get("val_loss", logs.get("loss"))
        if current < self.lowest:
            # Restore the lowest loss seen, even when the gain is below ``tol``.
            self.lowest = current
            if self.early_stopping:
                self.best_weights = self.last_finite_weights
        if self.best_epoch is None or current < self.best - self.tol * abs(self.best):
            self.best, self.best_epoch, self.wait = current, epoch, 0
        else:
            self.wait += 1
            if self.early_stopping and self.wait >= self.n_iter_no_change:
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.diverged_epoch is not None:
            restored = self.last_finite_epoch
            self.model.set_weights(self.last_finite_weights)
            where = (
                f"the weights of epoch {restored + 1}"
                if restored is not None
                else "the weights from before training"
            )
            warnings.warn(
                f"The training loss became non-finite (NaN or inf) at epoch "
                f"{self.diverged_epoch + 1}; training stopped and {where} were "
                "restored. Lower learning_rate or scale the input.",
                RuntimeWarning,
                stacklevel=2,
            )
        elif self.early_stopping and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def train(
    model,
    X_train,
    X_val,
    *,
    optimizer,
    loss,
    epochs,
    batch_size,
    shuffle,
    seed,
    early_stopping,
    n_iter_no_change,
    tol,
    callbacks,
    verbose,
    noise_type=None,
    noise=0.0,
    run_eagerly=None,
):
    """Compile ``model`` and fit it to reconstruct ``X_train``.

    With ``optimizer=None`` the model is not compiled again: training goes on
    with the optimizer (and its state) of the last compilation, as
    ``partial_fit`` needs. ``run_eagerly=None`` runs short fits eagerly (see
    ``EAGER_MAX_STEPS``). Returns the per-epoch history as a dict of lists of
    floats.
    """
    n_steps = steps_per_epoch(X_train.shape[0], batch_size)
    if run_eagerly is None:
        run_eagerly = epochs * n_steps <= EAGER_MAX_STEPS
    if optimizer is not None:
        model.compile(optimizer=optimizer, loss=loss, run_eagerly=run_eagerly)
    monitor = TrainingMonitor(early_stopping, n_iter_no_change, tol)
    dataset = make_dataset(
        X_train,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        epochs=epochs,
        noise_type=noise_type,
        noise=noise,
    )
    history = model.fit(
        dataset,
        epochs=epochs,
        steps_per_epoch=n_steps,
        validation_data=(
            None
            if X_val is None
            else make_validation_dataset(X_val, batch_size=batch_size)
        ),
        callbacks=[monitor, *callbacks],
        shuffle=False,
        verbose=verbose,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}
