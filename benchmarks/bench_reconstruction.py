"""Reconstruction of held-out images: PCA against skae's autoencoders.

What is measured
----------------
For each code size ``n_components`` (k), these models are fitted on the training
split of an image dataset and asked to reconstruct its test split
(``inverse_transform(transform(X_test))``):

* ``PCA``: ``sklearn.decomposition.PCA(k)``, the baseline skae replaces;
* ``AE tutorial``: ``AutoencoderTransformer(k, hidden_layer_sizes=())``, the
  classic Keras tutorial model (``Dense(k, relu)`` encoder, sigmoid output,
  binary cross-entropy);
* ``AE default``: ``AutoencoderTransformer(k)`` with nothing else set, what a
  PCA user gets by swapping the class: a linear path initialised to PCA plus a
  learned nonlinear correction (hidden layers of 256 on digits, 512 and 256 on
  the 28x28 images: ``hidden_layer_sizes="auto"``), trained on squared error
  with the learning rate halved on plateaus;
* ``AE deep``: ``AutoencoderTransformer(k, hidden_layer_sizes=(512, 256))``;
* ``AE conv``: ``ConvAutoencoderTransformer(k, image_shape=..., filters=...)``,
  filters (16, 32) on the 8x8 digits and (32, 64) on 28x28 images, starting
  as PCA like the dense default.

Every model gets ``random_state=seed``; ``--models`` picks a subset. Every row
of the table reports, on the test split:

* mean squared error per pixel, and its ratio to PCA's at the same k (at
  k = n_features PCA reconstructs exactly, so the ratio there is meaningless);
* sum of squared errors per image, the figure Hinton and Salakhutdinov (2006)
  report for MNIST;
* binary cross-entropy per pixel, reconstructions clipped to [1e-7, 1 - 1e-7];
  it stays above zero even for a perfect reconstruction because the pixels are
  not all 0 or 1;
* explained variance, ``1 - SSE / total sum of squares about the test mean``;
* the epochs trained (``n_iter_``) and what ended training: early stopping, the
  epoch cap or the time budget;
* fit time (one fit) and the median over 5 repeats of the time to transform and
  inverse-transform the whole test split, both with ``time.perf_counter``.

Training budget
---------------
The autoencoders keep their defaults (early stopping with patience 10 on a 10%
validation split of the training rows, restoring the best epoch's weights)
except for two limits. ``epochs`` caps training length per model (``AE
default`` keeps its own default cap unless ``--epochs`` is given), and a
wall-clock budget per fit (``--max-fit-seconds``) ends training at the first
batch that finishes after the budget is spent (the epoch is then validated and
counted). skae aims at a fit under 10 minutes on 2 CPU cores, so the full run
allows 540 s per fit. Runs
that hit the time budget depend on the machine's speed; the table says which
did.

Why
---
skae claims that an autoencoder can stand in for PCA and reconstruct better at
the same code size. This script checks that claim on images no model was
trained on, shows which architecture earns it, and what it costs in time.

Run ``python benchmarks/bench_reconstruction.py --quick`` for a few minutes on
the 8x8 digits, or ``--dataset fashion-mnist`` for the full comparison (up to
2.5 hours on 2 cores with the 540 s budget and every model; the table in
doc/benchmarks.rst took 57 minutes with ``--models pca,tutorial,default,deep
--max-fit-seconds 240``); ``--help`` lists the options. Results go to
``benchmarks/results/<dataset>[-quick]/``: ``results.md``, ``results.csv``,
``error_vs_components.png`` and ``reconstructions.png``. The table and the
error plot are rewritten after every fit, so an interrupted run keeps the rows
done so far.
"""

import argparse
import csv
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import keras
import numpy as np
from sklearn.decomposition import PCA

import skae
from skae import AutoencoderTransformer, ConvAutoencoderTransformer
from skae.datasets import load_digits, load_fashion_mnist, load_mnist

