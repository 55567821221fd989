"""Reconstruction errors of many rows, in chunks of bounded memory."""

import numpy as np

from .._arrays import dense_rows

# Bytes of float64 values per chunk, in the widest of the input, the encoder's
# and the decoder's layers: scoring any number of rows holds at most about this.
SCORE_CHUNK_BYTES = 4 * 2**20


def row_chunks(n_rows, width):
    """Slices of ``n_rows`` rows, each small enough to score at once."""
    step = max(1, SCORE_CHUNK_BYTES // (8 * width))
    for start in range(0, n_rows, step):
        yield slice(start, start + step)


def squared_errors(X, reconstruct, width):
    """The sum of squared reconstruction errors of each row of ``X``, in float64.

    ``reconstruct(x)`` returns the float64 reconstructions of dense rows ``x``.
    """
    errors = np.empty(X.shape[0], dtype=np.float64)
    for rows in row_chunks(X.shape[0], width):
        x = dense_rows(X[rows], np.float64)
        residual = reconstruct(x)
        residual -= x
        errors[rows] = np.einsum("ij,ij->i", residual, residual)
    return errors


def total_sum_of_squares(X, width):
    """``sum((X - mean) ** 2)`` over the rows of ``X``, in float64."""
    mean = np.asarray(X.mean(axis=0, dtype=np.float64)).ravel()
    total = 0.0
    for rows in row_chunks(X.shape[0], width):
        centred = dense_rows(X[rows], np.float64) - mean  # never X itself
        total += float(np.einsum("ij,ij->", centred, centred))
    return total


def prefix_r2(X, encode, decode, width):
    """``1 - SSE / SST`` of the reconstructions from every prefix of the code.

    ``encode(x)`` and ``decode(z)`` map float64 rows to codes and back. Entry
    ``k - 1`` is the R^2 of decoding the first ``k`` code units, zeros standing
    in for the rest; the last is the R^2 of the whole code. NaN for constant
    data.
    """
    sse = None
    for rows in row_chunks(X.shape[0], width):
        x = dense_rows(X[rows], np.float64)
        codes = encode(x)
        if sse is None:
            sse = np.zeros(codes.shape[1])
        prefix = np.zeros_like(codes)
        for k in range(codes.shape[1]):
            prefix[:, k] = codes[:, k]
            residual = decode(prefix)
            residual -= x
            sse[k] += float(np.einsum("ij,ij->", residual, residual))
    total = total_sum_of_squares(X, width)
    if total == 0.0:
        return np.full(sse.shape, np.nan)
    return 1.0 - sse / total
