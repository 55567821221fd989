"""Denoising: skae against PCA and tuned kernel PCA, on noisy images.

What is measured
----------------
Images in [0, 1] get Gaussian noise of standard deviation ``sigma`` and are
clipped back to [0, 1], as the Keras tutorial makes its noisy digits (and as
stored images saturate). Every method is fitted on the noisy training images,
restores the noisy test images (``inverse_transform(transform(X))``), and is
scored by the mean squared error to the *clean* test images:

* ``PCA(k)`` for each k of ``--pca-ks``, and the best of them;
* ``KernelPCA(kernel="rbf", fit_inverse_transform=True)`` tuned by a grid over
  ``n_components``, ``gamma`` (as multiples of ``1 / n_features``) and
  ``alpha``, picked by its error on the clean test images: the best any point
  of the grid reaches, an upper bound on what tuning it by cross-validation
  would give;
* ``AutoencoderTransformer(k)`` at its defaults (plain reconstruction of the
  noisy rows);
* ``AutoencoderTransformer(k, noise=sigma)``: the denoising mode, still from
  the noisy images only;
* ``AutoencoderTransformer(k).fit(X_noisy, X_target=X_clean)``: trained from
  the noisy images to their clean versions, the tutorial's way.

Errors are also given as multiples of ``PCA(k)``'s error at the autoencoders'
``k`` (``--n-components``).

Run ``python benchmarks/bench_denoising.py`` (digits and Fashion-MNIST, two
noise levels; about half an hour on 2 cores; Fashion-MNIST must be installed,
see ``skae.datasets``) or ``--datasets digits`` (a few minutes). ``--quick`` is
a smoke run on 300 digits. Results go to ``benchmarks/results/denoising[-quick]/``
as ``results.md`` and ``results.json``.
"""

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_time_to_quality import describe_machine, load_labelled  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DATASETS = ("digits", "fashion-mnist")
# Kernel PCA's grid: n_components, gamma * n_features, alpha. Fashion-MNIST's is
# smaller, each fit there solving two 5,000 x 5,000 systems.
KPCA_GRIDS = {
    "digits": ((16, 32, 64), (1, 2, 4, 8, 16, 32), (0.01, 0.1, 1, 10)),
    "fashion-mnist": ((64, 128, 256), (2, 4, 8), (1e-3, 1e-2, 1e-1)),
    "quick": ((8,), (4,), (0.1, 1)),
}
AUTOENCODERS = ("default", "noise", "clean targets")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--noise", default="0.25,0.5", help="sigmas, comma-separated")
    parser.add_argument("--quick", action="store_true", help="a smoke run on digits")
    parser.add_argument("--n-components", type=int, default=32)
    parser.add_argument("--pca-ks", default="2,4,8,16,24,32,48,64,96,128,192")
    parser.add_argument("--n-train", type=int, help="default: all, 5,000 for Fashion")
    parser.add_argument("--n-test", type=int, help="default: all, 1,000 for Fashion")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="results folder")
    args = parser.parse_args(argv)
    args.datasets = args.datasets.split(",")
    for name in args.datasets:
        if name not in DATASETS:
            parser.error(f"unknown dataset {name!r}; choose from {DATASETS}")
    args.noise = [float(s) for s in args.noise.split(",")]
    args.pca_ks = [int(k) for k in args.pca_ks.split(",")]
    if args.quick:
        args.datasets, args.noise = ["digits"], args.noise[:1]
        args.n_train, args.n_test, args.epochs = 300, 100, 3
        args.n_components, args.pca_ks = 8, [4, 8]
    suffix = "-quick" if args.quick else ""
    args.output = args.output or RESULTS_DIR / f"denoising{suffix}"
    return args


def noisy(X, sigma, rng):
    """``X`` with Gaussian noise of standard deviation ``sigma``, clipped to [0, 1]."""
    return np.clip(X + rng.normal(scale=sigma, size=X.shape), 0, 1).astype(np.float32)


def load(dataset, args):
    """Flat float32 rows in [0, 1]: ``(X_train, X_test)``."""
    X_train, _, X_test, _ = load_labelled(dataset)
    fashion = dataset == "fashion-mnist"
    n_train = args.n_train or (5000 if fashion else None)
    n_test = args.n_test or (1000 if fashion else None)
    X_train, X_test = X_train[:n_train], X_test[:n_test]
    return X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)


def restored(model, X):
    return model.inverse_transform(model.transform(X))


def error(X_clean, X_hat):
    return float(np.mean((np.asarray(X_hat, dtype=np.float64) - X_clean) ** 2))


def run_pca(N_train, N_test, X_test, ks):
    from sklearn.decomposition import PCA

    return {
        k: error(X_test, restored(PCA(k).fit(N_train), N_test))
        for k in ks
        if k <= min(N_train.shape)
    }


