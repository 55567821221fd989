"""Beyond memory and one device: partial_fit, memmaps, sparse input, tf.distribute."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import tracemalloc

import keras
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.feature_extraction.text import TfidfVectorizer

from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)


def make_data(n_samples=400, n_features=16, seed=0):
    """Rows in [0, 1] near a 3-dimensional subspace."""
    rng = np.random.default_rng(seed)
    codes = rng.random((n_samples, 3))
    mixing = rng.random((3, n_features)) / 3
    noise = 0.02 * rng.standard_normal((n_samples, n_features))
    return np.clip(codes @ mixing + noise, 0, 1)


def write_memmap(path, X, dtype=np.float32):
    memmap = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=X.shape)
    memmap[:] = X
    memmap.flush()
    return np.load(path, mmap_mode="r")


def reconstruction_mse(est, X):
    return float(np.mean((est.inverse_transform(est.transform(X)) - X) ** 2))


VARIANTS = {
    "dense": lambda: AutoencoderTransformer(3, hidden_layer_sizes=(8,), batch_size=32),
    "variational": lambda: VariationalAutoencoderTransformer(
        3, hidden_layer_sizes=(8,), batch_size=32
    ),
    "conv": lambda: ConvAutoencoderTransformer(
        3, image_shape=(4, 4, 1), filters=(2,), batch_size=32
    ),
    "sequence": lambda: SequenceAutoencoderTransformer(
        3, sequence_shape=(4, 4), units=4, batch_size=32
    ),
}


# -- partial_fit -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("make", VARIANTS.values(), ids=VARIANTS.keys())
def test_partial_fit_builds_on_the_first_call_and_continues(make):
    X = make_data(n_samples=128)
    est = make().set_params(random_state=0)
    est.partial_fit(X[:64])
    assert est.n_features_in_ == 16
    assert est.n_iter_ == 1
    steps = int(est.model_.optimizer.iterations)
    assert steps == 2
    before = est.transform(X)
    est.partial_fit(X[64:])
    # The same optimizer goes on: its step count carries over between calls.
    assert int(est.model_.optimizer.iterations) == 2 * steps
    assert est.n_iter_ == 2 and len(est.history_["loss"]) == 2
    assert not np.array_equal(est.transform(X), before)
    assert est.transform(X).shape == (128, 3)


@pytest.mark.slow
def test_partial_fit_is_reproducible_and_matches_its_own_sequence():
    X = make_data()
    runs = []
    for _ in range(2):
        est = AutoencoderTransformer(3, batch_size=32, random_state=0)
        for chunk in np.array_split(X, 4):
            est.partial_fit(chunk)
        runs.append(est.transform(X))
    assert_array_equal(*runs)


@pytest.mark.slow
def test_partial_fit_loop_over_a_memmap_matches_fit(tmp_path):
    """Epochs of partial_fit over chunks of a memmap reconstruct as well as fit."""
    X = make_data(n_samples=2000)
    memmap = write_memmap(tmp_path / "X.npy", X)
    epochs, chunk = 8, 500
    common = dict(hidden_layer_sizes=(16,), batch_size=64, random_state=0)
    fitted = AutoencoderTransformer(
        3, epochs=epochs, validation_fraction=0, early_stopping=False, **common
    ).fit(memmap)
    partial = AutoencoderTransformer(3, **common)
    for _ in range(epochs):
        for start in range(0, len(memmap), chunk):
            partial.partial_fit(memmap[start : start + chunk])
    assert partial.n_iter_ == epochs * 4
    fit_error, partial_error = (
        reconstruction_mse(fitted, X),
        reconstruction_mse(partial, X),
    )
    assert abs(partial_error - fit_error) <= 0.10 * fit_error, (
        fit_error,
        partial_error,
    )


@pytest.mark.slow
def test_partial_fit_after_fit_and_after_pickling_continues_the_model():
    import pickle

    X = make_data()
    est = AutoencoderTransformer(
        3, pca_shortcut=False, epochs=3, batch_size=32, random_state=0
    ).fit(X)
    error = reconstruction_mse(est, X)
    copy = pickle.loads(pickle.dumps(est))
    for model in (est, copy):
        for _ in range(3):
            model.partial_fit(X)
        assert model.n_iter_ == 3 + 3
        assert reconstruction_mse(model, X) < error
    assert_array_equal(copy.transform(X), est.transform(X))


def test_failed_partial_fit_keeps_the_model_and_the_optimizer_state():
    X = make_data()
    est = AutoencoderTransformer(3, batch_size=32, random_state=0)
    est.partial_fit(X).partial_fit(X)
    Z = est.transform(X)
    moments = [v.numpy() for v in est.model_.optimizer.variables]
    with pytest.raises(ValueError, match="X has 5 features"):
        est.partial_fit(X[:, :5])

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                raise KeyboardInterrupt

    est.set_params(callbacks=[Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X)
    assert_array_equal(est.transform(X), Z)
    for variable, value in zip(est.model_.optimizer.variables, moments, strict=True):
        assert_array_equal(variable.numpy(), value)
    assert est.n_iter_ == 2


def test_partial_fit_refuses_a_changed_architecture_and_says_what_to_do():
    X = make_data()
    est = AutoencoderTransformer(3, batch_size=32, random_state=0).partial_fit(X)
    Z = est.transform(X)
    est.set_params(n_components=4)
    with pytest.raises(ValueError, match="partial_fit continues.*call fit to build"):
        est.partial_fit(X)
    assert_array_equal(est.set_params(n_components=3).transform(X), Z)


# -- memmaps: batches read on the fly --------------------------------------------------


def traced_peak(function):
    """Return the peak of NumPy's (Python's) allocations while ``function`` runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
