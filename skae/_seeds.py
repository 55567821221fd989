"""How one ``random_state`` becomes the seeds of every random thing in a fit.

A fit draws one integer from ``random_state`` and makes it the entropy of a
``numpy.random.SeedSequence``; its children seed the network's weights and
layers, the validation split and the order of the batches, so that each stays
the same when another changes. Keras and NumPy take plain ints, drawn here.
"""

import numpy as np
from sklearn.utils import check_random_state


def fit_seeds(random_state):
    """One fit's seeds, as children of one ``numpy.random.SeedSequence``.

    Returns ``(init, split, shuffle)``: the network's weights (and its layers'
    randomness) draw from ``init``, the validation split and the order of the
    batches from the other two. ``random_state`` is drawn from once.
    """
    entropy = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return tuple(np.random.SeedSequence(entropy).spawn(3))


def int_seed(seed):
    """An int in ``[0, 2**32)`` drawn from the ``SeedSequence`` ``seed``."""
    return int(seed.generate_state(1)[0])


def int_seeds(seed, n):
    """``n`` int seeds, one from each of ``n`` children of ``seed``."""
    return [int_seed(child) for child in seed.spawn(n)]
