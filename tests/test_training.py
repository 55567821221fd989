"""The fit loop: early stopping, the NaN guard, the seeded input pipeline."""

import copy
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import scipy.sparse as sp
from _fits import (
    InterruptAtEpoch,
    PoisonAt,
    assert_same_fit,
    interrupted_then_resumed,
)
from numpy.testing import assert_array_equal

from skae import AutoencoderTransformer
from skae.fitting import loop
from skae.fitting.augment import with_mirror_images
from skae.fitting.data import make_dataset
from skae.fitting.monitor import TrainingMonitor


class FakeModel:
    """Stands in for a Keras model: its "weights" are the epoch counter."""

    weights = variables = ()  # no random generators to back up

    def __init__(self):
        self.epoch = -1
        self.stop_training = False

    def get_weights(self):
        return [self.epoch]

    def set_weights(self, weights):
        self.epoch = weights[0]


def start_monitor(n_epochs, start=0, **params):
    """A monitor of a fit of ``n_epochs``, begun (or resumed after ``start``)."""
    params = {"early_stopping": True, "n_iter_no_change": 2, "tol": 0.0, **params}
    monitor = TrainingMonitor(start=start, **params)
    model = FakeModel()
    model.epoch = start - 1  # a backup restores the weights of the last epoch
    monitor.set_model(model)
    monitor.set_params({"epochs": n_epochs})
    monitor.on_train_begin()
    return monitor, model


def feed(monitor, model, val_losses, epochs):
    """Run ``epochs`` through ``monitor`` as Keras does; return how many ran."""
    n_run = 0
    for epoch in epochs:
        model.epoch = epoch
        monitor.on_epoch_end(epoch, {"loss": 1.0, "val_loss": val_losses[epoch]})
        n_run += 1
        if model.stop_training:
            break
    return n_run


def run_monitor(val_losses, **params):
    monitor, model = start_monitor(len(val_losses), **params)
    epochs = feed(monitor, model, val_losses, range(len(val_losses)))
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


@pytest.mark.parametrize("killed_after", [1, 2, 3])
def test_monitor_state_comes_back_from_the_backup(tmp_path, killed_after):
    """Check that patience, the best epoch, its weights and the history survive
    a kill after ``killed_after`` epochs."""
    val_losses = [1.0, 0.5, 0.6, 0.7, 0.1]  # stops after 4 epochs; the 2nd is best
    monitor, model = start_monitor(5, backup_dir=str(tmp_path))
    feed(monitor, model, val_losses, range(killed_after))  # no on_train_end
    monitor, model = start_monitor(5, killed_after, backup_dir=str(tmp_path))
    n_run = feed(monitor, model, val_losses, range(killed_after, 5))
    monitor.on_train_end()
    assert killed_after + n_run == 4
    assert model.epoch == 1
    assert monitor.history == {"loss": [1.0] * 4, "val_loss": val_losses[:4]}


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


def test_nan_forced_mid_training_restores_the_last_finite_epoch():
    X = np.random.default_rng(0).random((64, 6))
    poison = PoisonAt(at=3)
    est = AutoencoderTransformer(
        2, epochs=10, early_stopping=False, callbacks=[poison], random_state=0
    )
    with pytest.warns(RuntimeWarning, match="epoch 4.*weights of epoch 3 were"):
        est.fit(X)
    assert est.n_iter_ == 4
    for restored, recorded in zip(
        est.model_.get_weights(), poison.after_epoch[2], strict=True
    ):
        assert_array_equal(restored, recorded)
    assert np.isfinite(est.transform(X)).all()


@pytest.mark.slow
def test_early_stopping_restores_the_best_weights_not_the_last():
    X = np.random.default_rng(0).random((64, 6))
    recorder = PoisonAt(at=None)
    est = AutoencoderTransformer(
        2,
        epochs=60,
        n_iter_no_change=3,
        learning_rate_schedule="constant",
        callbacks=[recorder],
        random_state=0,
    )
    est.fit(X)
    best = int(np.argmin(est.history_["val_loss"]))
    assert best < est.n_iter_ - 1  # it stopped after epochs that did not improve
    for restored, recorded in zip(
        est.model_.get_weights(), recorder.after_epoch[best], strict=True
    ):
        assert_array_equal(restored, recorded)
    # Callbacks that act when training ends see the final weights already.
    for restored, at_end in zip(
        est.model_.get_weights(), recorder.at_train_end, strict=True
    ):
        assert_array_equal(restored, at_end)


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
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    ordered = batches(make_dataset(X, batch_size=50, shuffle=False, seed=1, epochs=1))
    assert_array_equal(ordered[0], X)