@pytest.mark.parametrize("validation_fraction", [0.0, 0.1])
def test_fit_on_a_memmap_equals_fit_in_memory(tmp_path, validation_fraction):
    X = make_data(n_samples=3000).astype(np.float32)
    memmap = write_memmap(tmp_path / "X.npy", X)
    params = dict(
        n_components=3,
        epochs=2,
        batch_size=128,
        validation_fraction=validation_fraction,
        random_state=0,
    )
    in_memory = AutoencoderTransformer(**params).fit(X)
    streamed = AutoencoderTransformer(**params).fit(memmap)
    assert_array_equal(streamed.transform(memmap), in_memory.transform(X))
    assert streamed.history_ == in_memory.history_


@pytest.mark.slow
def test_fit_transform_and_score_of_a_memmap_never_copy_it_whole(tmp_path):
    """Allocations grow with the batch, not with the rows.

    The same fit on 20,000 and on 200,000 rows of a memmap: what the larger one
    allocates beyond the smaller must stay far below the data's size (a copy,
    even a float32 one, would be all of it).
    """
    X = make_data(n_samples=200_000, n_features=32).astype(np.float32)
    big = write_memmap(tmp_path / "big.npy", X)
    # More rows than one scoring chunk and than the initialisation's sample.
    small = write_memmap(tmp_path / "small.npy", X[:20_000])
    peaks = {}
    for name, rows in (("small", small), ("big", big)):
        est = AutoencoderTransformer(
            3, epochs=1, batch_size=2048, validation_fraction=0.1, random_state=0
        )
        peaks[name] = traced_peak(lambda est=est, rows=rows: est.fit(rows))
        peaks[name + " score"] = traced_peak(lambda est=est, rows=rows: est.score(rows))
    assert peaks["big"] - peaks["small"] < 0.25 * X.nbytes, (peaks, X.nbytes)
    assert peaks["big score"] - peaks["small score"] < 0.25 * X.nbytes, peaks


# -- sparse input ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_same_results_as_dense(fmt):
    X = make_data(n_samples=300)
    X[X < 0.3] = 0
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    params = dict(n_components=3, epochs=3, batch_size=32, random_state=0)
    dense = AutoencoderTransformer(**params).fit(X)
    sparse = AutoencoderTransformer(**params).fit(X_sparse)
    assert_array_equal(sparse.transform(X_sparse), dense.transform(X))
    assert_array_equal(sparse.transform(X), dense.transform(X))
    assert sparse.score(X_sparse) == dense.score(X)
    assert sparse.reconstruction_r2_ == dense.reconstruction_r2_
    assert_array_equal(
        sparse.explained_variance_ratio_, dense.explained_variance_ratio_
    )
    dense.partial_fit(X)
    sparse.partial_fit(X_sparse)
    assert_array_equal(sparse.transform(X_sparse), dense.transform(X))


