"""Mirror images as training data: the convolutional model with and without them.

What is measured
----------------
For each number n of training images (a random subset of the training set,
the same for both fits), ``ConvAutoencoderTransformer(k)`` is fitted at its
defaults, to early stopping, once on the images alone and once with
``random_flip="horizontal"`` (each training image mirrored left to right with
probability 1/2 in every epoch). The table gives each fit's mean squared error
on the test images and on its n training images, as multiples of ``PCA(k)``'s
test error (PCA fitted on the same n images), the epochs run and the fit's
seconds. The test images are never mirrored.

Run ``python benchmarks/bench_random_flip.py`` for Fashion-MNIST with n =
1,000, 5,000 and 20,000 (about 20 minutes on 2 cores; the data must be
installed, see ``skae.datasets``), or ``--quick`` for a smoke run on
scikit-learn's digits (whose mirror images are not digits: it checks the
script, not the lever). Results go to
``benchmarks/results/random-flip-<dataset>[-quick]/`` as ``results.md`` and
``results.json``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_time_to_quality import describe_machine, load_data, mse  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SIZES = (1_000, 5_000, 20_000)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("fashion-mnist", "digits"))
    parser.add_argument("--quick", action="store_true", help="a smoke run on digits")
    parser.add_argument("--sizes", help="training images per fit, comma-separated")
    parser.add_argument("--n-components", type=int)
    parser.add_argument("--epochs", type=int, help="epoch cap (default: the model's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="results folder")
    args = parser.parse_args(argv)
    args.dataset = args.dataset or ("digits" if args.quick else "fashion-mnist")
    if args.sizes:
        args.sizes = tuple(int(n) for n in args.sizes.split(","))
    else:
        args.sizes = (200,) if args.quick else SIZES
    args.n_components = args.n_components or (8 if args.quick else 32)
    if args.quick and args.epochs is None:
        args.epochs = 3
    suffix = "-quick" if args.quick else ""
    args.output = args.output or RESULTS_DIR / f"random-flip-{args.dataset}{suffix}"
    return args


def run(X_train, X_test, n, k, seed, epochs):
    """PCA's test error and one row per fit on ``n`` images of ``X_train``."""
    from sklearn.decomposition import PCA

    from skae import ConvAutoencoderTransformer

    rows = np.random.default_rng(seed).choice(len(X_train), n, replace=False)
    X = X_train[rows]
    pca = PCA(k).fit(X)
    pca_mse = mse(X_test, pca.inverse_transform(pca.transform(X_test)))
    fits = []
    for random_flip in (None, "horizontal"):
        params = {} if epochs is None else {"epochs": epochs}
        est = ConvAutoencoderTransformer(
            k, image_shape=None, random_flip=random_flip, random_state=seed, **params
        )
        start = time.perf_counter()
        est.fit(X)
        seconds = time.perf_counter() - start
        fits.append(
            {
                "random_flip": random_flip,
                "test": mse(X_test, est.inverse_transform(est.transform(X_test)))
                / pca_mse,
                "train": mse(X, est.inverse_transform(est.transform(X))) / pca_mse,
                "epochs": est.n_iter_,
                "seconds": seconds,
            }
        )
    return {"n": n, "pca_mse": pca_mse, "fits": fits}


def table(results):
    lines = [
        "| images | random_flip | test MSE / PCA's | training MSE / PCA's test "
        "| epochs | fit (s) |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for fit in result["fits"]:
            lines.append(
                f"| {result['n']:,} | {fit['random_flip']} | {fit['test']:.3f}x "
                f"| {fit['train']:.3f}x | {fit['epochs']} | {fit['seconds']:.0f} |"
            )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    X_train, X_test = load_data(args.dataset)
    sizes = [n for n in args.sizes if n <= len(X_train)]
    description = describe_machine(
        f"Dataset `{args.dataset}`, k = {args.n_components}, training images "
        f"{', '.join(f'{n:,}' for n in sizes)} of {len(X_train):,}, "
        f"{len(X_test):,} test images, random_state={args.seed}"
    )
    print(description, flush=True)
    args.output.mkdir(parents=True, exist_ok=True)
    results = []
    for n in sizes:
        results.append(
            run(X_train, X_test, n, args.n_components, args.seed, args.epochs)
        )
        print("\n".join(table(results[-1:]).splitlines()[-2:]), flush=True)
        text = f"{description}\n\n{table(results)}\n"
        (args.output / "results.md").write_text(text)
        (args.output / "results.json").write_text(
            json.dumps({"description": description, "results": results}, indent=1)
        )
    print()
    print(table(results))
    return results


if __name__ == "__main__":
    main()