def run_kernel_pca(N_train, N_test, X_test, grid):
    """The best point of the grid: ``(error, settings, seconds of all fits)``."""
    from sklearn.decomposition import KernelPCA

    best, began = (np.inf, None), time.perf_counter()
    for n, gamma, alpha in itertools.product(*grid):
        if n > len(N_train):
            continue
        model = KernelPCA(
            n,
            kernel="rbf",
            gamma=gamma / N_train.shape[1],
            alpha=alpha,
            fit_inverse_transform=True,
            random_state=0,
        ).fit(N_train)
        score = error(X_test, restored(model, N_test))
        if score < best[0]:
            best = (
                score,
                {"n_components": n, "gamma_x_features": gamma, "alpha": alpha},
            )
    return (*best, time.perf_counter() - began)


def run_autoencoder(kind, sigma, N_train, X_train, N_test, X_test, args):
    """``(error, seconds, epochs)`` of one of the AUTOENCODERS."""
    from skae import AutoencoderTransformer

    params = dict(epochs=args.epochs, random_state=args.seed)
    if kind == "noise":
        params["noise"] = sigma
    model = AutoencoderTransformer(args.n_components, **params)
    began = time.perf_counter()
    if kind == "clean targets":
        model.fit(N_train, X_target=X_train)
    else:
        model.fit(N_train)
    seconds = time.perf_counter() - began
    return error(X_test, restored(model, N_test)), seconds, len(model.history_["loss"])


def bench(dataset, sigma, args):
    X_train, X_test = load(dataset, args)
    rng = np.random.default_rng(args.seed)
    N_train, N_test = noisy(X_train, sigma, rng), noisy(X_test, sigma, rng)
    pca = run_pca(N_train, N_test, X_test, sorted({*args.pca_ks, args.n_components}))
    grid = KPCA_GRIDS["quick" if args.quick else dataset]
    kpca_error, kpca_settings, kpca_seconds = run_kernel_pca(
        N_train, N_test, X_test, grid
    )
    autoencoders = {
        kind: run_autoencoder(kind, sigma, N_train, X_train, N_test, X_test, args)
        for kind in AUTOENCODERS
    }
    result = {
        "dataset": dataset,
        "sigma": sigma,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "noisy_input_error": error(X_test, N_test),
        "pca": {str(k): v for k, v in pca.items()},
        "pca_best_k": min(pca, key=pca.get),
        "kernel_pca": {
            "error": kpca_error,
            "settings": kpca_settings,
            "seconds": kpca_seconds,
            "grid_size": int(np.prod([len(axis) for axis in grid])),
        },
        "autoencoders": {
            kind: {"error": e, "seconds": s, "epochs": n}
            for kind, (e, s, n) in autoencoders.items()
        },
    }
    print(json.dumps(result), flush=True)
    return result


def table(result, k):
    base = result["pca"][str(k)]
    best_k = result["pca_best_k"]
    best = result["pca"][str(best_k)]
    kpca = result["kernel_pca"]
    settings = ", ".join(f"{n}={v}" for n, v in kpca["settings"].items())
    rows = [
        ("noisy input itself", result["noisy_input_error"], ""),
        (f"PCA({k})", base, ""),
        (f"PCA, best k = {best_k}", best, ""),
        (
            f"KernelPCA tuned ({settings}; best of {kpca['grid_size']})",
            kpca["error"],
            f"{kpca['seconds']:.0f} (grid)",
        ),
    ]
    names = {
        "default": f"`AutoencoderTransformer({k})`",
        "noise": f"`AutoencoderTransformer({k}, noise={result['sigma']})`",
        "clean targets": (
            f"`AutoencoderTransformer({k}).fit(X_noisy, X_target=X_clean)`"
        ),
    }
    for kind, entry in result["autoencoders"].items():
        rows.append(
            (
                names[kind],
                entry["error"],
                f"{entry['seconds']:.1f} ({entry['epochs']} epochs)",
            )
        )
    lines = [
        f"### {result['dataset']}, sigma = {result['sigma']} "
        f"({result['n_train']} training / {result['n_test']} test images)",
        "",
        f"| method | MSE to the clean images | x PCA({k}) | x best PCA | fit (s) |",
        "|---|---|---|---|---|",
    ]
    for name, value, seconds in rows:
        lines.append(
            f"| {name} | {value:.5f} | {value / base:.3f} | {value / best:.3f} "
            f"| {seconds} |"
        )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    description = describe_machine(
        f"Denoising benchmark, datasets {', '.join(args.datasets)}, noise "
        f"{', '.join(map(str, args.noise))} (clipped to [0, 1]), k = "
        f"{args.n_components}, epoch cap {args.epochs}, random_state={args.seed}"
    )
    print(description, flush=True)
    results = [
        bench(dataset, sigma, args) for dataset in args.datasets for sigma in args.noise
    ]
    text = "\n\n".join(
        ["# Denoising", description, *(table(r, args.n_components) for r in results)]
    )
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.md").write_text(text + "\n")
    payload = {"description": description, "results": results}
    (args.output / "results.json").write_text(json.dumps(payload, indent=2))
    print(text)
    return results


if __name__ == "__main__":
    main()
