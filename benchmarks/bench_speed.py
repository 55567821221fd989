"""Speed and memory of skae against its baselines, measured side by side.

What is measured
----------------
Every figure is a ratio of two timings taken in the same process, one right
after the other, as medians of repeats (``time.perf_counter``):

* ``peak``: the machine's float32 matrix-product rate (NumPy, 2048 x 2048), the
  yardstick for the GFLOP/s a training run achieves.
* ``inference``: ``transform`` and ``inverse_transform`` of one row and of
  10,000 rows for every model family at ``n_components=32``, against
  ``PCA(32)`` on the same rows, and against Keras's ``predict_on_batch`` over
  1,024-row and over 2,000-row chunks on the fitted encoder and decoder (what
  a well-tuned hand-written Keras pipeline calls); and, for the dense models,
  the decoder's NumPy pass against its compiled Keras call at 1 to 256 rows,
  which places the handover between the two.
* ``fit``: the tutorial's model (``Dense(32, relu)`` encoder, ``Dense(784,
  sigmoid)`` decoder, adam, binary cross-entropy, batch 256) trained for 10
  epochs on the training rows, written as the tutorial writes it with
  ``model.fit`` (``verbose=0``, no validation data) against
  ``AutoencoderTransformer(32, hidden_layer_sizes=(), validation_fraction=0,
  early_stopping=False)``; then the same for a deep 512-256-32 model
  (``pca_shortcut=False``, so both train the same network). The final training
  losses are compared too, and the deep fit's arithmetic rate is reported
  against ``peak`` (6 flops per weight per row and epoch: forward, backward
  and the weight gradient of each matrix product).
* ``memory``: NumPy's peak allocation (``tracemalloc``) while transforming a
  large float32 array with the default model, less the output's size: the
  working set, which must stay bounded; and the peak while fitting on float32
  rows, as a multiple of the input's size (a float64 copy would be 2x on its
  own).
* ``growth``: seconds per epoch of the tutorial model's fit at growing row
  counts (the first epoch, which compiles, is left out) and the slope of a
  least-squares line through them.
* ``import``: ``import skae`` in a fresh interpreter against
  ``from sklearn.decomposition import PCA``.
* ``backends``: the tutorial model's skae fit in a fresh interpreter per Keras
  backend installed (TensorFlow, JAX, PyTorch).

Run ``python benchmarks/bench_speed.py`` for the full run on Fashion-MNIST
(about 15 minutes on 2 cores; it needs the data, see ``skae.datasets``), or
``--quick`` for a smoke run of a minute on scikit-learn's digits, which checks
that every measurement works and measures nothing worth reporting. Results go to
``benchmarks/results/speed-<dataset>[-quick]/results.md`` and ``results.json``.
Run nothing else on the machine meanwhile: every figure is a timing.
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from sklearn.decomposition import PCA

import skae
from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.datasets import load_digits, load_fashion_mnist

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SECTIONS = ("peak", "inference", "fit", "memory", "growth", "import", "backends")
BACKENDS = ("tensorflow", "jax", "torch")
N_COMPONENTS = 32


@dataclass(frozen=True)
class Sizes:
    """How much work each section does; the quick mode only checks it runs."""

    one_row_repeats: int
    many_rows: int
    many_rows_repeats: int
    predict_repeats: int
    inference_fit_rows: int
    fit_epochs: int
    deep_fit_epochs: int
    fit_repeats: int
    memory_rows: int
    growth_rows: tuple
    growth_epochs: int
    import_repeats: int
    backend_epochs: int


FULL = Sizes(
    one_row_repeats=200,
    many_rows=10_000,
    many_rows_repeats=15,
    predict_repeats=20,
    inference_fit_rows=2_000,
    fit_epochs=10,
    deep_fit_epochs=3,
    fit_repeats=3,
    memory_rows=1_000_000,
    growth_rows=(10_000, 20_000, 40_000, 60_000),
    growth_epochs=4,
    import_repeats=5,
    backend_epochs=10,
)
QUICK = Sizes(
    one_row_repeats=5,
    many_rows=500,
    many_rows_repeats=1,
    predict_repeats=1,
    inference_fit_rows=100,
    fit_epochs=1,
    deep_fit_epochs=1,
    fit_repeats=1,
    memory_rows=5_000,
    growth_rows=(200, 400, 800),
    growth_epochs=2,
    import_repeats=1,
    backend_epochs=1,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("fashion-mnist", "digits"))
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument(
        "--sections",
        type=lambda text: tuple(s for s in text.split(",") if s),
        default=SECTIONS,
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--output", type=Path, help="results folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend-fit", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {list(SECTIONS)}")
    if args.dataset is None:
        args.dataset = "digits" if args.quick else "fashion-mnist"
    return args


def load_rows(dataset):
    """Return float32 training and test rows in [0, 1]."""
    loader = load_digits if dataset == "digits" else load_fashion_mnist
    (X_train, _), (X_test, _) = loader()
    return np.asarray(X_train, np.float32), np.asarray(X_test, np.float32)


def rows_of(X, n):
    """Return ``n`` rows cycling through ``X`` (float32, C-contiguous)."""
    return np.ascontiguousarray(np.resize(X, (n, X.shape[1])))


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def image_side(n_features):
    side = int(round(n_features**0.5))
    if side * side != n_features:
        raise ValueError(f"{n_features} features do not form a square image")
    return side


# -- peak ---------------------------------------------------------------------------


def measure_peak(sizes):
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    seconds = median_seconds(lambda: a @ a, 10 if sizes is FULL else 2)
    return {"matmul_gflops": 2 * 2048**3 / seconds / 1e9}


# -- inference ----------------------------------------------------------------------


def inference_models(n_features, seed):
    side = image_side(n_features)
    common = {"epochs": 1, "random_state": seed}
    return {
        "AE tutorial (784-32)": AutoencoderTransformer(
            N_COMPONENTS, hidden_layer_sizes=(), **common
        ),
        "AE default (auto widths + PCA path)": AutoencoderTransformer(
            N_COMPONENTS, **common
        ),
        "AE deep (512-256)": AutoencoderTransformer(
            N_COMPONENTS, hidden_layer_sizes=(512, 256), **common
        ),
        "AE conv (defaults)": ConvAutoencoderTransformer(
            N_COMPONENTS, image_shape=(side, side, 1), **common
        ),
        "AE variational (256)": VariationalAutoencoderTransformer(
            N_COMPONENTS, **common
        ),
        "AE sequence (LSTM 64)": SequenceAutoencoderTransformer(
            N_COMPONENTS, sequence_shape=(side, side), **common
        ),
    }


def time_pair(transform, inverse, X1, Xn, sizes):
    Z1, Zn = transform(X1), transform(Xn)
    return {
        "transform_1": median_seconds(lambda: transform(X1), sizes.one_row_repeats),
        "inverse_1": median_seconds(lambda: inverse(Z1), sizes.one_row_repeats),
        "transform_n": median_seconds(lambda: transform(Xn), sizes.many_rows_repeats),
        "inverse_n": median_seconds(lambda: inverse(Zn), sizes.many_rows_repeats),
    }


def paired_medians(*functions, repeats, seed=0):
    """Medians of each of ``functions`` timed in turn, so that changes in the
    machine's load fall on all alike; in a new random order every round, so
    that none always runs first (after another model's call) or last."""
    rng = np.random.default_rng(seed)
    times = [[] for _ in functions]
    for _ in range(repeats):
        for i in rng.permutation(len(functions)):
            start = time.perf_counter()
            functions[i]()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]


