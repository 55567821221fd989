"""Whole pipelines through skops, and the model inside checked on every route.

``skops.io`` writes a Pipeline or ColumnTransformer with skae steps without
pickle, trusting skae's types only (``skae.skops_trusted_types()``); the Keras
model inside travels as the bytes of its ``.keras`` archive. Whatever brings
those bytes back (skops, unpickling, ``skae.load``) runs skae's allowlist
before Keras reads them, so each published payload shape of tests/_payloads.py
injected into a skops file or a pickle is refused with skae's ValueError.
"""

import json
import pickle
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
    function_entry,
    members_of,
    with_member,
    zipped,
)
from numpy.testing import assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    BaseAutoencoder,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

skops_io = pytest.importorskip("skops.io")


def make_data(n_samples=40, n_features=16, seed=0):
    X = np.random.default_rng(seed).random((n_samples, n_features))
    return X, (X[:, 0] > 0.5).astype(int)


def dense(**params):
    """A small dense model with a PCA shortcut (the shape the payloads edit)."""
    params = {"hidden_layer_sizes": (8,), "epochs": 1, "random_state": 0, **params}
    return AutoencoderTransformer(3, **params)


@keras.saving.register_keras_serializable(package="skae_tests")
class Doubled(keras.layers.Layer):
    """A user's own registered layer."""

    def call(self, inputs):
        return inputs * 2.0


@keras.saving.register_keras_serializable(package="skae_tests")
def halved(x):
    """A user's own registered activation function."""
    return x / 2.0


class ShortcutAutoencoder(BaseAutoencoder):
    """A user's model: a Keras built-in skae never writes (Add), a registered layer."""

    def __init__(self, n_components=2, *, epochs=1, random_state=None):
        self.n_components = n_components
        self.epochs = epochs
        self.random_state = random_state

    def build_encoder(self, n_features, seed):
        inputs = keras.Input((n_features,))
        codes = keras.layers.Add()(
            [
                keras.layers.Dense(self.n_components, halved)(inputs),
                Doubled()(inputs[:, :2]),
            ]
        )
        return keras.Model(inputs, codes, name="encoder")

    def build_decoder(self, n_features, output_activation, seed):
        return keras.Sequential(
            [
                keras.Input((self.n_components,)),
                keras.layers.Dense(n_features, output_activation),
            ],
            name="decoder",
        )


USERS = [f"{__name__}.ShortcutAutoencoder"]


@pytest.fixture(scope="module")
def pipeline():
    X, y = make_data()
    pipe = make_pipeline(StandardScaler(), dense(), LogisticRegression())
    return pipe.fit(X, y), X


@pytest.fixture(scope="module")
def fitted():
    """A fitted dense estimator and its skops bytes."""
    X, _ = make_data()
    est = dense().fit(X)
    return est, skops_io.dumps(est)


# -- what skops writes and reads -----------------------------------------------------


@pytest.mark.slow
def test_pipeline_round_trips_through_skops_bit_identical(pipeline, tmp_path):
    pipe, X = pipeline
    path = tmp_path / "pipe.skops"
    skops_io.dump(pipe, path)
    assert skops_io.get_untrusted_types(file=path) == [
        "skae.estimators.dense.AutoencoderTransformer",
        "skae.networks.dense.DenseSpec",
    ]
    loaded = skops_io.load(path, trusted=skae.skops_trusted_types())
    assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert_array_equal(loaded[:-1].transform(X), pipe[:-1].transform(X))


