"""The safe file format: ``est.save(path)`` and ``skae.load(path)``.

The malicious files are built here: each would run code, read pickles or write
outside a temporary folder if the loader trusted it, and each must be refused
with a ValueError before anything happens.
"""

import io
import json
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

import skae
from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._persistence import model_to_bytes
from skae._saving import FORMAT_VERSION


def make_data(n_samples=40, n_features=16, seed=0):
    return np.random.default_rng(seed).random((n_samples, n_features))


ESTIMATORS = {
    "dense": lambda: AutoencoderTransformer(
        3, hidden_layer_sizes=(8,), batch_normalization=True, epochs=2, random_state=0
    ),
    "pca-shortcut": lambda: AutoencoderTransformer(3, epochs=2, random_state=0),
    "variational": lambda: VariationalAutoencoderTransformer(
        3, hidden_layer_sizes=(8,), epochs=2, random_state=0
    ),
    "conv": lambda: ConvAutoencoderTransformer(
        3, image_shape=(4, 4, 1), filters=(2,), epochs=2, random_state=0
    ),
    "sequence": lambda: SequenceAutoencoderTransformer(
        3, sequence_shape=(4, 4), units=4, epochs=2, random_state=0
    ),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fitted dense estimator (with feature names) and the file it was saved to."""
    columns = [f"pixel {i}" for i in range(16)]
    X = pd.DataFrame(make_data(), columns=columns)
    est = AutoencoderTransformer(3, hidden_layer_sizes=(8,), epochs=2, random_state=0)
    est.fit(X)
    path = tmp_path_factory.mktemp("saved") / "model.skae"
    est.save(path)
    return est, X, path


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def assert_same_results(loaded, est, X):
    Z = est.transform(X)
    assert_array_equal(loaded.transform(X), Z)
    assert_array_equal(loaded.inverse_transform(Z), est.inverse_transform(Z))
    assert loaded.score(X) == est.score(X)


# -- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS.keys())
def test_load_gives_bit_identical_results(make, tmp_path):
    X = make_data()
    est = make().fit(X)
    loaded = skae.load(est.save(tmp_path / "est.skae"))
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()
    assert_same_results(loaded, est, X)
    assert loaded.history_ == est.history_
    assert loaded.n_iter_ == est.n_iter_
    assert loaded.explained_variance_ratio_ == est.explained_variance_ratio_


def test_load_keeps_feature_names_and_warm_start(saved, tmp_path):
    est, X, path = saved
    loaded = skae.load(path)
    assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    assert loaded.feature_names_in_.dtype == object
    assert_same_results(loaded, est, X)
    # The loaded model trains on from its weights; the saved estimator is untouched.
    before = est.transform(X)
    loaded.set_params(warm_start=True, epochs=1).fit(X)
    assert_array_equal(est.transform(X), before)
    assert {id(w) for w in loaded.encoder_.weights} <= {
        id(w) for w in loaded.model_.weights
    }


def test_file_holds_plain_data_and_states_its_version(saved):
    _, _, path = saved
    members = members_of(path)
    assert set(members) == {"skae.json", "arrays.npz", "model.keras"}
    metadata = json.loads(members["skae.json"])
    assert metadata["format_version"] == FORMAT_VERSION
    assert metadata["skae_version"] == skae.__version__
    assert metadata["class"] == "AutoencoderTransformer"
    assert metadata["params"]["hidden_layer_sizes"] == {"__tuple__": [8]}
    with np.load(io.BytesIO(members["arrays.npz"]), allow_pickle=False):
        pass


def test_unfitted_estimator_round_trips(tmp_path):
    est = AutoencoderTransformer(4, hidden_layer_sizes=(6, 5), dropout=0.1)
    loaded = skae.load(est.save(tmp_path / "unfitted.skae"))
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "model_")
    assert "model.keras" not in members_of(tmp_path / "unfitted.skae")


def test_optimizer_instance_and_random_state_round_trip(tmp_path):
    X = make_data()
    est = AutoencoderTransformer(
        3,
        optimizer=keras.optimizers.RMSprop(learning_rate=0.01, rho=0.8),
        random_state=np.random.RandomState(7),
        epochs=2,
    ).fit(X)
    loaded = skae.load(est.save(tmp_path / "est.skae"))
    assert isinstance(loaded.optimizer, keras.optimizers.RMSprop)
    assert loaded.optimizer.get_config() == est.optimizer.get_config()
    assert_array_equal(
        loaded.random_state.get_state()[1], est.random_state.get_state()[1]
    )
    assert_same_results(loaded, est, X)


def test_callbacks_are_not_saved_and_a_warning_says_so(tmp_path):
    est = AutoencoderTransformer(3, callbacks=[keras.callbacks.TerminateOnNaN()])
    with pytest.warns(UserWarning, match="callbacks is not saved"):
        path = est.save(tmp_path / "est.skae")
    assert skae.load(path).callbacks is None
    assert est.callbacks is not None


def test_a_parameter_that_is_not_data_is_refused_at_save(tmp_path):
    est = AutoencoderTransformer(3)
    est.random_state = object()
    with pytest.raises(TypeError, match="Cannot save parameter 'random_state'"):
        est.save(tmp_path / "est.skae")
    assert not list(tmp_path.iterdir())


def test_failed_save_keeps_the_previous_file(saved, tmp_path, monkeypatch):
    est, X, path = saved
    target = tmp_path / "model.skae"
    target.write_bytes(path.read_bytes())
    original = target.read_bytes()
    write = zipfile.ZipFile.writestr

    def disk_full(archive, name, data, *args, **kwargs):
        if name == "model.keras":
            raise OSError(28, "No space left on device")
        return write(archive, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full)
    with pytest.raises(OSError, match="No space left"):
        est.save(target)
    assert target.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["model.skae"]


class MyAutoencoder(AutoencoderTransformer):
    pass


def test_own_subclass_needs_custom_objects(tmp_path):
    X = make_data()
    est = MyAutoencoder(3, hidden_layer_sizes=(), epochs=1).fit(X)
    path = est.save(tmp_path / "mine.skae")
    with pytest.raises(ValueError, match="custom_objects=.'MyAutoencoder'"):
        skae.load(path)
    loaded = skae.load(path, custom_objects={"MyAutoencoder": MyAutoencoder})
    assert type(loaded) is MyAutoencoder
    assert_same_results(loaded, est, X)


def test_load_writes_only_to_a_temporary_folder_it_removes(saved, sandbox):
    path = sandbox / "good.skae"
    path.write_bytes(saved[2].read_bytes())
    assert_same_results(skae.load(path), saved[0], saved[1])


# -- files that must be refused -----------------------------------------------------


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Run in an empty folder with its own temporary folder; check both stay clean."""
    work, temporary = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    temporary.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    yield tmp_path
    assert not list(work.iterdir()), "loading wrote into the working folder"
    assert not list(temporary.iterdir()), "loading left files in the temporary folder"
    others = {p.name for p in tmp_path.iterdir()} - {"tmp", "work"}
    assert all(name.endswith(".skae") for name in others), others


def tampered(saved, sandbox, **changes):
    members = members_of(saved[2])
    for name, data in changes.items():
        name = name.replace("__", ".")
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    return write_members(sandbox / "bad.skae", members)


def test_refuses_a_lambda_layer_without_running_it(saved, sandbox):
    marker = sandbox / "work" / "pwned"

    def payload(x):
        marker.write_text("code from the file ran")
        return x

    inputs = keras.Input((16,))
    evil = keras.Model(inputs, keras.layers.Lambda(payload)(inputs))
    marker.unlink()  # building the model ran the payload once, here, not the loader
    path = tampered(saved, sandbox, model__keras=model_to_bytes(evil))
    with pytest.raises(ValueError, match="Lambda layer"):
        skae.load(path)
    assert not marker.exists()


def test_refuses_classes_from_other_modules(saved, sandbox):
    members = members_of(saved[2])
    with zipfile.ZipFile(io.BytesIO(members["model.keras"])) as archive:
        inner = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(inner["config.json"])
    layer = config["config"]["layers"][1]
    layer.update(module="os", class_name="system", registered_name="system")
    inner["config.json"] = json.dumps(config)
    buffer = io.BytesIO()
    write_members(buffer, inner)
    path = tampered(saved, sandbox, model__keras=buffer.getvalue())
    with pytest.raises(ValueError, match="os.system, which is neither"):
        skae.load(path)


def test_refuses_unknown_estimator_classes(saved, sandbox):
    metadata = json.loads(members_of(saved[2])["skae.json"])
    metadata["class"] = "subprocess.Popen"
    path = tampered(saved, sandbox, skae__json=json.dumps(metadata))
    with pytest.raises(ValueError, match="estimator class 'subprocess.Popen'"):
        skae.load(path)


def test_refuses_pickled_arrays(saved, sandbox):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"pickled": "object"}], dtype=object), allow_pickle=True)
    arrays = io.BytesIO()
    with zipfile.ZipFile(arrays, "w") as npz:
        npz.writestr("a0.npy", buffer.getvalue())
    metadata = json.loads(members_of(saved[2])["skae.json"])
    metadata["attributes"]["history_"] = {"__array__": "a0"}
    path = tampered(
        saved, sandbox, arrays__npz=arrays.getvalue(), skae__json=json.dumps(metadata)
    )
    with pytest.raises(ValueError, match="need pickle"):
        skae.load(path)


