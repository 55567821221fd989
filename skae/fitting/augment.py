"""Mirror images as training data: in the input pipeline and in the PCA start.

:func:`random_flips` mirrors the images of each training batch at random
(inputs and their targets alike), drawn statelessly as the rest of
:mod:`skae.fitting.data`'s pipeline is. :func:`with_mirror_images` gives the
rows and every mirror image ``random_flip`` can make of them, the distribution
a fit with flips trains on, from which a ``pca_shortcut`` network starts as
PCA.
"""

import numpy as np
import tensorflow as tf

from .._options import FLIP_AXES


def mirror_columns(image_shape, axis):
    """The column order that mirrors flat rows of images of ``image_shape``
    ``(height, width, channels)`` along ``axis`` of (row, height, width,
    channels): a mirror image is a permutation of a row's values."""
    pixels = np.arange(int(np.prod(image_shape))).reshape(image_shape)
    return np.flip(pixels, axis - 1).ravel()


def with_mirror_images(X, random_flip, image_shape):
    """The rows of ``X`` and their mirror images along the axes of ``random_flip``.

    ``X`` holds flat rows of images of ``image_shape``, dense or sparse. Two
    versions of every row for one axis, four for both.
    """
    import scipy.sparse as sp

    versions = [X]
    for axis in FLIP_AXES[random_flip]:
        order = mirror_columns(image_shape, axis)
        versions += [version[:, order] for version in versions]
    return sp.vstack(versions, format="csr") if sp.issparse(X) else np.vstack(versions)


def random_flips(random_flip, image_shape, flip_seed):
    """``flip(step, *batches)``, mirroring the images of the batches' rows.

    Each row is mirrored along each axis of ``random_flip`` with probability
    1/2, the same way in every batch given (inputs and their targets), drawn
    from ``(flip_seed, step)``. None when there is nothing to flip.
    """
    if random_flip is None:
        return None
    if image_shape is None:
        raise ValueError(
            f"random_flip={random_flip!r} mirrors images, and this model does "
            "not know its rows' image shape."
        )
    orders = [mirror_columns(image_shape, axis) for axis in FLIP_AXES[random_flip]]

    def flip(step, *batches):
        rows = tf.shape(batches[0])[0]
        key = tf.stack([flip_seed, tf.cast(step, tf.int64)])
        draws = tf.random.stateless_uniform([len(orders), rows], key) < 0.5
        flipped = []
        for batch in batches:
            for draw, order in zip(tf.unstack(draws), orders, strict=True):
                mirrored = tf.gather(batch, order, axis=1)
                batch = tf.where(draw[:, None], mirrored, batch)
            flipped.append(batch)
        return flipped

    return flip
