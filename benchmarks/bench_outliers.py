"""Outlier detection: reconstruction error against the usual detectors.

What is measured
----------------
ROC AUC of each detector's ``score_samples`` (higher = more normal) in two tasks:

* one class against the rest: each detector is fitted on the training images of
  one class and scores every test image; the images of that class are the
  inliers. The AUC is averaged over the classes.
* corrupted rows: each detector is fitted on all training images (or
  ``--n-train`` of them) and scores the test images, of which ``--corrupt``
  (10%) have a square patch a third of the image wide set to white at a random
  place; the corrupted ones are the outliers.

Detectors, all with ``random_state=--seed`` where they take one:

* ``autoencoder``: ``AutoencoderOutlierDetector(AutoencoderTransformer(k))``;
* ``pca``: minus the mean squared reconstruction error of ``PCA(k)``, the linear
  counterpart of the autoencoder's score;
* ``isolation-forest``: ``IsolationForest()``;
* ``lof``: ``LocalOutlierFactor(novelty=True)``.

Run ``python benchmarks/bench_outliers.py --dataset digits`` (a minute or two on
2 cores) or ``--dataset fashion-mnist`` (the data must be installed, see
``skae.datasets``). ``--quick`` is a smoke run. Results go to
``benchmarks/results/outliers-<dataset>[-quick]/`` as ``results.md`` and
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
DETECTORS = ("autoencoder", "pca", "isolation-forest", "lof")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("digits", "fashion-mnist"))
    parser.add_argument("--quick", action="store_true", help="a smoke run on digits")
    parser.add_argument("--n-components", type=int, default=16)
    parser.add_argument("--n-train", type=int, help="training rows, corrupted task")
    parser.add_argument("--corrupt", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="results folder")
    args = parser.parse_args(argv)
    args.dataset = args.dataset or "digits"
    if args.quick:
        args.epochs = 2
    suffix = "-quick" if args.quick else ""
    args.output = args.output or RESULTS_DIR / f"outliers-{args.dataset}{suffix}"
    return args


class PCADetector:
    """Minus the mean squared reconstruction error of ``PCA(k)``."""

    def __init__(self, k):
        from sklearn.decomposition import PCA

        self.pca = PCA(k)

    def fit(self, X):
        self.pca.fit(X)
        return self

    def score_samples(self, X):
        X_hat = self.pca.inverse_transform(self.pca.transform(X))
        return -np.mean((X - X_hat) ** 2, axis=1)


def make_detector(name, k, args):
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor

    from skae import AutoencoderOutlierDetector, AutoencoderTransformer

    if name == "autoencoder":
        ae = AutoencoderTransformer(k, epochs=args.epochs, random_state=args.seed)
        return AutoencoderOutlierDetector(ae)
    if name == "pca":
        return PCADetector(k)
    if name == "isolation-forest":
        return IsolationForest(random_state=args.seed)
    return LocalOutlierFactor(novelty=True)


def auc(detector, X_train, X_test, is_inlier):
    from sklearn.metrics import roc_auc_score

    began = time.perf_counter()
    detector.fit(X_train)
    scores = detector.score_samples(X_test)
    return float(roc_auc_score(is_inlier, scores)), time.perf_counter() - began


def corrupt(X, fraction, seed):
    """Copies of the rows of ``X`` with a white square patch on ``fraction`` of them."""
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(X.shape[1])))
    patch = max(1, side // 3)
    images = X.reshape(len(X), side, side).copy()
    hit = rng.random(len(X)) < fraction
    for i in np.flatnonzero(hit):
        top, left = rng.integers(0, side - patch + 1, size=2)
        images[i, top : top + patch, left : left + patch] = 1.0
    return images.reshape(len(X), -1), hit


def main(argv=None):
    args = parse_args(argv)
    X_train, y_train, X_test, y_test = load_labelled(args.dataset)
    k = args.n_components
    classes = np.unique(y_train)[: 2 if args.quick else None]
    description = describe_machine(
        f"Dataset `{args.dataset}` ({len(X_train)} train / {len(X_test)} test "
        f"images, {X_train.shape[1]} pixels), k = {k}, epoch cap {args.epochs}, "
        f"random_state={args.seed}"
    )
    print(description, flush=True)
    one_class = {name: [] for name in DETECTORS}
    seconds = {name: 0.0 for name in DETECTORS}
    for c in classes:
        for name in DETECTORS:
            score, took = auc(
                make_detector(name, k, args), X_train[y_train == c], X_test, y_test == c
            )
            one_class[name].append(score)
            seconds[name] += took
        print(c, {name: round(one_class[name][-1], 4) for name in DETECTORS})
    X_corrupt, hit = corrupt(X_test, args.corrupt, args.seed)
    rows = X_train[: args.n_train]
    corrupted = {}
    for name in DETECTORS:
        corrupted[name] = auc(make_detector(name, k, args), rows, X_corrupt, ~hit)
        print(name, corrupted[name], flush=True)
    lines = [
        f"# Outlier detection on {args.dataset}",
        "",
        description,
        "",
        f"One class against the rest: mean ROC AUC over {len(classes)} classes "
        f"(fitted on one class's training images, scoring all {len(X_test)} test "
        f"images). Corrupted rows: fitted on {len(rows)} training images, "
        f"scoring the test images, {hit.mean():.1%} of them with a white patch.",
        "",
        "| detector | one class vs rest: mean AUC | worst class AUC | fit + score (s) "
        "| corrupted rows: AUC | fit + score (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name in DETECTORS:
        lines.append(
            f"| {name} | {np.mean(one_class[name]):.4f} | "
            f"{np.min(one_class[name]):.4f} | {seconds[name]:.1f} | "
            f"{corrupted[name][0]:.4f} | {corrupted[name][1]:.1f} |"
        )
    per_class = ["", "AUC per class:", "", "| class | " + " | ".join(DETECTORS) + " |"]
    per_class.append("|---" * (len(DETECTORS) + 1) + "|")
    for i, c in enumerate(classes):
        cells = " | ".join(f"{one_class[name][i]:.4f}" for name in DETECTORS)
        per_class.append(f"| {c} | {cells} |")
    text = "\n".join(lines + per_class) + "\n"
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.md").write_text(text)
    payload = {
        "description": description,
        "one_class": {n: [float(v) for v in one_class[n]] for n in DETECTORS},
        "one_class_seconds": seconds,
        "corrupted": {n: list(corrupted[n]) for n in DETECTORS},
    }
    (args.output / "results.json").write_text(json.dumps(payload, indent=2))
    print(text)


if __name__ == "__main__":
    main()
