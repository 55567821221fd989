"""Beyond memory: a fit on a memmap larger than the memory allowed, and sparse text.

Two measurements, each written as a Markdown table:

* ``memmap``: Fashion-MNIST's training images, repeated with a little noise to
  ``--memmap-rows`` rows (2.3 GB of float32 at the default 750,000), written to
  a ``.npy`` file and opened as a ``numpy.memmap``. ``AutoencoderTransformer``
  is fitted on it in a child process whose memory is capped by a Linux cgroup
  (``--memory-limit``, 1 GiB by default; the page cache of the mapped file
  counts against the cap and is evicted under it). The same fit on the array
  loaded into memory runs under the same cap for comparison. Reported: the
  fit's time, the cgroup's peak usage, whether the cap killed it, and the test
  images' reconstruction error against PCA's. Setting a cgroup needs root and a
  writable ``/sys/fs/cgroup/memory`` (cgroup v1) or ``/sys/fs/cgroup`` (v2);
  without one the table says that no cap was set.
* ``sparse``: a TF-IDF matrix (``TfidfVectorizer``) of a corpus built from the
  docstrings of NumPy, SciPy and scikit-learn (every paragraph longer than 80
  characters; nothing is downloaded), split 80/20, reduced by ``TruncatedSVD``
  and by ``AutoencoderTransformer`` at the same ``n_components``: fit time, the
  held-out rows' mean squared reconstruction error, and NumPy's peak allocation
  during the fit against the size of the matrix densified.

Run ``python benchmarks/bench_scaling.py`` (about 10 minutes on 2 cores) or
``--quick`` (a smoke run on small sizes). Results go to
``benchmarks/results/scaling[-quick]/``.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SECTIONS = ("memmap", "sparse")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--memmap-rows", type=int, default=None)
    parser.add_argument(
        "--memory-limit", type=int, default=1024, help="MiB for the memmap fits"
    )
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- memmap ------------------------------------------------------------------------


def training_images(quick):
    if quick:
        from skae.datasets import load_digits

        (X_train, _), (X_test, _) = load_digits()
    else:
        from skae.datasets import load_fashion_mnist

        (X_train, _), (X_test, _) = load_fashion_mnist()
    return np.asarray(X_train, np.float32), np.asarray(X_test, np.float32)


def write_memmap(path, X, n_rows, seed=0):
    """Write ``n_rows`` rows: ``X`` repeated, with noise, clipped into [0, 1]."""
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n_rows, X.shape[1])
    )
    for start in range(0, n_rows, len(X)):
        stop = min(start + len(X), n_rows)
        block = X[: stop - start] + rng.normal(0, 0.02, (stop - start, X.shape[1]))
        out[start:stop] = np.clip(block, 0, 1)
    out.flush()
    del out


def child_fit(path, mode, epochs):
    """Run in the capped child: fit on the file, print a JSON line of results."""
    from skae import AutoencoderTransformer

    X = np.load(path, mmap_mode="r" if mode == "memmap" else None)
    start = time.perf_counter()
    est = AutoencoderTransformer(
        32, epochs=int(epochs), validation_fraction=0.05, random_state=0
    ).fit(X)
    seconds = time.perf_counter() - start
    est.save(Path(path).with_suffix(f".{mode}.skae"))
    print(
        json.dumps(
            {
                "fit_s": seconds,
                "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                / 1024,
                "epochs": est.n_iter_,
            }
        )
    )


class MemoryCap:
    """A cgroup capping the memory of the processes put in it, or None."""

    def __init__(self, mib):
        self.mib = mib
        self.path = None
        for root, limit, peak in (
            (
                "/sys/fs/cgroup/memory",
                "memory.limit_in_bytes",
                "memory.max_usage_in_bytes",
            ),
            ("/sys/fs/cgroup", "memory.max", "memory.peak"),
        ):
            folder = Path(root) / f"skae-bench-{os.getpid()}"
            try:
                folder.mkdir()
                (folder / limit).write_text(str(mib * 2**20))
            except OSError:
                if folder.exists():
                    folder.rmdir()
                continue
            self.path, self.peak_file = folder, peak
            swap = folder / "memory.memsw.limit_in_bytes"
            if swap.exists():
                try:
                    swap.write_text(str(mib * 2**20))
                except OSError:
                    pass
            return

    def run(self, command):
        """Run ``command`` inside the cgroup; return (returncode, stdout, peak MiB)."""

        def enter():
            if self.path is not None:
                (self.path / "cgroup.procs").write_text(str(os.getpid()))

        try:
            result = subprocess.run(
                command, preexec_fn=enter, capture_output=True, text=True
            )
        except subprocess.SubprocessError:
            # The cgroup was made but takes no process (a cgroup v2 parent
            # with processes of its own, say): run uncapped and say so.
            self.close()
            result = subprocess.run(command, capture_output=True, text=True)
        peak = None
        if self.path is not None and (self.path / self.peak_file).exists():
            peak = int((self.path / self.peak_file).read_text()) / 2**20
            if self.peak_file == "memory.max_usage_in_bytes":
                (self.path / self.peak_file).write_text("0")
        return result.returncode, result.stdout, result.stderr, peak

    @property
    def capped(self):
        return self.path is not None

    def close(self):
        if self.path is not None:
            self.path.rmdir()
            self.path = None


def measure_memmap(args):
    from sklearn.decomposition import PCA

    from skae import load

    X_train, X_test = training_images(args.quick)
    n_rows = args.memmap_rows or (20_000 if args.quick else 750_000)
    epochs = args.epochs or (1 if args.quick else 2)
    folder = Path(args.workdir or tempfile.mkdtemp(prefix="skae-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rows.npy"
    write_memmap(path, X_train, n_rows)
    cap = MemoryCap(args.memory_limit)
    rows = []
    try:
        for mode in ("memmap", "in memory"):
            key = "memmap" if mode == "memmap" else "array"
            code, out, err, peak = cap.run(
                [sys.executable, __file__, "--child", str(path), key, str(epochs)]
            )
            row = {"mode": mode, "returncode": code, "cgroup_peak_mib": peak}
            if code == 0:
                row.update(json.loads(out.strip().splitlines()[-1]))
                est = load(path.with_suffix(f".{key}.skae"))
                Z = est.transform(X_test)
                row["test_mse"] = float(
                    np.mean((est.inverse_transform(Z) - X_test) ** 2)
                )
            else:
                row["error"] = err.strip().splitlines()[-1:] if err.strip() else []
            rows.append(row)
    finally:
        capped = cap.capped
        cap.close()
    pca = PCA(32, random_state=0).fit(X_train)
    pca_mse = float(
        np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    )
    return {
        "rows": n_rows,
        "features": X_train.shape[1],
        "file_mib": path.stat().st_size / 2**20,
        "limit_mib": args.memory_limit if capped else None,
        "epochs": epochs,
        "pca_test_mse": pca_mse,
        "fits": rows,
    }


# -- sparse ------------------------------------------------------------------------


def corpus():
    """Paragraphs of the docstrings of NumPy, SciPy and scikit-learn's public API."""
    import importlib
    import inspect

    modules = [
        "numpy",
        "numpy.linalg",
        "numpy.fft",
        "numpy.random",
        "scipy.linalg",
        "scipy.sparse",
        "scipy.stats",
        "scipy.optimize",
        "scipy.signal",
        "sklearn.decomposition",
        "sklearn.linear_model",
        "sklearn.ensemble",
        "sklearn.cluster",
        "sklearn.preprocessing",
        "sklearn.metrics",
        "sklearn.model_selection",
        "sklearn.feature_extraction.text",
    ]
    documents, seen = [], set()
    for name in modules:
        module = importlib.import_module(name)
        for attribute in sorted(dir(module)):
            if attribute.startswith("_"):
                continue
            doc = inspect.getdoc(getattr(module, attribute, None))
            if not doc or doc in seen:
                continue
            seen.add(doc)
            documents.extend(p for p in doc.split("\n\n") if len(p) > 80)
    return documents


