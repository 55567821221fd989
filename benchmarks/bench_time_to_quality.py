"""Time to quality: how fast each model's test error falls below PCA's.

What is measured
----------------
Every model is trained on the training images of one dataset, side by side in
one run, and after every epoch its reconstruction of the test images is
scored: the mean squared error per pixel, as a multiple of ``PCA(k)``'s on the
same images. The clock counts training only: it starts before the model is
built (skae's fit includes its validation, its PCA start and its validation
loss) and pauses while the benchmark scores the test images. A model's fit
stops at the first epoch that ends after ``--budget`` seconds of training, or
earlier when its own early stopping ends it.

For each model the table gives the training seconds at which the test error
first reached each threshold (0.8x, 0.7x, 0.6x, 0.5x and 0.42x PCA's by
default; "never" when it did not within the budget), the lowest test error seen
within the budget, the error on a fixed sample of the training images at that
same epoch ("train then"; the gap between the two is what the model fails to
generalise), the test error of the model the fit returned (skae restores the
weights of its best validation epoch), the epochs run and the median seconds
per epoch. The training sample is ``TRAIN_SAMPLE_ROWS`` rows of the training
rows as given (skae holds out ``validation_fraction``, 10% by default, of them
for validation, so about one in ten sampled rows was not trained on).

Models
------
* ``pca``: ``sklearn.decomposition.PCA(k)``, fitted once (its fit time is
  reported, its error is the yardstick);
* ``keras-tutorial``: the Keras tutorial's model written by hand, ``Dense(k,
  relu)`` encoder and ``Dense(n_features, sigmoid)`` decoder, adam, binary
  cross-entropy, batch 256, ``model.fit`` on arrays;
* ``keras-deep``: the same with hidden layers 512 and 256 on each side (relu)
  and a linear code;
* ``default``: ``AutoencoderTransformer(k)`` with nothing else set;
* ``deep``: ``AutoencoderTransformer(k, hidden_layer_sizes=(512, 256))``, a
  mirrored decoder (the default before the decoder got its own widths);
* ``conv``: ``ConvAutoencoderTransformer(k)`` (image shape inferred from the
  square rows) with nothing else set;
* ``conv-mirrored``: the same with ``decoder_filters=(32, 64)`` and
  ``decoder_dense=0``, the decoder mirroring the encoder (the default before
  the decoder got its own filters and dense layer);
* ``conv-flips``: ``ConvAutoencoderTransformer(k, random_flip="horizontal")``,
  trained on the images and, at random, their mirror images, with
  ``--conv-params`` laid over it;
* ``conv-averaged``: the best convolutional configuration found for 600 s
  (see ``CONV_AVERAGED``): mirror images, a wider dense layer in the decoder,
  128-image batches, 2% of the images held out, and Adam with a moving
  average of the weights, by which skae judges and returns the fit;
* ``best``: the best skae configuration found for long fits (see ``BEST``);
* ``conv-best``: ``ConvAutoencoderTransformer(k)`` fitted as ``best`` is (see
  ``CONV_BEST``): a time budget that anneals the rate, more patience.

Every model gets ``random_state=--seed`` (Keras's by ``keras.utils.
set_random_seed``).

Run ``python benchmarks/bench_time_to_quality.py`` for Fashion-MNIST with a
150 s budget per model (about 20 minutes on 2 cores; the data must be
installed, see ``skae.datasets``), ``--budget 600 --models pca,best,conv`` for
the long targets, ``--mirrored`` to train on the images and their mirror
images, or ``--quick`` for a smoke run on scikit-learn's digits.
Results go to ``benchmarks/results/time-to-quality-<dataset>[-quick]/``:
``results.md`` and ``results.json`` (every epoch's time and error). Run nothing
else on the machine meanwhile: every figure is a timing.
"""

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_speed import keras_autoencoder  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
THRESHOLDS = (0.8, 0.7, 0.6, 0.5, 0.42)
MODELS = ("pca", "keras-tutorial", "keras-deep", "default", "deep", "conv")
# The skae configuration for long fits: wide hidden layers, more patience than
# the default's, and a time budget (the benchmark's) that anneals the learning
# rate to its end. In the features: in a PCA basis it stops at what the basis
# leaves out, well above where it gets in pixels (docs/time-to-quality).
BEST = {"hidden_layer_sizes": (1024, 512), "n_iter_no_change": 20, "pca_basis": None}
CONV_BEST = {"n_iter_no_change": 20}
# The convolutional configuration that reached 0.42x PCA's error on
# Fashion-MNIST within 600 s (docs/time-to-quality, 2026-12-07).
CONV_AVERAGED = {
    "random_flip": "horizontal",
    "decoder_dense": 512,
    "batch_size": 128,
    "validation_fraction": 0.02,
    "optimizer": {
        "class_name": "Adam",
        "config": {"use_ema": True, "ema_momentum": 0.999},
    },
}
# Models run only when named in --models.
OPTIONAL_MODELS = (
    "best",
    "conv-best",
    "conv-mirrored",
    "conv-flips",
    "conv-averaged",
    "pixels",
)
# Training rows scored after every epoch beside the test images.
TRAIN_SAMPLE_ROWS = 10_000


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("fashion-mnist", "digits"))
    parser.add_argument("--quick", action="store_true", help="a smoke run on digits")
    parser.add_argument("--budget", type=float, help="training seconds per model")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--n-components", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--thresholds", default=",".join(map(str, THRESHOLDS)), help="PCA multiples"
    )
    parser.add_argument(
        "--best-params",
        type=json.loads,
        default={},
        help='JSON settings laid over BEST for the "best" model, to measure a '
        'lever: \'{"dropout": 0.1}\', \'{"optimizer": "adamw"}\'',
    )
    parser.add_argument(
        "--conv-params",
        type=json.loads,
        default={},
        help='JSON settings laid over CONV_BEST for the "conv-best" model, '
        'over CONV_AVERAGED for "conv-averaged", and over the settings of '
        '"conv-flips": \'{"filters": [64, 128]}\'. In '
        "these and in --best-params an optimizer may be a Keras config, "
        '\'{"optimizer": {"class_name": "AdamW", "config": {"weight_decay": '
        "0.02}}}'",
    )
    parser.add_argument(
        "--mirrored",
        action="store_true",
        help="train on the training images and their left-right mirror images "
        "(twice the rows, shuffled together); the test images stay as they are",
    )
    parser.add_argument("--output", type=Path, help="results folder")
    args = parser.parse_args(argv)
    args.dataset = args.dataset or ("digits" if args.quick else "fashion-mnist")
    args.budget = args.budget or (10.0 if args.quick else 150.0)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    known = [*MODELS, *OPTIONAL_MODELS]
    unknown = sorted(set(args.models) - set(known))
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {known}")
    args.thresholds = tuple(float(t) for t in args.thresholds.split(","))
    suffix = "-quick" if args.quick else ""
    args.output = args.output or RESULTS_DIR / f"time-to-quality-{args.dataset}{suffix}"
    return args


