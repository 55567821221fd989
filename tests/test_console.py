"""What a fit prints: a bar on a terminal, a few plain lines elsewhere, how it ended.

Also: a process that fits, transforms and inverse-transforms many models prints
no TensorFlow warning about retracing.
"""

import itertools
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from skae import AutoencoderTransformer
from skae.callbacks import TimeBudget
from skae.fitting.monitor import TrainingMonitor
from skae.fitting.progress import MAX_LINES, FitProgress

CONTROL = ("\x1b", "\r", "\b")
PROGRESS_LINE = re.compile(
    r"^Epoch \d+/\d+ - loss: \S+( - val_loss: \S+)? - \d+\.\ds$", re.MULTILINE
)


def small_data():
    return np.random.default_rng(0).random((40, 6))


def lines_of(out):
    assert not any(c in out for c in CONTROL), repr(out[:200])
    assert out.endswith("\n")
    return out.splitlines()


class FakeModel:
    stop_training = False


def run_progress(n_epochs, *, start=0, stop_after=None):
    """Drive a FitProgress as Keras does, without training anything."""
    monitor = TrainingMonitor(False, 10, 0.0)
    progress = FitProgress(n_epochs, monitor, start=start, rows=(90, 10))
    model = FakeModel()
    progress.set_model(model)
    progress.on_train_begin()
    for epoch in range(start, n_epochs):
        logs = {"loss": 1.0 / (epoch + 1), "val_loss": 2.0 / (epoch + 1)}
        monitor.history.setdefault("loss", []).append(logs["loss"])
        monitor.history.setdefault("val_loss", []).append(logs["val_loss"])
        model.stop_training = epoch + 1 == stop_after
        progress.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    progress.on_train_end()


def test_verbose_1_off_a_terminal_prints_plain_lines(capsys):
    """Check that a captured stream gets lines, not a bar's control codes."""
    AutoencoderTransformer(2, epochs=4, verbose=1, random_state=0).fit(small_data())
    lines = lines_of(capsys.readouterr().out)
    assert lines[0] == "Training up to 4 epochs on 36 rows, validating on 4."
    assert [line.split(" - ")[0] for line in lines[1:-1]] == [
        f"Epoch {i}/4" for i in range(1, 5)
    ]
    assert all(PROGRESS_LINE.match(line) for line in lines[1:-1])
    assert re.fullmatch(
        r"Ran all 4 epochs in \d+\.\ds; kept the weights of epoch \d "
        r"\(val_loss \d\.\d{4}\)\.",
        lines[-1],
    )


@pytest.mark.parametrize(
    "n_epochs, start, stop_after",
    [(200, 0, None), (205, 0, None), (1000, 0, 999), (7, 0, None), (200, 37, None)],
)
def test_plain_lines_are_bounded_whatever_the_number_of_epochs(
    capsys, n_epochs, start, stop_after
):
    run_progress(n_epochs, start=start, stop_after=stop_after)
    lines = lines_of(capsys.readouterr().out)
    progress = [line for line in lines if PROGRESS_LINE.match(line)]
    assert len(lines) == len(progress) + 2  # the first and the last line
    assert len(progress) <= min(n_epochs - start, MAX_LINES + 1)
    last = stop_after or n_epochs
    assert progress[0].startswith(f"Epoch {start + 1}/{n_epochs} - ")
    assert progress[-1].startswith(f"Epoch {last}/{n_epochs} - ")
    verb = f"Resuming after epoch {start} of" if start else "Training"
    assert lines[0] == f"{verb} up to {n_epochs} epochs on 90 rows, validating on 10."


@pytest.mark.slow
def test_verbose_1_written_to_a_file_stays_short_and_plain(tmp_path):
    """Check that a real file (where Keras's bar draws all the same) gets lines."""
    script = textwrap.dedent(
        """
        import numpy as np
        from skae import AutoencoderTransformer

        X = np.random.default_rng(0).random((20, 4))
        AutoencoderTransformer(
            2, epochs=200, early_stopping=False, verbose=1, random_state=0
        ).fit(X)
        """
    )
    path = tmp_path / "fit.log"
    with open(path, "w") as f:
        subprocess.run(
            [sys.executable, "-c", script], stdout=f, stderr=subprocess.PIPE, check=True
        )
    lines = lines_of(path.read_text())
    assert len(lines) <= MAX_LINES + 3
    assert lines[-2].startswith("Epoch 200/200 - ")
    assert lines[-1].startswith("Ran all 200 epochs in ")


