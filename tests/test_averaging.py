"""Fits with an optimizer that averages the weights (Keras's ``use_ema``)."""

import keras
import numpy as np
import pytest
from _fits import PoisonAt, assert_same_fit, interrupted_then_resumed
from numpy.testing import assert_array_equal

from skae import AutoencoderTransformer


def averaging(momentum=0.5):
    return keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=momentum)


def make(callbacks=(), **params):
    params = {
        "hidden_layer_sizes": (4,),
        "epochs": 5,
        "batch_size": 16,
        "early_stopping": False,
        "learning_rate_schedule": "constant",
        "random_state": 0,
        "callbacks": list(callbacks),
        **params,
    }
    return AutoencoderTransformer(2, **params)


def fit(X, callbacks=(), **params):
    return make(callbacks, **params).fit(X)


def test_averages_are_judged_and_returned_while_training_goes_on_unaveraged():
    X = np.random.default_rng(0).random((80, 6))
    plain = fit(X, optimizer=keras.optimizers.Adam(1e-2))
    recorder = PoisonAt(at=None)
    averaged = fit(X, [recorder], optimizer=averaging())
    # The steps train the same weights: the averages never feed back.
    np.testing.assert_allclose(
        averaged.history_["loss"], plain.history_["loss"], rtol=1e-5
    )
    # The held-out rows, the callbacks and the result see the averages.
    assert not np.allclose(averaged.history_["val_loss"], plain.history_["val_loss"])
    for returned, recorded, trained in zip(
        averaged.model_.get_weights(),
        recorder.after_epoch[-1],
        plain.model_.get_weights(),
        strict=True,
    ):
        assert_array_equal(returned, recorded)
        assert not np.allclose(returned, trained)


@pytest.mark.slow
def test_early_stopping_keeps_the_best_epochs_averages():
    """Keras's fit ends by copying the averages into the weights: it must not
    undo the best epoch that early stopping restored."""
    X = np.random.default_rng(0).random((64, 6))
    recorder = PoisonAt(at=None)
    est = fit(
        X,
        [recorder],
        optimizer=averaging(),
        epochs=60,
        early_stopping=True,
        n_iter_no_change=3,
    )
    best = int(np.argmin(est.history_["val_loss"]))
    assert best < est.n_iter_ - 1
    for returned, recorded, at_end in zip(
        est.model_.get_weights(),
        recorder.after_epoch[best],
        recorder.at_train_end,
        strict=True,
    ):
        assert_array_equal(returned, recorded)
        assert_array_equal(returned, at_end)


def test_interrupted_fit_with_averages_resumes_bit_identically(tmp_path):
    """The backup holds the trained weights and their averages, each in its
    place, whatever the model held while callbacks judged the epoch."""
    X = np.random.default_rng(0).random((64, 6))
    params = dict(optimizer=averaging(), epochs=4)
    expected = fit(X, **params)
    resumed = interrupted_then_resumed(
        lambda callbacks: make(callbacks, **params),
        X,
        tmp_path / "backup",
    )
    assert_same_fit(resumed, expected)