# The chunk sizes of the hand-written Keras calls skae is compared with.
KERAS_CHUNKS = (1024, 2000)


def keras_predict(model, X, chunk):
    """A well-tuned hand-written Keras call: ``predict_on_batch`` over chunks."""
    return np.concatenate(
        [model.predict_on_batch(X[i : i + chunk]) for i in range(0, len(X), chunk)]
    )


def measure_inference(X_train, X_test, sizes, seed):
    X1 = X_test[:1]
    Xn = rows_of(X_test, sizes.many_rows)
    pca = PCA(N_COMPONENTS, random_state=seed).fit(X_train)
    rows = [
        {
            "model": "PCA",
            **time_pair(pca.transform, pca.inverse_transform, X1, Xn, sizes),
        }
    ]
    fit_rows = X_train[: sizes.inference_fit_rows]
    crossover = []
    for name, model in inference_models(X_train.shape[1], seed).items():
        model.fit(fit_rows)
        row = {"model": name}
        # Timed before the models are handed out (which would send every call
        # through Keras, see skae.inference.runner).
        row.update(time_pair(model.transform, model.inverse_transform, X1, Xn, sizes))
        if name.startswith("AE") and "conv" not in name and "sequence" not in name:
            crossover.append({"model": name, **measure_crossover(model, X_test)})
        # The same Keras models, not handed out (which would change skae's path).
        encoder, decoder = model._models.encoder, model._models.decoder
        Zn = model.transform(Xn)  # codes to decode, and to compare with Keras's
        row["predict_transform_1"] = median_seconds(
            lambda e=encoder: e.predict_on_batch(X1), sizes.predict_repeats
        )
        for key, method, part, inputs in (
            ("transform", model.transform, encoder, Xn),
            ("inverse", model.inverse_transform, decoder, Zn),
        ):
            row[f"{key}_n"], *keras_seconds = paired_medians(
                lambda f=method, r=inputs: f(r),
                *(
                    lambda p=part, r=inputs, c=chunk: keras_predict(p, r, c)
                    for chunk in KERAS_CHUNKS
                ),
                repeats=sizes.many_rows_repeats,
            )
            for chunk, seconds in zip(KERAS_CHUNKS, keras_seconds, strict=True):
                row[f"predict_{key}_n_{chunk}"] = seconds
                row[f"{key}_n_vs_keras_{chunk}"] = row[f"{key}_n"] / seconds
        # The variational encoder outputs means, then log-variances.
        keras_codes = keras_predict(encoder, Xn, KERAS_CHUNKS[0])[:, : Zn.shape[1]]
        row["max_abs_diff_to_keras"] = float(np.max(np.abs(Zn - keras_codes)))
        rows.append(row)
    for row in rows:
        for key in ("transform_1", "inverse_1", "transform_n", "inverse_n"):
            row[f"{key}_vs_pca"] = row[key] / rows[0][key]
    return {"rows_many": sizes.many_rows, "models": rows, "crossover": crossover}