@pytest.mark.slow
def test_early_stopping_says_why_and_which_epoch_was_kept(capsys):
    est = AutoencoderTransformer(
        2, epochs=500, n_iter_no_change=3, tol=0.5, verbose=1, random_state=0
    ).fit(small_data())
    last = lines_of(capsys.readouterr().out)[-1]
    val_loss = est.history_["val_loss"]
    best = int(np.argmin(val_loss))
    assert est.n_iter_ < 500
    assert last == (
        f"Early stopping after epoch {est.n_iter_}: val_loss did not improve by "
        f"tol=0.5 (relative) for 3 epochs; kept the weights of epoch {best + 1} "
        f"(val_loss {val_loss[best]:.4f})."
    )


def test_nan_guard_says_why_and_which_epoch_was_kept(capsys):
    est = AutoencoderTransformer(
        2,
        loss="mse",
        optimizer="sgd",
        learning_rate=1e6,
        epochs=20,
        early_stopping=False,
        verbose=1,
        random_state=0,
    )
    with pytest.warns(RuntimeWarning, match="non-finite"):
        est.fit(np.random.default_rng(0).random((64, 5)) * 1e3)
    last = lines_of(capsys.readouterr().out)[-1]
    assert est.n_iter_ < 20
    assert last.startswith(
        f"The NaN guard stopped training after epoch {est.n_iter_}: "
    )
    if est.n_iter_ > 1:
        assert f"kept the weights of epoch {est.n_iter_ - 1} (" in last
    else:
        assert last.endswith("kept the weights from before training.")


class ScriptedLosses(keras.callbacks.Callback):
    """Sets each epoch's ``val_loss``: the second epoch is the best."""

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = 0.5 if epoch == 1 else 1.0 + epoch


def test_time_budget_says_it_ended_the_fit_and_which_epoch_was_kept(
    capsys, monkeypatch
):
    # Every reading of the clock is a second later: the budget runs out after a
    # few epochs, whatever the machine.
    times = itertools.count(0.0, 1.0)
    monkeypatch.setattr("skae.fitting.budget.time.perf_counter", lambda: next(times))
    budget = TimeBudget(20.5)
    est = AutoencoderTransformer(
        2,
        epochs=100,
        early_stopping=False,
        callbacks=[ScriptedLosses(), budget],
        verbose=1,
        random_state=0,
    ).fit(small_data())
    last = lines_of(capsys.readouterr().out)[-1]
    assert 2 < est.n_iter_ < 100
    assert budget.stopped_epoch == est.n_iter_ - 1
    assert re.fullmatch(
        rf"The time budget of 20.5s ended training after epoch {est.n_iter_} in "
        r"\S+; kept the weights of epoch 2 \(val_loss 0.5000\)\.",
        last,
    )


def test_verbose_2_keeps_keras_lines_and_says_how_the_fit_ended(capsys):
    AutoencoderTransformer(2, epochs=2, verbose=2, random_state=0).fit(small_data())
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[-1].startswith("Ran all 2 epochs in ")


def test_verbose_1_on_a_terminal_draws_the_bar_then_the_ending(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    AutoencoderTransformer(2, epochs=4, verbose=1, random_state=0).fit(small_data())
    out = capsys.readouterr().out
    assert "\r" in out and "\x1b[" in out  # Keras's Progbar
    assert "4/4" in out and "/epoch" in out
    assert "Epoch 1/4" not in out
    assert out.splitlines()[-1].startswith("Ran all 4 epochs in ")


MANY_MODELS = textwrap.dedent(
    """
    import numpy as np
    from skae import AutoencoderTransformer, ConvAutoencoderTransformer

    rng = np.random.default_rng(0)
    for i in range(10):
        if i % 2:
            side = 4 + 2 * (i % 3)
            X = rng.random((20 + i, side * side))
            est = ConvAutoencoderTransformer(
                2, image_shape=(side, side), filters=(2,), epochs=1, random_state=i
            )
        else:
            X = rng.random((30 + i, 5 + i))
            est = AutoencoderTransformer(
                2 + i % 3, hidden_layer_sizes=(4 + i,), epochs=2, random_state=i
            )
        est.fit(X)
        for rows in (X, np.repeat(X, 20, axis=0)):  # the NumPy and Keras paths
            est.inverse_transform(est.transform(rows))
    print("fitted all")
    """
)


@pytest.mark.slow
def test_many_fits_and_transforms_print_no_retracing_warning():
    """Regression: every model's predict function traced on its first call,
    and TensorFlow counts the traces of all of them together."""
    result = subprocess.run(
        [sys.executable, "-c", MANY_MODELS], capture_output=True, text=True, check=True
    )
    assert "fitted all" in result.stdout
    assert "retracing" not in result.stdout + result.stderr
