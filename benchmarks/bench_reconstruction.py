"""Reconstruction of held-out data: PCA against skae's autoencoders.

What is measured
----------------
For each code size ``n_components`` (k), three models are fitted on the training
split and asked to reconstruct the test split (``inverse_transform(transform(X))``):

* ``PCA``: ``sklearn.decomposition.PCA(k)``, the baseline skae replaces;
* ``AE shallow``: ``AutoencoderTransformer(k)``, the classic Keras tutorial model
  (``Dense(k, relu)`` encoder, sigmoid decoder, binary cross-entropy);
* ``AE deep``: ``AutoencoderTransformer(k, hidden_layer_sizes=(128, 64))``.

Every row of the table reports, on the test split:

* mean squared error per feature, and its ratio to PCA's at the same k (at
  k = n_features PCA reconstructs exactly, so the ratio there is meaningless);
* sum of squared errors per row (per image), the figure Hinton and Salakhutdinov
  (2006) report for MNIST;
* binary cross-entropy per feature, reconstructions clipped to [1e-7, 1 - 1e-7]
  (the autoencoders' loss for data in [0, 1]); it stays above zero even for a
  perfect reconstruction because the pixels are not all 0 or 1;
* explained variance, ``1 - SSE / total sum of squares about the test mean``;
* fit time (one fit) and the median over 5 repeats of the time to transform and
  inverse-transform the whole test split, both with ``time.perf_counter``.

Why
---
skae claims that an autoencoder can stand in for PCA and reconstruct better at
the same code size. This script checks that claim on data neither model was
trained on, and shows what it costs in time. The autoencoders keep their
defaults (early stopping on a 10% validation split of the training rows) except
for ``epochs``, the cap on training length.

Run ``python benchmarks/bench_reconstruction.py --quick`` for a run of a few
minutes on a laptop; ``--help`` lists the options. Results are written to
``results.md``, ``results.csv`` and, when matplotlib is installed,
``error_vs_components.png``.
"""

import argparse
import csv
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

import skae
from skae import AutoencoderTransformer

FULL_N_COMPONENTS = (2, 8, 16, 32, 64)
QUICK_N_COMPONENTS = (2, 8, 16, 32)
# Early stopping ends most fits well before these caps; the quick cap keeps the
# whole run to a few minutes on two CPU cores at the price of some accuracy.
FULL_EPOCHS = 1000
QUICK_EPOCHS = 200
DEEP_HIDDEN_LAYER_SIZES = (128, 64)
TRANSFORM_REPEATS = 5
BCE_EPS = 1e-7
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def load_digits_scaled():
    """Return the 8x8 digits as rows of 64 pixels scaled into [0, 1]."""
    return load_digits().data / 16.0


# One loader per dataset name; each returns a float array of shape
# (n_samples, n_features).
DATASETS = {"digits": load_digits_scaled}

# (CSV key, Markdown header, Markdown format) of every result column.
COLUMNS = (
    ("model", "model", "{}"),
    ("n_components", "k", "{}"),
    ("epochs_run", "epochs run", "{}"),
    ("fit_s", "fit (s)", "{:.2f}"),
    ("reconstruct_ms", "transform + inverse (ms)", "{:.2f}"),
    ("mse", "MSE / feature", "{:.4g}"),
    ("sse_per_row", "SSE / row", "{:.4g}"),
    ("bce", "BCE / feature", "{:.4f}"),
    ("explained_variance", "explained variance", "{:.4f}"),
    ("mse_vs_pca", "MSE / PCA MSE", "{:.3g}"),
)


# -- command line ------------------------------------------------------------------


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare PCA and skae autoencoders on held-out reconstruction."
    )
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="digits")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"k in {QUICK_N_COMPONENTS} and at most {QUICK_EPOCHS} epochs",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="directory for the results (default: benchmarks/results/<dataset>"
        "[-quick])",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--n-components",
        type=positive_int,
        nargs="+",
        default=None,
        help="code sizes to compare, overriding the mode's list",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="cap on autoencoder training epochs, overriding the mode's cap",
    )
    parser.add_argument(
        "--max-train-samples",
        type=positive_int,
        default=None,
        help="train on at most this many rows of the training split",
    )
    return parser.parse_args(argv)


def default_output(dataset, quick):
    return RESULTS_DIR / (f"{dataset}-quick" if quick else dataset)


# -- data and models ---------------------------------------------------------------


def split_data(X, seed, max_train_samples):
    X_train, X_test = train_test_split(X, test_size=0.2, random_state=seed)
    if max_train_samples is not None:
        # train_test_split has already shuffled, so the first rows are a random
        # subset.
        X_train = X_train[:max_train_samples]
    return X_train, X_test


def usable_n_components(requested, X_train):
    """Return the sorted, distinct code sizes, clipped to what PCA can fit."""
    limit = min(X_train.shape)
    return sorted({min(k, limit) for k in requested})


def make_models(n_components, epochs, seed):
    return {
        "PCA": PCA(n_components, random_state=seed),
        "AE shallow": AutoencoderTransformer(
            n_components, epochs=epochs, random_state=seed
        ),
        "AE deep": AutoencoderTransformer(
            n_components,
            hidden_layer_sizes=DEEP_HIDDEN_LAYER_SIZES,
            epochs=epochs,
            random_state=seed,
        ),
    }


