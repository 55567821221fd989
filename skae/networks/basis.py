"""A dense network that works in the leading principal coordinates of its data.

On wide data such as images, the layers that read and write every feature hold
most of a dense autoencoder's weights and of each training step's arithmetic.
With a basis of ``r`` principal directions (``DenseSpec.pca_basis``), the
encoder starts with a fixed projection onto them and the decoder ends with the
fixed map back, so that everything trained reads and writes ``r`` numbers a
row. The fixed maps cost nothing in training: the fit computes every row's
coordinates once (:func:`basis_rows`) and trains the inner layers on them
through a twin of the model (:func:`basis_trainer`), whose loss adds what the
basis leaves out of each row, so that it is the mean squared error over the
features, as the whole model's would be (up to float32 rounding).

:func:`basis_size` is the rule ``"auto"`` follows: the fewest directions that
leave out a small part of the error PCA of the code's size leaves.
"""

import numpy as np

from .autoencoder import split_autoencoder

BASIS_NAME = "basis"
EXPANSION_NAME = "expansion"
# "auto" keeps the directions that leave out at most this part of the error of
# PCA with as many components as the code; the model's error stays well above
# it (on Fashion-MNIST, k = 32: 362 of the 784 directions, where the model's
# test error gets to about 0.49 of PCA(32)'s).
BASIS_TOL = 0.1
# A basis is only worth what it leaves out where it saves at least a quarter
# of the features (a flat spectrum, such as noise's, needs nearly all).
BASIS_MAX_FRACTION = 0.75
# The rows the "auto" size is read from, at most.
SIZE_SAMPLE_ROWS = 10_000
# The rows put in a basis at a time.
CHUNK_ROWS = 4096


def basis_size(X, n_components, tol=BASIS_TOL):
    """The fewest principal directions of ``X`` that leave out at most ``tol``
    of the variance that the first ``n_components`` leave out; 0 where they
    are more than ``BASIS_MAX_FRACTION`` of the features, or where the first
    ``n_components`` leave out nothing.

    Read from an evenly spaced sample of at most ``SIZE_SAMPLE_ROWS`` rows.
    """
    n_samples, n_features = X.shape
    step = max(1, n_samples // SIZE_SAMPLE_ROWS)
    # A copy, centred in place: the rows are the user's.
    sample = X[::step].astype(np.float64)
    sample -= sample.mean(axis=0)
    variances = np.linalg.eigvalsh(sample.T @ sample)[::-1].clip(min=0)
    # left_out[i]: the variance outside the first i directions.
    left_out = np.concatenate([np.cumsum(variances[::-1])[::-1], [0.0]])
    # What round-off leaves beyond the rank of the data is nothing.
    nothing = left_out[0] * n_features * np.finfo(np.float32).eps
    if n_components >= n_features or left_out[n_components] <= nothing:
        return 0
    size = int(np.argmax(left_out <= tol * left_out[n_components]))
    return size if n_components < size <= BASIS_MAX_FRACTION * n_features else 0


def start_basis(network, components, mean):
    """Set the fixed maps of a network with a basis to ``components`` (the
    directions as columns, ``(n_features, r)``) around ``mean``."""
    network.encoder.get_layer(BASIS_NAME).set_weights([components, -mean @ components])
    network.decoder.get_layer(EXPANSION_NAME).set_weights([components.T, mean])


def basis_rows(model, X):
    """The rows the twin of ``model`` trains on: each row of ``X`` in the
    model's basis, and as its last column the length of what the basis leaves
    out of the row (float32, ``(n_samples, r + 1)``)."""
    encoder, decoder = split_autoencoder(model)
    components, shift = encoder.get_layer(BASIS_NAME).get_weights()
    mean = decoder.get_layer(EXPANSION_NAME).get_weights()[1]
    rows = np.empty((X.shape[0], components.shape[1] + 1), dtype=np.float32)
    # In chunks: the parts left out of the basis are as large as the rows.
    for start in range(0, X.shape[0], CHUNK_ROWS):
        chunk = slice(start, start + CHUNK_ROWS)
        part = np.asarray(X[chunk], dtype=np.float32)
        coordinates = part @ components + shift
        rest = (part - mean) - coordinates @ components.T
        rows[chunk, :-1] = coordinates
        rows[chunk, -1] = np.sqrt(np.einsum("ij,ij->i", rest, rest))
    return rows


def basis_trainer(model):
    """The twin of ``model`` that trains its inner layers on :func:`basis_rows`.

    It shares those layers, and so their weights, with ``model``, reads the
    coordinates of a row (the last column, the part left out, only goes to the
    loss) and outputs the decoder's coordinates. Returns ``(twin, loss)``.
    """
    import keras

    encoder, decoder = split_autoencoder(model)
    size = encoder.get_layer(BASIS_NAME).units
    rows = keras.Input(shape=(size + 1,), name="basis_rows")
    x = rows[:, :size]
    for layer in (*encoder.layers, *decoder.layers):
        if layer.name not in (BASIS_NAME, EXPANSION_NAME):
            x = layer(x)
    twin = keras.Model(rows, x, name="autoencoder_in_basis")
    return twin, BasisError(decoder.output_shape[-1])


class BasisError:
    """The mean squared error over ``n_features`` features of a row given in a
    basis: the coordinates' squared errors plus the square of the part the
    basis leaves out, over the number of features."""

    def __init__(self, n_features):
        self.n_features = n_features
        self.__name__ = "mse"

    def __call__(self, y_true, y_pred):
        from keras import ops

        size = ops.shape(y_pred)[-1]
        errors = ops.square(y_true[:, :size] - y_pred)
        left_out = ops.square(y_true[:, size])
        return (ops.sum(errors, axis=-1) + left_out) / self.n_features
