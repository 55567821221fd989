"""What a fit sets up before training: optimizer, callbacks, strategy, split.

Each function takes a parameter's value and returns what the fit uses, or
raises an error that names the parameter and repeats the value received.
"""

import contextlib
import math
from numbers import Real

import numpy as np

from .._arrays import StreamedRows
from .._validation import inside_unit_interval


def make_optimizer(optimizer, learning_rate):
    """A fresh Keras optimizer: ``optimizer`` by name, or a copy of an instance."""
    import keras

    if isinstance(optimizer, str):
        try:
            optimizer_cls = type(keras.optimizers.get(optimizer))
        except ValueError as exc:
            raise ValueError(
                f"optimizer={optimizer!r} is not the name of a Keras "
                "optimizer; use e.g. 'adam', 'sgd', 'rmsprop' or an instance "
                "of keras.optimizers.Optimizer."
            ) from exc
        return optimizer_cls(learning_rate=learning_rate)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            "optimizer must be a name or a keras.optimizers.Optimizer instance; "
            f"got {type(optimizer).__name__}."
        )
    # A copy per fit: the user's instance is never built or stepped.
    return type(optimizer).from_config(optimizer.get_config())


def check_noise(noise, noise_type, noise_clip):
    """Raise if ``noise_type="mask"`` would zero every input (``noise >= 1``),
    or if ``noise_clip`` is neither ``"auto"``, None nor a ``(low, high)`` pair.
    """
    if noise_type == "mask" and noise >= 1:
        raise ValueError(
            "noise_type='mask' zeroes a fraction noise of the inputs, which "
            f"must be below 1; got noise={noise!r}."
        )
    if isinstance(noise_clip, str) or noise_clip is None:
        return
    pair = tuple(noise_clip)
    if not (
        len(pair) == 2
        and all(isinstance(v, Real) and math.isfinite(v) for v in pair)
        and pair[0] < pair[1]
    ):
        raise ValueError(
            "noise_clip must be 'auto', None or a pair (low, high) of finite "
            f"numbers with low < high; got noise_clip={noise_clip!r}."
        )


def resolve_noise_clip(noise_clip, noise, noise_type, X):
    """The ``(low, high)`` range that Gaussian-corrupted inputs are clipped to.

    None when nothing is clipped: no Gaussian noise, ``noise_clip=None``, or
    ``"auto"`` for rows ``X`` that do not all lie in [0, 1] (which ``"auto"``
    clips to, as the Keras tutorial clips its noisy images).
    """
    if noise == 0 or noise_type != "gaussian" or noise_clip is None:
        return None
    if isinstance(noise_clip, str):
        return (0.0, 1.0) if inside_unit_interval(X) else None
    return tuple(float(v) for v in noise_clip)


def check_callbacks(callbacks):
    """The ``callbacks`` parameter as a list, after checking its items."""
    if callbacks is None:
        return []
    import keras

    for i, callback in enumerate(callbacks):
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                "callbacks must be a list of keras.callbacks.Callback instances; "
                f"got {type(callback).__name__} at position {i}."
            )
    backups = [c for c in callbacks if isinstance(c, keras.callbacks.BackupAndRestore)]
    if len(backups) > 1:
        raise ValueError(
            "callbacks may hold one keras.callbacks.BackupAndRestore, which "
            f"a fit resumes from; got {len(backups)}."
        )
    return list(callbacks)


def distribution_scope(strategy):
    """The scope of the ``distribute`` strategy, or a no-op context for None."""
    if strategy is None:
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

    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            "distribute must be a tf.distribute.Strategy such as "
            "tf.distribute.MirroredStrategy(); got "
            f"{type(strategy).__name__}."
        )
    return strategy.scope()


def split_rows(X, validation_fraction, seed, streamed=False):
    """Return float32 ``(X_train, X_val)``; ``X_val`` is None without a split.

    Streamed data (a memmap or a sparse matrix) is not copied: the two parts
    are :class:`~skae._arrays.StreamedRows` that read their rows a batch at a
    time.
    """
    n_samples = X.shape[0]
    n_val = math.ceil(validation_fraction * n_samples)
    if n_val == 0:
        if streamed:
            return StreamedRows(X), None
        return X.astype(np.float32, copy=False), None
    if n_val >= n_samples:
        plural = "s" if n_samples != 1 else ""
        raise ValueError(
            f"validation_fraction={validation_fraction} holds out {n_val} "
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
