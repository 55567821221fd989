"""Copies of a fitted estimator: pickle, joblib, deepcopy and clone."""

import copy
import io
import pickle

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from skae import AutoencoderTransformer
from skae.saving.keras_bytes import model_from_bytes, model_to_bytes


def make_data(n_samples=50, n_features=6, seed=0):
    return np.random.default_rng(seed).random((n_samples, n_features))


@pytest.fixture(scope="module")
def fitted():
    X = make_data()
    est = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(5,), epochs=2, random_state=0
    )
    return est.fit(X), X


def joblib_round_trip(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


ROUND_TRIPS = {
    "pickle": lambda est: pickle.loads(pickle.dumps(est)),
    "joblib": joblib_round_trip,
    "deepcopy": copy.deepcopy,
}


@pytest.mark.parametrize("round_trip", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_round_trip_gives_bit_identical_outputs(fitted, round_trip):
    est, X = fitted
    copied = round_trip(est)
    Z = est.transform(X)
    assert_array_equal(copied.transform(X), Z)
    assert_array_equal(copied.inverse_transform(Z), est.inverse_transform(Z))
    assert copied.score(X) == est.score(X)
    assert copied.history_ == est.history_
    assert copied.loss_ == est.loss_


@pytest.mark.parametrize("round_trip", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_round_trip_keeps_weights_shared(fitted, round_trip):
    copied = round_trip(fitted[0])
    shared = {id(w) for w in copied.model_.weights}
    assert {id(w) for w in copied.encoder_.weights + copied.decoder_.weights} == shared
    assert copied.encoder_ is copied.model_.get_layer("encoder")


def test_pickle_stores_keras_archive_not_keras_objects(fitted):
    est, _ = fitted
    state = est.__getstate__()
    assert "model_" not in state and "encoder_" not in state
    archive = state["_model_archive"]
    assert isinstance(archive, bytes) and archive[:2] == b"PK"  # a .keras zip file


def test_warm_start_after_unpickling_keeps_weights_shared():
    X = make_data()
    est = AutoencoderTransformer(n_components=3, epochs=2, random_state=0)
    est = pickle.loads(pickle.dumps(est.fit(X)))
    before = est.transform(X)
    est.set_params(warm_start=True).fit(X)
    after = est.transform(X)
    assert not np.array_equal(before, after)
    Z = est.encoder_(X.astype(np.float32))
    np.testing.assert_allclose(Z, after, rtol=1e-5, atol=1e-6)
    assert est.encoder_ is est.model_.get_layer("encoder")


def test_clone_gives_an_unfitted_copy_with_equal_results(fitted):
    est, X = fitted
    twin = clone(est)
    assert not hasattr(twin, "model_")
    assert twin.get_params() == est.get_params()
    assert_array_equal(twin.fit(X).transform(X), est.transform(X))


def test_unfitted_estimator_pickles_without_archive():
    est = AutoencoderTransformer(n_components=2)
    assert "_model_archive" not in est.__getstate__()
    assert pickle.loads(pickle.dumps(est)).get_params() == est.get_params()


def test_model_bytes_round_trip(fitted):
    # The private model: handing model_ out of the shared fixture would send
    # its later calls through Keras, whose float32 rounding other tests of
    # this module do not expect.
    original = fitted[0]._models.model
    model = model_from_bytes(model_to_bytes(original))
    assert model.get_weights(), "a model without weights would pass vacuously"
    for a, b in zip(model.get_weights(), original.get_weights(), strict=True):
        assert_array_equal(a, b)