def warm_up(X_train, seed):
    """Fit a throwaway autoencoder so one-off Keras start-up is not timed."""
    AutoencoderTransformer(2, epochs=1, random_state=seed).fit(X_train[:32])


# -- measurements ------------------------------------------------------------------


def time_fit(model, X):
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start


def reconstruct(model, X):
    return model.inverse_transform(model.transform(X))


def time_reconstruction(model, X, repeats=TRANSFORM_REPEATS):
    """Return the median seconds to reconstruct ``X`` and the reconstruction."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        X_hat = reconstruct(model, X)
        times.append(time.perf_counter() - start)
    return statistics.median(times), X_hat


def reconstruction_metrics(X, X_hat):
    squared = (X - X_hat) ** 2
    sse = float(squared.sum())
    total = float(((X - X.mean(axis=0)) ** 2).sum())
    p = np.clip(X_hat, BCE_EPS, 1 - BCE_EPS)
    bce = -np.mean(X * np.log(p) + (1 - X) * np.log(1 - p))
    return {
        "mse": float(squared.mean()),
        "sse_per_row": sse / X.shape[0],
        "bce": float(bce),
        "explained_variance": 1.0 - sse / total,
    }


def measure(name, model, X_train, X_test):
    fit_s = time_fit(model, X_train)
    reconstruct_s, X_hat = time_reconstruction(model, X_test)
    return {
        "model": name,
        "n_components": model.n_components,
        "epochs_run": getattr(model, "n_iter_", ""),
        "fit_s": fit_s,
        "reconstruct_ms": 1000 * reconstruct_s,
        **reconstruction_metrics(X_test, X_hat),
    }


def add_ratio_to_pca(rows):
    pca_mse = {row["n_components"]: row["mse"] for row in rows if row["model"] == "PCA"}
    for row in rows:
        row["mse_vs_pca"] = row["mse"] / pca_mse[row["n_components"]]
    return rows


def run_benchmark(X_train, X_test, n_components, epochs, seed):
    warm_up(X_train, seed)
    rows = []
    for k in n_components:
        for name, model in make_models(k, epochs, seed).items():
            print(f"fitting {name} with k={k} ...", file=sys.stderr, flush=True)
            rows.append(measure(name, model, X_train, X_test))
    return add_ratio_to_pca(rows)


# -- reporting ---------------------------------------------------------------------


def package_version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_run(dataset, X_train, X_test, epochs, seed):
    import keras

    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Dataset `{dataset}` ({X_train.shape[0]} train / {X_test.shape[0]} test "
        f"rows, {X_train.shape[1]} features), {now}, machine "
        f"`{platform.platform()}`, {os.cpu_count()} CPUs; skae {skae.__version__}, "
        f"keras {keras.__version__} ({keras.backend.backend()} backend), "
        f"scikit-learn {package_version('scikit-learn')}, "
        f"tensorflow {package_version('tensorflow')}. "
        f"Autoencoders: at most {epochs} epochs, random_state={seed}."
    )


def markdown_table(rows):
    lines = [
        "| " + " | ".join(header for _, header, _ in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for row in rows:
        cells = [fmt.format(row[key]) for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[key for key, _, _ in COLUMNS])
        writer.writeheader()
        writer.writerows(rows)


def plot_error_vs_components(rows, path, dataset):
    """Save test MSE against k, one line per model; return False without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    for name in dict.fromkeys(row["model"] for row in rows):
        points = [(r["n_components"], r["mse"]) for r in rows if r["model"] == name]
        ax.plot(*zip(*points, strict=True), marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("n_components")
    ax.set_ylabel("test MSE per feature")
    ax.set_title(f"Reconstruction of held-out {dataset}")
    ax.legend()
    fig.savefig(path, dpi=120)
    return True


def write_results(rows, output, description, dataset):
    output.mkdir(parents=True, exist_ok=True)
    table = markdown_table(rows)
    (output / "results.md").write_text(f"{description}\n\n{table}\n")
    write_csv(rows, output / "results.csv")
    if not plot_error_vs_components(rows, output / "error_vs_components.png", dataset):
        print("matplotlib not installed; no plot saved", file=sys.stderr)
    return table


def main(argv=None):
    args = parse_args(argv)
    n_components = args.n_components or (
        QUICK_N_COMPONENTS if args.quick else FULL_N_COMPONENTS
    )
    epochs = args.epochs or (QUICK_EPOCHS if args.quick else FULL_EPOCHS)
    output = args.output or default_output(args.dataset, args.quick)

    X = DATASETS[args.dataset]()
    X_train, X_test = split_data(X, args.seed, args.max_train_samples)
    n_components = usable_n_components(n_components, X_train)
    rows = run_benchmark(X_train, X_test, n_components, epochs, args.seed)

    description = describe_run(args.dataset, X_train, X_test, epochs, args.seed)
    table = write_results(rows, output, description, args.dataset)
    print(f"{description}\n\n{table}")
    print(f"\nresults written to {output}", file=sys.stderr)
    return rows


if __name__ == "__main__":
    main()
