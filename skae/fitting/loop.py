"""The fit loop: Keras's own ``Model.fit``, with what skae adds around it.

Training runs through ``Model.fit`` so that user callbacks, verbosity and every
backend behave as Keras users expect. :func:`train` adds the reproducible input
pipeline (:mod:`skae.fitting.data`), the monitor of every epoch
(:mod:`skae.fitting.monitor`), resuming from a ``BackupAndRestore`` backup, and
training across the workers of a ``MultiWorkerMirroredStrategy``.
"""

import contextlib
import json

import keras
import tensorflow as tf

from .averaging import AveragedWeights, TrainedWeights, uses_averages
from .data import make_dataset, make_validation_dataset, steps_per_epoch
from .monitor import TrainingMonitor
from .prefix_validation import PrefixValidation
from .progress import FitProgress

# Compiling a training step into a graph costs more than a fit of a few dozen
# steps saves by it. Such fits, common in searches over small data and in
# tests, run eagerly.
EAGER_MAX_STEPS = 32
# XLA fuses the optimizer's element-wise update and the loss into a few loops,
# which shortens the epochs of dense networks on large data; its compilation
# is only won back by epochs of many steps (benchmarks/bench_speed.py measures
# both sides).
XLA_MIN_STEPS = 100
# The plateau schedule leaves the learning rate alone for the first epochs
# that hold this many optimizer steps. On a small data set (digits: 6 steps an
# epoch) the conv model's correction, which starts at zero, needs more epochs
# than the patience to leave the PCA start, and halving the rate meanwhile
# stops it there: at k=32 on the digits quick benchmark it ended after 20
# epochs at 1.02x PCA's error, and reaches 0.77x with this warm-up. On
# Fashion-MNIST (211 steps an epoch) it is the first epoch alone.
PLATEAU_WARMUP_STEPS = 200
# The plateau schedule counts an epoch as progress only when it lowers the
# monitored loss from where the last plateau ended by PLATEAU_TOL (or by
# ``tol``, if larger), in proportion for epochs of fewer than
# PLATEAU_TOL_STEPS optimizer steps: progress is judged per step of training,
# not per epoch. A fit that still gains a little every epoch is then halved
# all the same once its gains are small. On Fashion-MNIST (211 steps an
# epoch), where the default's held-out error falls by 0.1% to 0.3% an epoch
# from its 20th epoch on, gains above ``tol`` kept it at the full rate for the
# whole of a 150 s fit, which ended at 0.504x PCA's error; it ends at 0.492x
# with the rate halved three times from its 26th epoch on. On digits (6
# steps an epoch) the full 1% cut its early-stopped fits short, at 0.63x PCA's
# error where they had reached 0.57x (k = 8, benchmarks/bench_reconstruction.py
# --quick).
PLATEAU_TOL = 0.01
PLATEAU_TOL_STEPS = 200


