"""Small image datasets to try autoencoders on.

:func:`load_fashion_mnist` and :func:`load_mnist` return the 28x28 grayscale
image datasets, :func:`load_digits` returns scikit-learn's 8x8 digits in the same
``(X_train, y_train), (X_test, y_test)`` structure, and :func:`read_idx` parses
the IDX files the first two are distributed as.

Lookup order
------------
The two MNIST-style loaders look for their files in these folders and load the
first one that holds a complete set:

1. ``data_home`` when given, else the folder named by the environment variable
   ``SKAE_DATA`` (ignored when ``data_home`` is given). In that folder the
   subfolder named for the dataset (``fashion-mnist`` or ``mnist``) is tried
   first, then the folder itself; the subfolder comes first because both
   datasets use the same IDX file names.
2. The Keras dataset cache, ``$KERAS_HOME/datasets`` when ``KERAS_HOME`` is set,
   else ``~/.keras/datasets``: Fashion-MNIST in its ``fashion-mnist``
   subfolder, MNIST in the folder itself (where Keras keeps ``mnist.npz``).
3. Fashion-MNIST only: ``/usr/share/datasets/fashion-mnist``, where Debian's
   ``dataset-fashion-mnist`` package installs it.
4. With ``download=True``, a download through ``keras.utils.get_file`` into the
   Keras cache, so that the next call finds the files in step 2.

A complete set is either ``mnist.npz`` (MNIST only, with the arrays
``x_train``, ``y_train``, ``x_test``, ``y_test``) or the four IDX files
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each gzipped (with
the suffix ``.gz``) or not. When nothing is found a
:class:`DatasetNotFoundError` lists every folder searched and how to get the
data.

Integrity checks
----------------
Whatever is loaded must hold uint8 images of shape ``(n, 28, 28)`` and as many
integer labels in ``0..9``. Beyond that, a Fashion-MNIST IDX file whose
(decompressed) content has the length of the full-size file must have the
SHA-256 of the published dataset; a mismatch raises a ``ValueError`` naming the
file. The hash covers the IDX content, not the gzip file, so recompressed copies
such as Debian's and uncompressed copies pass alike. Files of any other length
are subsets (or test fixtures) and get the structural checks only. No MNIST
content hashes are known here: a downloaded ``mnist.npz`` is checked by
``keras.utils.get_file`` against the hash Keras publishes, and MNIST files found
locally get the structural checks.
"""

from ._digits import load_digits
from ._idx import read_idx
from ._lookup import DatasetNotFoundError
from ._mnist import load_fashion_mnist, load_mnist

__all__ = [
    "DatasetNotFoundError",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
]
