"""The dataset loaders and the IDX reader, on tiny files the tests write.

No test can reach the network: an autouse fixture points the Keras cache and the
system folder at empty temporary folders and replaces both the download
functions and ``keras.utils.get_file`` with stand-ins that raise, so no download
can succeed; the download tests swap in local fakes.
"""

import gzip
import hashlib
import importlib
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skae import datasets
from skae.datasets import (
    DatasetNotFoundError,
    _files,
    _mnist,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)

REAL_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
REAL_DOWNLOADERS = {
    "_download_mnist": _mnist._download_mnist,
    "_download_fashion_mnist": _mnist._download_fashion_mnist,
}
IDX_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C}
IDX_CODES.update({"float32": 0x0D, "float64": 0x0E})
STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
N_TRAIN, N_TEST = 5, 3


class NetworkUsed(Exception):
    """Raised by the stand-ins that replace every way to download."""


def refuse_network(*args, **kwargs):
    raise NetworkUsed("a test tried to download")


@pytest.fixture(autouse=True)
def places(tmp_path, monkeypatch):
    """Isolate each test from real data and from the network."""
    monkeypatch.delenv("SKAE_DATA", raising=False)
    keras_home = tmp_path / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    system = tmp_path / "system" / "fashion-mnist"
    monkeypatch.setattr(_mnist, "_SYSTEM_FASHION_MNIST_DIR", system)
    for name in REAL_DOWNLOADERS:
        monkeypatch.setattr(_mnist, name, refuse_network)
    monkeypatch.setattr(keras.utils, "get_file", refuse_network)
    return SimpleNamespace(
        keras_home=keras_home,
        keras_cache=keras_home / "datasets",
        system=system,
        data_home=tmp_path / "data-home",
        skae_data=tmp_path / "skae-data",
    )


