"""Model files from elsewhere: the published payload shapes, refused before Keras.

Each malicious file is built here, with valid checksums (a forger recomputes
them), and must be refused by skae's own check, with a ValueError naming the
offending path in the configuration, before Keras deserializes anything: the
tests fail if Keras's loader or deserializer is reached, if a file is written
outside a temporary folder, or if a network connection is attempted.
"""

import hashlib
import importlib.metadata
import io
import json
import socket
import zipfile

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from packaging.requirements import Requirement

import skae
from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.saving import format as file_format
from skae.saving.archive import seal, unsealed_comment


def make_data(n_samples=40, n_features=16, seed=0):
    return np.random.default_rng(seed).random((n_samples, n_features))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fitted PCA-shortcut model (Residual layers) and the bytes of its file."""
    est = AutoencoderTransformer(3, hidden_layer_sizes=(8,), epochs=1, random_state=0)
    est.fit(make_data())
    path = tmp_path_factory.mktemp("saved") / "model.skae"
    est.save(path)
    return est, path.read_bytes()


@pytest.fixture(scope="module")
def legacy_h5(tmp_path_factory):
    """A model in Keras's legacy HDF5 format, which safe_mode does not cover."""
    path = tmp_path_factory.mktemp("legacy") / "legacy.h5"
    inputs = keras.Input((16,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(path)
    return path


@pytest.fixture
def guarded(sandbox, monkeypatch):
    """The sandbox (see conftest.py), with no network at all and no Keras.

    Keras's loader and deserializer fail the test if they are reached: every
    file here must be refused by skae's own checks first.
    """
    attempts = []

    def no_network(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)

    def reached(*args, **kwargs):
        raise AssertionError("Keras deserialized something from the file")

    monkeypatch.setattr(file_format, "model_from_bytes", reached)
    monkeypatch.setattr(keras.optimizers, "deserialize", reached)
    yield sandbox
    assert not attempts, attempts


def members_of(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(members, compression=zipfile.ZIP_STORED, comment=b""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.comment = comment
    return buffer.getvalue()


def forge(data, *, config=None, keras_member=None, hashes=True):
    """The file ``data`` with its Keras model edited, resealed as a forger would.

    ``config`` edits the model's config.json in place; ``keras_member`` replaces
    the whole ``.keras`` member. With ``hashes`` the member hashes in skae.json
    are recomputed too.
    """
    outer = members_of(data)
    if config is not None:
        inner = members_of(outer["model.keras"])
        edited = json.loads(inner["config.json"])
        config(edited)
        inner["config.json"] = json.dumps(edited).encode()
        outer["model.keras"] = zipped(inner)
    if keras_member is not None:
        outer["model.keras"] = keras_member
    if hashes:
        metadata = json.loads(outer["skae.json"])
        metadata["sha256"] = {
            name: hashlib.sha256(outer[name]).hexdigest() for name in metadata["sha256"]
        }
        outer["skae.json"] = json.dumps(metadata).encode()
    return seal(zipped(outer, zipfile.ZIP_DEFLATED, unsealed_comment()))


def load_bytes(data, folder, **kwargs):
    path = folder / "bad.skae"
    path.write_bytes(data)
    try:
        return skae.load(path, **kwargs)
    finally:
        path.unlink()


def encoder_layer(config, index):
    """The ``index``-th layer of the encoder inside the saved Functional model."""
    encoder = next(
        layer
        for layer in config["config"]["layers"]
        if layer["config"]["name"] == "encoder"
    )
    return encoder["config"]["layers"][index]


# -- the published shapes ----------------------------------------------------------


def test_refuses_an_arbitrary_module_in_the_config(saved, guarded):
    """CVE-2025-1550: config.json naming any module and class to construct."""

    def edit(config):
        encoder_layer(config, 1).update(
            module="subprocess",
            class_name="Popen",
            registered_name=None,
            config={"args": ["touch", "pwned"]},
        )

    with pytest.raises(ValueError, match=r"layers\[1\] holds subprocess.Popen"):
        load_bytes(forge(saved[1], config=edit), guarded)


def test_refuses_a_lambda_calling_load_model_unsafely(saved, guarded):
    """CVE-2025-9906: a Lambda whose function is keras.models.load_model, with
    safe_mode false in its arguments and the path in its call's kwargs."""

    def edit(config):
        layers = config["config"]["layers"]
        layers.append(
            {
                "module": "keras.layers",
                "class_name": "Lambda",
                "config": {
                    "name": "unsafe",
                    "function": {
                        "module": "keras.models",
                        "class_name": "function",
                        "config": "load_model",
                        "registered_name": "function",
                    },
                    "arguments": {"safe_mode": False},
                },
                "registered_name": None,
                "inbound_nodes": [{"args": [], "kwargs": {"inputs": "/tmp/x.keras"}}],
            }
        )

    with pytest.raises(ValueError, match=r"layers\[\d+\] holds a Lambda entry"):
        load_bytes(forge(saved[1], config=edit), guarded)


@pytest.mark.parametrize("setting", ["activation", "kernel_initializer"])
def test_refuses_a_function_typed_get_file(saved, guarded, setting):
    """keras.utils.get_file as a function-typed activation or initializer."""

    def edit(config):
        shortcut = encoder_layer(config, 1)["config"]["shortcut"]
        shortcut["config"][setting] = {
            "module": "keras.utils",
            "class_name": "function",
            "config": "get_file",
            "registered_name": "function",
        }

    pattern = rf"layers\[1\]\.config\.shortcut\.config\.{setting} holds a function"
    with pytest.raises(ValueError, match=pattern):
        load_bytes(forge(saved[1], config=edit), guarded)


def test_refuses_a_tfsm_layer(saved, guarded):
    """CVE-2026-1462: a TFSMLayer loads and runs a SavedModel from a path."""

    def edit(config):
        encoder_layer(config, 1).update(
            module="keras.layers",
            class_name="TFSMLayer",
            registered_name=None,
            config={"filepath": "/tmp/saved_model", "call_endpoint": "serve"},
        )

    with pytest.raises(ValueError, match=r"holds a TFSMLayer entry"):
        load_bytes(forge(saved[1], config=edit), guarded)


def test_refuses_a_legacy_hdf5_model_inside_the_archive(saved, legacy_h5, guarded):
    member = legacy_h5.read_bytes()
    with pytest.raises(ValueError, match="Keras model archive is not a zip archive"):
        load_bytes(forge(saved[1], keras_member=member), guarded)


def test_refuses_a_legacy_hdf5_model_passed_directly(legacy_h5, guarded):
    with pytest.raises(ValueError, match="not a zip archive .it looks like HDF5"):
        load_bytes(legacy_h5.read_bytes(), guarded)


def test_refuses_an_edited_member_with_a_stale_hash(saved, guarded):
    def edit(config):
        encoder_layer(config, 1)["config"]["name"] = "edited"

    with pytest.raises(ValueError, match="model.keras does not match its SHA-256"):
        load_bytes(forge(saved[1], config=edit, hashes=False), guarded)


@pytest.mark.parametrize("where", ["config", "entry"])
def test_refuses_a_skae_class_with_unexpected_keys(saved, guarded, where):
    def edit(config):
        residual = encoder_layer(config, 1)
        target = residual["config"] if where == "config" else residual
        target["payload"] = {"module": "keras.utils", "class_name": "get_file"}

    with pytest.raises(ValueError, match=r"Residual with keys skae never writes"):
        load_bytes(forge(saved[1], config=edit), guarded)


def test_refuses_an_unknown_registered_name(saved, guarded):
    def edit(config):
        encoder_layer(config, 1)["registered_name"] = "skae>Anything"

    with pytest.raises(ValueError, match=r"registered as 'skae>Anything'"):
        load_bytes(forge(saved[1], config=edit), guarded)


def test_refuses_layer_calls_with_arguments_that_are_not_tensors(saved, guarded):
    def edit(config):
        decoder = config["config"]["layers"][-1]
        decoder["inbound_nodes"][0]["kwargs"]["mask"] = "/etc/passwd"

    with pytest.raises(ValueError, match=r"inbound_nodes\[0\]\.kwargs\.mask holds"):
        load_bytes(forge(saved[1], config=edit), guarded)


def test_refuses_an_activation_name_skae_does_not_write(saved, guarded):
    def edit(config):
        encoder_layer(config, 1)["config"]["shortcut"]["config"]["activation"] = (
            "get_file"
        )

    with pytest.raises(ValueError, match=r"shortcut\.config\.activation holds"):
        load_bytes(forge(saved[1], config=edit), guarded)


def test_refuses_a_function_typed_optimizer_setting(saved, guarded):
    """skae.json's own Keras objects go through the same check."""
    outer = members_of(saved[1])
    metadata = json.loads(outer["skae.json"])
    metadata["params"]["optimizer"] = {
        "__optimizer__": {
            "__dict__": {
                "module": "keras.optimizers",
                "class_name": "Adam",
                "config": {
                    "__dict__": {
                        "learning_rate": {
                            "__dict__": {
                                "module": "os",
                                "class_name": "function",
                                "config": "system",
                                "registered_name": "function",
                            }
                        }
                    }
                },
                "registered_name": None,
            }
        }
    }
    outer["skae.json"] = json.dumps(metadata).encode()
    data = seal(zipped(outer, zipfile.ZIP_DEFLATED, unsealed_comment()))
    with pytest.raises(ValueError, match=r"learning_rate holds a function"):
        load_bytes(data, guarded)


# -- what skae writes still loads --------------------------------------------------

VARIANTS = {
    "dense-every-layer": lambda: AutoencoderTransformer(
        3,
        hidden_layer_sizes=(6, 4),
        batch_normalization=True,
        dropout=0.1,
        activity_l1=1e-4,
        pca_shortcut=True,
        output_activation="sigmoid",
        activation="gelu",
    ),
    "tutorial": lambda: AutoencoderTransformer(3, hidden_layer_sizes=()),
    "conv-cropped": lambda: ConvAutoencoderTransformer(
        3, image_shape=(3, 5), filters=(2, 3), activity_l1=1e-4
    ),
    "sequence": lambda: SequenceAutoencoderTransformer(3, sequence_shape=(5, 3)),
    "variational": lambda: VariationalAutoencoderTransformer(3, kl_weight=0.5),
    "rmsprop-schedule": lambda: AutoencoderTransformer(
        3,
        optimizer=keras.optimizers.RMSprop(
            keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
        ),
    ),
}


@pytest.mark.parametrize("make", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_model_skae_writes_passes_its_own_check(make, tmp_path):
    X = make_data(n_features=15)
    est = make().set_params(epochs=1, random_state=0).fit(X)
    loaded = skae.load(est.save(tmp_path / "est.skae"))
    assert_array_equal(loaded.transform(X), est.transform(X))


class ResidualSum(AutoencoderTransformer):
    """A user's model built from a Keras layer skae never writes (Add)."""

    def _build_network(self, spec, seed):
        network = super()._build_network(spec, seed)
        inputs = keras.Input((spec.n_features,))
        codes = keras.layers.Add()([network.encoder(inputs), network.encoder(inputs)])
        return network._replace(encoder=keras.Model(inputs, codes, name="encoder"))


def test_a_users_model_loads_only_with_its_objects_named(tmp_path):
    X = make_data()
    est = ResidualSum(3, hidden_layer_sizes=(), epochs=1, random_state=0).fit(X)
    path = est.save(tmp_path / "mine.skae")
    with pytest.raises(ValueError, match="keras.layers.Add"):
        skae.load(path, custom_objects={"ResidualSum": ResidualSum})
    loaded = skae.load(
        path, custom_objects={"ResidualSum": ResidualSum, "Add": keras.layers.Add}
    )
    assert_array_equal(loaded.transform(X), est.transform(X))


# -- versions ------------------------------------------------------------------------


def test_load_refuses_to_run_under_a_keras_with_known_bypasses(
    saved, tmp_path, monkeypatch
):
    path = tmp_path / "model.skae"
    path.write_bytes(saved[1])
    monkeypatch.setattr(keras, "__version__", "3.13.2")
    with pytest.raises(RuntimeError, match=r"Keras 3.13.2.*3.14.0"):
        skae.load(path)
    monkeypatch.setattr(keras, "__version__", "3.14.0")
    skae.load(path)


def test_package_metadata_refuses_keras_with_known_bypasses():
    requirements = [Requirement(r) for r in importlib.metadata.requires("skae")]
    (keras_requirement,) = [r for r in requirements if r.name == "keras"]
    assert "3.13.2" not in keras_requirement.specifier
    assert "3.14.0" in keras_requirement.specifier
    assert str(keras_requirement.specifier) == f">={file_format.MIN_KERAS}"


def test_member_hashes_are_recorded_and_checked_first(saved):
    outer = members_of(saved[1])
    recorded = json.loads(outer["skae.json"])["sha256"]
    assert recorded.keys() == {"arrays.npz", "model.keras"}
    for name, digest in recorded.items():
        assert digest == hashlib.sha256(outer[name]).hexdigest()
