"""The safe file format: ``est.save(path)`` and ``skae.load(path)``.

The malicious files are built here: each would run code, read pickles or write
outside a temporary folder if the loader trusted it, and each must be refused
with a ValueError before anything happens.
"""

import hashlib
import io
import json
import os
import pickle
import stat
import struct
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from _payloads import zipped
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import skae
from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.saving.archive import DIGEST_LENGTH, SEAL_PREFIX, seal, unsealed_comment
from skae.saving.format import FORMAT_VERSION
from skae.saving.keras_bytes import model_to_bytes


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


def write_model_file(path, members):
    """Write ``members`` as a model file with a valid checksum, as a forger can."""
    path.write_bytes(sealed(members))
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
    assert loaded.reconstruction_r2_ == est.reconstruction_r2_
    assert_array_equal(loaded.explained_variance_ratio_, est.explained_variance_ratio_)


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


def test_file_ends_in_the_sha256_of_everything_before_it(saved):
    data = saved[2].read_bytes()
    body, digest = data[:-DIGEST_LENGTH], data[-DIGEST_LENGTH:]
    assert body.endswith(SEAL_PREFIX)
    assert digest == hashlib.sha256(body).hexdigest().encode()
    with zipfile.ZipFile(saved[2]) as archive:
        assert archive.comment == SEAL_PREFIX + digest


def test_format_1_files_without_checksum_still_load(saved, tmp_path):
    est, X, path = saved
    members = members_of(path)
    metadata = json.loads(members["skae.json"])
    metadata["format_version"] = 1
    old = tmp_path / "old.skae"
    old.write_bytes(
        zipped({**members, "skae.json": json.dumps(metadata)}, zipfile.ZIP_DEFLATED)
    )
    assert_same_results(skae.load(old), est, X)


def test_format_2_file_without_its_checksum_is_refused(saved, sandbox):
    path = sandbox / "bad.skae"
    path.write_bytes(zipped(members_of(saved[2]), zipfile.ZIP_DEFLATED))
    with pytest.raises(ValueError, match="no checksum at its end"):
        skae.load(path)


