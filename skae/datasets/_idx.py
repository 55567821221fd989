"""The IDX file format that MNIST and Fashion-MNIST are distributed in."""

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path):
    """Read an IDX file into a NumPy array.

    IDX is the format MNIST and Fashion-MNIST are distributed in: two zero
    bytes, a data type code, the number of dimensions, each dimension as a
    big-endian 32-bit integer, then the data in C order and big-endian. The file
    may be gzip-compressed; compression is recognised from the content, not
    from the file name.

    Parameters
    ----------
    path : str or path-like
        The IDX file, gzipped or not.

    Returns
    -------
    array : ndarray
        The data with the file's shape and a native-byte-order dtype: uint8
        (code 0x08), int8 (0x09), int16 (0x0B), int32 (0x0C), float32 (0x0D)
        or float64 (0x0E).

    Raises
    ------
    ValueError
        If the file is not valid IDX (wrong magic number, unknown data type
        code), is shorter than its header declares, has bytes after the data,
        or is a gzip stream that cannot be decompressed. The message names the
        file.

    See Also
    --------
    load_mnist, load_fashion_mnist : Loaders that read the IDX files.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skae.datasets import read_idx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "labels-idx1-ubyte"
    ...     _ = path.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    ...     labels = read_idx(path)
    >>> labels
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    return _parse_idx(_read_payload(path), path)


def _read_payload(path):
    """Return the bytes of ``path``, decompressed when they are gzip."""
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{path} starts like a gzip file but cannot be decompressed: {exc}"
        ) from exc


def _parse_idx(payload, path):
    if len(payload) < 4:
        raise ValueError(
            f"{path} is not an IDX file: it is {len(payload)} bytes long, "
            "shorter than the 4-byte magic number."
        )
    if payload[:2] != b"\x00\x00":
        raise ValueError(
            f"{path} is not an IDX file: its magic number starts with bytes "
            f"0x{payload[:2].hex()}, expected 0x0000."
        )
    code, ndim = payload[2], payload[3]
    if code not in _IDX_DTYPES:
        supported = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(
            f"{path} has the unsupported IDX data type code 0x{code:02X}; "
            f"supported codes are {supported}."
        )
    header_size = 4 + 4 * ndim
    if len(payload) < header_size:
        raise ValueError(
            f"{path} is truncated: its header declares {ndim} dimensions, which "
            f"need {header_size} header bytes, but the file has {len(payload)}."
        )
    shape = tuple(int(n) for n in np.frombuffer(payload, ">u4", ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    count = math.prod(shape)
    expected, found = count * dtype.itemsize, len(payload) - header_size
    if found < expected:
        raise ValueError(
            f"{path} is truncated: its header declares shape {shape}, which "
            f"needs {expected} data bytes, but the file has {found}."
        )
    if found > expected:
        raise ValueError(
            f"{path} has {found - expected} trailing bytes after the {expected} "
            f"data bytes its header declares (shape {shape})."
        )
    data = np.frombuffer(payload, dtype, count, offset=header_size)
    return data.astype(dtype.newbyteorder("=")).reshape(shape)
