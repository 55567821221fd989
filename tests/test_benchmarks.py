"""Smoke test of the benchmark scripts: they run end to end on tiny settings."""

import argparse
import csv
import importlib.util
import json
from pathlib import Path

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skae import AutoencoderTransformer

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MODELS = ("PCA", "AE tutorial", "AE default", "AE conv")


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_reconstruction")


@pytest.fixture(scope="module")
def reconstruction_output(bench, tmp_path_factory):
    """Run the reconstruction benchmark once, as small as it goes."""
    output = tmp_path_factory.mktemp("bench_reconstruction")
    bench.main(
        [
            "--n-components",
            "2",
            "--epochs",
            "1",
            "--max-train-samples",
            "200",
            "--models",
            "pca,tutorial,default,conv",
            "--output",
            str(output),
        ]
    )
    return output


def test_reconstruction_table_has_a_row_per_model(reconstruction_output):
    text = (reconstruction_output / "results.md").read_text()
    assert text.startswith("Dataset `digits` (200 train / 360 test images")
    for model in MODELS:
        assert f"| {model} | 2 |" in text
    assert "| AE deep |" not in text


def test_reconstruction_csv_has_a_row_per_model(reconstruction_output):
    with open(reconstruction_output / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["model"] for row in rows] == list(MODELS)
    assert all(row["n_components"] == "2" for row in rows)
    assert [row["epochs_run"] for row in rows] == ["", "1", "1", "1"]
    assert rows[0]["mse_vs_pca"] == "1.0"


@pytest.mark.parametrize("name", ["error_vs_components.png", "reconstructions.png"])
def test_reconstruction_pictures_are_saved(reconstruction_output, name):
    path = reconstruction_output / name
    assert path.is_file()
    assert path.stat().st_size > 0


def test_time_budget_stops_training_after_the_batch_it_runs_out(bench):
    """Check that a spent budget ends the fit after the first batch."""
    X = np.random.default_rng(0).uniform(size=(400, 6))
    budget = bench.TimeBudget(0)
    ae = AutoencoderTransformer(
        2,
        hidden_layer_sizes=(),
        epochs=5,
        batch_size=32,
        callbacks=[budget, BatchCounter()],
        random_state=0,
    ).fit(X)
    assert ae.n_iter_ == 1
    assert ae.callbacks[1].batches == 1
    assert budget.stopped_epoch == 1
    assert bench.stopped_by(ae) == "time budget"


