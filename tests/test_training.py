"""The fit loop: early stopping, the NaN guard, the seeded input pipeline."""

import os
import random
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skae import AutoencoderTransformer
from skae._training import TrainingMonitor, make_dataset


class FakeModel:
    """Stands in for a Keras model: its "weights" are the epoch counter."""

    def __init__(self):
        self.epoch = -1
        self.stop_training = False

    def get_weights(self):
        return [self.epoch]

    def set_weights(self, weights):
        self.epoch = weights[0]


def run_monitor(val_losses, **params):
    params = {"early_stopping": True, "n_iter_no_change": 2, "tol": 0.0, **params}
    monitor = TrainingMonitor(**params)
    model = FakeModel()
    monitor.set_model(model)
    monitor.on_train_begin()
    epochs = 0
    for epoch, val_loss in enumerate(val_losses):
        model.epoch = epoch
        monitor.on_epoch_end(epoch, {"loss": 1.0, "val_loss": val_loss})
        epochs += 1
        if model.stop_training:
            break
    monitor.on_train_end()
    return model, epochs


def test_early_stopping_restores_lowest_loss_epoch():
    model, epochs = run_monitor([1.0, 0.5, 0.6, 0.7, 0.1])
    assert epochs == 4
    assert model.epoch == 1


def test_tolerance_is_relative():
    # 0.95 is a 5% gain: not enough for tol=0.1, so training stops after 0.9 too.
    model, epochs = run_monitor([1.0, 0.95, 0.9, 0.5], tol=0.1)
    assert epochs == 3
    assert model.epoch == 2  # the lowest loss is restored even so


def test_without_early_stopping_last_weights_are_kept():
    model, epochs = run_monitor([1.0, 0.5, 0.6, 0.7, 0.8], early_stopping=False)
    assert epochs == 5
    assert model.epoch == 4


def test_non_finite_loss_stops_and_restores_last_finite_epoch():
    with pytest.warns(RuntimeWarning, match="non-finite.*epoch 3.*weights of epoch 2"):
        model, epochs = run_monitor([1.0, 0.9, np.nan, 0.1], early_stopping=False)
    assert epochs == 3
    assert model.epoch == 1


def test_non_finite_first_epoch_restores_initial_weights():
    with pytest.warns(RuntimeWarning, match="from before training"):
        model, _ = run_monitor([np.inf], early_stopping=False)
    assert model.epoch == -1


def test_diverging_fit_warns_and_leaves_finite_model():
    """Check that a forced divergence ends in a usable, finite model."""
    X = np.random.default_rng(0).random((64, 5)) * 1e3
    est = AutoencoderTransformer(
        n_components=2,
        loss="mse",
        optimizer="sgd",
        learning_rate=1e6,
        epochs=20,
        early_stopping=False,
        random_state=0,
    )
    with pytest.warns(RuntimeWarning, match="non-finite"):
        est.fit(X)
    assert est.n_iter_ < 20
    assert np.isfinite(est.transform(X)).all()
    assert all(np.isfinite(w).all() for w in est.model_.get_weights())


class PoisonAt(keras.callbacks.Callback):
    """Record the weights after every epoch; make them NaN as epoch ``at`` begins."""

    def __init__(self, at):
        super().__init__()
        self.at = at
        self.after_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            self.model.set_weights(
                [np.full_like(w, np.nan) for w in self.model.get_weights()]
            )

    def on_epoch_end(self, epoch, logs=None):
        self.after_epoch.append(self.model.get_weights())


def test_nan_forced_mid_training_restores_the_last_finite_epoch():
    X = np.random.default_rng(0).random((64, 6))
    poison = PoisonAt(at=3)
    est = AutoencoderTransformer(
        2, epochs=10, early_stopping=False, callbacks=[poison], random_state=0
    )
    with pytest.warns(RuntimeWarning, match="epoch 4.*weights of epoch 3 were"):
        est.fit(X)
    assert est.n_iter_ == 4
    for restored, recorded in zip(est.model_.get_weights(), poison.after_epoch[2]):
        assert_array_equal(restored, recorded)
    assert np.isfinite(est.transform(X)).all()


def test_early_stopping_restores_the_best_weights_not_the_last():
    X = np.random.default_rng(0).random((64, 6))
    recorder = PoisonAt(at=None)
    est = AutoencoderTransformer(
        2, epochs=60, n_iter_no_change=3, callbacks=[recorder], random_state=0
    )
    est.fit(X)
    best = int(np.argmin(est.history_["val_loss"]))
    assert best < est.n_iter_ - 1  # it stopped after epochs that did not improve
    for restored, recorded in zip(est.model_.get_weights(), recorder.after_epoch[best]):
        assert_array_equal(restored, recorded)