def test_saved_file_gets_the_permissions_open_would_give(saved, tmp_path):
    """The file is readable as umask allows, not private as a temp file is."""
    est = saved[0]
    old = os.umask(0o022)
    try:
        path = tmp_path / "shared.skae"
        est.save(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


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


def tampered(saved, sandbox, **changes):
    members = members_of(saved[2])
    for name, data in changes.items():
        name = name.replace("__", ".")
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    return write_model_file(sandbox / "bad.skae", members)


def test_refuses_a_lambda_layer_without_running_it(saved, sandbox):
    marker = sandbox / "work" / "pwned"

    def payload(x):
        marker.write_text("code from the file ran")
        return x

    inputs = keras.Input((16,))
    evil = keras.Model(inputs, keras.layers.Lambda(payload)(inputs))
    marker.unlink()  # building the model ran the payload once, here, not the loader
    path = tampered(saved, sandbox, model__keras=model_to_bytes(evil))
    with pytest.raises(ValueError, match="holds a Lambda entry"):
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
    path = tampered(saved, sandbox, model__keras=zipped(inner))
    with pytest.raises(ValueError, match=r"holds os.system .registered as"):
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
    path = write_model_file(sandbox / "bad.skae", members)
    with pytest.raises(ValueError, match="unexpected members"):
        skae.load(path)
    assert not (sandbox / "escaped.txt").exists()


def test_refuses_path_traversal_inside_the_keras_archive(saved, sandbox):
    members = members_of(saved[2])
    with zipfile.ZipFile(io.BytesIO(members["model.keras"])) as archive:
        inner = {name: archive.read(name) for name in archive.namelist()}
    inner["assets/../../../escaped.txt"] = b"written outside?"
    path = tampered(saved, sandbox, model__keras=zipped(inner))
    with pytest.raises(
        ValueError, match="Keras model archive holds the unexpected members"
    ):
        skae.load(path)
    assert not (sandbox / "escaped.txt").exists()


# -- damaged files --------------------------------------------------------------------
# A model file ends in the SHA-256 of everything before it, so any damage is
# refused before parsing. Behind a recomputed checksum (a forged file), the
# parsers themselves must refuse damage with a ValueError: no zlib.error,
# struct.error, EOFError, KeyError, UnicodeDecodeError or h5py OSError escapes.

DAMAGED = "Not a valid skae model file"


def zip_regions(data):
    """Byte ranges of a zip's structure: each member's header, name and data,
    the central directory entries and the end record, by name."""
    regions = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            start = info.header_offset
            name_length, extra_length = struct.unpack(
                "<HH", data[start + 26 : start + 30]
            )
            data_start = start + 30 + name_length + extra_length
            regions[f"{info.filename} header"] = range(start, data_start)
            regions[f"{info.filename} data"] = range(
                data_start, data_start + info.compress_size
            )
        end = data.rindex(b"PK\x05\x06")
        regions["central directory"] = range(archive.start_dir, end)
        regions["end record"] = range(end, len(data))
    return regions


def offsets_in(regions, structure_step=1, data_step=1):
    """Offsets into ``regions``: members' data sparser than the zip's structure."""
    for name, where in regions.items():
        yield from where[:: data_step if name.endswith(" data") else structure_step]


def npy_offsets(content):
    """Every byte of an .npy header, every 97th of its data."""
    header_end = 10 + struct.unpack("<H", content[8:10])[0]
    return [*range(header_end), *range(header_end, len(content), 97)]


# What each forged case damages, and at which offsets: ``"zip"`` the model
# file's zip structure, a member's name its bytes, ``"member/inner"`` a member
# of a member (the zip around it rebuilt, so that its CRC holds). Offsets are
# denser where parsers do more with each byte, sparser where every case reaches
# Keras and costs a model load.
FORGED = {
    "zip": lambda data: offsets_in(
        {k: v for k, v in zip_regions(data).items() if not k.endswith(" data")}, 3
    ),
    "skae.json": lambda content: range(len(content)),
    "arrays.npz": lambda content: offsets_in(zip_regions(content), 1, 37),
    "arrays.npz/a0.npy": npy_offsets,
    "model.keras": lambda content: offsets_in(zip_regions(content), 2, 401),
    "model.keras/config.json": lambda content: range(0, len(content), 53),
    "model.keras/metadata.json": lambda content: range(0, len(content), 2),
    "model.keras/model.weights.h5": lambda content: range(0, len(content), 531),
}


def damages(data, offsets):
    """``(label, damaged bytes)``: each offset zeroed, flipped and cut there."""
    for at in offsets:
        for kind in ("zero", "flip"):
            damaged = bytearray(data)
            damaged[at] = 0 if kind == "zero" else damaged[at] ^ 0xFF
            if damaged != data:
                yield f"{kind} {at}", bytes(damaged)
        yield f"cut {at}", data[:at]


def reseal(data):
    """``data`` with its checksum recomputed where its end is intact, as forged."""
    if not data[:-DIGEST_LENGTH].endswith(SEAL_PREFIX):
        return data
    return seal(data)


def sealed(outer):
    """A model file of the members ``outer``, sealed as save seals it.

    A forger recomputes the members' hashes in skae.json too (where skae.json
    still reads as JSON), so that what follows the hash check is exercised.
    """
    outer = dict(outer)
    try:
        metadata = json.loads(outer["skae.json"])
        hashes = metadata["sha256"]
    except (ValueError, KeyError, TypeError):
        hashes = None
    if isinstance(hashes, dict):
        metadata["sha256"] = {
            name: hashlib.sha256(outer[name]).hexdigest()
            for name in hashes
            if name in outer
        }
        outer["skae.json"] = json.dumps(metadata)
    return seal(zipped(outer, zipfile.ZIP_DEFLATED, unsealed_comment()))


def forged_cases(path, target):
    """Damaged versions of the model file at ``path`` behind valid checksums."""
    data = path.read_bytes()
    if target == "zip":
        return [(label, reseal(d)) for label, d in damages(data, FORGED[target](data))]
    outer = members_of(path)
    member, _, inner_name = target.partition("/")
    if not inner_name:
        raw = outer[member]
        return [
            (label, sealed({**outer, member: d}))
            for label, d in damages(raw, FORGED[target](raw))
        ]
    inner = members_of(io.BytesIO(outer[member]))
    content = inner[inner_name]
    return [
        (label, sealed({**outer, member: zipped({**inner, inner_name: d})}))
        for label, d in damages(content, FORGED[target](content))
    ]


def load_or_refuse(data, path):
    """Load ``data`` from ``path``; return None, or the exception that escaped."""
    path.write_bytes(data)
    try:
        skae.load(path)
    except ValueError as exc:
        assert str(exc).startswith(DAMAGED), exc
    except Exception as exc:  # noqa: BLE001 - what escapes is the finding
        return exc
    return None


@pytest.fixture(scope="module")
def with_arrays(tmp_path_factory):
    """A fitted estimator whose file holds arrays (a RandomState's key)."""
    est = AutoencoderTransformer(
        3, hidden_layer_sizes=(4,), epochs=1, random_state=np.random.RandomState(0)
    ).fit(make_data())
    path = tmp_path_factory.mktemp("arrays") / "model.skae"
    est.save(path)
    return path


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail if anything is unpickled: loading constructs no object from the file."""

    def refuse(*args, **kwargs):
        raise AssertionError("skae.load unpickled something")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)


def test_any_damaged_byte_or_cut_is_refused_by_the_checksum(saved, sandbox):
    data = saved[2].read_bytes()
    regions = zip_regions(data)
    cases = list(damages(data, offsets_in(regions, data_step=7)))
    assert len(cases) > 1000
    for label, damaged in cases:
        path = sandbox / "bad.skae"
        path.write_bytes(damaged)
        with pytest.raises(ValueError, match=DAMAGED) as caught:
            skae.load(path)
        assert caught.type is ValueError or "DamagedFile" in caught.typename, label


@pytest.mark.slow
@pytest.mark.parametrize("target", FORGED)
def test_forged_damage_is_refused_with_a_value_error(
    with_arrays, sandbox, no_unpickling, target
):
    """Damage behind a valid checksum: each parser must refuse it, not crash.

    Some forged files are valid files with other contents (a changed weight, a
    changed timestamp) and load; none may raise anything but a ValueError.
    """
    cases = forged_cases(with_arrays, target)
    assert len(cases) >= 60, len(cases)
    escaped = [
        (label, repr(exc))
        for label, data in cases
        if (exc := load_or_refuse(data, sandbox / "bad.skae")) is not None
    ]
    assert not escaped, escaped[:5]


@st.composite
def byte_edits(draw, size):
    """A list of edits to a file of ``size`` bytes: overwrite, insert or cut."""
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["overwrite", "insert", "cut"]))
        at = draw(st.integers(0, size - 1))
        payload = draw(st.binary(min_size=1, max_size=16))
        edits.append((kind, at, payload))
    return edits


def apply_edits(data, edits):
    data = bytearray(data)
    for kind, at, payload in edits:
        at = min(at, len(data))
        if kind == "overwrite":
            data[at : at + len(payload)] = payload
        elif kind == "insert":
            data[at:at] = payload
        else:
            del data[at:]
    return bytes(data)


EDIT_SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("forged", [False, True], ids=["damaged", "forged"])
def test_generated_byte_edits_are_refused_with_a_value_error(
    with_arrays, sandbox, no_unpickling, forged
):
    """Hypothesis draws edits; a damaged file is refused by its checksum, and a
    forged one (checksum recomputed) loads or is refused with a ValueError."""
    data = with_arrays.read_bytes()
    path = sandbox / "bad.skae"
    ran = []

    @EDIT_SETTINGS
    @given(edits=byte_edits(len(data)))
    def check(edits):
        edited = apply_edits(data, edits)
        if edited == data:
            return
        ran.append(edits)
        if not forged:
            path.write_bytes(edited)
            with pytest.raises(ValueError, match=DAMAGED):
                skae.load(path)
            return
        exc = load_or_refuse(reseal(edited), path)
        assert exc is None, repr(exc)

    check()
    print(f"{len(ran)} generated edits")
    assert len(ran) >= 140
