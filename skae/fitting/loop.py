"""The fit loop: a reproducible input pipeline, early stopping and a NaN guard.

Training runs through Keras's own ``Model.fit`` so that user callbacks, verbosity
and every backend behave as Keras users expect. What skae adds is here:

* :func:`make_dataset` feeds shuffled batches whose order depends only on the
  fit's seed and the epoch number (stateless random ops), never on a global seed.
* :class:`TrainingMonitor` implements early stopping with a relative tolerance,
  restores the best weights, and stops on a non-finite loss, restoring the last
  finite weights and warning about it.
* With a ``keras.callbacks.BackupAndRestore`` among the callbacks, a fit that was
  killed resumes from its backup exactly where it stopped: the input pipeline
  starts at the epoch Keras resumes from, and the monitor backs up its own state
  (Keras's backup holds only the weights, the optimizer and the epoch).
"""

import contextlib
import io
import json
import math
import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from .._arrays import StreamedRows

# Compiling a training step into a graph costs one to several seconds, which a
# fit of a few dozen steps never wins back (each step then saves milliseconds).
# Such fits, common in searches over small data and in tests, run eagerly.
EAGER_MAX_STEPS = 32


def make_dataset(
    X,
    *,
    batch_size,
    shuffle,
    seed,
    epochs,
    first_epoch=0,
    noise_type=None,
    noise=0.0,
):
    """Return a ``tf.data.Dataset`` of ``(inputs, targets)`` batches.

    The batches of epochs ``first_epoch`` to ``epochs - 1``, the same whatever
    the first epoch is, so that a resumed fit trains as one that never stopped.
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
        tf.data.Dataset.range(first_epoch, epochs)
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

    The epoch that ends training (the last one, or one after which training
    stops) ends with the fit's final weights in place: the best epoch's with
    early stopping, the last finite epoch's after a non-finite loss. A backup
    taken after that epoch therefore holds the fit's result.

    Parameters
    ----------
    early_stopping : bool
        Stop when the monitored loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the epoch with
        the lowest monitored loss.
    n_iter_no_change : int
    tol : float
        An epoch improves when its loss is below ``best - tol * |best|``.
    backup_dir : str, default=None
        A ``keras.callbacks.BackupAndRestore``'s directory. After every epoch
        the monitor saves there its state and that of the model's random
        generators (dropout, sampling), which Keras's backup leaves out.
    start : int, default=0
        The number of epochs a resumed fit has run before; the monitor goes on
        from the state it saved in ``backup_dir`` after them.

    Attributes
    ----------
    history : dict of lists of float
        The logs of every epoch since the fit began, also when it resumed.
    finished : bool
        Whether the final weights are in place: a fit resumed after that runs
        no more epochs.
    """

    # What the monitor knows of the fit besides weights, backed up as JSON.
    _STATE = (
        "history",
        "best",
        "lowest",
        "best_epoch",
        "wait",
        "last_finite_epoch",
        "diverged_epoch",
        "finished",
    )

    def __init__(
        self, early_stopping, n_iter_no_change, tol, *, backup_dir=None, start=0
    ):
        super().__init__()
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.backup_dir = backup_dir
        self.start = start
        self.history = {}
        self.best = self.lowest = np.inf
        self.best_epoch = self.last_finite_epoch = self.diverged_epoch = None
        self.wait = 0
        self.finished = False
        self.best_weights = self.last_finite_weights = self.random_states = None
        if start:
            self._restore(start)

    def on_train_begin(self, logs=None):
        if not self.start:
            self.last_finite_weights = self.model.get_weights()
            return
        # Keras's backup has restored the weights, but not the generators.
        random_states = _random_states(self.model)
        for variable, value in zip(random_states, self.random_states, strict=True):
            variable.assign(value)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self._watch(epoch, logs)
        if self.model.stop_training or epoch + 1 == self.params["epochs"]:
            self._finish()
        if self.backup_dir is not None:
            self._back_up(epoch + 1)

    def on_train_end(self, logs=None):
        if self.diverged_epoch is None:
            return
        restored = self.last_finite_epoch
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

    def _watch(self, epoch, logs):
        """Update the early stopping and the NaN guard with an epoch's logs."""
        losses = [logs[k] for k in ("loss", "val_loss") if k in logs]
        if not all(np.isfinite(v) for v in losses):
            self.diverged_epoch = epoch
            self.model.stop_training = True
            return
        self.last_finite_weights = self.model.get_weights()
        self.last_finite_epoch = epoch
        current = float(logs.get("val_loss", logs.get("loss")))
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

    def _finish(self):
        """Put the final weights in place, before anything backs them up."""
        if self.diverged_epoch is not None:
            self.model.set_weights(self.last_finite_weights)
        elif self.early_stopping and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        self.finished = True

    def _state_path(self, epochs_done):
        return os.path.join(self.backup_dir, f"skae_state_{epochs_done}.npz")

    def _back_up(self, epochs_done):
        """Save the state after ``epochs_done`` epochs, keeping the one before.

        Keras backs up the model just after (the monitor precedes its
        callback), so a kill in between leaves Keras's backup an epoch behind;
        it then resumes from the state before. The file is written whole and
        renamed, so a kill leaves either state complete.
        """
        arrays = {
            "last_finite_weights": self.last_finite_weights,
            "best_weights": self.best_weights or [],
            "random_states": [v.numpy() for v in _random_states(self.model)],
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            state=json.dumps({name: getattr(self, name) for name in self._STATE}),
            **{
                f"{name}.{i}": value
                for name, values in arrays.items()
                for i, value in enumerate(values)
            },
        )
        path = self._state_path(epochs_done)
        tf.io.gfile.makedirs(self.backup_dir)
        with tf.io.gfile.GFile(f"{path}.tmp", "wb") as f:
            f.write(buffer.getvalue())
        tf.io.gfile.rename(f"{path}.tmp", path, overwrite=True)
        stale = self._state_path(epochs_done - 2)
        if tf.io.gfile.exists(stale):
            tf.io.gfile.remove(stale)

    def _restore(self, epochs_done):
        path = self._state_path(epochs_done)
        if not tf.io.gfile.exists(path):
            raise ValueError(
                f"The backup in {os.fspath(self.backup_dir)!r} resumes a fit "
                f"after epoch {epochs_done}, but holds no skae state for that "
                "epoch: it was not made by a skae fit. Remove the directory, or "
                "pass another backup_dir to BackupAndRestore, to start a new fit."
            )
        with tf.io.gfile.GFile(path, "rb") as f:
            data = np.load(io.BytesIO(f.read()), allow_pickle=False)
        state = json.loads(data["state"].item())
        for name in self._STATE:
            setattr(self, name, state[name])

        def arrays(name):
            n = sum(key.startswith(f"{name}.") for key in data.files)
            return [data[f"{name}.{i}"] for i in range(n)]

        self.last_finite_weights = arrays("last_finite_weights")
        self.best_weights = arrays("best_weights") or None
        self.random_states = arrays("random_states")


