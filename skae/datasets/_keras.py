"""The Keras dataset cache: where it is, and downloads into it by Keras.

The cache is found from ``KERAS_HOME`` on every call, so the lookup and the
downloads agree even when the variable is set after Keras was imported.
"""

import os
from pathlib import Path

from ._files import _TEST_IMAGES, _TEST_LABELS, _TRAIN_IMAGES, _TRAIN_LABELS

_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def _keras_home():
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def _keras_datasets_dir():
    return _keras_home() / "datasets"


def _download_mnist():
    # Keras is imported here only: it is slow to import and needed only here.
    import keras

    # cache_dir is passed so that a KERAS_HOME set after Keras was imported is
    # honoured, as it is by the lookup.
    path = keras.utils.get_file(
        fname="mnist.npz",
        origin=f"{_KERAS_ORIGIN}mnist.npz",
        file_hash=_MNIST_NPZ_SHA256,
        cache_dir=str(_keras_home()),
    )
    return {"npz": Path(path)}


def _download_fashion_mnist():
    import keras

    files = {}
    for stem in (_TRAIN_LABELS, _TRAIN_IMAGES, _TEST_LABELS, _TEST_IMAGES):
        path = keras.utils.get_file(
            stem + ".gz",
            origin=f"{_KERAS_ORIGIN}{stem}.gz",
            cache_subdir=os.path.join("datasets", "fashion-mnist"),
            cache_dir=str(_keras_home()),
        )
        files[stem] = Path(path)
    return files