def corpus():
    """Documents the test builds: the docstrings of NumPy's and scikit-learn's API."""
    import inspect

    import sklearn.decomposition
    import sklearn.linear_model

    documents = []
    for module in (np, np.linalg, sklearn.decomposition, sklearn.linear_model):
        for name in dir(module):
            doc = inspect.getdoc(getattr(module, name))
            if doc and len(doc) > 200:
                documents.extend(p for p in doc.split("\n\n") if len(p) > 80)
    return documents


@pytest.mark.slow
def test_tfidf_matrix_trains_without_being_densified_whole():
    """Allocations grow with the batch, not with the rows, as for memmaps.

    The model's own arrays (its weights, cast for NumPy) are the same for any
    number of rows, so the fit on every document is compared with the fit on
    the first thousand.
    """
    documents = corpus()
    assert len(documents) > 4000
    X = TfidfVectorizer(max_features=4000, dtype=np.float32).fit_transform(documents)
    dense_bytes = X.shape[0] * X.shape[1] * 4
    peaks = {}
    for name, rows in (("part", X[:1000]), ("all", X)):
        est = AutoencoderTransformer(8, epochs=2, batch_size=128, random_state=0)
        peaks[name] = traced_peak(lambda est=est, rows=rows: est.fit(rows))
        Z = est.transform(rows)
        assert Z.shape == (rows.shape[0], 8) and np.isfinite(Z).all()
        assert est.score(rows) < 0
    assert peaks["all"] - peaks["part"] < 0.25 * dense_bytes, (peaks, dense_bytes)


# -- several devices ------------------------------------------------------------------


