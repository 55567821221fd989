"""End to end: the scripts a user writes, run as written."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderTransformer
from skae.datasets import load_digits as load_digits_split


@pytest.mark.slow
def test_readme_quick_start_runs_and_learns():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    ae = AutoencoderTransformer(n_components=32, random_state=0)
    Z = ae.fit_transform(X)
    X_hat = ae.inverse_transform(Z)
    assert Z.shape == (1797, 32)
    assert X_hat.shape == (1797, 64)
    # The default model starts as PCA and improves on it.
    assert ae.reconstruction_r2_ > PCA(32).fit(X).explained_variance_ratio_.sum()

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


@pytest.mark.slow
@pytest.mark.parametrize("n_components", [8, 16, 32])
def test_default_model_reconstructs_held_out_digits_no_worse_than_pca(n_components):
    """Check the promise to PCA users: the defaults never lose to PCA(k)."""
    (X_train, _), (X_test, _) = load_digits_split()
    pca = PCA(n_components).fit(X_train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    ae = AutoencoderTransformer(n_components, random_state=0).fit(X_train)
    ae_mse = -ae.score(X_test)
    print(f"k={n_components}: autoencoder {ae_mse:.5f}, PCA {pca_mse:.5f}")
    assert ae_mse <= pca_mse
