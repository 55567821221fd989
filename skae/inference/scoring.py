"""Reconstruction errors of many rows, in chunks of bounded memory."""

import numpy as np

from .._arrays import dense_rows

# Bytes of float64 values per chunk, in the widest of the input, the encoder's
# and the decoder's layers: scoring any number of rows holds at most about this.
SCORE_CHUNK_BYTES = 4 * 2**20
# Prefixes decoded per call when every prefix of the code is scored: a few
# full chunks of the compiled pass.
PREFIX_BATCH_ROWS = 4096


def chunked_rows(X, width):
    """Yield ``(rows, x)``: a slice of the rows of ``X`` and those rows, dense.

    ``x`` is a float64 array of the rows in ``rows``, small enough to score at
    once: at most ``SCORE_CHUNK_BYTES`` in the widest (``width``) of the arrays
    a pass holds. ``X`` may be an array, a memmap or a sparse matrix; it is
    never copied whole.
    """
    step = max(1, SCORE_CHUNK_BYTES // (8 * width))
    for start in range(0, X.shape[0], step):
        rows = slice(start, start + step)
        yield rows, dense_rows(X[rows], np.float64)


def squared_errors(X, reconstruct, width):
    """The sum of squared reconstruction errors of each row of ``X``, in float64.

    ``reconstruct(x)`` returns the float64 reconstructions of dense rows ``x``.
    """
    errors = np.empty(X.shape[0], dtype=np.float64)
    for rows, x in chunked_rows(X, width):
        residual = reconstruct(x)
        residual -= x
        errors[rows] = np.einsum("ij,ij->i", residual, residual)
    return errors


def total_sum_of_squares(X, width):
    """``sum((X - mean) ** 2)`` over the rows of ``X``, in float64.

    The mean is summed from the same dense chunks whatever ``X`` is, so that
    sparse and dense rows of the same values give the same bits (sparse
    matrices sum their columns in another order).
    """
    sums = np.zeros(X.shape[1])
    for _, x in chunked_rows(X, width):
        sums += x.sum(axis=0)
    mean = sums / X.shape[0]
    total = 0.0
    for _, x in chunked_rows(X, width):
        centred = x - mean  # never X itself
        total += float(np.einsum("ij,ij->", centred, centred))
    return total


def prefix_r2(X, encode, decode, width):
    """``1 - SSE / SST`` of the reconstructions from every prefix of the code.

    ``encode(x)`` and ``decode(z)`` map float64 rows to codes and back. Entry
    ``k - 1`` is the R^2 of decoding the first ``k`` code units, zeros standing
    in for the rest; the last is the R^2 of the whole code. NaN for constant
    data. The prefixes of a few rows are decoded in one call, so that the
    decoder runs on large batches.
    """
    sse = None
    for _, x in chunked_rows(X, width):
        codes = encode(x)
        # A user's encoder may shape its code; units are counted in C order.
        shape = codes.shape[1:]
        codes = codes.reshape(len(x), -1)
        n_codes = codes.shape[1]
        if sse is None:
            sse = np.zeros(n_codes)
        # Prefix k of every row, for a slice of rows at a time: (k, row, unit).
        masks = np.tril(np.ones((n_codes, n_codes)))[:, None, :]
        step = max(1, PREFIX_BATCH_ROWS // n_codes)
        for start in range(0, len(x), step):
            part = slice(start, start + step)
            prefixes = (masks * codes[None, part]).reshape(-1, *shape)
            residual = decode(prefixes).reshape(n_codes, -1, x.shape[1])
            residual -= x[None, part]
            sse += np.einsum("kij,kij->k", residual, residual)
    total = total_sum_of_squares(X, width)
    if total == 0.0:
        return np.full(sse.shape, np.nan)
    return 1.0 - sse / total