def flip_states(rows, originals, image_shape):
    """For each row, which of ``originals``' mirror images it is: 0 none,
    1 left-right, 2 up-down, 3 both; -1 when it is none of them."""
    images = originals.reshape(-1, *image_shape)
    versions = [
        images,
        images[:, :, ::-1],
        images[:, ::-1, :],
        images[:, ::-1, ::-1],
    ]
    versions = [v.reshape(len(originals), -1) for v in versions]
    states = []
    for row in rows:
        found = [s for s, v in enumerate(versions) if (v == row).all(axis=1).any()]
        states.append(found[0] if found else -1)
    return np.array(states)


@pytest.mark.parametrize(
    "random_flip, expected",
    [
        ("horizontal", {0, 1}),
        ("vertical", {0, 2}),
        ("horizontal_and_vertical", {0, 1, 2, 3}),
    ],
)
def test_random_flips_mirror_inputs_and_targets_alike(random_flip, expected):
    """Each row comes as it is or mirrored, about half of the time each way,
    its target mirrored with it, anew every epoch and the same for a seed."""
    rng = np.random.default_rng(0)
    # Distinct, asymmetric 3 x 4 images, so that every mirror image is told apart.
    X = rng.permutation(200 * 12).reshape(200, 12).astype(np.float32)
    T = X + 10_000
    shape = (3, 4, 1)

    def pairs(seed):
        dataset = make_dataset(
            X,
            targets=T,
            batch_size=64,
            shuffle=True,
            seed=seed,
            epochs=2,
            random_flip=random_flip,
            image_shape=shape,
        )
        inputs, targets = zip(
            *((x.numpy(), t.numpy()) for x, t in dataset), strict=True
        )
        return np.concatenate(inputs), np.concatenate(targets)

    inputs, targets = pairs(0)
    states = flip_states(inputs, X, shape[:2])
    assert_array_equal(states, flip_states(targets - 10_000, X, shape[:2]))
    assert set(states) == expected
    for axis_state in {1, 2} & expected:
        flipped = np.isin(states, [axis_state, 3]).mean()
        assert 0.4 < flipped < 0.6, flipped
    # Both epochs hold every row once, flipped anew.
    first, second = states[:200], states[200:]
    assert not np.array_equal(first, second)
    again, _ = pairs(0)
    assert_array_equal(again, inputs)
    assert not np.array_equal(pairs(1)[0], inputs)
    # Without targets, each target is its input, mirrored or not.
    (x, t), *_ = make_dataset(
        X,
        batch_size=200,
        shuffle=False,
        seed=0,
        epochs=1,
        random_flip=random_flip,
        image_shape=shape,
    )
    assert_array_equal(x.numpy(), t.numpy())
    assert 0 < (flip_states(x.numpy(), X, shape[:2]) != 0).mean() < 1


def test_random_flips_come_before_the_noise():
    """The noise corrupts the mirrored input: the target is the mirror image
    of the clean row, not of a noisy one."""
    X = np.random.default_rng(0).random((64, 16)).astype(np.float32)
    (x, t), *_ = make_dataset(
        X,
        batch_size=64,
        shuffle=False,
        seed=0,
        epochs=1,
        noise_type="gaussian",
        noise=0.1,
        random_flip="horizontal",
        image_shape=(4, 4, 1),
    )
    x, t = x.numpy(), t.numpy()
    states = flip_states(t, X, (4, 4))
    assert set(states) == {0, 1}
    residual = x - t
    assert 0.05 < residual.std() < 0.15


def test_mirror_images_permute_the_columns_of_dense_and_sparse_rows():
    """The rows a PCA start with flips is computed from: every row, then each
    of its mirror images."""
    X = np.arange(24, dtype=np.float64).reshape(2, 12)
    shape = (2, 3, 2)
    images = X.reshape(2, *shape)
    versions = {
        "horizontal": [images, images[:, :, ::-1]],
        "vertical": [images, images[:, ::-1]],
        "horizontal_and_vertical": [
            images,
            images[:, ::-1],
            images[:, :, ::-1],
            images[:, ::-1, ::-1],
        ],
    }
    for random_flip, expected in versions.items():
        rows = with_mirror_images(X, random_flip, shape)
        assert_array_equal(rows, np.concatenate([v.reshape(2, 12) for v in expected]))
        sparse = with_mirror_images(sp.csr_matrix(X), random_flip, shape)
        assert sp.issparse(sparse)
        assert_array_equal(sparse.toarray(), rows)