@pytest.mark.parametrize(
    "member", ["../escaped.txt", "/etc/escaped.txt", "payload.pkl"], ids=str
)
def test_refuses_unexpected_members_and_path_traversal(saved, sandbox, member):
    members = members_of(saved[2])
    members[member] = b"written outside?"
    path = write_members(sandbox / "bad.skae", members)
    with pytest.raises(ValueError, match="unexpected members"):
        skae.load(path)
    assert not (sandbox / "escaped.txt").exists()


def test_refuses_path_traversal_inside_the_keras_archive(saved, sandbox):
    members = members_of(saved[2])
    with zipfile.ZipFile(io.BytesIO(members["model.keras"])) as archive:
        inner = {name: archive.read(name) for name in archive.namelist()}
    inner["assets/../../../escaped.txt"] = b"written outside?"
    buffer = io.BytesIO()
    write_members(buffer, inner)
    path = tampered(saved, sandbox, model__keras=buffer.getvalue())
    with pytest.raises(ValueError, match="Keras archive with the member"):
        skae.load(path)
    assert not (sandbox / "escaped.txt").exists()


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.9, 0.999])
def test_refuses_truncated_files(saved, sandbox, keep):
    data = saved[2].read_bytes()
    path = sandbox / "bad.skae"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match="Not a valid skae model file"):
        skae.load(path)