def measure_sparse(args):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import train_test_split

    from skae import AutoencoderTransformer

    documents = corpus()
    X = TfidfVectorizer(
        max_features=2000 if args.quick else 10_000, dtype=np.float32
    ).fit_transform(documents)
    X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)
    X_test_dense = X_test.toarray()
    epochs = args.epochs or (2 if args.quick else 30)
    rows = []
    for k in (16,) if args.quick else (16, 64):
        models = {
            "TruncatedSVD": TruncatedSVD(k, random_state=0),
            "AutoencoderTransformer": AutoencoderTransformer(
                k, epochs=epochs, random_state=0
            ),
        }
        for name, model in models.items():
            tracemalloc.start()
            start = time.perf_counter()
            model.fit(X_train)
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            X_hat = model.inverse_transform(model.transform(X_test))
            rows.append(
                {
                    "model": name,
                    "n_components": k,
                    "fit_s": seconds,
                    "peak_mib": peak / 2**20,
                    "test_mse": float(np.mean((X_hat - X_test_dense) ** 2)),
                    "epochs": getattr(model, "n_iter_", None),
                }
            )
    return {
        "documents": X.shape[0],
        "terms": X.shape[1],
        "nnz": int(X.nnz),
        "dense_mib": X.shape[0] * X.shape[1] * 4 / 2**20,
        "fits": rows,
    }