class BatchCounter(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_time_budget_leaves_a_fit_within_it_alone(bench):
    X = np.random.default_rng(0).uniform(size=(40, 6))
    budget = bench.TimeBudget(3600)
    ae = AutoencoderTransformer(
        2, hidden_layer_sizes=(), epochs=3, callbacks=[budget], random_state=0
    ).fit(X)
    assert ae.n_iter_ == 3
    assert budget.stopped_epoch is None
    assert bench.stopped_by(ae) == "epoch cap"


def test_models_option_runs_models_in_table_order(bench):
    assert bench.model_keys("conv, pca,default") == ("pca", "default", "conv")


def test_models_option_rejects_unknown_names(bench):
    with pytest.raises(argparse.ArgumentTypeError, match="got 'pca,lstm'"):
        bench.model_keys("pca,lstm")


@pytest.fixture(scope="module")
def speed_bench():
    return load_script("bench_speed")


@pytest.fixture(scope="module")
def speed_results(speed_bench, tmp_path_factory):
    output = tmp_path_factory.mktemp("bench_speed")
    results = speed_bench.main(["--quick", "--output", str(output)])
    return results, output


@pytest.mark.slow
def test_speed_benchmark_reports_every_section(speed_bench, speed_results):
    results, output = speed_results
    report = (output / "results.md").read_text()
    for heading in ("transform", "## fit", "## memory", "## growth", "## import"):
        assert heading in report
    assert "## backends" in report
    saved = json.loads((output / "results.json").read_text())
    assert set(saved) == {"description", *speed_bench.SECTIONS}


@pytest.mark.slow
def test_speed_benchmark_times_the_numpy_path_that_matches_keras(speed_results):
    results, _ = speed_results
    models = results["inference"]["models"]
    assert [row["model"] for row in models][0] == "PCA"
    assert len(models) == 7
    for row in models[1:]:
        assert row["max_abs_diff_to_keras"] < 1e-4, row["model"]
        assert row["transform_1"] > 0 and row["inverse_n"] > 0


@pytest.mark.slow
def test_speed_benchmark_fits_compare_like_with_like(speed_results):
    results, _ = speed_results
    tutorial, deep = results["fit"]
    assert tutorial["hidden"] == [] and deep["hidden"] == [512, 256]
    for row in (tutorial, deep):
        assert row["keras_s"] > 0 and row["skae_s"] > 0
        # Same network, loss and data for one epoch: the losses agree closely.
        assert abs(row["loss_rel_diff"]) < 0.1


@pytest.mark.slow
def test_profile_script_attributes_kernel_time_to_every_category(tmp_path):
    profile = load_script("profile_fit")
    rows = profile.main(["--quick", "--models", "tutorial", "--output", str(tmp_path)])
    assert [row["way"] for row in rows] == ["Keras model.fit", "skae fit"]
    for row in rows:
        assert row["matrix products"] > 0 and row["loss, element-wise"] > 0
        assert row["optimizer"] > 0 and row["wall_s"] > 0
    assert "| tutorial | skae fit |" in (tmp_path / "profile.md").read_text()


@pytest.mark.slow
def test_scaling_benchmark_fits_a_memmap_in_a_child_and_compares_with_svd(tmp_path):
    scaling = load_script("bench_scaling")
    results = scaling.main(
        [
            "--quick",
            "--memmap-rows",
            "3000",
            "--epochs",
            "1",
            "--workdir",
            str(tmp_path / "work"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    memmap, sparse = results["memmap"], results["sparse"]
    assert memmap["rows"] == 3000
    assert [fit["mode"] for fit in memmap["fits"]] == ["memmap", "in memory"]
    # With a 1 GiB cap, or none, both small fits succeed.
    for fit in memmap["fits"]:
        assert fit["returncode"] == 0, fit
        assert 0 < fit["test_mse"] < 1
    assert [fit["model"] for fit in sparse["fits"]] == [
        "TruncatedSVD",
        "AutoencoderTransformer",
    ]
    assert sparse["nnz"] > 0
    assert "TF-IDF of" in (tmp_path / "out" / "results.md").read_text()


@pytest.mark.slow
def test_time_to_quality_benchmark_scores_every_epoch_of_every_model(tmp_path):
    ttq = load_script("bench_time_to_quality")
    ttq.main(
        [
            "--quick",
            "--budget",
            "1",
            "--models",
            "pca,keras-tutorial,default,conv,best,conv-best,conv-averaged",
            "--thresholds",
            "1.5,0.9",
            "--output",
            str(tmp_path),
        ]
    )
    saved = json.loads((tmp_path / "results.json").read_text())
    assert [row["model"] for row in saved["rows"]] == [
        "keras-tutorial", "default", "conv", "best", "conv-best", "conv-averaged",
    ]  # fmt: skip
    for row in saved["rows"]:
        times = [seconds for seconds, _ in row["curve"]]
        assert row["epochs"] == len(times) >= 1
        assert times == sorted(times) and times[0] > 0
        # Each fit stops at the first epoch that ends past the budget (or
        # earlier, by its own early stopping).
        assert all(seconds < 1 for seconds in times[:-1])
        # The training sample is scored at every epoch too.
        assert len(row["train_curve"]) == len(times)
        assert all(error > 0 for error in row["train_curve"])
        assert len(row["learning_rates"]) == len(times)
        assert all(rate > 0 for rate in row["learning_rates"])
    table = (tmp_path / "results.md").read_text()
    assert "reaches 1.5x" in table and "reaches 0.9x" in table
    assert "| PCA (fit" in table and "| best |" in table
    assert "| conv-best |" in table and "| train then |" in table


def test_time_to_quality_training_sample_is_fixed_and_bounded():
    ttq = load_script("bench_time_to_quality")
    X = np.arange(3 * ttq.TRAIN_SAMPLE_ROWS, dtype=np.float32).reshape(-1, 1)
    sample = ttq.training_sample(X, seed=0)
    assert sample.shape == (ttq.TRAIN_SAMPLE_ROWS, 1)
    assert len(np.unique(sample)) == ttq.TRAIN_SAMPLE_ROWS  # drawn without repeats
    np.testing.assert_array_equal(sample, ttq.training_sample(X, seed=0))
    np.testing.assert_array_equal(ttq.training_sample(X[:5], seed=0), X[:5])


def test_time_to_quality_conv_params_reach_conv_flips_and_build_optimizers():
    ttq = load_script("bench_time_to_quality")
    adamw = {"class_name": "AdamW", "config": {"weight_decay": 0.02}}
    params = {"optimizer": adamw, "validation_fraction": 0.0}
    flips = ttq.skae_model("conv-flips", 4, 0, 10.0, None, params)
    assert flips.random_flip == "horizontal" and flips.validation_fraction == 0.0
    assert isinstance(flips.optimizer, keras.optimizers.AdamW)
    assert flips.optimizer.weight_decay == 0.02
    best = ttq.skae_model("best", 4, 0, 10.0, {"optimizer": adamw}, None)
    assert isinstance(best.optimizer, keras.optimizers.AdamW)
    assert (
        ttq.skae_model(
            "conv-best", 4, 0, 10.0, None, {"n_iter_no_change": 6}
        ).n_iter_no_change
        == 6
    )
    assert (
        ttq.skae_model("best", 4, 0, 10.0, {"optimizer": "sgd"}, None).optimizer
        == "sgd"
    )
    averaged = ttq.skae_model("conv-averaged", 4, 0, 10.0, None, {"batch_size": 64})
    assert averaged.random_flip == "horizontal" and averaged.batch_size == 64
    assert averaged.decoder_dense == ttq.CONV_AVERAGED["decoder_dense"]
    assert isinstance(averaged.optimizer, keras.optimizers.Adam)
    assert averaged.optimizer.use_ema


def test_time_to_quality_mirror_images_are_flipped_left_to_right():
    ttq = load_script("bench_time_to_quality")
    images = np.arange(2 * 9, dtype=np.float32).reshape(2, 9)
    both = ttq.with_mirror_images(images, seed=0)
    assert both.shape == (4, 9)
    mirrored = images.reshape(2, 3, 3)[:, :, ::-1].reshape(2, 9)
    expected = {tuple(row) for row in np.concatenate([images, mirrored])}
    assert {tuple(row) for row in both} == expected
    assert len(expected) == 4  # no image here is its own mirror image
    with pytest.raises(ValueError, match="square images"):
        ttq.with_mirror_images(np.zeros((2, 8), np.float32), seed=0)


@pytest.mark.slow
def test_ordered_benchmark_compares_prefixes_fractions_and_search(tmp_path):
    ordered = load_script("bench_ordered")
    ordered.main(["--quick", "--search", "--output", str(tmp_path)])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert [row["k"] for row in saved["prefixes"]] == [2, 4]
    assert saved["ordered"]["k"] == 8
    assert len(saved["ordered"]["explained_variance_ratio"]) == 8
    (fraction,) = saved["fractions"]
    assert fraction["fraction"] == 0.8 and fraction["ae_trained"] == 64
    assert 1 <= fraction["ae_k"] <= 64
    assert saved["search"]["reuse_best_k"] in (2, 4)
    table = (tmp_path / "results.md").read_text()
    assert "| 4 |" in table and "one ordered fit, truncated" in table


@pytest.mark.slow
def test_outlier_benchmark_scores_every_detector(tmp_path):
    outliers = load_script("bench_outliers")
    outliers.main(["--quick", "--output", str(tmp_path)])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved["one_class"]) == set(outliers.DETECTORS)
    for name in outliers.DETECTORS:
        assert len(saved["one_class"][name]) == 2
        assert all(0 <= auc <= 1 for auc in saved["one_class"][name])
        assert 0 <= saved["corrupted"][name][0] <= 1
    X = np.zeros((20, 64), dtype=np.float32)
    corrupted, hit = outliers.corrupt(X, 0.5, seed=0)
    # A white 2x2 patch on the rows hit, nothing elsewhere.
    assert_array_equal(corrupted[~hit], 0)
    assert_array_equal(corrupted[hit].sum(axis=1), 4)


@pytest.mark.slow
def test_denoising_benchmark_scores_every_method(tmp_path):
    denoising = load_script("bench_denoising")
    (result,) = denoising.main(["--quick", "--output", str(tmp_path)])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["results"] == [result]
    assert set(result["pca"]) == {"4", "8"}
    assert result["pca_best_k"] in (4, 8)
    assert set(result["autoencoders"]) == set(denoising.AUTOENCODERS)
    errors = [entry["error"] for entry in result["autoencoders"].values()]
    errors += [*result["pca"].values(), result["kernel_pca"]["error"]]
    assert all(0 < e < result["noisy_input_error"] * 2 for e in errors)
    table = (tmp_path / "results.md").read_text()
    assert "KernelPCA tuned" in table and "X_target=X_clean" in table
    # The noise is clipped to [0, 1], as the tutorial makes its noisy images.
    X = np.full((50, 10), 0.5)
    N = denoising.noisy(X, 1.0, np.random.default_rng(0))
    assert N.min() == 0 and N.max() == 1 and N.dtype == np.float32


@pytest.mark.slow
def test_random_flip_benchmark_fits_with_and_without_mirror_images(tmp_path):
    flips = load_script("bench_random_flip")
    (result,) = flips.main(["--quick", "--output", str(tmp_path)])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["results"] == [result]
    assert result["n"] == 200 and result["pca_mse"] > 0
    assert [fit["random_flip"] for fit in result["fits"]] == [None, "horizontal"]
    for fit in result["fits"]:
        assert fit["epochs"] == 3 and 0 < fit["test"] < 2 and 0 < fit["train"] < 2
    assert "| 200 | horizontal |" in (tmp_path / "results.md").read_text()