def load_data(dataset):
    """float32 rows in [0, 1]: ``(X_train, X_test)``."""
    X_train, _, X_test, _ = load_labelled(dataset)
    return X_train, X_test


def load_labelled(dataset):
    """float32 rows in [0, 1] and labels: ``(X_train, y_train, X_test, y_test)``."""
    from skae.datasets import load_digits, load_fashion_mnist

    loader = load_fashion_mnist if dataset == "fashion-mnist" else load_digits
    (X_train, y_train), (X_test, y_test) = loader()
    return X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test


def with_mirror_images(X, seed):
    """The square images of ``X`` and their left-right mirror images, shuffled."""
    side = int(round(X.shape[1] ** 0.5))
    if side * side != X.shape[1]:
        raise ValueError(f"--mirrored needs square images, not rows of {X.shape[1]}")
    from skae.fitting.augment import with_mirror_images as mirror_images

    both = mirror_images(X, "horizontal", (side, side, 1))
    return both[np.random.default_rng(seed).permutation(len(both))]


def mse(X, X_hat):
    return float(np.mean((np.asarray(X, dtype=np.float64) - X_hat) ** 2))


def make_clock(keras):
    class QualityClock(keras.callbacks.Callback):
        """Scores the test images and the training sample after every epoch;
        stops past the budget.

        ``elapsed`` is the training time since ``start``: scoring is paused.
        """

        def __init__(self, X_test, X_seen, budget, start):
            super().__init__()
            self.X_test, self.X_seen = X_test, X_seen
            self.budget, self.start = budget, start
            self.paused = 0.0
            self.budgets = []
            self.curve = []
            self.train_curve = []
            self.epoch_seconds = []
            # The learning rate each epoch trained with (the plateau schedule
            # halves it after the clock has read it).
            self.rates = []
            self._epoch_start = None

        def elapsed(self):
            return time.perf_counter() - self.start - self.paused

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch_start = self.elapsed()

        def on_epoch_end(self, epoch, logs=None):
            now = self.elapsed()
            self.epoch_seconds.append(now - self._epoch_start)
            rate = self.model.optimizer.learning_rate
            self.rates.append(float(keras.ops.convert_to_numpy(rate)))
            began = time.perf_counter()
            X_hat = self.model.predict(self.X_test, batch_size=2048, verbose=0)
            self.curve.append((now, mse(self.X_test, X_hat)))
            X_hat = self.model.predict(self.X_seen, batch_size=2048, verbose=0)
            self.train_curve.append(mse(self.X_seen, X_hat))
            scoring = time.perf_counter() - began
            self.paused += scoring
            # A TimeBudget in the same fit must not count the scoring either.
            for budget in self.budgets:
                budget._start += scoring
            if now >= self.budget:
                self.model.stop_training = True

    return QualityClock