def idx_bytes(array):
    """Encode ``array`` as IDX, independently of the reader under test."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype.name], array.ndim])
    header += np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, *, compress):
    payload = idx_bytes(array)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path


def fake_dataset(pixel):
    """5 train and 3 test images with every pixel ``pixel``, by IDX file stem."""
    arrays = {}
    for images, labels, n in zip(
        STEMS[::2], STEMS[1::2], (N_TRAIN, N_TEST), strict=True
    ):
        arrays[images] = np.full((n, 28, 28), pixel, dtype=np.uint8)
        arrays[labels] = (np.arange(n) % 10).astype(np.uint8)
    return arrays


def write_idx_set(folder, pixel, *, compress=True, stems=STEMS):
    arrays = fake_dataset(pixel)
    return [write_idx(folder / stem, arrays[stem], compress=compress) for stem in stems]


def write_npz(folder, pixel):
    arrays = list(fake_dataset(pixel).values())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mnist.npz"
    keys = ("x_train", "y_train", "x_test", "y_test")
    np.savez(path, **dict(zip(keys, arrays, strict=True)))
    return path


def loaded_pixel(result):
    """The single pixel value, in 0..255, that a fake dataset was written with."""
    (X_train, _), (X_test, _) = result
    values = np.unique(np.concatenate([X_train.ravel(), X_test.ravel()]))
    assert values.shape == (1,)
    return round(float(values[0]) * 255)


# --- read_idx -------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5)], ids=["labels-1d", "images-3d"])
def test_read_idx_round_trips_every_dtype(tmp_path, compress, dtype, shape):
    rng = np.random.default_rng(0)
    low = 0 if dtype == "uint8" else -100
    array = rng.uniform(low, 100, shape).astype(dtype)
    path = write_idx(tmp_path / "data-idx", array, compress=compress)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype)
    assert result.dtype.isnative
    assert result.flags.writeable
    assert_array_equal(result, array)


def test_read_idx_accepts_a_string_path(tmp_path):
    path = write_idx(tmp_path / "labels", np.array([4, 2], np.uint8), compress=False)
    assert_array_equal(read_idx(str(path)), [4, 2])


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    path = tmp_path / "labels-without-suffix"
    path.write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 3], np.uint8))))
    assert_array_equal(read_idx(path), [1, 2, 3])


GOOD = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))


@pytest.mark.parametrize(
    "content, match",
    [
        (b"\x00\x00", "shorter than the 4-byte magic number"),
        (b"\x01\x02" + GOOD[2:], "magic number starts with bytes 0x0102"),
        (GOOD[:2] + b"\x0a" + GOOD[3:], "unsupported IDX data type code 0x0A"),
        (GOOD[:8], "truncated: its header declares 2 dimensions"),
        (GOOD[:-1], r"truncated: .*shape \(2, 3\).*6 data bytes.* has 5"),
        (GOOD + b"\x00\x00", r"2 trailing bytes after the 6 data bytes"),
        (b"\x1f\x8b" + b"not gzip at all", "cannot be decompressed"),
        (gzip.compress(GOOD)[:-12], "cannot be decompressed"),
    ],
    ids=[
        "too-short",
        "bad-magic",
        "bad-dtype",
        "truncated-header",
        "truncated-data",
        "trailing-bytes",
        "bad-gzip",
        "truncated-gzip",
    ],
)
def test_read_idx_rejects_malformed_files_naming_them(tmp_path, content, match):
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="broken-idx.*" + match):
        read_idx(path)


# --- where the MNIST-style loaders look -----------------------------------

ORDER = ["data_home", "skae_data", "keras_cache", "system"]


@pytest.mark.parametrize("first", range(len(ORDER)), ids=ORDER)
def test_fashion_mnist_loads_the_first_location_in_lookup_order(
    places, monkeypatch, first
):
    """Check that data_home beats SKAE_DATA beats the Keras cache beats the system."""
    folders = {
        "data_home": places.data_home,
        "skae_data": places.skae_data,
        "keras_cache": places.keras_cache / "fashion-mnist",
        "system": places.system,
    }
    monkeypatch.setenv("SKAE_DATA", str(places.skae_data))
    for pixel, name in enumerate(ORDER[first:], start=first + 1):
        write_idx_set(folders[name], pixel)
    data_home = places.data_home if first == 0 else None
    result = load_fashion_mnist(data_home=data_home, download=False)
    assert loaded_pixel(result) == first + 1


def test_data_home_replaces_skae_data(places, monkeypatch):
    """Check that SKAE_DATA is not searched when data_home is given."""
    write_idx_set(places.skae_data, 1)
    write_idx_set(places.keras_cache / "fashion-mnist", 2)
    monkeypatch.setenv("SKAE_DATA", str(places.skae_data))
    places.data_home.mkdir()
    result = load_fashion_mnist(data_home=places.data_home, download=False)
    assert loaded_pixel(result) == 2


def test_dataset_subfolder_is_tried_before_the_folder_itself(places):
    write_idx_set(places.data_home, 1)
    write_idx_set(places.data_home / "fashion-mnist", 2)
    write_idx_set(places.data_home / "mnist", 3)
    home = places.data_home
    assert loaded_pixel(load_fashion_mnist(data_home=home, download=False)) == 2
    assert loaded_pixel(load_mnist(data_home=home, download=False)) == 3


def test_files_directly_in_skae_data_are_found(places, monkeypatch):
    write_idx_set(places.skae_data, 7)
    monkeypatch.setenv("SKAE_DATA", str(places.skae_data))
    assert loaded_pixel(load_fashion_mnist(download=False)) == 7
    assert loaded_pixel(load_mnist(download=False)) == 7


def test_plain_and_gzipped_idx_files_can_be_mixed(places):
    write_idx_set(places.data_home, 4, compress=False, stems=STEMS[:2])
    write_idx_set(places.data_home, 4, compress=True, stems=STEMS[2:])
    result = load_fashion_mnist(data_home=places.data_home, download=False)
    assert loaded_pixel(result) == 4


def test_incomplete_folder_is_skipped_and_reported(places):
    write_idx_set(places.data_home, 1, stems=STEMS[:3])
    with pytest.raises(DatasetNotFoundError, match=r"missing t10k-labels-idx1-ubyte"):
        load_fashion_mnist(data_home=places.data_home, download=False)
    write_idx_set(places.system, 2)
    result = load_fashion_mnist(data_home=places.data_home, download=False)
    assert loaded_pixel(result) == 2


def test_mnist_npz_in_keras_cache_is_found(places):
    write_npz(places.keras_cache, 9)
    assert loaded_pixel(load_mnist(download=False)) == 9


def test_mnist_in_data_home_beats_keras_cache(places):
    write_npz(places.keras_cache, 1)
    write_npz(places.data_home / "mnist", 2)
    assert loaded_pixel(load_mnist(data_home=places.data_home, download=False)) == 2


def test_mnist_npz_is_preferred_to_idx_files_in_the_same_folder(places):
    write_idx_set(places.data_home, 1)
    write_npz(places.data_home, 2)
    assert loaded_pixel(load_mnist(data_home=places.data_home, download=False)) == 2


def test_mnist_ignores_the_fashion_mnist_system_folder(places):
    write_idx_set(places.system, 1)
    with pytest.raises(DatasetNotFoundError):
        load_mnist(download=False)


# --- what the loaders return ----------------------------------------------

LOADERS = [load_fashion_mnist, load_mnist]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    "flatten, image_shape", [(True, (784,)), (False, (28, 28))], ids=["flat", "2d"]
)
def test_loaders_return_float32_images_and_int64_labels(
    places, loader, flatten, image_shape
):
    write_idx_set(places.data_home, 255)
    (X_train, y_train), (X_test, y_test) = loader(
        data_home=places.data_home, flatten=flatten, download=False
    )
    assert X_train.shape == (N_TRAIN, *image_shape)
    assert X_test.shape == (N_TEST, *image_shape)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert_array_equal(y_train, [0, 1, 2, 3, 4])
    assert_array_equal(y_test, [0, 1, 2])


@pytest.mark.parametrize("loader", LOADERS)
def test_pixels_are_the_stored_bytes_divided_by_255(places, loader):
    images = np.arange(N_TRAIN * 784).reshape(N_TRAIN, 28, 28) % 256
    images = images.astype(np.uint8)
    write_idx_set(places.data_home, 0)
    write_idx(places.data_home / STEMS[0], images, compress=True)
    (X_train, _), _ = loader(data_home=places.data_home, download=False)
    assert X_train.min() == 0.0
    assert X_train.max() == 1.0
    assert_allclose(X_train, images.reshape(N_TRAIN, 784) / 255, rtol=1e-6, atol=0)


@pytest.mark.parametrize(
    "stem, array, match",
    [
        (STEMS[0], np.zeros((N_TRAIN, 27, 27), np.uint8), r"shape \(n, 28, 28\)"),
        (STEMS[0], np.zeros((N_TRAIN, 28, 28), np.float32), r"uint8 images"),
        (STEMS[1], np.zeros((N_TRAIN, 2), np.uint8), r"1-d array of integer labels"),
        (STEMS[3], np.zeros(N_TEST + 1, np.uint8), r"holds 3 images but .* 4 labels"),
        (STEMS[1], np.full(N_TRAIN, 10, np.uint8), r"labels in 0\.\.9"),
    ],
    ids=["image-size", "image-dtype", "labels-2d", "count-mismatch", "label-range"],
)
def test_malformed_dataset_files_are_rejected_naming_the_file(
    places, stem, array, match
):
    write_idx_set(places.data_home, 1)
    (places.data_home / f"{stem}.gz").unlink()
    write_idx(places.data_home / stem, array, compress=False)
    with pytest.raises(ValueError, match=f"(?=.*{re.escape(stem)}).*{match}"):
        load_fashion_mnist(data_home=places.data_home, download=False)


def test_npz_without_the_expected_arrays_is_rejected(places):
    places.data_home.mkdir()
    np.savez(places.data_home / "mnist.npz", x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"mnist\.npz .*y_train"):
        load_mnist(data_home=places.data_home, download=False)


# --- checksums --------------------------------------------------------------


def test_full_size_fashion_file_with_other_content_is_rejected(places):
    """Check that a file of the full-size length must have the known SHA-256."""
    write_idx_set(places.data_home, 1)
    (places.data_home / f"{STEMS[1]}.gz").unlink()
    write_idx(places.data_home / STEMS[1], np.zeros(60_000, np.uint8), compress=True)
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz .*SHA-256"):
        load_fashion_mnist(data_home=places.data_home, download=False)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_checksum_covers_the_decompressed_content(places, monkeypatch, compress):
    """Check the hash check on tiny files declared full-size for the test."""
    paths = write_idx_set(places.data_home, 1, compress=compress)
    payloads = {
        stem: read_payload(path) for stem, path in zip(STEMS, paths, strict=True)
    }
    known = {
        stem: (len(payload), hashlib.sha256(payload).hexdigest())
        for stem, payload in payloads.items()
    }
    monkeypatch.setattr(_mnist, "_FASHION_MNIST_CONTENT", known)
    result = load_fashion_mnist(data_home=places.data_home, download=False)
    assert loaded_pixel(result) == 1

    known[STEMS[2]] = (known[STEMS[2]][0], "0" * 64)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.* expected 0{64}"):
        load_fashion_mnist(data_home=places.data_home, download=False)


def read_payload(path):
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


# --- nothing found, and downloads ------------------------------------------


def test_offline_fashion_mnist_error_lists_folders_and_remedies(places, monkeypatch):
    monkeypatch.setenv("SKAE_DATA", str(places.skae_data))
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(download=False)
    assert isinstance(info.value, DatasetNotFoundError)
    message = str(info.value)
    for folder in (
        places.skae_data / "fashion-mnist",
        places.skae_data,
        places.keras_cache / "fashion-mnist",
        places.system,
    ):
        assert f"{folder} (does not exist)" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "data_home=" in message and "SKAE_DATA" in message
    assert "download=False" in message
    assert "network access" in message


def test_offline_mnist_error_has_no_apt_hint(places):
    places.keras_cache.mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(download=False)
    message = str(info.value)
    assert f"{places.keras_cache} (no dataset files)" in message
    assert "mnist.npz" in message
    assert "apt-get" not in message


@pytest.mark.parametrize("loader", LOADERS)
def test_failed_download_is_chained_into_the_not_found_error(monkeypatch, loader):
    def broken_download():
        raise OSError("name resolution failed")

    name = f"_download_{loader.__name__.removeprefix('load_')}"
    monkeypatch.setattr(_mnist, name, broken_download)
    with pytest.raises(DatasetNotFoundError, match="name resolution failed") as info:
        loader()
    assert isinstance(info.value.__cause__, OSError)


def fake_get_file(calls, root=None):
    """A stand-in for keras.utils.get_file that writes a tiny file locally.

    Files go under ``root`` when given, else under the ``cache_dir`` received.
    """

    def get_file(fname=None, origin=None, cache_subdir="datasets", **kwargs):
        calls.append(dict(fname=fname, origin=origin, cache_subdir=cache_subdir))
        calls[-1].update(kwargs)
        folder = Path(root or kwargs["cache_dir"]) / cache_subdir
        if fname == "mnist.npz":
            return str(write_npz(folder, 6))
        stem = fname.removesuffix(".gz")
        return str(write_idx_set(folder, 6, stems=[stem])[0])

    return get_file


def keras_own_calls(monkeypatch, module_name, root):
    """Record the get_file calls made by Keras's own loader in ``module_name``."""
    module = importlib.import_module(f"keras.src.datasets.{module_name}")
    calls = []
    monkeypatch.setattr(module, "get_file", fake_get_file(calls, root))
    module.load_data()
    return calls


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_download_calls_get_file_as_keras_does_into_the_cache(
    places, monkeypatch, tmp_path, name
):
    keras_calls = keras_own_calls(monkeypatch, name, tmp_path / "keras-own")
    calls = []
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file(calls))
    downloader = f"_download_{name}"
    monkeypatch.setattr(_mnist, downloader, REAL_DOWNLOADERS[downloader])
    loader = getattr(datasets, f"load_{name}")

    assert loaded_pixel(loader()) == 6
    assert len(calls) == len(keras_calls)
    for ours, theirs in zip(calls, keras_calls, strict=True):
        assert ours.pop("cache_dir") == str(places.keras_home)
        assert ours["fname"] == theirs["fname"]
        assert ours["origin"] == theirs["origin"]
        assert ours.get("file_hash") == theirs.get("file_hash")
        assert Path(ours["cache_subdir"]) == Path(theirs["cache_subdir"])

    # The next call finds the cached files without downloading.
    monkeypatch.setattr(keras.utils, "get_file", refuse_network)
    assert loaded_pixel(loader(download=False)) == 6