CROSSOVER_ROWS = (1, 16, 256, 1024, 4096)


def measure_crossover(model, X):
    """Seconds of the NumPy pass and of Keras's compiled call, by rows.

    Where the two meet is where skae.inference.runner hands a dense stack over
    from NumPy to Keras (NUMPY_MAX_ROWS).
    """
    from skae.inference.numpy_pass import forward

    run = model._models.decode
    # float64, what most callers pass (NumPy's default), and NumPy's slower case.
    steps = run._numpy_steps(np.dtype(np.float64))
    Z = model.transform(rows_of(X, max(CROSSOVER_ROWS))).astype(np.float64)
    result = {}
    for n in CROSSOVER_ROWS:
        result[f"numpy_{n}"] = median_seconds(lambda z=Z[:n]: forward(steps, z), 20)
        result[f"keras_{n}"] = median_seconds(
            lambda z=Z[:n]: run.compiled(z, np.float64), 20
        )
    return result


# -- fit ----------------------------------------------------------------------------


def keras_autoencoder(n_features, hidden, code_activation, n_components=N_COMPONENTS):
    """The tutorial's way: a Keras model written by hand."""
    inputs = keras.Input(shape=(n_features,))
    h = inputs
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    h = keras.layers.Dense(n_components, activation=code_activation)(h)
    for units in reversed(hidden):
        h = keras.layers.Dense(units, activation="relu")(h)
    outputs = keras.layers.Dense(n_features, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def fit_keras(X, hidden, code_activation, epochs):
    model = keras_autoencoder(X.shape[1], hidden, code_activation)
    start = time.perf_counter()
    history = model.fit(X, X, epochs=epochs, batch_size=256, shuffle=True, verbose=0)
    return time.perf_counter() - start, history.history["loss"][-1]


def skae_autoencoder(hidden, epochs, seed):
    return AutoencoderTransformer(
        N_COMPONENTS,
        hidden_layer_sizes=hidden,
        pca_shortcut=False,
        epochs=epochs,
        batch_size=256,
        validation_fraction=0.0,
        early_stopping=False,
        random_state=seed,
    )


def fit_skae(X, hidden, epochs, seed):
    model = skae_autoencoder(hidden, epochs, seed)
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start, model.history_["loss"][-1]


def weights_in_matmuls(n_features, hidden):
    widths = [n_features, *hidden, N_COMPONENTS, *reversed(hidden), n_features]
    return sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))


