"""skae.callbacks.TimeBudget, and the single progress bar of verbose=1.

What verbose prints off a terminal is checked in tests/test_console.py.
"""

import itertools
import sys

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import skae
from skae import AutoencoderTransformer
from skae.callbacks import TimeBudget


class FakeClock:
    """``time.perf_counter`` that advances ``step`` seconds per reading."""

    def __init__(self, step):
        self.times = itertools.count(0.0, step)

    def __call__(self):
        return next(self.times)


class ScriptedLosses(keras.callbacks.Callback):
    """Sets each epoch's ``val_loss`` and records the weights it ends with."""

    def __init__(self, val_losses):
        super().__init__()
        self.val_losses = val_losses
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.val_losses[epoch]
        self.weights.append(self.model.get_weights())


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_budget_stops_after_the_epoch_that_crosses_it(monkeypatch):
    # Each reading of the clock is one second later: training's start reads it
    # once and each epoch's start and end once, so epoch e ends at 2e + 2.
    monkeypatch.setattr("skae.fitting.budget.time.perf_counter", FakeClock(1.0))
    budget = TimeBudget(7.5)
    X = np.random.default_rng(0).random((16, 4))
    history = small_model().fit(
        X, X, epochs=10, verbose=0, callbacks=[budget], shuffle=False
    )
    assert len(history.history["loss"]) == 4
    assert budget.stopped_epoch == 3
    assert budget.elapsed == 8.0


def test_budget_restores_the_best_epoch_weights(monkeypatch):
    monkeypatch.setattr("skae.fitting.budget.time.perf_counter", FakeClock(1.0))
    script = ScriptedLosses([3.0, 1.0, 2.0, 4.0, 5.0])
    model = small_model()
    X = np.random.default_rng(0).random((16, 4))
    model.fit(X, X, epochs=10, verbose=0, callbacks=[script, TimeBudget(7.5)])
    # Stopped after epoch 3; epoch 1 had the lowest val_loss.
    assert len(script.weights) == 4
    for got, best in zip(model.get_weights(), script.weights[1], strict=True):
        assert_array_equal(got, best)


def test_budget_can_keep_the_last_weights(monkeypatch):
    monkeypatch.setattr("skae.fitting.budget.time.perf_counter", FakeClock(1.0))
    script = ScriptedLosses([3.0, 1.0, 2.0, 4.0, 5.0])
    model = small_model()
    X = np.random.default_rng(0).random((16, 4))
    budget = TimeBudget(7.5, restore_best_weights=False)
    model.fit(X, X, epochs=10, verbose=0, callbacks=[script, budget])
    for got, last in zip(model.get_weights(), script.weights[-1], strict=True):
        assert_array_equal(got, last)


def test_fit_within_the_budget_is_left_alone():
    budget = TimeBudget(3600)
    X = np.random.default_rng(0).random((40, 6))
    est = AutoencoderTransformer(
        2, epochs=3, early_stopping=False, callbacks=[budget], random_state=0
    ).fit(X)
    assert est.n_iter_ == 3
    assert budget.stopped_epoch is None
    assert 0 < budget.elapsed < 3600
    assert 3590 < budget.remaining() <= 3600


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


@pytest.mark.slow
def test_budget_ends_an_estimator_fit_with_its_best_validation_epoch(monkeypatch):
    monkeypatch.setattr("skae.fitting.budget.time.perf_counter", FakeClock(1.0))
    X = np.random.default_rng(0).random((60, 6))
    recorder, budget = Recorder(), TimeBudget(11.5)
    est = AutoencoderTransformer(
        2,
        epochs=50,
        early_stopping=False,
        learning_rate=0.05,
        learning_rate_schedule="constant",
        callbacks=[recorder, budget],
        random_state=0,
    ).fit(X)
    assert est.n_iter_ == 6 == budget.stopped_epoch + 1
    best = int(np.argmin(est.history_["val_loss"]))
    assert best < 5, "the scripted fit should not improve at every epoch"
    for got, kept in zip(est.model_.get_weights(), recorder.weights[best], strict=True):
        assert_array_equal(got, kept)


@pytest.mark.parametrize(
    "seconds, error",
    [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError),
     (float("inf"), ValueError), ("60", TypeError), (True, TypeError)],
)  # fmt: skip
def test_budget_must_be_a_positive_number_of_seconds(seconds, error):
    with pytest.raises(error, match="seconds"):
        TimeBudget(seconds)


def test_callbacks_module_is_reachable_from_the_package():
    assert skae.callbacks.TimeBudget is TimeBudget
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        skae.nothing  # noqa: B018


def test_verbose_1_draws_one_bar_over_the_fit(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # a terminal
    X = np.random.default_rng(0).random((40, 6))
    AutoencoderTransformer(2, epochs=4, verbose=1, random_state=0).fit(X)
    out = capsys.readouterr().out
    # One bar towards the epoch cap, not Keras's bar per epoch.
    assert "Epoch 1/4" not in out
    assert "4/4" in out and "/epoch" in out
    assert "val_loss:" in out and " loss:" in out
    assert out.endswith("\n")


def test_verbose_1_bar_ends_where_early_stopping_ends_the_fit(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # a terminal
    X = np.random.default_rng(0).random((40, 6))
    est = AutoencoderTransformer(
        2, epochs=500, n_iter_no_change=1, tol=0.5, verbose=1, random_state=0
    ).fit(X)
    out = capsys.readouterr().out
    assert est.n_iter_ < 500
    assert f"{est.n_iter_}/500" in out
    assert out.endswith("\n")


def test_verbose_2_keeps_keras_line_per_epoch(capsys):
    X = np.random.default_rng(0).random((40, 6))
    AutoencoderTransformer(2, epochs=2, verbose=2, random_state=0).fit(X)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out


class RateRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))


def test_anneal_lowers_the_rate_along_a_half_cosine_over_the_budget(monkeypatch):
    # The clock is read at the start of training and at each epoch's start and
    # end: epochs last two seconds, and epoch e begins at 2e + 1.
    monkeypatch.setattr("skae.fitting.budget.time.perf_counter", FakeClock(1.0))
    recorder = RateRecorder()
    model = small_model()
    X = np.random.default_rng(0).random((16, 4))
    budget = TimeBudget(20, anneal=True)
    model.fit(X, X, epochs=50, verbose=0, callbacks=[budget, recorder])
    assert budget.stopped_epoch == 9
    progress = [min(1.0, (2 * e + 1 + (2 if e else 0) / 2) / 20) for e in range(10)]
    # SGD's rate starts at 0.01 and never falls below 1% of that.
    expected = [0.01 * max(0.01, (1 + np.cos(np.pi * p)) / 2) for p in progress]
    np.testing.assert_allclose(recorder.rates, expected, rtol=1e-5)


def test_anneal_leaves_a_keras_schedule_alone(monkeypatch):
    monkeypatch.setattr("skae.fitting.budget.time.perf_counter", FakeClock(1.0))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 1000, 0.5)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    X = np.random.default_rng(0).random((16, 4))
    model.fit(X, X, epochs=3, verbose=0, callbacks=[TimeBudget(4.0, anneal=True)])
    assert model.optimizer._learning_rate is schedule