def run_script(script, folder):
    """Run ``script`` in a fresh interpreter in ``folder``; fail with its stderr."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpus_trains_like_one_device(tmp_path):
    """Run in a fresh interpreter: logical devices must be set before TF starts."""
    script = textwrap.dedent(
        """
        import numpy as np
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        from skae import AutoencoderTransformer

        rng = np.random.default_rng(0)
        X = rng.random((512, 12))
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        assert strategy.num_replicas_in_sync == 2
        params = dict(n_components=3, epochs=5, batch_size=64, random_state=0)
        single = AutoencoderTransformer(**params).fit(X)
        mirrored = AutoencoderTransformer(distribute=strategy, **params).fit(X)
        # warm start and partial_fit continue under the strategy too
        mirrored.set_params(warm_start=True, epochs=1).fit(X)
        mirrored.partial_fit(X)
        single.set_params(warm_start=True, epochs=1).fit(X)
        single.partial_fit(X)
        np.save("single.npy", single.transform(X))
        np.save("mirrored.npy", mirrored.transform(X))
        """
    )
    run_script(script, tmp_path)
    single, mirrored = (
        np.load(tmp_path / "single.npy"),
        np.load(tmp_path / "mirrored.npy"),
    )
    assert_allclose(mirrored, single, rtol=1e-3, atol=1e-4)


MULTI_WORKER_SCRIPT = textwrap.dedent(
    """
    import json
    import os

    import numpy as np
    import tensorflow as tf

    # Collective ops must be configured at program startup: the strategy comes
    # before anything else runs in TensorFlow, the single-device fit included.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    from skae import AutoencoderTransformer

    X = np.random.default_rng(0).random((512, 12))
    params = dict(n_components=3, epochs=5, batch_size=64, random_state=0)
    if index == 0:
        # Outside the strategy's scope: one process, one device.
        single = AutoencoderTransformer(**params).fit(X)
        np.save("single.npy", single.transform(X))
    multi = AutoencoderTransformer(distribute=strategy, **params).fit(X)
    np.save(f"codes{index}.npy", multi.transform(X))
    # warm start and partial_fit continue across the workers too
    multi.set_params(warm_start=True, epochs=1).fit(X)
    multi.partial_fit(X)
    np.save(f"continued{index}.npy", multi.transform(X))
    if index == 0:
        single.set_params(warm_start=True, epochs=1).fit(X)
        single.partial_fit(X)
        np.save("single_continued.npy", single.transform(X))
    with open(f"worker{index}.json", "w") as f:
        json.dump({"index": index, "replicas": strategy.num_replicas_in_sync}, f)
    """
)


def run_workers(script, folder, *args, n_workers=2, timeout=240):
    """Run ``script`` as every worker of a TF cluster on 127.0.0.1.

    Each worker is a fresh interpreter started with its own ``TF_CONFIG``, on one
    CPU thread per pool and no GPU. Fail, with the tail of every worker's output,
    as soon as one fails or when ``timeout`` seconds have passed; no worker
    outlives the call.
    """
    (folder / "worker.py").write_text(script)
    # Distinct free ports: all sockets stay bound until the ports are known.
    sockets = [socket.socket() for _ in range(n_workers)]
    workers, logs = [], []
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        cluster = {"worker": [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]}
        for sock in sockets:
            sock.close()
        for index in range(n_workers):
            task = {"type": "worker", "index": index}
            env = dict(
                os.environ,
                TF_CONFIG=json.dumps({"cluster": cluster, "task": task}),
                KERAS_BACKEND="tensorflow",
                CUDA_VISIBLE_DEVICES="",
                TF_NUM_INTRAOP_THREADS="1",
                TF_NUM_INTEROP_THREADS="1",
                TF_CPP_MIN_LOG_LEVEL="2",
            )
            # Files, not pipes: a worker never blocks on a full pipe while the
            # other is being waited for.
            logs.append(open(folder / f"worker{index}.log", "w"))
            workers.append(
                subprocess.Popen(
                    [sys.executable, "worker.py", *args],
                    cwd=folder,
                    env=env,
                    stdout=logs[-1],
                    stderr=subprocess.STDOUT,
                )
            )
        deadline, timed_out = time.monotonic() + timeout, False
        # A worker left alone waits for the others forever: stop at the first
        # failure.
        while any(w.poll() is None for w in workers) and not any(
            w.returncode for w in workers
        ):
            if time.monotonic() > deadline:
                timed_out = True
                break
            time.sleep(0.1)
    finally:
        for sock in sockets:
            sock.close()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
        for log in logs:
            log.close()
    exits = [w.returncode for w in workers]
    if timed_out or any(exits):
        tails = "".join(
            f"\n--- worker {i}, exit {code}:\n"
            + (folder / f"worker{i}.log").read_text()[-2000:]
            for i, code in enumerate(exits)
        )
        raise AssertionError(
            f"{'timed out after ' + str(timeout) + ' s; ' if timed_out else ''}"
            f"workers exited with {exits}{tails}"
        )


@pytest.mark.slow
def test_multi_worker_strategy_over_two_processes_trains_like_one_device(tmp_path):
    """Check that two worker processes train the codes of one device.

    The global batch is split between the workers, which draw the same seeds
    and shuffling; Keras's own ``fit`` fails there (keras-team/keras#20585),
    skae's goes through a twin of the model that avoids the failing reductions.
    """
    run_workers(MULTI_WORKER_SCRIPT, tmp_path)
    reports = [json.loads((tmp_path / f"worker{i}.json").read_text()) for i in (0, 1)]
    assert reports == [{"index": 0, "replicas": 2}, {"index": 1, "replicas": 2}]
    for name, single in (("codes", "single"), ("continued", "single_continued")):
        chief, other = (np.load(tmp_path / f"{name}{i}.npy") for i in (0, 1))
        # One model, mirrored: the workers' copies hold the same weights.
        assert_array_equal(other, chief)
        expected = np.load(tmp_path / f"{single}.npy")
        assert_allclose(chief, expected, rtol=1e-3, atol=1e-4)


def test_distribute_must_be_a_strategy():
    with pytest.raises(ValueError, match="distribute"):
        AutoencoderTransformer(distribute="mirrored").fit(make_data())


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="needs the JAX backend"
)
def test_jax_data_parallel_over_two_cpus_trains_like_one_device(tmp_path):
    """Keras's own distribution API, where the JAX backend is used."""
    script = textwrap.dedent(
        """
        import os
        os.environ["KERAS_BACKEND"] = "jax"
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
        import jax
        import keras
        import numpy as np
        from skae import AutoencoderTransformer

        assert len(jax.devices()) == 2
        X = np.random.default_rng(0).random((512, 12))
        params = dict(n_components=3, epochs=5, batch_size=64, random_state=0)
        single = AutoencoderTransformer(**params).fit(X)
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=jax.devices())
        )
        parallel = AutoencoderTransformer(**params).fit(X)
        sharding = parallel.model_.weights[0].value.sharding
        assert len(sharding.device_set) == 2, sharding
        np.save("single.npy", single.transform(X))
        np.save("parallel.npy", parallel.transform(X))
        """
    )
    run_script(script, tmp_path)
    single = np.load(tmp_path / "single.npy")
    assert_allclose(np.load(tmp_path / "parallel.npy"), single, rtol=1e-3, atol=1e-4)