def test_random_flips_need_an_image_shape():
    X = np.zeros((4, 6), dtype=np.float32)
    with pytest.raises(ValueError, match="random_flip='horizontal' mirrors images"):
        make_dataset(
            X, batch_size=2, shuffle=False, seed=0, epochs=1, random_flip="horizontal"
        )


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


@pytest.mark.slow
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


TRACED_FIT = textwrap.dedent(
    """
    import sys
    import tracemalloc
    import numpy as np
    from skae import AutoencoderTransformer

    X = np.random.default_rng(0).random((200_000, 64), dtype=np.float32)
    est = AutoencoderTransformer(
        4,
        hidden_layer_sizes=(),
        epochs=1,
        batch_size=1024,
        validation_fraction=float(sys.argv[1]),
        random_state=0,
    )
    # Imports and the first compiled training step allocate once per process.
    est.fit(X[:40_000])
    tracemalloc.start()
    est.fit(X)
    print(tracemalloc.get_traced_memory()[1] / X.nbytes)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("validation_fraction", [0.0, 0.1])
def test_fit_never_holds_a_float64_copy_of_float32_input(validation_fraction):
    """Fit copies float32 input as float32 only.

    Its traced peak is the split (training and validation rows, 1x the input
    with a split) plus the tensor the input pipeline reads (1x): at most about
    2x. A float64 copy would add 2x on its own, on top of the tensor. Measured
    in a fresh interpreter: tracemalloc sees every thread of its process, and
    the pipelines other tests left behind may still be allocating.
    """
    result = subprocess.run(
        [sys.executable, "-c", TRACED_FIT, str(validation_fraction)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    peak = float(result.stdout.split()[-1])
    assert peak < 2.5, peak


# -- resuming a fit from keras.callbacks.BackupAndRestore ---------------------------

KILLABLE_FIT = textwrap.dedent(
    """
    import json
    import sys
    import time
    from pathlib import Path

    import keras
    import numpy as np
    from skae import AutoencoderTransformer

    out, backup_dir, marker, params = sys.argv[1:]


    class Marker(keras.callbacks.Callback):
        \"\"\"Note the run's first epoch; after each, write it and pause.\"\"\"

        first_epoch = None

        def on_epoch_begin(self, epoch, logs=None):
            if self.first_epoch is None:
                self.first_epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            Path(marker).write_text(str(epoch))
            time.sleep(0.2)


    marks = Marker()
    callbacks = [marks]
    if backup_dir != "-":
        callbacks.append(keras.callbacks.BackupAndRestore(backup_dir))
    X = np.random.default_rng(0).random((400, 12))
    est = AutoencoderTransformer(
        3,
        hidden_layer_sizes=(8,),
        pca_shortcut=False,
        learning_rate=1e-2,
        random_state=0,
        callbacks=callbacks,
        **{"batch_size": 32, **json.loads(params)},
    ).fit(X)
    np.savez(out, *est.model_.get_weights())
    Path(out).with_suffix(".json").write_text(
        json.dumps(
            {
                "history": est.history_,
                "n_iter": est.n_iter_,
                "first_epoch": marks.first_epoch,
            }
        )
    )
    """
)


def start_fit(tmp_path, name, params, backup_dir="-"):
    """Start KILLABLE_FIT in a fresh interpreter; return the process and paths.

    Its output goes to ``name.log``, which ``stop_all`` closes.
    """
    out, marker = tmp_path / f"{name}.npz", tmp_path / f"{name}.marker"
    log = open(tmp_path / f"{name}.log", "ab")
    args = [out, backup_dir, marker, json.dumps(params)]
    process = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_FIT, *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    process.log = log
    return process, out, marker


def stop_all(processes):
    """Kill the processes still running, and close every log."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.log.close()


def assert_fit_succeeds(process, timeout=180):
    process.wait(timeout=timeout)
    assert process.returncode == 0, Path(process.log.name).read_text()[-3000:]


def read_fit(out):
    """The weights and the JSON summary KILLABLE_FIT wrote to ``out``."""
    with np.load(out) as arrays:
        weights = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    return weights, json.loads(out.with_suffix(".json").read_text())


def wait_for_epoch(process, marker, epoch, timeout=180):
    """Wait until ``marker`` shows an epoch at or past ``epoch``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        text = marker.read_text() if marker.exists() else ""
        if text and int(text) >= epoch:
            return
        time.sleep(0.02)
    raise AssertionError(f"the fit did not reach epoch {epoch} (rc {process.poll()})")


@pytest.mark.slow
@pytest.mark.parametrize(
    "params, kill_after",
    [
        ({"epochs": 12, "early_stopping": False, "noise": 0.1, "dropout": 0.2}, 3),
        # Here the loss improves by less than tol at epochs 9 to 11 (1-based),
        # and the fit stops after the 11th: one killed after the 9th that
        # forgot its patience when it resumed would stop later.
        (
            {
                "epochs": 20,
                "n_iter_no_change": 3,
                "tol": 0.0035,
                "learning_rate_schedule": "constant",
            },
            8,
        ),
        # The plateau schedule halves the rate after every epoch that improves
        # by less than 0.45% (1% for 90 steps of the 200 it is set for): a
        # resumed fit must go on with the halved rate, the count since the
        # last halving and the loss a plateau must beat. Epochs of 90 steps
        # end the warm-up after the 3rd.
        (
            {
                "epochs": 12,
                "early_stopping": False,
                "n_iter_no_change": 2,
                "tol": 0.0035,
                "batch_size": 4,
            },
            7,
        ),
        # Nested dropout draws prefix lengths from its own generator, and the
        # validation loss is the prefixes' mean.
        ({"epochs": 10, "early_stopping": False, "ordered": True}, 4),
    ],
    ids=["noise_and_dropout", "early_stopping", "plateau_schedule", "ordered"],
)
def test_fit_killed_and_run_again_ends_as_an_uninterrupted_fit(
    tmp_path, params, kill_after
):
    """Check that a SIGKILLed fit resumes from its backup to the same result.

    The fit is killed once it has finished epoch ``kill_after`` (0-based); the
    reference fit runs alongside, in a process of its own. The resumed fit
    must end with bit-identical weights, the whole history and the same
    n_iter_; with early stopping, the stop comes after the resume.
    """
    backup_dir = str(tmp_path / "backup")
    processes = []
    try:
        reference, reference_out, _ = start_fit(tmp_path, "reference", params)
        processes.append(reference)
        killed, out, marker = start_fit(tmp_path, "killed", params, backup_dir)
        processes.append(killed)
        wait_for_epoch(killed, marker, kill_after)
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(timeout=60) == -signal.SIGKILL
        assert not out.exists()
        resumed, out, _ = start_fit(tmp_path, "resumed", params, backup_dir)
        processes.append(resumed)
        assert_fit_succeeds(resumed)
        assert_fit_succeeds(reference)
    finally:
        stop_all(processes)
    weights, summary = read_fit(out)
    expected_weights, expected = read_fit(reference_out)
    assert kill_after <= summary["first_epoch"] < expected["n_iter"]
    if params.get("early_stopping", True):
        assert expected["n_iter"] < params["epochs"]
    for resumed_weight, expected_weight in zip(weights, expected_weights, strict=True):
        assert_array_equal(resumed_weight, expected_weight)
    assert summary["history"] == expected["history"]
    assert summary["n_iter"] == expected["n_iter"]
    assert not os.path.exists(backup_dir)


class BackupDyingAt(keras.callbacks.BackupAndRestore):
    """A backup whose fit dies at the end of epoch ``at``, before it saves.

    skae's own state for that epoch is saved by then, so the backup ends one
    epoch behind it, as after a kill between the two.
    """

    def __init__(self, backup_dir, at):
        super().__init__(backup_dir)
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt
        super().on_epoch_end(epoch, logs)


def small_fit(X, callbacks=(), **params):
    """A fit short enough to run eagerly (see EAGER_MAX_STEPS)."""
    params = {
        "hidden_layer_sizes": (4,),
        "pca_shortcut": False,
        "learning_rate": 1e-2,
        "epochs": 4,
        "batch_size": 32,
        "random_state": 0,
        "callbacks": list(callbacks),
        **params,
    }
    return AutoencoderTransformer(2, **params).fit(X)


@pytest.mark.parametrize("interrupted", ["epoch_begin", "between_backups"])
def test_interrupted_eager_fit_resumes_bit_identically(tmp_path, interrupted):
    """Check a resume in one process, where the fit runs eagerly.

    ``between_backups`` stops after skae saved its state for the third epoch
    but before Keras did: the fit must go on from the state before.
    """
    X = np.random.default_rng(0).random((64, 6))
    params = {"noise": 0.1, "dropout": 0.2, "early_stopping": False}
    expected = small_fit(X, **params)
    backup_dir = tmp_path / "backup"
    stop = (
        [InterruptAtEpoch(2), keras.callbacks.BackupAndRestore(backup_dir)]
        if interrupted == "epoch_begin"
        else [BackupDyingAt(backup_dir, 2)]
    )
    with pytest.raises(KeyboardInterrupt):
        small_fit(X, stop, **params)
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2
    assert (backup_dir / "skae_state_3.npz").exists() == (interrupted != "epoch_begin")
    resumed = small_fit(X, [keras.callbacks.BackupAndRestore(backup_dir)], **params)
    assert_same_fit(resumed, expected)


def test_interrupted_fit_with_random_flips_resumes_bit_identically(tmp_path):
    """The flips of every batch depend on the seed and the step alone."""
    from skae import ConvAutoencoderTransformer

    X = np.random.default_rng(0).random((64, 16))
    params = dict(
        image_shape=(4, 4),
        filters=(2,),
        epochs=4,
        batch_size=16,
        random_flip="horizontal_and_vertical",
        noise=0.1,
        early_stopping=False,
        random_state=0,
    )
    expected = ConvAutoencoderTransformer(2, **params).fit(X)
    resumed = interrupted_then_resumed(
        lambda callbacks: ConvAutoencoderTransformer(2, callbacks=callbacks, **params),
        X,
        tmp_path / "backup",
    )
    assert_same_fit(resumed, expected)
    unflipped = ConvAutoencoderTransformer(2, **{**params, "random_flip": None})
    assert unflipped.fit(X).history_ != expected.history_


def test_interrupted_fit_in_a_pca_basis_resumes_bit_identically(tmp_path):
    """The twin that trains a network with a basis is backed up and restored."""
    X = np.random.default_rng(0).random((240, 30))
    params = dict(
        hidden_layer_sizes=(16,),
        pca_basis=10,
        epochs=4,
        batch_size=32,
        early_stopping=False,
        random_state=0,
    )
    expected = AutoencoderTransformer(3, **params).fit(X)
    resumed = interrupted_then_resumed(
        lambda callbacks: AutoencoderTransformer(3, callbacks=callbacks, **params),
        X,
        tmp_path / "backup",
    )
    assert resumed.pca_basis_ == 10
    assert_same_fit(resumed, expected)


@pytest.mark.parametrize("interrupt_at", [None, 3])
def test_nan_guard_with_backup_restores_the_last_finite_epoch(tmp_path, interrupt_at):
    """Check the NaN guard with a backup, also when the first resumed epoch
    diverges: the last finite weights are then the backup's."""
    X = np.random.default_rng(0).random((64, 6))
    backup_dir = tmp_path / "backup"
    recorder = PoisonAt(at=None)
    params = {"epochs": 8, "early_stopping": False}
    if interrupt_at is not None:
        backup = keras.callbacks.BackupAndRestore(backup_dir)
        with pytest.raises(KeyboardInterrupt):
            small_fit(X, [InterruptAtEpoch(3), recorder, backup], **params)
    poison = PoisonAt(at=3)
    backup = keras.callbacks.BackupAndRestore(backup_dir)
    with pytest.warns(RuntimeWarning, match="epoch 4.*weights of epoch 3 were"):
        est = small_fit(X, [poison, backup], **params)
    after_epoch = poison.after_epoch if interrupt_at is None else recorder.after_epoch
    for restored, recorded in zip(
        est.model_.get_weights(), after_epoch[2], strict=True
    ):
        assert_array_equal(restored, recorded)
    assert est.n_iter_ == len(est.history_["loss"]) == 4
    assert not backup_dir.exists()


class EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


@pytest.mark.slow
def test_warm_start_with_backup_resumes_the_interrupted_refit(tmp_path):
    """Check warm_start with a backup.

    A warm refit interrupted and run again resumes from the backup, and ends as
    an uninterrupted warm refit. The next warm refit, with no backup left,
    starts from the fitted model and runs every epoch.
    """
    X = np.random.default_rng(0).random((64, 6))
    backup_dir = tmp_path / "backup"
    est = small_fit(
        X, [keras.callbacks.BackupAndRestore(backup_dir)], early_stopping=False
    )
    expected = copy.deepcopy(est).set_params(warm_start=True, callbacks=None)
    before = est.model_.get_weights()
    est.set_params(
        warm_start=True,
        callbacks=[InterruptAtEpoch(2), keras.callbacks.BackupAndRestore(backup_dir)],
    )
    with pytest.raises(KeyboardInterrupt):
        est.fit(X)
    for weight, before_weight in zip(est.model_.get_weights(), before, strict=True):
        assert_array_equal(weight, before_weight)
    est.set_params(callbacks=[keras.callbacks.BackupAndRestore(backup_dir)])
    assert_same_fit(est.fit(X), expected.fit(X))
    counter = EpochCounter()
    est.set_params(callbacks=[counter, keras.callbacks.BackupAndRestore(backup_dir)])
    est.fit(X)
    assert counter.epochs == list(range(4))


def test_completed_fit_removes_its_backup_so_the_next_fit_starts_afresh(tmp_path):
    X = np.random.default_rng(0).random((64, 6))
    backup_dir = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        small_fit(
            X, [InterruptAtEpoch(2), keras.callbacks.BackupAndRestore(backup_dir)]
        )
    assert any(backup_dir.glob("skae_state_*.npz"))
    first = small_fit(X, [keras.callbacks.BackupAndRestore(backup_dir)])
    assert not backup_dir.exists()
    counter = EpochCounter()
    second = small_fit(X, [counter, keras.callbacks.BackupAndRestore(backup_dir)])
    assert counter.epochs == list(range(second.n_iter_))
    assert_same_fit(second, first)
    assert not backup_dir.exists()


def test_kept_backup_of_a_finished_fit_gives_its_result(tmp_path):
    """Check that a backup kept with delete_checkpoint=False, here of a fit that
    stopped early, makes the next fit run no epoch and return that result."""
    X = np.random.default_rng(0).random((64, 6))
    backup_dir = tmp_path / "backup"
    params = {"epochs": 12, "tol": 0.01, "n_iter_no_change": 2}

    def kept():
        return keras.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False)

    first = small_fit(X, [kept()], **params)
    assert first.n_iter_ < 12
    counter = EpochCounter()
    again = small_fit(X, [counter, kept()], **params)
    assert counter.epochs == []
    assert_same_fit(again, first)