@pytest.mark.parametrize("where", [0.05, 0.5, 0.8])
def test_refuses_corrupted_files(saved, sandbox, where):
    data = bytearray(saved[2].read_bytes())
    at = int(len(data) * where)
    data[at : at + 16] = bytes(16)
    path = sandbox / "bad.skae"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Not a valid skae model file|damaged"):
        skae.load(path)


def test_refuses_a_newer_format_with_both_versions_named(saved, sandbox):
    metadata = json.loads(members_of(saved[2])["skae.json"])
    metadata.update(format_version=FORMAT_VERSION + 1, skae_version="9.0")
    path = tampered(saved, sandbox, skae__json=json.dumps(metadata))
    with pytest.raises(ValueError, match=r"skae 9.0 in format version 2.*Upgrade"):
        skae.load(path)


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["attributes"].update(history_={"__import__": "os"}),
        lambda m: m["params"].update(n_components={"a": 1, "b": 2}),
        lambda m: m["params"].update(no_such_parameter=1),
        lambda m: m.pop("attributes"),
        lambda m: m.update(format="pickle"),
    ],
    ids=[
        "unknown-tag",
        "untagged-object",
        "unknown-parameter",
        "no-attributes",
        "format",
    ],
)
def test_refuses_malformed_metadata(saved, sandbox, change):
    metadata = json.loads(members_of(saved[2])["skae.json"])
    change(metadata)
    path = tampered(saved, sandbox, skae__json=json.dumps(metadata))
    with pytest.raises(ValueError, match="Not a valid skae model file"):
        skae.load(path)


def test_refuses_a_pickle_file(saved, sandbox):
    import pickle

    path = sandbox / "bad.skae"
    path.write_bytes(pickle.dumps(saved[0]))
    with pytest.raises(ValueError, match="not a zip archive .it looks like a pickle"):
        skae.load(path)