class InterruptAt(keras.callbacks.Callback):
    def __init__(self, batch):
        super().__init__()
        self.batch = batch

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.batch:
            raise KeyboardInterrupt


def test_interrupted_first_fit_leaves_the_estimator_unfitted():
    X = np.random.default_rng(0).random((64, 6))
    est = AutoencoderTransformer(2, batch_size=8, callbacks=[InterruptAt(3)])
    before = dict(vars(est))
    with pytest.raises(KeyboardInterrupt):
        est.fit(X)
    assert vars(est) == before
    assert not hasattr(est, "model_")


def test_interrupted_refit_keeps_the_previous_model():
    X = np.random.default_rng(0).random((64, 6))
    est = AutoencoderTransformer(2, epochs=3, random_state=0).fit(X)
    Z = est.transform(X)
    history = est.history_
    est.set_params(
        callbacks=[InterruptAt(2)],
        batch_size=8,
        random_state=1,
        hidden_layer_sizes=(4,),
    )
    with pytest.raises(KeyboardInterrupt):
        est.fit(X * 0.5)
    assert_array_equal(est.transform(X), Z)
    assert est.history_ == history


def batches(dataset):
    return [x.numpy() for x, _ in dataset]


def test_dataset_visits_every_row_once_per_epoch_in_new_order():
    X = np.arange(10, dtype=np.float32)[:, None]
    epochs = batches(make_dataset(X, batch_size=4, shuffle=True, seed=3, epochs=2))
    assert [len(b) for b in epochs] == [4, 4, 2, 4, 4, 2]
    first, second = np.concatenate(epochs[:3]), np.concatenate(epochs[3:])
    assert sorted(first.ravel()) == sorted(second.ravel()) == list(range(10))
    assert not np.array_equal(first, second)


def test_dataset_order_depends_only_on_seed():
    X = np.arange(50, dtype=np.float32)[:, None]
    a = batches(make_dataset(X, batch_size=8, shuffle=True, seed=1, epochs=1))
    keras.utils.set_random_seed(1234)
    b = batches(make_dataset(X, batch_size=8, shuffle=True, seed=1, epochs=1))
    c = batches(make_dataset(X, batch_size=8, shuffle=True, seed=2, epochs=1))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    ordered = batches(make_dataset(X, batch_size=50, shuffle=False, seed=1, epochs=1))
    assert_array_equal(ordered[0], X)


def fit_codes(random_state, X):
    est = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(6,), epochs=3, random_state=random_state
    )
    return est.fit(X).transform(X)


def test_same_seed_gives_bit_identical_results_in_one_process():
    X = np.random.default_rng(0).random((80, 7))
    assert_array_equal(fit_codes(0, X), fit_codes(0, X))
    assert not np.array_equal(fit_codes(0, X), fit_codes(1, X))


def test_fit_does_not_touch_global_random_state():
    X = np.random.default_rng(0).random((30, 4))
    np.random.seed(7)
    random.seed(7)
    expected = np.random.random(), random.random()
    np.random.seed(7)
    random.seed(7)
    fit_codes(0, X)
    assert (np.random.random(), random.random()) == expected


SUBPROCESS_FIT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from skae import AutoencoderTransformer

    X = np.random.default_rng(0).random((80, 7))
    est = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(6,), epochs=3, random_state=0
    )
    np.save(sys.argv[1], est.fit(X).transform(X))
    """
)


def test_same_seed_gives_bit_identical_results_across_processes(tmp_path):
    X = np.random.default_rng(0).random((80, 7))
    out = tmp_path / "codes.npy"
    subprocess.run(
        [sys.executable, "-c", SUBPROCESS_FIT, str(out)],
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        capture_output=True,
    )
    assert_array_equal(np.load(out), fit_codes(0, X))


@pytest.mark.parametrize("validation_fraction", [0.0, 0.1])
def test_fit_never_holds_a_float64_copy_of_float32_input(validation_fraction):
    """Fit copies float32 input as float32 only.

    Its traced peak is the split (training and validation rows, 1x the input
    with a split) plus the tensor the input pipeline reads (1x): at most about
    2x. A float64 copy would add 2x on its own, on top of the tensor.
    """
    import tracemalloc

    X = np.random.default_rng(0).random((100_000, 64), dtype=np.float32)
    est = AutoencoderTransformer(
        4,
        hidden_layer_sizes=(),
        epochs=1,
        batch_size=1024,
        validation_fraction=validation_fraction,
        random_state=0,
    )
    tracemalloc.start()
    try:
        est.fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * X.nbytes, peak / X.nbytes
