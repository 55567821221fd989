"""Fixtures shared by the tests of files from elsewhere."""

import pytest


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Run in an empty folder with its own temporary folder; check both stay clean.

    Yields the folder around them, where a test writes the files it loads;
    nothing but such ``.skae`` files may be left there.
    """
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


@pytest.fixture(scope="session")
def legacy_h5(tmp_path_factory):
    """A model in Keras's legacy HDF5 format, which safe_mode does not cover."""
    import keras

    path = tmp_path_factory.mktemp("legacy") / "legacy.h5"
    inputs = keras.Input((16,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(path)
    return path


@pytest.fixture
def guarded(sandbox, monkeypatch):
    """The sandbox, with no network at all and no Keras deserialization.

    Keras's loader and deserializer fail the test if they are reached: every
    payload must be refused by skae's own checks first, on every route.
    """
    import socket

    import keras

    from skae.saving import keras_bytes

    attempts = []

    def no_network(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)

    def reached(*args, **kwargs):
        raise AssertionError("Keras deserialized something from the file")

    monkeypatch.setattr(keras_bytes, "model_from_bytes", reached)
    monkeypatch.setattr(keras.saving, "load_model", reached)
    monkeypatch.setattr(keras.saving, "deserialize_keras_object", reached)
    monkeypatch.setattr(keras.optimizers, "deserialize", reached)
    yield sandbox
    assert not attempts, attempts