def compare_fits(X, hidden, code_activation, epochs, sizes, seed):
    keras_runs, skae_runs = [], []
    for _ in range(sizes.fit_repeats):
        keras_runs.append(fit_keras(X, hidden, code_activation, epochs))
        skae_runs.append(fit_skae(X, hidden, epochs, seed))
    keras_s = statistics.median(t for t, _ in keras_runs)
    skae_s = statistics.median(t for t, _ in skae_runs)
    keras_loss = statistics.median(loss for _, loss in keras_runs)
    skae_loss = statistics.median(loss for _, loss in skae_runs)
    flops = 6 * weights_in_matmuls(X.shape[1], hidden) * X.shape[0] * epochs
    return {
        "hidden": list(hidden),
        "epochs": epochs,
        "rows": X.shape[0],
        "keras_s": keras_s,
        "skae_s": skae_s,
        "ratio": skae_s / keras_s,
        "keras_loss": keras_loss,
        "skae_loss": skae_loss,
        "loss_rel_diff": (skae_loss - keras_loss) / keras_loss,
        "skae_gflops": flops / skae_s / 1e9,
        "keras_gflops": flops / keras_s / 1e9,
    }


def measure_fit(X_train, sizes, seed):
    return [
        compare_fits(X_train, (), "relu", sizes.fit_epochs, sizes, seed),
        compare_fits(X_train, (512, 256), None, sizes.deep_fit_epochs, sizes, seed),
    ]


# -- memory -------------------------------------------------------------------------


def traced_peak(function):
    """Return ``function()`` and NumPy's peak allocation while it ran, in bytes."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def measure_memory(X_train, sizes, seed):
    from skae.inference import compiled

    model = AutoencoderTransformer(N_COMPONENTS, epochs=1, random_state=seed)
    model.fit(X_train[:2_000])
    X_big = rows_of(X_train, sizes.memory_rows)
    Z, peak = traced_peak(lambda: model.transform(X_big))
    working_set = peak - Z.nbytes
    _, fit_peak = traced_peak(
        lambda: AutoencoderTransformer(
            N_COMPONENTS, hidden_layer_sizes=(), epochs=1, random_state=seed
        ).fit(X_train)
    )
    return {
        "transform_rows": X_big.shape[0],
        "transform_input_bytes": X_big.nbytes,
        "transform_output_bytes": Z.nbytes,
        "transform_peak_bytes": peak,
        "transform_working_set_bytes": working_set,
        "chunk_bytes": compiled.CHUNK_BYTES,
        "fit_input_bytes": X_train.nbytes,
        "fit_peak_bytes": fit_peak,
        "fit_peak_vs_input": fit_peak / X_train.nbytes,
    }


# -- growth -------------------------------------------------------------------------


class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def measure_growth(X_train, sizes, seed):
    rows = []
    for n in sizes.growth_rows:
        timer = EpochTimes()
        model = skae_autoencoder((), sizes.growth_epochs, seed)
        model.set_params(callbacks=[timer]).fit(rows_of(X_train, n))
        rows.append({"rows": n, "epoch_s": statistics.median(timer.seconds[1:])})
    n = np.array([row["rows"] for row in rows], dtype=float)
    t = np.array([row["epoch_s"] for row in rows])
    slope, intercept = np.polyfit(n, t, 1)
    fitted = slope * n + intercept
    r2 = 1 - np.sum((t - fitted) ** 2) / np.sum((t - t.mean()) ** 2)
    return {
        "rows": rows,
        "slope_s_per_10k_rows": float(slope * 10_000),
        "intercept_s": float(intercept),
        "r2": float(r2),
    }


# -- import -------------------------------------------------------------------------


def import_seconds(statement):
    code = (
        "import time; start = time.perf_counter(); "
        f"{statement}; print(time.perf_counter() - start)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure_import(sizes):
    skae_s, pca_s = [], []
    for _ in range(sizes.import_repeats):
        pca_s.append(import_seconds("from sklearn.decomposition import PCA"))
        skae_s.append(import_seconds("import skae"))
    skae_median, pca_median = statistics.median(skae_s), statistics.median(pca_s)
    return {
        "skae_s": skae_median,
        "pca_s": pca_median,
        "ratio": skae_median / pca_median,
    }


# -- backends -----------------------------------------------------------------------


def backend_installed(backend):
    return importlib.util.find_spec(backend) is not None


def backend_fit(dataset, epochs, seed):
    """Run in a fresh interpreter: print the tutorial model's fit time as JSON."""
    X_train, _ = load_rows(dataset)
    AutoencoderTransformer(2, hidden_layer_sizes=(), epochs=1).fit(X_train[:64])
    seconds, loss = fit_skae(X_train, (), epochs, seed)
    print(
        json.dumps({"backend": keras.backend.backend(), "fit_s": seconds, "loss": loss})
    )