FULL_N_COMPONENTS = (2, 8, 16, 32, 64)
QUICK_N_COMPONENTS = (2, 8, 16, 32)
# Code size of the reconstruction picture; the largest one run when absent.
PICTURED_N_COMPONENTS = 32
N_PICTURED_IMAGES = 8

# Command-line key and table name of each model, in the order they are run;
# PCA first, so every autoencoder row can be compared with it.
MODEL_NAMES = {
    "pca": "PCA",
    "tutorial": "AE tutorial",
    "default": "AE default",
    "deep": "AE deep",
    "conv": "AE conv",
}
DEEP_HIDDEN_LAYER_SIZES = (512, 256)

# Epoch caps per autoencoder; None keeps the estimator's own default. The quick
# caps keep the whole quick run to a few minutes on two CPU cores (on digits the
# tutorial model converges in about 850 epochs at k=32, the others in 100-200);
# the full caps are high enough that early stopping or the time budget ends
# training.
QUICK_EPOCHS = {"tutorial": 400, "default": None, "deep": 150, "conv": 100}
FULL_EPOCHS = {"tutorial": 1000, "default": None, "deep": 1000, "conv": 1000}
QUICK_MAX_FIT_SECONDS = 30.0
FULL_MAX_FIT_SECONDS = 540.0

TRANSFORM_REPEATS = 5
BCE_EPS = 1e-7
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Dataset:
    """Where a dataset comes from and the shape of its images."""

    load: Callable
    image_shape: tuple
    conv_filters: tuple


DATASETS = {
    "digits": Dataset(load_digits, (8, 8, 1), (16, 32)),
    "fashion-mnist": Dataset(load_fashion_mnist, (28, 28, 1), (32, 64)),
    "mnist": Dataset(load_mnist, (28, 28, 1), (32, 64)),
}

# (CSV key, Markdown header, Markdown format) of every result column.
COLUMNS = (
    ("model", "model", "{}"),
    ("n_components", "k", "{}"),
    ("epochs_run", "epochs run", "{}"),
    ("stopped_by", "stopped by", "{}"),
    ("fit_s", "fit (s)", "{:.2f}"),
    ("reconstruct_ms", "transform + inverse (ms)", "{:.2f}"),
    ("mse", "MSE / pixel", "{:.4g}"),
    ("sse_per_image", "SSE / image", "{:.4g}"),
    ("bce", "BCE / pixel", "{:.4f}"),
    ("explained_variance", "explained variance", "{:.4f}"),
    ("mse_vs_pca", "MSE / PCA MSE", "{:.3g}"),
)


class TimeBudget(keras.callbacks.Callback):
    """Stop training at the first batch that ends past ``max_seconds``.

    The clock starts when training starts. Keras stops after the batch that
    set ``stop_training``; the epoch it cut short is still validated, and
    skae's early stopping restores the best epoch's weights afterwards.

    Parameters
    ----------
    max_seconds : float
        Wall-clock seconds of training allowed; 0 stops after the first batch.

    Attributes
    ----------
    stopped_epoch : int or None
        Number of epochs started when the budget stopped training; None when
        it did not.
    """

    def __init__(self, max_seconds):
        super().__init__()
        self.max_seconds = max_seconds
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.stopped_epoch = None
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.start >= self.max_seconds:
            self.stopped_epoch = self.epoch + 1
            self.model.stop_training = True


@dataclass(frozen=True)
class Settings:
    """Everything a run depends on, resolved from the command line."""

    dataset: str
    models: tuple
    n_components: tuple
    epochs: dict
    max_fit_seconds: float
    seed: int
    output: Path

    @property
    def image_shape(self):
        return DATASETS[self.dataset].image_shape

    @property
    def pictured_n_components(self):
        if PICTURED_N_COMPONENTS in self.n_components:
            return PICTURED_N_COMPONENTS
        return max(self.n_components)


# -- command line ------------------------------------------------------------------


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def non_negative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0; got {text!r}")
    return value


