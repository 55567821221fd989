"""Zip archives and NumPy arrays read from bytes that may be damaged or hostile.

A skae model file is a zip holding a ``.keras`` archive (itself a zip) and an
``.npz`` (a zip of ``.npy`` files). Python's readers report damage with a dozen
exception types (``zlib.error``, ``struct.error``, ``EOFError``,
``NotImplementedError``, ``UnicodeDecodeError``...), depending on which byte is
wrong. Here every read happens in memory, every member is checked before it is
decompressed, and every failure becomes one ``ValueError`` naming the archive
and the problem, which is what :func:`skae.load` promises.
"""

import binascii
import hashlib
import io
import struct
import tokenize
import zipfile
import zlib

import numpy as np

# What Python's zip, zlib and NumPy header readers raise on damaged bytes.
DAMAGE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    binascii.Error,
    struct.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    UnicodeDecodeError,
    NotImplementedError,
    RuntimeError,
    SyntaxError,
    tokenize.TokenError,
    OverflowError,
    TypeError,
    ValueError,
)
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# Deflate cannot shrink data by more than about 1032:1; a member whose header
# claims more is damaged (or a decompression bomb) and is not inflated.
MAX_DEFLATE_RATIO = 1032


# A model file ends in a zip comment holding the SHA-256 of every byte before
# the digest itself, so that any damage, even to bytes that zip readers ignore
# (timestamps, the local copies of sizes and CRCs), is caught before parsing.
SEAL_PREFIX = b"skae-sha256:"
DIGEST_LENGTH = 64


def unsealed_comment():
    """The zip comment to write before :func:`seal` fills in the digest."""
    return SEAL_PREFIX + b"0" * DIGEST_LENGTH


def seal(data):
    """Put the SHA-256 of ``data`` into its placeholder comment at the end."""
    body = data[:-DIGEST_LENGTH]
    if not body.endswith(SEAL_PREFIX):
        raise ValueError("seal() needs an archive written with unsealed_comment().")
    return body + hashlib.sha256(body).hexdigest().encode()


def check_seal(data, what):
    """Return whether ``data`` is sealed; raise if its seal does not match.

    Files written before format 2 have no seal; their members are still
    checked by their CRCs.
    """
    body, digest = data[:-DIGEST_LENGTH], data[-DIGEST_LENGTH:]
    if not body.endswith(SEAL_PREFIX):
        return False
    if hashlib.sha256(body).hexdigest().encode() != digest:
        raise damaged(
            what, "is damaged or was edited: its SHA-256 checksum does not match"
        )
    return True


class DamagedFileError(ValueError):
    """A model file that cannot be read as written: truncated, corrupted or forged."""


def damaged(what, problem):
    return DamagedFileError(f"Not a valid skae model file: {what} {problem}.")


def read_zip(data, what, accept):
    """Return the members of the zip archive ``data`` as a dict of bytes.

    ``accept(name)`` says whether a member name may appear. Duplicate names,
    encrypted members, unknown compression methods and sizes deflate cannot
    produce are refused before anything is inflated; a member whose CRC does
    not match is refused by :mod:`zipfile` as it is read.
    """
    # A zip starts with its first member's header, or its end record if empty.
    if data[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise damaged(what, "is not a zip archive")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            unexpected = [name for name in names if not accept(name)]
            if unexpected:
                raise damaged(what, f"holds the unexpected members {unexpected}")
            if len(set(names)) != len(names):
                raise damaged(what, "holds duplicate members")
            for info in infos:
                _check_member(info, what)
            return {info.filename: archive.read(info) for info in infos}
    except DamagedFileError:
        raise
    except DAMAGE_ERRORS as exc:
        raise damaged(what, f"is damaged ({type(exc).__name__}: {exc})") from exc


def _check_member(info, what):
    problem = None
    if info.flag_bits & 0x1:
        problem = "is encrypted"
    elif info.compress_type not in COMPRESSIONS:
        problem = f"uses the unsupported compression method {info.compress_type}"
    elif info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size:
            problem = "has a stored size that disagrees with itself"
    elif info.file_size > MAX_DEFLATE_RATIO * info.compress_size + 64:
        problem = f"claims {info.file_size} bytes from {info.compress_size}"
    if problem:
        raise damaged(what, f"is damaged: its member {info.filename!r} {problem}")


def read_npz(data, what):
    """Return the arrays of the ``.npz`` bytes ``data``, never unpickling.

    Each ``.npy`` header is parsed and checked against the bytes that follow it
    before an array is made, so a damaged shape cannot ask for more memory than
    the file holds.
    """
    members = read_zip(data, what, lambda name: name.endswith(".npy"))
    return {
        name.removesuffix(".npy"): _read_npy(raw, f"{what}[{name!r}]")
        for name, raw in members.items()
    }


def _read_npy(raw, what):
    stream = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise damaged(what, f"is an .npy of unknown version {version}")
    except DamagedFileError:
        raise
    except DAMAGE_ERRORS as exc:
        problem = f"has a damaged header ({type(exc).__name__}: {exc})"
        raise damaged(what, problem) from exc
    if dtype.hasobject:
        raise damaged(what, "holds Python objects, which would need pickle to load")
    body = raw[stream.tell() :]
    expected = dtype.itemsize * int(np.prod(shape, dtype=object))
    if len(body) != expected or dtype.itemsize == 0:
        raise damaged(
            what,
            f"holds {len(body)} bytes of data where its header, shape {shape} of "
            f"{dtype}, needs {expected}",
        )
    order = "F" if fortran else "C"
    return np.frombuffer(body, dtype=dtype).reshape(shape, order=order).copy()
