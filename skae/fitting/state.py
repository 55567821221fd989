"""What a fit keeps between calls, draws its randomness from, and undoes on failure."""

import contextlib
from dataclasses import dataclass

import numpy as np


@dataclass
class IncrementalFit:
    """A sequence of ``partial_fit`` calls.

    Parameters
    ----------
    init_seed : numpy.random.SeedSequence
        The network's weights, drawn on the first call.
    shuffle_seed : numpy.random.SeedSequence
        The batches' order, whose child number ``calls`` each call uses.
    calls : int
        Calls completed.
    optimizer : keras.optimizers.Optimizer or None
        The optimizer the last call stepped, whose state the next call keeps;
        None before the first call, or where a copy of the model trained.
    """

    init_seed: np.random.SeedSequence
    shuffle_seed: np.random.SeedSequence
    calls: int = 0
    optimizer: object = None

    def call_seed(self):
        """The shuffling seed of the next call: child ``calls`` of the sequence's."""
        seed = self.shuffle_seed
        return np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, self.calls)
        )


@contextlib.contextmanager
def rollback(obj, model=None, optimizer=None):
    """Leave ``obj`` as it was if the block fails or is interrupted.

    Restores ``obj``'s attributes, the weights of ``model`` and the state of
    ``optimizer`` (Adam's moments, its step count) as they were on entry.
    """
    import keras

    state = dict(obj.__dict__)
    weights = model.get_weights() if model is not None else None
    moments = None
    if optimizer is not None:
        moments = [keras.ops.convert_to_numpy(v) for v in optimizer.variables]
    try:
        yield
    except BaseException:
        obj.__dict__.clear()
        obj.__dict__.update(state)
        if weights is not None:
            model.set_weights(weights)
        if moments is not None:
            for variable, value in zip(optimizer.variables, moments, strict=True):
                variable.assign(value)
        raise
