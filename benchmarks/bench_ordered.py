"""Ordered codes: how good each prefix is, what a fraction picks, what reuse saves.

What is measured
----------------
1. Prefixes. One ``AutoencoderTransformer(32, ordered=True)`` is trained, and for
   k = 2, 4, 8 and 16 its first k code units (``truncate(k)``) reconstruct the
   test rows. Each prefix's mean squared error per value is compared with that
   of an ``AutoencoderTransformer(k)`` trained separately with the same
   settings, and with ``PCA(k)``'s.
2. Fractions. For each fraction f, ``AutoencoderTransformer(n_components=f)``
   keeps the fewest leading units of an ordered code whose held-out R^2
   reaches f, and ``PCA(n_components=f)`` the fewest components that explain f
   of the training variance. The table gives both k and both models' R^2 on
   the test rows.
3. Reuse in a search (``--search``). A ``GridSearchCV`` over the code size of
   ``Pipeline([autoencoder, LogisticRegression])`` refits the autoencoder for
   every k and fold; with one ordered fit, the grid runs over
   ``FrozenEstimator(ordered.truncate(k))`` instead. Both wall times (the
   ordered fit included) and the k each picks.

Every model gets ``random_state=--seed`` and the same ``--epochs`` cap (early
stopping on as by default).

Run ``python benchmarks/bench_ordered.py --dataset digits --search`` (a few
minutes on 2 cores) or ``--dataset fashion-mnist`` (the data must be installed,
see ``skae.datasets``; ``--n-train`` rows of the training set, the 10,000 test
images). ``--quick`` is a smoke run. Results go to
``benchmarks/results/ordered-<dataset>[-quick]/`` as ``results.md`` and
``results.json``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_time_to_quality import describe_machine, load_labelled  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PREFIXES = (2, 4, 8, 16)
FRACTIONS = (0.8, 0.9, 0.95)
SEARCH_SIZES = (2, 4, 8, 16, 32)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("digits", "fashion-mnist"))
    parser.add_argument("--quick", action="store_true", help="a smoke run on digits")
    parser.add_argument("--n-train", type=int, help="training rows used")
    parser.add_argument("--epochs", type=int, help="epoch cap of every fit")
    parser.add_argument("--search", action="store_true", help="time a grid search")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="results folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.dataset = args.dataset or "digits"
        args.epochs = args.epochs or 3
    args.dataset = args.dataset or "digits"
    args.epochs = args.epochs or 200
    suffix = "-quick" if args.quick else ""
    args.output = args.output or RESULTS_DIR / f"ordered-{args.dataset}{suffix}"
    return args


def load_data(dataset, n_train):
    """``load_labelled``, with the first ``n_train`` training rows only."""
    X_train, y_train, X_test, y_test = load_labelled(dataset)
    return X_train[:n_train], y_train[:n_train], X_test, y_test


def mse(model, X):
    X_hat = model.inverse_transform(model.transform(X))
    return float(np.mean((np.asarray(X, dtype=np.float64) - X_hat) ** 2))


def r2(model, X):
    X = np.asarray(X, dtype=np.float64)
    total = np.sum((X - X.mean(axis=0)) ** 2)
    return 1.0 - mse(model, X) * X.size / total


def timed_fit(model, X):
    began = time.perf_counter()
    model.fit(X)
    return model, time.perf_counter() - began


def prefixes(X_train, X_test, args, sizes):
    from sklearn.decomposition import PCA

    from skae import AutoencoderTransformer

    settings = dict(epochs=args.epochs, random_state=args.seed)
    width = max(sizes) * 2
    ordered, seconds = timed_fit(
        AutoencoderTransformer(width, ordered=True, **settings), X_train
    )
    print(f"ordered {width}: {seconds:.1f} s, {ordered.n_iter_} epochs", flush=True)
    rows = []
    for k in sizes:
        separate, separate_seconds = timed_fit(
            AutoencoderTransformer(k, **settings), X_train
        )
        row = {
            "k": k,
            "prefix_mse": mse(ordered.truncate(k), X_test),
            "separate_mse": mse(separate, X_test),
            "pca_mse": mse(PCA(k).fit(X_train), X_test),
            "separate_seconds": separate_seconds,
            "separate_epochs": separate.n_iter_,
        }
        print(row, flush=True)
        rows.append(row)
    full = {"k": width, "seconds": seconds, "epochs": ordered.n_iter_}
    full["mse"] = mse(ordered, X_test)
    full["explained_variance_ratio"] = ordered.explained_variance_ratio_.tolist()
    return full, rows


def fractions(X_train, X_test, args, values):
    from sklearn.decomposition import PCA

    from skae import AutoencoderTransformer

    rows = []
    for f in values:
        ae, seconds = timed_fit(
            AutoencoderTransformer(f, epochs=args.epochs, random_state=args.seed),
            X_train,
        )
        pca = PCA(f).fit(X_train)
        row = {
            "fraction": f,
            "ae_k": int(ae.n_components_),
            "ae_trained": ae._spec.trained_components,
            "ae_test_r2": r2(ae, X_test),
            "pca_k": int(pca.n_components_),
            "pca_test_r2": r2(pca, X_test),
            "ae_seconds": seconds,
            "ae_epochs": ae.n_iter_,
        }
        print(row, flush=True)
        rows.append(row)
    return rows


def search(X_train, y_train, args, sizes):
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from skae import AutoencoderTransformer

    settings = dict(epochs=args.epochs, random_state=args.seed)
    pipe = Pipeline(
        [("ae", AutoencoderTransformer(**settings)), ("clf", LogisticRegression())]
    )
    began = time.perf_counter()
    refit = GridSearchCV(pipe, {"ae__n_components": list(sizes)}, cv=3)
    refit.fit(X_train, y_train)
    refit_seconds = time.perf_counter() - began

    began = time.perf_counter()
    ordered = AutoencoderTransformer(max(sizes), ordered=True, **settings)
    ordered.fit(X_train)
    grid = {"ae": [FrozenEstimator(ordered.truncate(k)) for k in sizes]}
    reuse = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)
    reuse_seconds = time.perf_counter() - began
    result = {
        "refit_seconds": refit_seconds,
        "refit_best_k": refit.best_params_["ae__n_components"],
        "refit_best_accuracy": float(refit.best_score_),
        "reuse_seconds": reuse_seconds,
        "reuse_best_k": int(reuse.best_params_["ae"].n_components_),
        "reuse_best_accuracy": float(reuse.best_score_),
    }
    print(result, flush=True)
    return result


def report(args, description, full, prefix_rows, fraction_rows, search_result):
    lines = [f"# Ordered codes on {args.dataset}", "", description, ""]
    lines += [
        f"## Prefixes of one {full['k']}-unit ordered model",
        "",
        f"Ordered fit: {full['seconds']:.1f} s, {full['epochs']} epochs; test "
        f"MSE of the whole code {full['mse']:.5f}.",
        "",
        "| k | prefix MSE | separate k-model MSE | prefix / separate | PCA(k) MSE "
        "| prefix / PCA |",
        "|---|---|---|---|---|---|",
    ]
    for row in prefix_rows:
        lines.append(
            f"| {row['k']} | {row['prefix_mse']:.5f} | {row['separate_mse']:.5f} | "
            f"{row['prefix_mse'] / row['separate_mse']:.3f} | {row['pca_mse']:.5f} "
            f"| {row['prefix_mse'] / row['pca_mse']:.3f} |"
        )
    lines += [
        "",
        "## n_components as a fraction",
        "",
        "| fraction | autoencoder k (of trained) | its test R^2 | PCA k "
        "| its test R^2 | autoencoder fit (s) |",
        "|---|---|---|---|---|---|",
    ]
    for row in fraction_rows:
        lines.append(
            f"| {row['fraction']} | {row['ae_k']} (of {row['ae_trained']}) | "
            f"{row['ae_test_r2']:.4f} | {row['pca_k']} | {row['pca_test_r2']:.4f} "
            f"| {row['ae_seconds']:.1f} |"
        )
    if search_result:
        s = search_result
        lines += [
            "",
            "## A grid search over the code size (3-fold, LogisticRegression)",
            "",
            "| | wall time (s) | best k | best CV accuracy |",
            "|---|---|---|---|",
            f"| refit per k and fold | {s['refit_seconds']:.1f} | "
            f"{s['refit_best_k']} | {s['refit_best_accuracy']:.4f} |",
            f"| one ordered fit, truncated | {s['reuse_seconds']:.1f} | "
            f"{s['reuse_best_k']} | {s['reuse_best_accuracy']:.4f} |",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    X_train, y_train, X_test, _ = load_data(args.dataset, args.n_train)
    description = describe_machine(
        f"Dataset `{args.dataset}` ({len(X_train)} train / {len(X_test)} test "
        f"rows, {X_train.shape[1]} features), epoch cap {args.epochs}, "
        f"random_state={args.seed}"
    )
    print(description, flush=True)
    sizes = PREFIXES[:2] if args.quick else PREFIXES
    full, prefix_rows = prefixes(X_train, X_test, args, sizes)
    fraction_rows = fractions(
        X_train, X_test, args, FRACTIONS[:1] if args.quick else FRACTIONS
    )
    search_result = None
    if args.search:
        search_sizes = SEARCH_SIZES[:2] if args.quick else SEARCH_SIZES
        search_result = search(X_train, y_train, args, search_sizes)
    args.output.mkdir(parents=True, exist_ok=True)
    text = report(args, description, full, prefix_rows, fraction_rows, search_result)
    (args.output / "results.md").write_text(text)
    payload = {
        "description": description,
        "ordered": full,
        "prefixes": prefix_rows,
        "fractions": fraction_rows,
        "search": search_result,
    }
    (args.output / "results.json").write_text(json.dumps(payload, indent=2))
    print(text)


if __name__ == "__main__":
    main()
