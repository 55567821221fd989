"""End to end: the scripts a user writes, run as written."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderTransformer


def test_readme_quick_start_runs_and_learns():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    ae = AutoencoderTransformer(n_components=32, random_state=0)
    Z = ae.fit_transform(X)
    X_hat = ae.inverse_transform(Z)
    assert Z.shape == (1797, 32)
    assert X_hat.shape == (1797, 64)
    # The default model starts as PCA and improves on it.
    assert ae.explained_variance_ratio_ > PCA(32).fit(X).explained_variance_ratio_.sum()

    pipe = make_pipeline(
        MinMaxScaler(), AutoencoderTransformer(n_components=16), LogisticRegression()
    ).fit(X, y)
    assert pipe.score(X, y) > 0.85

    search = GridSearchCV(
        AutoencoderTransformer(epochs=5), {"n_components": [2, 16]}, n_jobs=2
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(scores < 0)
    assert search.best_params_ == {"n_components": 16}
