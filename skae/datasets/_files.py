"""The files of an MNIST-style dataset: a complete set, read and checked.

A set is ``mnist.npz`` or the four IDX files named below; whatever is read must
hold 28x28 uint8 images and labels in 0..9, and a full-size file whose hash is
known must have that hash.
"""

import hashlib
import zipfile

import numpy as np

from ._idx import _parse_idx, _read_payload

_TRAIN_IMAGES = "train-images-idx3-ubyte"
_TRAIN_LABELS = "train-labels-idx1-ubyte"
_TEST_IMAGES = "t10k-images-idx3-ubyte"
_TEST_LABELS = "t10k-labels-idx1-ubyte"
_IDX_STEMS = (_TRAIN_IMAGES, _TRAIN_LABELS, _TEST_IMAGES, _TEST_LABELS)


def _find_files(folder, accept_npz):
    """Return the dataset files in ``folder`` and, when incomplete, why not."""
    if not folder.is_dir():
        return None, "does not exist"
    if accept_npz and (folder / "mnist.npz").is_file():
        return {"npz": folder / "mnist.npz"}, ""
    files = {}
    for stem in _IDX_STEMS:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                files[stem] = folder / name
                break
    missing = [stem + "[.gz]" for stem in _IDX_STEMS if stem not in files]
    if not missing:
        return files, ""
    if len(missing) == len(_IDX_STEMS):
        return None, "no dataset files"
    return None, "incomplete, missing " + ", ".join(missing)


def _read_files(files, title, known_content):
    """Read and check ``files``: ``{"npz": path}`` or one path per IDX stem."""
    if "npz" in files:
        return _read_npz(files["npz"])
    arrays = {}
    for stem, path in files.items():
        payload = _read_payload(path)
        _verify_content(payload, path, stem, title, known_content)
        arrays[stem] = (_parse_idx(payload, path), str(path))
    return (arrays[_TRAIN_IMAGES], arrays[_TRAIN_LABELS]), (
        arrays[_TEST_IMAGES],
        arrays[_TEST_LABELS],
    )


def _read_npz(path):
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = [(archive[key], f"{path}[{key!r}]") for key in keys]
    except (KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"Cannot read {path} as an MNIST npz archive with the arrays "
            f"{', '.join(keys)}: {exc}"
        ) from exc
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def _verify_content(payload, path, stem, title, known_content):
    """Check a full-size file's SHA-256; other sizes are subsets, not checked."""
    if stem not in known_content:
        return
    size, expected = known_content[stem]
    if len(payload) != size:
        return
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise ValueError(
            f"{path} has the size of the full {title} file {stem} but not its "
            f"content: the SHA-256 of its IDX content is {actual}, expected "
            f"{expected}. The file is corrupt or from another dataset (MNIST uses "
            "the same file names); delete it or replace it with a good copy."
        )


def _finish(splits, flatten):
    """Check the structure of both splits, then scale and reshape them."""
    result = []
    for (images, images_from), (labels, labels_from) in splits:
        _check_split(images, images_from, labels, labels_from)
        if flatten:
            images = images.reshape(len(images), -1)
        X = images.astype(np.float32)
        X /= 255
        result.append((X, labels.astype(np.int64)))
    return tuple(result)


def _check_split(images, images_from, labels, labels_from):
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_from} should hold uint8 images of shape (n, 28, 28); it "
            f"holds a {images.dtype} array of shape {images.shape}."
        )
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise ValueError(
            f"{labels_from} should hold a 1-d array of integer labels; it holds "
            f"a {labels.dtype} array of shape {labels.shape}."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_from} holds {len(images)} images but {labels_from} holds "
            f"{len(labels)} labels."
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(
            f"{labels_from} should hold labels in 0..9; found values from "
            f"{labels.min()} to {labels.max()}."
        )