def test_backup_not_made_by_skae_is_refused(tmp_path):
    X = np.random.default_rng(0).random((64, 6))
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    (backup_dir / "training_metadata.json").write_text('{"epoch": 2, "batch": 0}')
    est = AutoencoderTransformer(
        2, callbacks=[keras.callbacks.BackupAndRestore(backup_dir)]
    )
    with pytest.raises(ValueError, match="after epoch 2, but holds no skae state"):
        est.fit(X)
    assert not hasattr(est, "model_")


def test_two_backups_are_refused():
    X = np.random.default_rng(0).random((64, 6))
    callbacks = [keras.callbacks.BackupAndRestore(f"backup{i}") for i in range(2)]
    est = AutoencoderTransformer(2, callbacks=callbacks)
    with pytest.raises(ValueError, match="one keras.callbacks.BackupAndRestore.*got 2"):
        est.fit(X)


def plateau_run(val_losses, patience, learning_rate=None, warmup=0, plateau_tol=None):
    """Learning rates after each epoch of a monitored fit with a plateau schedule."""
    monitor, model = start_monitor(
        len(val_losses),
        early_stopping=False,
        plateau_patience=patience,
        plateau_warmup=warmup,
        plateau_tol=plateau_tol,
    )
    model.optimizer = keras.optimizers.Adam(learning_rate or 1.0)
    rates = []
    for epoch, loss in enumerate(val_losses):
        monitor.on_epoch_end(epoch, {"loss": 1.0, "val_loss": loss})
        rates.append(float(model.optimizer.learning_rate))
    return rates


