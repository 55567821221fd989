"""The input pipeline: batches whose order, flips and noise depend on (seed, epoch).

:func:`make_dataset` feeds shuffled batches whose order depends only on the
fit's seed and the epoch number (stateless random ops), never on a global seed,
so that a fit resumed at any epoch trains as one that never stopped. The
images of a batch may be mirrored at random (``random_flip``) and its inputs
corrupted (``noise``), drawn the same way.
"""

import math

import numpy as np
import tensorflow as tf

from .._arrays import StreamedRows
from .augment import random_flips


def make_dataset(
    X,
    *,
    targets=None,
    batch_size,
    shuffle,
    seed,
    epochs,
    first_epoch=0,
    noise_type=None,
    noise=0.0,
    noise_clip=None,
    random_flip=None,
    image_shape=None,
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
    ``noise_clip``, a ``(low, high)`` pair or None, clips the Gaussian noise's
    corrupted inputs to that range. ``targets``, rows of ``X``'s shape, are
    what the model learns to output for the rows of ``X`` (clean versions of
    corrupted inputs); None: ``X`` itself.

    ``random_flip`` (``"horizontal"``, ``"vertical"``,
    ``"horizontal_and_vertical"`` or None) mirrors each row's image, of
    ``image_shape`` ``(height, width, channels)``, left to right (up and down)
    with probability 1/2, input and target alike, before any noise: more
    training images of the same kind, where a mirror image is one. The flips
    of batch ``b`` are drawn statelessly from ``(seed, e, b)`` as well.
    """
    n_samples = X.shape[0]
    read = _row_reader(X)
    read_targets = read if targets is None else _row_reader(targets)
    shuffle_seed, noise_seed, _, flip_seed = _seeds(seed)
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

    corrupt = _corruption(noise_type, noise, noise_clip, noise_seed)
    flip = random_flips(random_flip, image_shape, flip_seed)

    def gather(step, rows):
        # The targets are the inputs themselves, or rows mirrored as they are.
        pair = [read(rows)] if targets is None else [read(rows), read_targets(rows)]
        if flip is not None:
            pair = flip(step, *pair)
        batch, target = pair[0], pair[-1]
        if corrupt is None:
            return batch, target
        return corrupt(step, batch), target

    return (
        tf.data.Dataset.range(first_epoch, epochs)
        .flat_map(epoch_batches)
        .map(gather)
        .prefetch(tf.data.AUTOTUNE)
    )


def make_validation_dataset(
    X,
    *,
    batch_size,
    targets=None,
    seed=None,
    noise_type=None,
    noise=0.0,
    noise_clip=None,
):
    """Return a ``tf.data.Dataset`` of ``(x, target)`` batches of ``X``.

    The targets are the rows of ``targets``, or of ``X`` itself when None. With
    ``noise > 0`` the inputs are corrupted as :func:`make_dataset` corrupts the
    training inputs, once for the whole fit (the noise of batch ``b`` drawn
    statelessly from ``(seed, b)``), so that the validation loss of every epoch
    measures the same task the model trains on: restoring corrupted rows. A
    dataset, rather than arrays, lets Keras reuse one pipeline across epochs
    instead of rebuilding it after every epoch. In-memory rows are cached;
    streamed rows are read again each epoch (and corrupted the same way).
    """
    corrupt = _corruption(noise_type, noise, noise_clip, _seeds(seed)[2])
    streamed = isinstance(X, StreamedRows) or isinstance(targets, StreamedRows)
    if streamed:
        read = _row_reader(X)
        read_targets = read if targets is None else _row_reader(targets)
        pairs = (
            tf.data.Dataset.range(X.shape[0])
            .batch(batch_size)
            .map(lambda rows: (read(rows), read_targets(rows)))
        )
    else:
        inputs = tf.constant(X, dtype=tf.float32)
        if targets is None:
            batches = tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)
            pairs = batches.map(lambda batch: (batch, batch))
        else:
            rows = (inputs, tf.constant(targets, dtype=tf.float32))
            pairs = tf.data.Dataset.from_tensor_slices(rows).batch(batch_size)
    if corrupt is not None:
        pairs = pairs.enumerate().map(lambda b, pair: (corrupt(b, pair[0]), pair[1]))
    if streamed:
        return pairs.prefetch(tf.data.AUTOTUNE)
    return pairs.cache()


def _seeds(seed):
    """The stateless seeds of a fit's shuffling, training and validation noise
    and flips (the first three as they were before flips were drawn)."""
    return tuple(
        tf.constant(int(s), dtype=tf.int64)
        for s in np.random.SeedSequence(seed).generate_state(4)
    )


def _corruption(noise_type, noise, noise_clip, noise_seed):
    """``corrupt(step, batch)``, drawing its noise from ``(noise_seed, step)``.

    None when there is no corruption to apply.
    """
    if noise_type is None or noise == 0:
        return None

    def corrupt(step, batch):
        key = tf.stack([noise_seed, tf.cast(step, tf.int64)])
        if noise_type == "mask":
            keep = tf.random.stateless_uniform(tf.shape(batch), key) >= noise
            return batch * tf.cast(keep, batch.dtype)
        noisy = batch + noise * tf.random.stateless_normal(tf.shape(batch), key)
        if noise_clip is None:
            return noisy
        return tf.clip_by_value(noisy, *noise_clip)

    return corrupt


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