def skae_model(name, k, seed, budget, best_params=None, conv_params=None):
    from skae import AutoencoderTransformer, ConvAutoencoderTransformer
    from skae.callbacks import TimeBudget

    if name == "default":
        return AutoencoderTransformer(k, random_state=seed)
    if name == "pixels":
        # The default working in the features, not in a PCA basis.
        return AutoencoderTransformer(k, pca_basis=None, random_state=seed)
    if name == "deep":
        return AutoencoderTransformer(
            k, hidden_layer_sizes=(512, 256), random_state=seed
        )
    if name == "best":
        return AutoencoderTransformer(
            k,
            random_state=seed,
            callbacks=[TimeBudget(budget, anneal=True)],
            **with_optimizer({**BEST, **(best_params or {})}),
        )
    if name == "conv":
        return ConvAutoencoderTransformer(k, image_shape=None, random_state=seed)
    if name == "conv-flips":
        return ConvAutoencoderTransformer(
            k,
            image_shape=None,
            random_flip="horizontal",
            random_state=seed,
            **with_optimizer(conv_params or {}),
        )
    if name == "conv-averaged":
        return ConvAutoencoderTransformer(
            k,
            image_shape=None,
            random_state=seed,
            **with_optimizer({**CONV_AVERAGED, **(conv_params or {})}),
        )
    if name == "conv-mirrored":
        return ConvAutoencoderTransformer(
            k,
            image_shape=None,
            decoder_filters=(32, 64),
            decoder_dense=0,
            random_state=seed,
        )
    if name == "conv-best":
        return ConvAutoencoderTransformer(
            k,
            image_shape=None,
            random_state=seed,
            callbacks=[TimeBudget(budget, anneal=True)],
            **with_optimizer({**CONV_BEST, **(conv_params or {})}),
        )
    raise ValueError(name)


def with_optimizer(params):
    """``params`` with an ``optimizer`` given as a Keras config built."""
    import keras

    optimizer = params.get("optimizer")
    if isinstance(optimizer, dict):
        return {**params, "optimizer": keras.optimizers.get(optimizer)}
    return params


def run_model(
    name, X_train, X_test, k, budget, seed, best_params=None, conv_params=None
):
    """Train one model under the clock; return its row of results."""
    import keras

    clock_cls = make_clock(keras)
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    clock = clock_cls(X_test, training_sample(X_train, seed), budget, start)
    if name.startswith("keras-"):
        hidden = () if name == "keras-tutorial" else (512, 256)
        model = keras_autoencoder(
            X_train.shape[1], hidden, "relu" if not hidden else None, k
        )
        model.fit(
            X_train,
            X_train,
            epochs=100_000,
            batch_size=256,
            shuffle=True,
            callbacks=[clock],
            verbose=0,
        )
        final = model.predict(X_test, batch_size=2048, verbose=0)
    else:
        estimator = skae_model(name, k, seed, budget, best_params, conv_params)
        # Everything else as configured, the epoch cap and early stopping too.
        own = estimator.callbacks or []
        clock.budgets = [c for c in own if hasattr(c, "remaining")]
        estimator.set_params(callbacks=[*own, clock])
        estimator.fit(X_train)
        final = estimator.inverse_transform(estimator.transform(X_test))
    return {
        "model": name,
        "curve": clock.curve,
        "train_curve": clock.train_curve,
        "learning_rates": clock.rates,
        "final_mse": mse(X_test, final),
        "seconds_per_epoch": statistics.median(clock.epoch_seconds),
        "epochs": len(clock.curve),
        "training_seconds": clock.curve[-1][0] if clock.curve else 0.0,
    }


def training_sample(X_train, seed):
    """``TRAIN_SAMPLE_ROWS`` of the training rows (all where there are fewer),
    the same for every model of a run."""
    if len(X_train) <= TRAIN_SAMPLE_ROWS:
        return X_train
    rows = np.random.default_rng(seed).choice(len(X_train), TRAIN_SAMPLE_ROWS, False)
    return X_train[np.sort(rows)]