def test_plateau_schedule_halves_the_rate_after_epochs_without_improvement():
    losses = [5.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    # Two epochs without improvement halve it, and the count starts again.
    assert plateau_run(losses, patience=2) == [
        1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125,
    ]  # fmt: skip
    assert plateau_run(losses, patience=None) == [1.0] * 10


def test_plateau_schedule_halves_the_rate_when_the_gains_are_small():
    # Every epoch improves on the last by 0.5%: progress for tol=0, but a
    # plateau for plateau_tol=0.01, which each halving starts again from the
    # lowest loss.
    losses = [0.995**epoch for epoch in range(7)]
    assert plateau_run(losses, patience=2) == [1.0] * 7
    assert plateau_run(losses, patience=2, plateau_tol=0.01) == [
        1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125,
    ]  # fmt: skip
    # A gain of 1% or more from where the plateau began ends it.
    losses = [1.0, 0.995, 0.98, 0.975, 0.97, 0.96]
    assert plateau_run(losses, patience=2, plateau_tol=0.01) == [1.0] * 6


def test_fit_counts_plateaus_by_the_larger_of_tol_and_plateau_tol(monkeypatch):
    seen = []
    original = loop.TrainingMonitor.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self.plateau_tol)

    monkeypatch.setattr(loop.TrainingMonitor, "__init__", record)
    assert (loop.PLATEAU_TOL, loop.PLATEAU_TOL_STEPS) == (0.01, 200)
    # 400 rows less the 10% held out: 360 rows, in steps of 1 or of 4 rows.
    X = np.random.default_rng(0).random((400, 6))
    for tol, batch_size in ((1e-4, 1), (1e-4, 4), (0.05, 1)):
        AutoencoderTransformer(
            2, epochs=1, tol=tol, batch_size=batch_size, random_state=0
        ).fit(X)
    # An epoch of 200 steps or more needs 1%, one of 90 steps 0.45%.
    assert seen == pytest.approx([0.01, 0.0045, 0.05])


