"""Model files from elsewhere: the published payload shapes, refused before Keras.

Each malicious file is built here from the shapes of tests/_payloads.py (which
test_skops.py injects into skops files and pickles too), with valid checksums
(a forger recomputes them), and must be refused by skae's own check, with a
ValueError naming the offending path in the configuration, before Keras
deserializes anything: the tests fail if Keras's loader or deserializer is
reached, if a file is written outside a temporary folder, or if a network
connection is attempted.
"""

import hashlib
import importlib.metadata
import json
import zipfile

import keras
import numpy as np
import pytest
from _payloads import (
    HDF5_MATCH,
    PAYLOADS,
    TRAVERSAL,
    TRAVERSAL_MATCH,
    edited_archive,
    encoder_layer,
    members_of,
    with_member,
    zipped,
)
from numpy.testing import assert_array_equal
from packaging.requirements import Requirement

import skae
from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.saving import keras_bytes
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


def forge(data, *, config=None, keras_member=None, hashes=True):
    """The file ``data`` with its Keras model edited, resealed as a forger would.

    ``config`` edits the model's config.json in place; ``keras_member`` replaces
    the whole ``.keras`` member. With ``hashes`` the member hashes in skae.json
    are recomputed too.
    """
    outer = members_of(data)
    if config is not None:
        outer["model.keras"] = edited_archive(outer["model.keras"], config)
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


# -- the published shapes ----------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_refuses_each_published_payload_shape(saved, guarded, payload):
    """Check that each shape of tests/_payloads.py is refused by skae's check."""
    with pytest.raises(ValueError, match=payload.match):
        load_bytes(forge(saved[1], config=payload.edit), guarded)


def test_refuses_path_traversal_inside_the_archive(saved, guarded):
    archive = members_of(saved[1])["model.keras"]
    member = with_member(archive, TRAVERSAL, b"written outside?")
    with pytest.raises(ValueError, match=TRAVERSAL_MATCH):
        load_bytes(forge(saved[1], keras_member=member), guarded)
    assert not (guarded / "escaped.txt").exists()


def test_refuses_a_legacy_hdf5_model_inside_the_archive(saved, legacy_h5, guarded):
    member = legacy_h5.read_bytes()
    with pytest.raises(ValueError, match=HDF5_MATCH):
        load_bytes(forge(saved[1], keras_member=member), guarded)


def test_refuses_a_legacy_hdf5_model_passed_directly(legacy_h5, guarded):
    with pytest.raises(ValueError, match="not a zip archive .it looks like HDF5"):
        load_bytes(legacy_h5.read_bytes(), guarded)


def test_refuses_an_edited_member_with_a_stale_hash(saved, guarded):
    def edit(config):
        encoder_layer(config, 1)["config"]["name"] = "edited"

    with pytest.raises(ValueError, match="model.keras does not match its SHA-256"):
        load_bytes(forge(saved[1], config=edit, hashes=False), guarded)


def test_refuses_a_function_typed_optimizer_setting_in_skae_json(saved, guarded):
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
    assert str(keras_requirement.specifier) == f">={keras_bytes.MIN_KERAS}"


def test_member_hashes_are_recorded_and_checked_first(saved):
    outer = members_of(saved[1])
    recorded = json.loads(outer["skae.json"])["sha256"]
    assert recorded.keys() == {"arrays.npz", "model.keras"}
    for name, digest in recorded.items():
        assert digest == hashlib.sha256(outer[name]).hexdigest()