# -- report ------------------------------------------------------------------------


def report(results):
    lines = []
    if "memmap" in results:
        r = results["memmap"]
        cap = (
            f"a cgroup memory cap of {r['limit_mib']} MiB"
            if r["limit_mib"]
            else "no memory cap (no writable cgroup)"
        )
        lines += [
            f"### Fit on a memmap: {r['rows']:,} x {r['features']} float32 "
            f"({r['file_mib']:,.0f} MiB), {r['epochs']} epochs, under {cap}",
            "",
            "| data | result | fit, s | peak memory, MiB (cgroup) | peak RSS, MiB "
            "| test MSE | × PCA(32) |",
            "|---|---|---|---|---|---|---|",
        ]
        for fit in r["fits"]:
            if fit["returncode"] == 0:
                lines.append(
                    f"| {fit['mode']} | fitted | {fit['fit_s']:.0f} | "
                    f"{fit['cgroup_peak_mib'] or float('nan'):,.0f} | "
                    f"{fit['max_rss_mib']:,.0f} | {fit['test_mse']:.5f} | "
                    f"{fit['test_mse'] / r['pca_test_mse']:.3f} |"
                )
            else:
                killed = fit["returncode"] in (-9, 137)
                lines.append(
                    f"| {fit['mode']} | failed (exit {fit['returncode']}; "
                    f"{'killed by the cap' if killed else 'error'}) "
                    f"| | {fit['cgroup_peak_mib'] or float('nan'):,.0f} | | | |"
                )
        lines += ["", f"PCA(32) test MSE: {r['pca_test_mse']:.5f}.", ""]
    if "sparse" in results:
        r = results["sparse"]
        lines += [
            f"### TF-IDF of {r['documents']:,} docstring paragraphs x {r['terms']:,} "
            f"terms ({r['nnz']:,} non-zeros; {r['dense_mib']:,.0f} MiB if dense)",
            "",
            "| model | n_components | fit, s | peak NumPy memory in fit, MiB "
            "| held-out MSE | × TruncatedSVD |",
            "|---|---|---|---|---|---|",
        ]
        svd = {
            f["n_components"]: f["test_mse"]
            for f in r["fits"]
            if f["model"] == "TruncatedSVD"
        }
        for fit in r["fits"]:
            epochs = f" ({fit['epochs']} epochs)" if fit["epochs"] else ""
            lines.append(
                f"| {fit['model']}{epochs} | {fit['n_components']} | "
                f"{fit['fit_s']:.1f} | {fit['peak_mib']:.0f} | "
                f"{fit['test_mse']:.3e} | "
                f"{fit['test_mse'] / svd[fit['n_components']]:.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child_fit(*args.child)
        return None
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"Unknown sections {unknown}; choose from {list(SECTIONS)}.")
    results = {}
    if "memmap" in sections:
        results["memmap"] = measure_memmap(args)
    if "sparse" in sections:
        results["sparse"] = measure_sparse(args)
    output = args.output or RESULTS_DIR / ("scaling-quick" if args.quick else "scaling")
    output.mkdir(parents=True, exist_ok=True)
    text = report(results)
    (output / "results.md").write_text(text)
    (output / "results.json").write_text(json.dumps(results, indent=2))
    print(text)
    return results


if __name__ == "__main__":
    main()