@pytest.mark.slow
def test_column_transformer_round_trips_through_skops_bit_identical(tmp_path):
    X, _ = make_data()
    columns = ColumnTransformer(
        [
            ("codes", make_pipeline(MinMaxScaler(), dense()), list(range(12))),
            (
                "images",
                ConvAutoencoderTransformer(
                    2, image_shape=(2, 2), filters=(2,), epochs=1, random_state=0
                ),
                list(range(12, 16)),
            ),
        ]
    ).fit(X)
    path = tmp_path / "columns.skops"
    skops_io.dump(columns, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert set(untrusted) <= set(skae.skops_trusted_types())
    loaded = skops_io.load(path, trusted=skae.skops_trusted_types())
    assert_array_equal(loaded.transform(X), columns.transform(X))


@pytest.mark.slow
def test_untrusted_types_are_exactly_skaes_documented_list():
    """Check that skops asks, over every kind of skae step, for skae's list and no
    other type: nothing from Keras, no builtins.bytes."""
    X, y = make_data()
    steps = [
        make_pipeline(StandardScaler(), dense(), LogisticRegression()).fit(X, y),
        ColumnTransformer([("ae", dense(), list(range(16)))]).fit(X),
        ConvAutoencoderTransformer(
            2, image_shape=(4, 4), filters=(2,), epochs=1, random_state=0
        ).fit(X),
        SequenceAutoencoderTransformer(
            2, sequence_shape=(4, 4), units=2, epochs=1, random_state=0
        ).fit(X),
        VariationalAutoencoderTransformer(
            2, hidden_layer_sizes=(4,), epochs=1, random_state=0
        ).fit(X),
        AutoencoderOutlierDetector(dense()).fit(X),
        ShortcutAutoencoder(random_state=0).fit(X),
    ]
    asked = set()
    for step in steps:
        asked.update(skops_io.get_untrusted_types(data=skops_io.dumps(step)))
    assert sorted(asked - set(USERS)) == skae.skops_trusted_types()


def test_a_users_subclass_round_trips_through_skops_and_pickle():
    """Check the rule for a user's subclass: once its class is trusted, its model
    may hold Keras's built-ins (Add, a slice) and what this process registered
    (the layer Doubled, the function halved)."""
    X, _ = make_data()
    est = ShortcutAutoencoder(random_state=0).fit(X)
    data = skops_io.dumps(est)
    trusted = skae.skops_trusted_types() + USERS
    for copied in (
        skops_io.loads(data, trusted=trusted),
        pickle.loads(pickle.dumps(est)),
    ):
        assert type(copied) is ShortcutAutoencoder
        assert_array_equal(copied.transform(X), est.transform(X))


def test_callbacks_a_fit_handed_the_model_round_trip_without_it():
    """Check that a Keras callback which ran in a fit (and so holds the model)
    goes through skops and pickle: skops recursed into the model's objects."""
    X, _ = make_data()
    stopper = keras.callbacks.EarlyStopping(patience=3)
    est = AutoencoderTransformer(2, epochs=2, callbacks=[stopper], random_state=0)
    est.fit(X)
    data = skops_io.dumps(est)
    trusted = skops_io.get_untrusted_types(data=data)
    assert "keras.src.callbacks.early_stopping.EarlyStopping" in trusted
    for copied in (
        skops_io.loads(data, trusted=trusted),
        pickle.loads(pickle.dumps(est)),
    ):
        assert_array_equal(copied.transform(X), est.transform(X))
        (callback,) = copied.callbacks
        assert type(callback) is keras.callbacks.EarlyStopping
        assert callback.patience == 3 and callback.model is None
        copied.fit(X)
        assert callback.model is copied.model_
    # The user's own callback keeps what its fit handed it.
    assert stopper.model is est.model_


# -- skae.save, the twin of skae.load -------------------------------------------------


def test_save_function_and_method_write_the_same_file(fitted, tmp_path):
    """Check that skae.save and est.save are one implementation: the same
    parameters and attributes, and files that load to the same results (the
    .keras member's zip timestamps differ)."""
    est = fitted[0]
    X, _ = make_data()
    paths = skae.save(est, tmp_path / "function.skae"), est.save(tmp_path / "m.skae")
    assert paths[0] == str(tmp_path / "function.skae")
    metadata = []
    for path in paths:
        with open(path, "rb") as file:
            written = json.loads(members_of(file.read())["skae.json"])
        written.pop("sha256")
        metadata.append(written)
        assert_array_equal(skae.load(path).transform(X), est.transform(X))
    assert metadata[0] == metadata[1]


def test_save_function_warns_at_the_users_line(tmp_path):
    est = AutoencoderTransformer(2, callbacks=[keras.callbacks.TerminateOnNaN()])
    with pytest.warns(UserWarning, match="callbacks is not saved") as record:
        skae.save(est, tmp_path / "est.skae")
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "obj",
    [
        make_pipeline(MinMaxScaler(), AutoencoderTransformer()),
        AutoencoderOutlierDetector(),
        MinMaxScaler(),
    ],
    ids=["pipeline", "detector", "scaler"],
)
def test_save_refuses_what_is_not_a_skae_autoencoder(obj, tmp_path):
    pattern = (
        rf"got a {type(obj).__name__}\. To save a Pipeline.*without pickle, use "
        r"skops: skops\.io\.dump\(obj, path\).*trusted=skae\.skops_trusted_types"
    )
    with pytest.raises(TypeError, match=pattern):
        skae.save(obj, tmp_path / "pipe.skae")
    assert not list(tmp_path.iterdir())


# -- forged bytes on the skops and pickle routes ---------------------------------------


def forged_skops(data, archive, cls=None):
    """The skops file ``data`` with its model's archive replaced, as a forger can.

    With ``cls``, the file names that class for the estimator instead.
    """
    members = members_of(data)
    schema = json.loads(members["schema.json"])
    members[schema["content"]["content"]["_model_archive"]["file"]] = archive
    if cls is not None:
        schema.update(__class__=cls.__name__, __module__=cls.__module__)
    members["schema.json"] = json.dumps(schema).encode()
    return zipped(members, zipfile.ZIP_DEFLATED)


