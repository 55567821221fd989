"""Rows read a batch at a time: memory-mapped and sparse data are never copied whole.

In-memory arrays are copied once into a float32 tensor and batched from there
(see :mod:`skae.fitting.data`), which is fastest. A ``numpy.memmap`` may be larger
than memory, and a sparse matrix densified whole may be too, so for those the
training pipeline holds only the indices of the rows it trains on
(:class:`StreamedRows`) and converts each batch to a dense float32 array when it
is needed.
"""

import numpy as np
import scipy.sparse as sp

# The rows a model's initialisation (the dense model's PCA shortcut) looks at
# when the data is streamed: a random sample of at most this many rows, dense
# only while that takes at most INIT_SAMPLE_BYTES (sparse rows stay sparse
# beyond it), so that it fits in memory whatever the data's size.
INIT_SAMPLE_ROWS = 10_000
INIT_SAMPLE_BYTES = 16 * 2**20


def is_streamed(X):
    """Whether ``X``, as the user passed it, is read in batches rather than copied."""
    return isinstance(X, np.memmap) or sp.issparse(X)


def same_rows(X, Y, chunk=4096):
    """Whether ``X`` and ``Y`` (arrays, memmaps or sparse) hold the same values.

    Compared ``chunk`` rows at a time, so that memmapped rows are never read
    whole.
    """
    if X is Y:
        return True
    if X.shape != Y.shape:
        return False
    for start in range(0, X.shape[0], chunk):
        rows = slice(start, start + chunk)
        if not np.array_equal(
            dense_rows(X[rows], X.dtype), dense_rows(Y[rows], X.dtype)
        ):
            return False
    return True


def dense_rows(X, dtype):
    """Return rows of an array or a sparse matrix as a dense ndarray of ``dtype``."""
    if sp.issparse(X):
        return X.toarray().astype(dtype, copy=False)
    return np.asarray(X, dtype=dtype)


class StreamedRows:
    """A subset of the rows of ``X``, read as dense float32 batches on demand.

    Parameters
    ----------
    X : ndarray, numpy.memmap or scipy.sparse CSR matrix
    rows : ndarray of int, default=None
        Which rows of ``X`` belong to the subset, in order; all when None.
    """

    def __init__(self, X, rows=None):
        self.X = X
        self.rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)

    @property
    def shape(self):
        return (len(self.rows), *self.X.shape[1:])

    def __len__(self):
        return len(self.rows)

    def take(self, positions):
        """Return the rows at ``positions`` of the subset, as float32."""
        return dense_rows(self.X[self.rows[np.asarray(positions)]], np.float32)

    def sample(self, seed):
        """Return rows drawn at random for the initialisation, in their order in X.

        At most ``INIT_SAMPLE_ROWS`` rows (all of them when there are no more),
        as a float32 array, or as a float32 sparse matrix when the dense sample
        would take more than ``INIT_SAMPLE_BYTES``.
        """
        n = len(self.rows)
        positions = np.arange(n)
        if n > INIT_SAMPLE_ROWS:
            rng = np.random.default_rng(seed)
            positions = np.sort(rng.choice(n, INIT_SAMPLE_ROWS, replace=False))
        rows = self.X[self.rows[positions]]
        dense_bytes = len(positions) * int(np.prod(self.X.shape[1:])) * 4
        if sp.issparse(rows) and dense_bytes > INIT_SAMPLE_BYTES:
            return rows.astype(np.float32)
        return dense_rows(rows, np.float32)