def _random_states(model):
    """The variables of ``model`` beyond its weights: its random generators'.

    Dropout and sampling layers draw from these; ``get_weights`` and Keras's
    backup leave them out.
    """
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


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
    strategy=None,
):
    """Compile ``model`` and fit it to reconstruct ``X_train``.

    With ``optimizer=None`` the model is not compiled again: training goes on
    with the optimizer (and its state) of the last compilation, as
    ``partial_fit`` needs. ``run_eagerly=None`` runs short fits eagerly (see
    ``EAGER_MAX_STEPS``). With a ``keras.callbacks.BackupAndRestore`` in
    ``callbacks`` (one at most), a fit that finds a backup there goes on from
    it as if it had never stopped. ``strategy``, a ``tf.distribute.Strategy``
    under whose scope ``model`` and ``optimizer`` were made, distributes the
    training. Returns the per-epoch history as a dict of lists of floats.
    """
    n_steps = steps_per_epoch(X_train.shape[0], batch_size)
    if run_eagerly is None:
        run_eagerly = epochs * n_steps <= EAGER_MAX_STEPS
    model = trainer_for(model, strategy)
    with contextlib.nullcontext() if strategy is None else strategy.scope():
        if optimizer is not None:
            model.compile(optimizer=optimizer, loss=loss, run_eagerly=run_eagerly)
        backups = [
            c for c in callbacks if isinstance(c, keras.callbacks.BackupAndRestore)
        ]
        others = [c for c in callbacks if c not in backups]
        start = backed_up_epochs(backups[0]) if backups else 0
        monitor = TrainingMonitor(
            early_stopping,
            n_iter_no_change,
            tol,
            backup_dir=backups[0].backup_dir if backups else None,
            start=start,
        )
        dataset = make_dataset(
            X_train,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            epochs=epochs,
            # Never empty, not even for a finished fit, which runs no epoch: under
            # a strategy Keras reads a batch before it looks at the epochs.
            first_epoch=min(start, epochs - 1),
            noise_type=noise_type,
            noise=noise,
        )
        try:
            model.fit(
                dataset,
                epochs=start if monitor.finished else epochs,
                initial_epoch=start,
                steps_per_epoch=n_steps,
                validation_data=(
                    None
                    if X_val is None
                    else make_validation_dataset(X_val, batch_size=batch_size)
                ),
                # The monitor sees the logs that the other callbacks add, and backs
                # up its state before Keras backs up the model.
                callbacks=[*others, monitor, *backups],
                shuffle=False,
                verbose=verbose,
            )
        finally:
            # BackupAndRestore tells Keras where to resume through this attribute,
            # which Keras never resets: every later fit of the model (a warm start,
            # partial_fit) would skip as many epochs.
            model._initial_epoch = None
        return monitor.history