def model_keys(text):
    """Parse a comma-separated list of model keys into run order."""
    keys = {key.strip() for key in text.split(",") if key.strip()}
    unknown = sorted(keys - set(MODEL_NAMES))
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {','.join(MODEL_NAMES)}; "
            f"got {text!r}"
        )
    return tuple(key for key in MODEL_NAMES if key in keys)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare PCA and skae autoencoders on held-out reconstruction."
    )
    parser.add_argument("--dataset", choices=list(DATASETS), default="digits")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"k in {QUICK_N_COMPONENTS}, epoch caps {QUICK_EPOCHS} and "
        f"{QUICK_MAX_FIT_SECONDS:g} s per fit",
    )
    parser.add_argument(
        "--models",
        type=model_keys,
        default=tuple(MODEL_NAMES),
        help=f"comma-separated models to run (default: {','.join(MODEL_NAMES)})",
    )
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
        help="cap on training epochs of every autoencoder, overriding the mode's",
    )
    parser.add_argument(
        "--max-fit-seconds",
        type=non_negative_float,
        default=None,
        help="wall-clock training budget per fit (default: "
        f"{QUICK_MAX_FIT_SECONDS:g} quick, {FULL_MAX_FIT_SECONDS:g} full)",
    )
    parser.add_argument(
        "--max-train-samples",
        type=positive_int,
        default=None,
        help="train on a random subset of at most this many training rows",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="directory for the results (default: benchmarks/results/<dataset>"
        "[-quick])",
    )
    return parser.parse_args(argv)


def resolve_settings(args, X_train):
    """Fill in the mode's defaults for what the command line left out."""
    requested = args.n_components or (
        QUICK_N_COMPONENTS if args.quick else FULL_N_COMPONENTS
    )
    if args.epochs is not None:
        epochs = dict.fromkeys(QUICK_EPOCHS, args.epochs)
    else:
        epochs = QUICK_EPOCHS if args.quick else FULL_EPOCHS
    max_fit_seconds = args.max_fit_seconds
    if max_fit_seconds is None:
        max_fit_seconds = QUICK_MAX_FIT_SECONDS if args.quick else FULL_MAX_FIT_SECONDS
    suffix = "-quick" if args.quick else ""
    return Settings(
        dataset=args.dataset,
        models=args.models,
        n_components=usable_n_components(requested, X_train),
        epochs=epochs,
        max_fit_seconds=max_fit_seconds,
        seed=args.seed,
        output=args.output or RESULTS_DIR / f"{args.dataset}{suffix}",
    )


# -- data and models ---------------------------------------------------------------


def load_data(dataset, seed, max_train_samples):
    """Return float32 ``(X_train, X_test)``, rows of pixels in [0, 1]."""
    (X_train, _), (X_test, _) = DATASETS[dataset].load()
    if max_train_samples is not None and max_train_samples < len(X_train):
        rows = np.random.default_rng(seed).permutation(len(X_train))
        X_train = X_train[np.sort(rows[:max_train_samples])]
    return X_train, X_test


def usable_n_components(requested, X_train):
    """Return the sorted, distinct code sizes, clipped to what PCA can fit."""
    limit = min(X_train.shape)
    return tuple(sorted({min(k, limit) for k in requested}))


def make_model(key, n_components, settings):
    """Return the unfitted model ``key`` with code size ``n_components``."""
    if key == "pca":
        return PCA(n_components, random_state=settings.seed)
    training = {"callbacks": [TimeBudget(settings.max_fit_seconds)]}
    if settings.epochs[key] is not None:
        training["epochs"] = settings.epochs[key]
    training["random_state"] = settings.seed
    if key == "tutorial":
        return AutoencoderTransformer(n_components, hidden_layer_sizes=(), **training)
    if key == "default":
        return AutoencoderTransformer(n_components, **training)
    if key == "deep":
        return AutoencoderTransformer(
            n_components, hidden_layer_sizes=DEEP_HIDDEN_LAYER_SIZES, **training
        )
    return ConvAutoencoderTransformer(
        n_components,
        image_shape=settings.image_shape,
        filters=DATASETS[settings.dataset].conv_filters,
        **training,
    )


