"""Where a training step's time goes: TensorFlow's profiler on one fit epoch.

``bench_speed.py`` says how fast a fit is; this script says why. It trains the
same autoencoder twice, once as the Keras tutorial writes it (``model.fit`` on
arrays) and once through ``AutoencoderTransformer.fit``, each for one warm-up
epoch and then ``--epochs`` profiled epochs, under
``tf.profiler.experimental``. It then reads the trace (the ``.xplane.pb`` file
the profiler writes) and adds up the time of every TensorFlow kernel run on the
compute threads, grouped by what the kernel does:

* ``matrix products``: ``MatMul`` and ``_FusedMatMul`` kernels, forward and
  backward, and the bias gradients;
* ``loss, element-wise``: every kernel inside the compiled loss and its
  gradient (for binary cross-entropy, TensorFlow's sigmoid cross-entropy:
  ``Select``, ``Neg``, ``Log1p``, ``Exp``, ``ZerosLike``...);
* ``optimizer``: the Adam update's kernels;
* ``other kernels``: activations' gradients, casts, variable reads;
* ``executor``: the time TensorFlow's graph executor spends between kernels,
  that is its ``ExecutorState::Process`` events less the kernels inside them;
* ``input pipeline``: kernels run by ``tf.data`` threads (the row gathers),
  which overlap with training.

Profiling slows every kernel launch, so the absolute times are inflated; the
shares are what to read. Run ``python benchmarks/profile_fit.py`` on
Fashion-MNIST (a few minutes) or ``--quick`` on scikit-learn's digits (a smoke
run). The table goes to ``benchmarks/results/profile-<dataset>/profile.md``.
"""

import argparse
import collections
import glob
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_speed  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MODELS = {"tutorial": ((), "relu"), "deep": ((512, 256), None)}
# A kernel event is named ``scope/op_name:OpType``; the profiler's own events
# (``ExecutorState::Process``, ``EagerLocalExecute: ...``) are not.
KERNEL = re.compile(r"^[^\s:]+:\w+$")
CATEGORIES = (
    "matrix products",
    "loss, element-wise",
    "optimizer",
    "other kernels",
    "executor",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits, smoke run")
    parser.add_argument("--models", default="tutorial,deep")
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="profiled epochs (default 2, or 6 with --quick so the fit is compiled)",
    )
    parser.add_argument("--output", type=Path, default=None)
    return parser.parse_args(argv)


def category(kernel):
    """Return the category of a kernel event named ``scope/op_name:OpType``."""
    op_type = kernel.rsplit(":", 1)[-1]
    if "compile_loss" in kernel:
        return "loss, element-wise"
    if "adam" in kernel.lower() or "optimizer" in kernel.lower():
        return "optimizer"
    if op_type in ("MatMul", "_FusedMatMul", "BiasAddGrad"):
        return "matrix products"
    return "other kernels"


def kernel_seconds(trace_folder):
    """Sum the kernel time in a profiler trace, by category, in seconds."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    (path,) = glob.glob(f"{trace_folder}/**/*.xplane.pb", recursive=True)
    space = xplane_pb2.XSpace()
    space.ParseFromString(Path(path).read_bytes())
    totals = collections.Counter()
    for plane in space.planes:
        names = plane.event_metadata
        for line in plane.lines:
            pipeline = line.name.startswith("tf_data")
            for event in line.events:
                name = names[event.metadata_id].name
                seconds = event.duration_ps / 1e12
                if not KERNEL.match(name):
                    if name == "ExecutorState::Process" and not pipeline:
                        totals["executor"] += seconds
                elif pipeline:
                    totals["input pipeline"] += seconds
                else:
                    totals[category(name)] += seconds
                    totals["executor"] -= seconds
    return totals


def profiled(run):
    """Run ``run()`` under TensorFlow's profiler; return wall seconds and totals."""
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="skae-profile-") as folder:
        tf.profiler.experimental.start(folder)
        start = time.perf_counter()
        run()
        wall = time.perf_counter() - start
        tf.profiler.experimental.stop()
        return wall, kernel_seconds(folder)


def profile_keras(X, hidden, code_activation, epochs):
    model = bench_speed.keras_autoencoder(X.shape[1], hidden, code_activation)
    model.fit(X, X, epochs=1, batch_size=256, verbose=0)
    return profiled(
        lambda: model.fit(X, X, epochs=epochs, batch_size=256, shuffle=True, verbose=0)
    )


def profile_skae(X, hidden, epochs):
    model = bench_speed.skae_autoencoder(hidden, 1, seed=0)
    model.fit(X)
    model.set_params(warm_start=True, epochs=epochs)
    return profiled(lambda: model.fit(X))


def measure(X, models, epochs):
    rows = []
    for name in models:
        hidden, code_activation = MODELS[name]
        for way, (wall, totals) in (
            ("Keras model.fit", profile_keras(X, hidden, code_activation, epochs)),
            ("skae fit", profile_skae(X, hidden, epochs)),
        ):
            rows.append(
                {
                    "model": name,
                    "way": way,
                    "wall_s": wall,
                    "steps": epochs * math.ceil(X.shape[0] / 256),
                    **{
                        key: totals.get(key, 0.0)
                        for key in (*CATEGORIES, "input pipeline")
                    },
                }
            )
    return rows


def report(rows, dataset, X, epochs):
    lines = [
        f"Dataset `{dataset}`, {X.shape[0]} rows x {X.shape[1]} features, batch 256, "
        f"{epochs} profiled epochs after a warm-up epoch. Kernel seconds are summed "
        "over TensorFlow's compute threads; shares are of their total. Times are "
        "inflated by the profiler.",
        "",
        "| model | fit | wall, ms/step | "
        + " | ".join(CATEGORIES)
        + " | input pipeline (overlaps) |",
        "|---|---|---|" + "---|" * (len(CATEGORIES) + 1),
    ]
    for row in rows:
        busy = sum(row[key] for key in CATEGORIES) or float("nan")
        shares = " | ".join(
            f"{row[key]:.2f} s ({100 * row[key] / busy:.0f}%)" for key in CATEGORIES
        )
        lines.append(
            f"| {row['model']} | {row['way']} | "
            f"{1000 * row['wall_s'] / row['steps']:.1f} | {shares} | "
            f"{row['input pipeline']:.2f} s |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    dataset = "digits" if args.quick else "fashion-mnist"
    X, _ = bench_speed.load_rows(dataset)
    X = np.ascontiguousarray(X, dtype=np.float32)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise SystemExit(f"Unknown models {unknown}; choose from {sorted(MODELS)}.")
    epochs = args.epochs or (6 if args.quick else 2)
    rows = measure(X, models, epochs)
    text = report(rows, dataset, X, epochs)
    output = args.output or RESULTS_DIR / f"profile-{dataset}"
    output.mkdir(parents=True, exist_ok=True)
    (output / "profile.md").write_text(text)
    (output / "profile.json").write_text(json.dumps(rows, indent=2))
    print(text)
    return rows


if __name__ == "__main__":
    main()