class Forged:
    """Pickles as a ``cls`` with the state ``state``: a pickle as a forger writes it."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    def __reduce__(self):
        return object.__new__, (self.cls,), self.state


def forged_pickle(est, archive, cls=None):
    state = {**est.__getstate__(), "_model_archive": archive}
    return pickle.dumps(Forged(cls or type(est), state))


ROUTES = {
    "skops": lambda data, archive, cls: skops_io.loads(
        forged_skops(data[1], archive, cls),
        trusted=skae.skops_trusted_types() + USERS,
    ),
    "pickle": lambda data, archive, cls: pickle.loads(
        forged_pickle(data[0], archive, cls)
    ),
}
# The strict allowlist for skae's own class; a user's subclass relaxes it for
# Keras's built-ins and registered objects only, and every shape is refused still.
CLASSES = {"skae-class": None, "user-subclass": ShortcutAutoencoder}


def archive_of(est):
    return est.__getstate__()["_model_archive"]


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_refuses_each_published_payload_shape(fitted, guarded, payload, route, cls):
    archive = edited_archive(archive_of(fitted[0]), payload.edit)
    with pytest.raises(ValueError, match=payload.match):
        route(fitted, archive, cls)


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_refuses_path_traversal_inside_the_archive(fitted, guarded, route):
    archive = with_member(archive_of(fitted[0]), TRAVERSAL, b"written outside?")
    with pytest.raises(ValueError, match=TRAVERSAL_MATCH):
        route(fitted, archive, None)
    assert not (guarded / "escaped.txt").exists()


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_refuses_a_legacy_hdf5_model_in_place_of_the_archive(
    fitted, guarded, legacy_h5, route
):
    with pytest.raises(ValueError, match=HDF5_MATCH):
        route(fitted, legacy_h5.read_bytes(), None)


def registered_activation(config):
    shortcut = encoder_layer(config, 1)["config"]["shortcut"]
    shortcut["config"]["activation"] = function_entry("builtins", "skae_tests>halved")


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_registered_objects_are_trusted_for_a_users_subclass_only(fitted, route):
    """Check both sides of the rule: a function registered with Keras in this
    process is refused in the model of skae's own class, and loads in the model
    of a user's subclass."""
    archive = edited_archive(archive_of(fitted[0]), registered_activation)
    with pytest.raises(ValueError, match=r"activation holds a function entry"):
        route(fitted, archive, None)
    loaded = route(fitted, archive, ShortcutAutoencoder)
    assert type(loaded) is ShortcutAutoencoder
    assert (
        loaded._models.model.get_layer("encoder").get_layer("code").shortcut.activation
        is halved
    )


def test_refuses_a_payload_inside_a_skops_pipeline(pipeline, guarded):
    """Check that the check runs for a step deep inside what skops rebuilds."""
    pipe, _ = pipeline
    data = skops_io.dumps(pipe)
    members = members_of(data)
    schema = json.loads(members["schema.json"])
    (step,) = [
        s
        for s in schema["content"]["content"]["steps"]["content"]
        if s["content"][1]["__class__"] == "AutoencoderTransformer"
    ]
    name = step["content"][1]["content"]["content"]["_model_archive"]["file"]
    payload = PAYLOADS["get-file-activation"]
    members[name] = edited_archive(members[name], payload.edit)
    with pytest.raises(ValueError, match=payload.match):
        skops_io.loads(
            zipped(members, zipfile.ZIP_DEFLATED), trusted=skae.skops_trusted_types()
        )


def test_unpickling_refuses_a_model_under_a_keras_with_known_bypasses(
    fitted, monkeypatch
):
    data = pickle.dumps(fitted[0])
    monkeypatch.setattr(keras, "__version__", "3.13.2")
    with pytest.raises(RuntimeError, match=r"Keras 3.13.2.*3.14.0"):
        pickle.loads(data)


def test_a_refusal_names_the_path_and_says_nothing_ran(fitted, guarded):
    archive = edited_archive(archive_of(fitted[0]), PAYLOADS["arbitrary-module"].edit)
    with pytest.raises(ValueError) as info:
        pickle.loads(forged_pickle(fitted[0], archive))
    assert str(info.value) == (
        "Refusing to load the model: config.json.config.layers[1].config.layers[1] "
        "holds subprocess.Popen (registered as None), which skae's models never "
        "hold. A model of your own may name it if you pass "
        "custom_objects={'Popen': ...}. Nothing from the file was run."
    )