def epoch_cap(key, settings):
    """Return the epoch cap model ``key`` trains under."""
    if settings.epochs[key] is not None:
        return settings.epochs[key]
    return make_model(key, 2, settings).epochs


def warm_up(X_train, seed):
    """Fit a throwaway autoencoder so one-off Keras start-up is not timed."""
    AutoencoderTransformer(2, hidden_layer_sizes=(), epochs=1, random_state=seed).fit(
        X_train[:32]
    )


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
    X = np.asarray(X, dtype=np.float64)
    X_hat = np.asarray(X_hat, dtype=np.float64)
    squared = (X - X_hat) ** 2
    sse = float(squared.sum())
    total = float(((X - X.mean(axis=0)) ** 2).sum())
    p = np.clip(X_hat, BCE_EPS, 1 - BCE_EPS)
    bce = -np.mean(X * np.log(p) + (1 - X) * np.log(1 - p))
    return {
        "mse": float(squared.mean()),
        "sse_per_image": sse / X.shape[0],
        "bce": float(bce),
        "explained_variance": 1.0 - sse / total,
    }


def stopped_by(model):
    """Say what ended an autoencoder's training; empty for PCA."""
    if isinstance(model, PCA):
        return ""
    budgets = [c for c in model.callbacks or [] if isinstance(c, TimeBudget)]
    if any(budget.stopped_epoch is not None for budget in budgets):
        return "time budget"
    return "epoch cap" if model.n_iter_ == model.epochs else "early stopping"


def measure(name, model, X_train, X_test):
    fit_s = time_fit(model, X_train)
    reconstruct_s, X_hat = time_reconstruction(model, X_test)
    autoencoder = not isinstance(model, PCA)
    return {
        "model": name,
        "n_components": model.n_components,
        "epochs_run": model.n_iter_ if autoencoder else "",
        "stopped_by": stopped_by(model),
        "fit_s": fit_s,
        "reconstruct_ms": 1000 * reconstruct_s,
        **reconstruction_metrics(X_test, X_hat),
        "mse_vs_pca": "",
    }


def add_ratio_to_pca(rows):
    pca_mse = {row["n_components"]: row["mse"] for row in rows if row["model"] == "PCA"}
    for row in rows:
        if row["n_components"] in pca_mse:
            row["mse_vs_pca"] = row["mse"] / pca_mse[row["n_components"]]


def run_benchmark(settings, X_train, X_test, description):
    """Fit and measure every model at every k, writing results as they come."""
    warm_up(X_train, settings.seed)
    rows = []
    for k in settings.n_components:
        fitted = {}
        for key in settings.models:
            model = make_model(key, k, settings)
            rows.append(measure(MODEL_NAMES[key], model, X_train, X_test))
            add_ratio_to_pca(rows)
            print(progress_line(rows[-1]), file=sys.stderr, flush=True)
            write_results(rows, settings, description)
            fitted[MODEL_NAMES[key]] = model
        if k == settings.pictured_n_components:
            plot_reconstructions(fitted, X_test, settings)
    return rows


# -- reporting ---------------------------------------------------------------------