def trainer_for(model, strategy):
    """The model that ``Model.fit`` runs on: ``model``, except across workers.

    Keras 3's ``fit`` fails under a ``MultiWorkerMirroredStrategy`` of more than
    one worker (keras-team/keras#20585, open in Keras 3.15): for a model made
    under the strategy's scope it reduces the first ``(inputs, targets)`` batch
    as one value, and after every step it reduces each scalar log along an axis
    the log does not have. There ``model`` trains through a twin that shares its
    layers and weights, made outside the scope (so nothing reduces the batch),
    whose steps return each log as a one-element vector (which reduces to the
    mean over the workers, a scalar again).
    """
    if strategy is None or not _across_workers(strategy):
        return model
    return _AcrossWorkers(model.inputs, model.outputs, name=model.name)


def _across_workers(strategy):
    resolver = strategy.cluster_resolver
    if resolver is None:
        return False
    return sum(len(tasks) for tasks in resolver.cluster_spec().as_dict().values()) > 1


class _AcrossWorkers(keras.Model):
    """A twin of a model for ``fit`` across workers; see :func:`trainer_for`."""

    def train_step(self, data):
        return _as_vectors(super().train_step(data))

    def test_step(self, data):
        return _as_vectors(super().test_step(data))


def _as_vectors(logs):
    return {key: keras.ops.reshape(value, (1,)) for key, value in logs.items()}


def backed_up_epochs(backup):
    """The number of epochs after which ``backup`` resumes a fit; 0 without one.

    Keras reads it from the backup only once training has begun; the input
    pipeline needs it before, to start at that epoch. It is read from the file
    and path that ``backup`` itself writes and reads.
    """
    path = backup._training_metadata_path
    if not tf.io.gfile.exists(path):
        return 0
    with tf.io.gfile.GFile(path) as f:
        return int(json.load(f)["epoch"])