def test_plateau_schedule_counts_no_epoch_of_the_warm_up():
    losses = [5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    # Epochs 1 to 4 (0-based) do not improve, but only 4 and after count.
    assert plateau_run(losses, patience=2, warmup=4) == [
        1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25,
    ]  # fmt: skip


def test_plateau_schedule_leaves_a_keras_schedule_alone():
    schedule = keras.optimizers.schedules.ExponentialDecay(1.0, 1000, 0.5)
    assert plateau_run([1.0] * 6, patience=1, learning_rate=schedule) == [1.0] * 6


def test_plateau_state_is_backed_up_with_the_monitor(tmp_path):
    monitor, model = start_monitor(
        10, backup_dir=str(tmp_path), plateau_patience=3, early_stopping=False
    )
    model.optimizer = keras.optimizers.Adam(1.0)
    feed(monitor, model, [3.0, 2.0, 2.0, 2.0], range(4))
    resumed, _ = start_monitor(
        10, start=4, backup_dir=str(tmp_path), plateau_patience=3
    )
    assert resumed.plateau_wait == monitor.plateau_wait == 2
    assert resumed.plateau_best == monitor.plateau_best == 2.0


@pytest.mark.parametrize("schedule", ["plateau", "constant"])
def test_learning_rate_schedule_of_a_fit(schedule):
    # Adam with a rate this high makes no progress on the validation rows:
    # the plateau schedule halves it, the constant one keeps it. Epochs of
    # 54 steps end the warm-up of 200 steps after the 4th.
    X = np.random.default_rng(0).random((60, 6))
    est = AutoencoderTransformer(
        2,
        epochs=30,
        batch_size=1,
        learning_rate=0.5,
        learning_rate_schedule=schedule,
        early_stopping=False,
        random_state=0,
    ).fit(X)
    rate = float(est.model_.optimizer.learning_rate)
    if schedule == "constant":
        assert rate == pytest.approx(0.5)
    else:
        assert rate < 0.5
        assert np.log2(0.5 / rate) == pytest.approx(round(np.log2(0.5 / rate)))


def test_plateau_schedule_waits_for_the_warm_up_steps():
    """Epochs of one step each: 30 of them are within the warm-up."""
    assert loop.PLATEAU_WARMUP_STEPS == 200
    X = np.random.default_rng(0).random((60, 6))
    est = AutoencoderTransformer(
        2, epochs=30, learning_rate=0.5, early_stopping=False, random_state=0
    ).fit(X)
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.5)


def test_learning_rate_schedule_is_validated():
    X = np.random.default_rng(0).random((20, 4))
    with pytest.raises(ValueError, match="learning_rate_schedule"):
        AutoencoderTransformer(2, learning_rate_schedule="cosine").fit(X)