def package_version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_name():
    """Return the processor's model name where Linux tells it, else ''."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def describe_budget(settings):
    caps = ", ".join(
        f"{MODEL_NAMES[key]} {epoch_cap(key, settings)}"
        for key in settings.models
        if key != "pca"
    )
    if not caps:
        return ""
    return (
        f" Autoencoders: epoch caps {caps}; training budget "
        f"{settings.max_fit_seconds:g} s per fit; early stopping (patience 10, "
        f"best weights restored); random_state={settings.seed}."
    )


def describe_run(settings, X_train, X_test):
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Dataset `{settings.dataset}` ({X_train.shape[0]} train / "
        f"{X_test.shape[0]} test images, {X_train.shape[1]} pixels), {now}, "
        f"machine `{platform.platform()}` ({cpu_name()}), {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}, skae {skae.__version__}, "
        f"keras {keras.__version__} ({keras.backend.backend()} backend), "
        f"tensorflow {package_version('tensorflow')}, "
        f"scikit-learn {package_version('scikit-learn')}, numpy {np.__version__}."
        + describe_budget(settings)
    )


def format_cell(value, fmt):
    return "" if value == "" else fmt.format(value)


def markdown_table(rows):
    lines = [
        "| " + " | ".join(header for _, header, _ in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for row in rows:
        cells = [format_cell(row[key], fmt) for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def progress_line(row):
    text = f"{row['model']} k={row['n_components']}: MSE {row['mse']:.4g}"
    if row["model"] != "PCA" and row["mse_vs_pca"] != "":
        text += f" ({row['mse_vs_pca']:.3g} x PCA's)"
    text += f", fit {row['fit_s']:.1f} s"
    if row["epochs_run"] != "":
        text += f", {row['epochs_run']} epochs ({row['stopped_by']})"
    return text


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[key for key, _, _ in COLUMNS])
        writer.writeheader()
        writer.writerows(rows)


def new_figure(**kwargs):
    """Return a matplotlib Figure outside pyplot, or None without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure(layout="constrained", **kwargs)


def plot_error_vs_components(rows, path, dataset):
    """Save test MSE against k, one line per model; return False without matplotlib."""
    fig = new_figure(figsize=(6, 4))
    if fig is None:
        return False
    ax = fig.add_subplot()
    for name in dict.fromkeys(row["model"] for row in rows):
        points = [(r["n_components"], r["mse"]) for r in rows if r["model"] == name]
        ax.plot(*zip(*points, strict=True), marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    n_components = sorted({row["n_components"] for row in rows})
    ax.set_xticks(n_components, [str(k) for k in n_components])
    ax.minorticks_off()
    ax.set_xlabel("n_components")
    ax.set_ylabel("test MSE per pixel")
    ax.set_title(f"Reconstruction of held-out {dataset}")
    ax.legend()
    fig.savefig(path, dpi=120)
    return True


def plot_reconstructions(fitted, X_test, settings):
    """Save test images above each fitted model's reconstructions of them."""
    from skae.plotting import ReconstructionDisplay

    n_rows = 1 + len(fitted)
    fig = new_figure(figsize=(1.1 * N_PICTURED_IMAGES + 2.5, 1.1 * n_rows + 0.4))
    if fig is None:
        return False
    (name, estimator), *extra = fitted.items()
    ReconstructionDisplay.from_estimator(
        estimator,
        X_test,
        n_images=N_PICTURED_IMAGES,
        image_shape=settings.image_shape[:2],
        extra_estimators=dict(extra),
        name=name,
        random_state=settings.seed,
        ax=fig.subplots(n_rows, N_PICTURED_IMAGES, squeeze=False),
    )
    fig.suptitle(f"Held-out {settings.dataset}, k={settings.pictured_n_components}")
    fig.savefig(settings.output / "reconstructions.png", dpi=120)
    return True


def write_results(rows, settings, description):
    """(Re)write the table, the CSV and the error plot for the rows so far."""
    output = settings.output
    output.mkdir(parents=True, exist_ok=True)
    table = markdown_table(rows)
    (output / "results.md").write_text(f"{description}\n\n{table}\n")
    write_csv(rows, output / "results.csv")
    plot_error_vs_components(rows, output / "error_vs_components.png", settings.dataset)
    return table


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    X_train, X_test = load_data(args.dataset, args.seed, args.max_train_samples)
    settings = resolve_settings(args, X_train)
    description = describe_run(settings, X_train, X_test)
    if new_figure() is None:
        print("matplotlib not installed; no plots saved", file=sys.stderr)

    rows = run_benchmark(settings, X_train, X_test, description)
    print(f"{description}\n\n{markdown_table(rows)}")
    print(
        f"\n{len(rows)} rows in {time.perf_counter() - start:.0f} s; results "
        f"written to {settings.output}",
        file=sys.stderr,
    )
    return rows


if __name__ == "__main__":
    main()