def train(
    model,
    X_train,
    X_val,
    config,
    *,
    optimizer,
    loss,
    seed,
    run_eagerly=None,
    ordered_halves=None,
    targets=(None, None),
    image_shape=None,
):
    """Compile ``model`` and fit it to reconstruct ``X_train``, as ``config`` says.

    ``config`` is the fit's :class:`~skae.fitting.config.TrainingConfig`, its
    ``callbacks`` already checked. With ``optimizer=None`` the model is not
    compiled again: training goes on with the optimizer (and its state) of the
    last compilation, as ``partial_fit`` needs. ``run_eagerly=None`` runs short
    fits eagerly (see ``EAGER_MAX_STEPS``). With a
    ``keras.callbacks.BackupAndRestore`` among the callbacks (one at most), a
    fit that finds a backup there goes on from it as if it had never stopped.
    ``config.distribute``, a ``tf.distribute.Strategy`` under whose scope
    ``model`` and ``optimizer`` were made, distributes the training.
    ``learning_rate_schedule="plateau"`` halves the learning rate after
    ``max(1, n_iter_no_change // 2)`` epochs without an improvement of
    ``PLATEAU_TOL`` (less for short epochs, or ``tol`` if larger), counted from
    the first epoch that ends ``PLATEAU_WARMUP_STEPS`` steps or more into the
    fit (see :class:`~skae.fitting.monitor.TrainingMonitor`). ``config.xla`` compiles
    the training step with XLA when an epoch has at least ``XLA_MIN_STEPS``
    steps and no strategy distributes it. For a code trained with nested
    dropout, ``ordered_halves`` holds the model's encoder and decoder, and
    ``val_loss`` is the mean over the code's prefixes
    (:class:`~skae.fitting.prefix_validation.PrefixValidation`). ``targets``
    holds the rows the model learns to output for ``X_train`` and ``X_val``
    (None: the rows themselves). ``image_shape``, ``(height, width,
    channels)`` for an image model, is what ``config.random_flip`` mirrors.
    Returns the per-epoch history as a dict of lists of floats.
    """
    train_targets, val_targets = targets
    n_steps = steps_per_epoch(X_train.shape[0], config.batch_size)
    if run_eagerly is None:
        run_eagerly = config.epochs * n_steps <= EAGER_MAX_STEPS
    strategy = config.distribute
    jit_compile = (
        config.xla and strategy is None and not run_eagerly and n_steps >= XLA_MIN_STEPS
    )
    model = trainer_for(model, strategy)
    with contextlib.nullcontext() if strategy is None else strategy.scope():
        if optimizer is not None:
            model.compile(
                optimizer=optimizer,
                loss=loss,
                run_eagerly=run_eagerly,
                jit_compile=jit_compile,
            )
        backups = [
            c
            for c in config.callbacks
            if isinstance(c, keras.callbacks.BackupAndRestore)
        ]
        others = [c for c in config.callbacks if c not in backups]
        start = backed_up_epochs(backups[0]) if backups else 0
        monitor = TrainingMonitor(
            config.early_stopping,
            config.n_iter_no_change,
            config.tol,
            backup_dir=backups[0].backup_dir if backups else None,
            start=start,
            plateau_patience=(
                max(1, config.n_iter_no_change // 2)
                if config.learning_rate_schedule == "plateau"
                else None
            ),
            plateau_warmup=-(-PLATEAU_WARMUP_STEPS // n_steps),
            plateau_tol=max(
                config.tol, PLATEAU_TOL * min(1.0, n_steps / PLATEAU_TOL_STEPS)
            ),
        )
        dataset = make_dataset(
            X_train,
            targets=train_targets,
            batch_size=config.batch_size,
            shuffle=config.shuffle,
            seed=seed,
            epochs=config.epochs,
            # Never empty, not even for a finished fit, which runs no epoch: under
            # a strategy Keras reads a batch before it looks at the epochs.
            first_epoch=min(start, config.epochs - 1),
            noise_type=config.noise_type,
            noise=config.noise,
            noise_clip=config.noise_clip,
            random_flip=config.random_flip,
            image_shape=image_shape,
        )
        # With noise, the held-out inputs are corrupted as the training inputs
        # are: early stopping and the schedule then watch how well the model
        # restores them, the task it trains on, not plain reconstruction.
        validation = (
            None
            if X_val is None
            else make_validation_dataset(
                X_val,
                batch_size=config.batch_size,
                targets=val_targets,
                seed=seed,
                noise_type=config.noise_type,
                noise=config.noise,
                noise_clip=config.noise_clip,
            )
        )
        # Sets val_loss before any other callback reads it.
        prefixes = (
            [PrefixValidation(*ordered_halves, validation, loss)]
            if ordered_halves is not None and validation is not None
            else []
        )
        # verbose=1 shows one bar (or a few lines) over the whole fit instead of
        # Keras's bar per epoch; verbose=2 keeps Keras's line per epoch. Both
        # end with a line on what ended the fit.
        progress = (
            [
                FitProgress(
                    config.epochs,
                    monitor,
                    start=start,
                    callbacks=others,
                    per_epoch=config.verbose == 1,
                    rows=(X_train.shape[0], None if X_val is None else X_val.shape[0]),
                    corrupted=(
                        f"{config.noise_type} noise {config.noise:g}"
                        if config.noise
                        else None
                    ),
                )
            ]
            if config.verbose
            else []
        )
        # With an optimizer that averages the weights (use_ema=True), every
        # epoch is judged, and the fit ends, with the averages.
        averaged, trained = [], []
        if uses_averages(model):
            averaged = [AveragedWeights()]
            trained = [TrainedWeights(averaged[0], monitor)]
        try:
            model.fit(
                dataset,
                epochs=start if monitor.finished else config.epochs,
                initial_epoch=start,
                steps_per_epoch=n_steps,
                # PrefixValidation measures val_loss itself, the whole code's
                # loss among the prefixes': Keras's own pass would be thrown away.
                validation_data=None if prefixes else validation,
                # The monitor sees the logs that the other callbacks add, and backs
                # up its state before Keras backs up the model.
                callbacks=[
                    *averaged,
                    *prefixes,
                    *others,
                    monitor,
                    *trained,
                    *backups,
                    *progress,
                ],
                shuffle=False,
                verbose=0 if config.verbose == 1 else config.verbose,
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