# --- load_digits ------------------------------------------------------------


def test_load_digits_structure_and_scaling():
    (X_train, y_train), (X_test, y_test) = load_digits()
    assert X_train.shape == (1437, 64)
    assert X_test.shape == (360, 64)
    assert y_train.shape == (1437,)
    assert y_test.shape == (360,)
    assert X_train.dtype == np.float32
    assert y_train.dtype == np.int64
    X = np.concatenate([X_train, X_test])
    assert X.min() == 0.0
    assert X.max() == 1.0
    assert_array_equal(np.unique(np.concatenate([y_train, y_test])), np.arange(10))


def test_load_digits_unflattened_images_are_8x8():
    (X_train, _), (X_test, _) = load_digits(flatten=False)
    assert X_train.shape == (1437, 8, 8)
    assert X_test.shape == (360, 8, 8)
    (X_flat, _), _ = load_digits()
    assert_array_equal(X_train.reshape(-1, 64), X_flat)


def test_load_digits_split_is_stratified():
    (_, y_train), (_, y_test) = load_digits(test_size=0.5, random_state=3)
    train_counts = np.bincount(y_train, minlength=10)
    test_counts = np.bincount(y_test, minlength=10)
    assert np.all(np.abs(train_counts - test_counts) <= 1)


def test_load_digits_split_follows_random_state_and_test_size():
    first, second = load_digits(random_state=1), load_digits(random_state=1)
    assert_array_equal(first[0][0], second[0][0])
    other = load_digits(random_state=2)
    assert not np.array_equal(first[0][0], other[0][0])
    (_, y_train), (_, y_test) = load_digits(test_size=100)
    assert y_test.shape == (100,)
    assert y_train.shape == (1697,)