def run_pca(X_train, X_test, k):
    from sklearn.decomposition import PCA

    start = time.perf_counter()
    pca = PCA(k, random_state=0).fit(X_train)
    seconds = time.perf_counter() - start
    return seconds, mse(X_test, pca.inverse_transform(pca.transform(X_test)))


def reached(curve, pca_mse, threshold):
    for seconds, error in curve:
        if error <= threshold * pca_mse:
            return seconds
    return None


def table(rows, pca_seconds, pca_mse, thresholds, budget):
    head = [f"reaches {t:g}x" for t in thresholds]
    lines = [
        "| model | "
        + " | ".join(head)
        + f" | best in {budget:g} s | train then | returned | epochs | s / epoch |",
        "|---" * (len(head) + 6) + "|",
        f"| PCA (fit {pca_seconds:.2f} s, MSE {pca_mse:.5f}) | "
        + " | ".join("" for _ in head)
        + " | 1x | | 1x | | |",
    ]
    for row in rows:
        cells = []
        for t in thresholds:
            seconds = reached(row["curve"], pca_mse, t)
            cells.append("never" if seconds is None else f"{seconds:.0f} s")
        errors = [e for _, e in row["curve"]]
        at = int(np.argmin(errors))
        # Results saved before the training sample was scored have none.
        train = row.get("train_curve")
        train = f"{train[at] / pca_mse:.3f}x" if train else ""
        lines.append(
            f"| {row['model']} | "
            + " | ".join(cells)
            + f" | {errors[at] / pca_mse:.3f}x | {train} | "
            f"{row['final_mse'] / pca_mse:.3f}x | "
            f"{row['epochs']} | {row['seconds_per_epoch']:.2f} |"
        )
    return "\n".join(lines)


def matmul_gflops(n=2048, repeats=5):
    """NumPy's float32 matrix-product rate: how fast this machine is today."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        a @ a
        times.append(time.perf_counter() - began)
    return 2 * n**3 / statistics.median(times) / 1e9


def describe(args, X_train, X_test):
    return describe_machine(
        f"Dataset `{args.dataset}` ({len(X_train)} train / {len(X_test)} test "
        f"images, {X_train.shape[1]} pixels), k = {args.n_components}, budget "
        f"{args.budget:g} s of training per model, random_state={args.seed}"
        + (
            f", best = BEST with {json.dumps(args.best_params)}"
            if args.best_params
            else ""
        )
        + (
            f", conv-best, conv-averaged and conv-flips with "
            f"{json.dumps(args.conv_params)} laid over their settings"
            if args.conv_params
            else ""
        )
    )


def describe_machine(what):
    """``what`` was run, followed by when, on what machine and with what versions."""
    versions = ", ".join(
        f"{p} {metadata.version(p)}"
        for p in ("keras", "tensorflow", "scikit-learn", "numpy")
    )
    return (
        f"{what}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{platform.platform()}`, "
        f"{_cpu_count()} CPUs, NumPy's float32 matrix product at "
        f"{matmul_gflops():.0f} GFLOP/s; Python {platform.python_version()}, "
        f"{versions}."
    )


def _cpu_count():
    import os

    return len(os.sched_getaffinity(0))


def main(argv=None):
    args = parse_args(argv)
    X_train, X_test = load_data(args.dataset)
    k = min(args.n_components, *X_train.shape)
    pca_seconds, pca_mse = run_pca(X_train, X_test, k)
    description = describe(args, X_train, X_test)
    if args.mirrored:
        # PCA, the yardstick, keeps the images as they are.
        X_train = with_mirror_images(X_train, args.seed)
        description += " Training rows: the images and their mirror images."
    print(description, flush=True)
    rows = []
    args.output.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        if name == "pca":
            continue
        row = run_model(
            name,
            X_train,
            X_test,
            k,
            args.budget,
            args.seed,
            args.best_params,
            args.conv_params,
        )
        rows.append(row)
        best = min(e for _, e in row["curve"]) / pca_mse
        print(
            f"{name}: best {best:.3f}x PCA in {row['epochs']} epochs "
            f"({row['training_seconds']:.0f} s)",
            flush=True,
        )
        text = table(rows, pca_seconds, pca_mse, args.thresholds, args.budget)
        (args.output / "results.md").write_text(f"{description}\n\n{text}\n")
        (args.output / "results.json").write_text(
            json.dumps(
                {
                    "description": description,
                    "pca_mse": pca_mse,
                    "pca_seconds": pca_seconds,
                    "rows": rows,
                },
                indent=1,
            )
        )
    print()
    print(table(rows, pca_seconds, pca_mse, args.thresholds, args.budget))
    return 0


if __name__ == "__main__":
    sys.exit(main())
