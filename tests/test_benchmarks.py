"""Smoke test of the benchmark scripts: they run end to end on tiny settings."""

import csv
import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MODELS = ("PCA", "AE shallow", "AE deep")


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reconstruction_output(tmp_path_factory):
    """Run the reconstruction benchmark once, as small as it goes."""
    output = tmp_path_factory.mktemp("bench_reconstruction")
    bench = load_script("bench_reconstruction")
    bench.main(
        [
            "--n-components",
            "2",
            "--epochs",
            "1",
            "--max-train-samples",
            "200",
            "--output",
            str(output),
        ]
    )
    return output


def test_reconstruction_table_has_a_row_per_model(reconstruction_output):
    text = (reconstruction_output / "results.md").read_text()
    assert text.startswith("Dataset `digits`")
    for model in MODELS:
        assert f"| {model} | 2 |" in text


def test_reconstruction_csv_has_a_row_per_model(reconstruction_output):
    with open(reconstruction_output / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["model"] for row in rows] == list(MODELS)
    assert all(row["n_components"] == "2" for row in rows)