def measure_backends(dataset, sizes, seed):
    rows = []
    # The quick run only checks that the measurement works, on this backend.
    for backend in (keras.backend.backend(),) if sizes is QUICK else BACKENDS:
        if not backend_installed(backend):
            rows.append({"backend": backend, "fit_s": None, "loss": None})
            continue
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--backend-fit",
                f"{dataset},{sizes.backend_epochs},{seed}",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "KERAS_BACKEND": backend},
        )
        if out.returncode != 0:
            raise RuntimeError(f"the {backend} fit failed:\n{out.stderr[-3000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    timed = [row for row in rows if row["fit_s"] is not None]
    fastest = min(timed, key=lambda row: row["fit_s"])["backend"]
    return {"epochs": sizes.backend_epochs, "rows": rows, "fastest": fastest}


# -- report -------------------------------------------------------------------------


def ms(seconds):
    return f"{1000 * seconds:.3g}"


def x(ratio):
    return f"{ratio:.2f}x"


def mib(n_bytes):
    return f"{n_bytes / 2**20:,.1f} MiB"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def report(results):
    out = [f"# Speed: {results['description']}", ""]
    if "peak" in results:
        out += [
            f"Matrix-product peak (NumPy float32, 2048 x 2048): "
            f"{results['peak']['matmul_gflops']:.1f} GFLOP/s.",
            "",
        ]
    if "inference" in results:
        inf = results["inference"]
        n = f"{inf['rows_many']:,}"
        out += [
            f"## transform / inverse_transform, n_components={N_COMPONENTS} "
            f"(ms; x PCA's time on the same rows)",
            "",
            table(
                [
                    "model",
                    "transform 1 row",
                    "inverse 1 row",
                    f"transform {n} rows",
                    f"inverse {n} rows",
                    "Keras 1 row",
                    *(
                        label
                        for chunk in KERAS_CHUNKS
                        for label in (
                            f"Keras, {chunk:,}-row chunks: transform",
                            "inverse",
                        )
                    ),
                ],
                [
                    [
                        row["model"],
                        f"{ms(row['transform_1'])} ({x(row['transform_1_vs_pca'])})",
                        f"{ms(row['inverse_1'])} ({x(row['inverse_1_vs_pca'])})",
                        f"{ms(row['transform_n'])} ({x(row['transform_n_vs_pca'])})",
                        f"{ms(row['inverse_n'])} ({x(row['inverse_n_vs_pca'])})",
                        ms(row["predict_transform_1"])
                        if "predict_transform_1" in row
                        else "",
                        *(
                            f"{ms(row[f'predict_{key}_n_{chunk}'])} "
                            f"(skae {x(row[f'{key}_n_vs_keras_{chunk}'])})"
                            if f"predict_{key}_n_{chunk}" in row
                            else ""
                            for chunk in KERAS_CHUNKS
                            for key in ("transform", "inverse")
                        ),
                    ]
                    for row in inf["models"]
                ],
            ),
            "",
            "Keras: the fitted encoder's and decoder's `predict_on_batch` over "
            "chunks of 1,024 and of 2,000 rows; skae's time on the same rows as "
            "a multiple of it.",
            "",
            "### inference crossover: the decoder on float64 codes, NumPy's pass "
            "against Keras's compiled call (ms)",
            "",
            table(
                ["model", *(f"{n} rows" for n in CROSSOVER_ROWS)],
                [
                    [
                        row["model"],
                        *(
                            f"{ms(row[f'numpy_{n}'])} / {ms(row[f'keras_{n}'])}"
                            for n in CROSSOVER_ROWS
                        ),
                    ]
                    for row in inf["crossover"]
                ],
            ),
            "",
        ]
    if "fit" in results:
        out += [
            "## fit: skae against the same network in a hand-written Keras model.fit",
            "",
            table(
                [
                    "network",
                    "rows x epochs",
                    "Keras fit (s)",
                    "skae fit (s)",
                    "skae / Keras",
                    "final loss Keras",
                    "final loss skae",
                    "skae GFLOP/s",
                ],
                [
                    [
                        "-".join(str(w) for w in [*row["hidden"], N_COMPONENTS]),
                        f"{row['rows']:,} x {row['epochs']}",
                        f"{row['keras_s']:.2f}",
                        f"{row['skae_s']:.2f}",
                        x(row["ratio"]),
                        f"{row['keras_loss']:.4f}",
                        f"{row['skae_loss']:.4f} ({100 * row['loss_rel_diff']:+.1f}%)",
                        f"{row['skae_gflops']:.1f}",
                    ]
                    for row in results["fit"]
                ],
            ),
            "",
        ]
    if "memory" in results:
        mem = results["memory"]
        out += [
            "## memory (NumPy allocations traced by tracemalloc)",
            "",
            f"- transform of {mem['transform_rows']:,} float32 rows "
            f"({mib(mem['transform_input_bytes'])}): peak "
            f"{mib(mem['transform_peak_bytes'])}, of which the output is "
            f"{mib(mem['transform_output_bytes'])}; working set "
            f"{mib(mem['transform_working_set_bytes'])} (chunks of "
            f"{mib(mem['chunk_bytes'])}).",
            f"- fit on {mib(mem['fit_input_bytes'])} of float32 rows: peak "
            f"{mib(mem['fit_peak_bytes'])}, {mem['fit_peak_vs_input']:.2f}x the input.",
            "",
        ]
    if "growth" in results:
        growth = results["growth"]
        out += [
            "## growth: seconds per epoch (tutorial model) against rows",
            "",
            table(
                ["rows", "s / epoch", "ms / 1,000 rows"],
                [
                    [
                        f"{r['rows']:,}",
                        f"{r['epoch_s']:.3f}",
                        f"{1e6 * r['epoch_s'] / r['rows']:.1f}",
                    ]
                    for r in growth["rows"]
                ],
            ),
            "",
            f"Least-squares line: {growth['slope_s_per_10k_rows']:.3f} s per 10,000 "
            f"rows, intercept {growth['intercept_s']:.3f} s, R^2 = {growth['r2']:.4f}.",
            "",
        ]
    if "import" in results:
        imp = results["import"]
        out += [
            f"## import: `import skae` {ms(imp['skae_s'])} ms, "
            f"`from sklearn.decomposition import PCA` {ms(imp['pca_s'])} ms "
            f"({x(imp['ratio'])})",
            "",
        ]
    if "backends" in results:
        back = results["backends"]
        out += [
            f"## backends: tutorial model, {back['epochs']} epochs, "
            "one fresh interpreter per backend",
            "",
            table(
                ["backend", "fit (s)", "final loss"],
                [
                    [
                        r["backend"],
                        "not installed" if r["fit_s"] is None else f"{r['fit_s']:.2f}",
                        "" if r["loss"] is None else f"{r['loss']:.4f}",
                    ]
                    for r in back["rows"]
                ],
            ),
            "",
            f"Fastest: {back['fastest']}.",
            "",
        ]
    return "\n".join(out)


def describe(dataset, X_train, quick):
    return (
        f"{dataset}{' (quick)' if quick else ''}, {X_train.shape[0]:,} training rows "
        f"of {X_train.shape[1]}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{platform.platform()}, {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}, skae {skae.__version__}, keras "
        f"{keras.__version__} ({keras.backend.backend()}), numpy {np.__version__}"
    )


def main(argv=None):
    args = parse_args(argv)
    if args.backend_fit:
        dataset, epochs, seed = args.backend_fit.split(",")
        backend_fit(dataset, int(epochs), int(seed))
        return None
    sizes = QUICK if args.quick else FULL
    X_train, X_test = load_rows(args.dataset)
    output = args.output or RESULTS_DIR / (
        f"speed-{args.dataset}{'-quick' if args.quick else ''}"
    )
    output.mkdir(parents=True, exist_ok=True)
    # One throwaway fit, so Keras's start-up is timed by no section.
    AutoencoderTransformer(2, hidden_layer_sizes=(), epochs=1).fit(X_train[:64])
    results = {"description": describe(args.dataset, X_train, args.quick)}
    steps = {
        "peak": lambda: measure_peak(sizes),
        "inference": lambda: measure_inference(X_train, X_test, sizes, args.seed),
        "fit": lambda: measure_fit(X_train, sizes, args.seed),
        "memory": lambda: measure_memory(X_train, sizes, args.seed),
        "growth": lambda: measure_growth(X_train, sizes, args.seed),
        "import": lambda: measure_import(sizes),
        "backends": lambda: measure_backends(args.dataset, sizes, args.seed),
    }
    for section in args.sections:
        print(f"[bench_speed] {section} ...", file=sys.stderr, flush=True)
        results[section] = steps[section]()
        (output / "results.json").write_text(json.dumps(results, indent=2))
        (output / "results.md").write_text(report(results))
    print(report(results))
    return results


if __name__ == "__main__":
    main()