# --- module hygiene and the real data ---------------------------------------


def test_module_imports_neither_keras_nor_scikit_learn():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('ds', {datasets.__file__!r})\n"
        "module = sys.modules['ds'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "heavy = {'keras', 'tensorflow', 'sklearn'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.skipif(
    not REAL_FASHION_MNIST.is_dir(), reason="dataset-fashion-mnist not installed"
)
def test_real_fashion_mnist_from_the_system_folder(monkeypatch):
    monkeypatch.setattr(_mnist, "_SYSTEM_FASHION_MNIST_DIR", REAL_FASHION_MNIST)
    verified = []
    real_verify = _files._verify_content

    def spy(payload, path, stem, title, known_content):
        real_verify(payload, path, stem, title, known_content)
        if len(payload) == known_content[stem][0]:
            verified.append(stem)

    monkeypatch.setattr(_files, "_verify_content", spy)
    (X_train, y_train), (X_test, y_test) = load_fashion_mnist(
        flatten=False, download=False
    )
    assert sorted(verified) == sorted(STEMS)
    assert X_train.shape == (60_000, 28, 28)
    assert X_test.shape == (10_000, 28, 28)
    assert X_train.dtype == np.float32
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert_array_equal(np.bincount(y_train), [6000] * 10)
    assert_array_equal(np.bincount(y_test), [1000] * 10)
