"""Searches on a cluster: GridSearchCV through joblib's Dask backend.

The cluster is a ``dask.distributed.LocalCluster`` of two worker processes, the
same code path as a cluster of machines: the estimators are pickled, sent to
the workers, fitted there and their scores sent back.
"""

import logging

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer

distributed = pytest.importorskip("dask.distributed", reason="needs skae[dask]")


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster_matches_a_serial_search():
    X = np.random.default_rng(0).random((120, 10))
    search = GridSearchCV(
        AutoencoderTransformer(epochs=5, random_state=0),
        {"n_components": [2, 4], "hidden_layer_sizes": [(), (6,)]},
        cv=2,
    )
    serial = search.fit(X)
    serial_results = {k: v for k, v in serial.cv_results_.items() if "time" not in k}
    serial_codes = serial.transform(X)

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
        joblib.parallel_backend("dask"),
    ):
        on_cluster = GridSearchCV(
            AutoencoderTransformer(epochs=5, random_state=0),
            {"n_components": [2, 4], "hidden_layer_sizes": [(), (6,)]},
            cv=2,
            n_jobs=2,
        ).fit(X)
        workers = client.run(lambda: "skae" in __import__("sys").modules)

    assert len(workers) == 2 and all(workers.values()), "the fits ran elsewhere"
    for key, expected in serial_results.items():
        if key.startswith("param"):
            assert list(on_cluster.cv_results_[key]) == list(expected), key
        else:
            assert_array_equal(on_cluster.cv_results_[key], expected, err_msg=key)
    assert on_cluster.best_params_ == serial.best_params_
    assert_array_equal(on_cluster.transform(X), serial_codes)
