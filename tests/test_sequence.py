"""The sequence (LSTM) autoencoder."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.decomposition import PCA

from skae import SequenceAutoencoderTransformer


def sine_waves(n_samples, seed, timesteps=24):
    """Sine waves of random frequency and phase, one per row."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, timesteps)
    frequency = rng.uniform(1, 2.5, (n_samples, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1))
    return np.sin(2 * np.pi * frequency * t + phase)


def test_architecture_reads_rows_as_sequences():
    X = np.random.default_rng(0).random((20, 12))
    est = SequenceAutoencoderTransformer(
        n_components=3, sequence_shape=(4, 3), units=5, epochs=1
    ).fit(X)
    assert [type(layer).__name__ for layer in est.encoder_.layers] == [
        "Reshape",
        "LSTM",
        "Dense",
    ]
    assert [type(layer).__name__ for layer in est.decoder_.layers] == [
        "RepeatVector",
        "LSTM",
        "Dense",
        "Flatten",
    ]
    assert est.sequence_shape_ == (4, 3)
    assert est.decoder_.get_layer("lstm").output.shape[1:] == (4, 5)
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_sequence_model_reconstructs_sine_waves_better_than_pca():
    """Check the defining claim: 2 numbers encode a wave's frequency and phase."""
    X_train, X_test = sine_waves(300, seed=0), sine_waves(100, seed=1)
    pca = PCA(2).fit(X_train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    est = SequenceAutoencoderTransformer(
        n_components=2,
        units=16,
        learning_rate=0.01,
        epochs=60,
        batch_size=32,
        random_state=0,
    ).fit(X_train)
    seq_mse = -est.score(X_test)
    print(f"sine waves, 2 components: LSTM MSE {seq_mse:.4f}, PCA MSE {pca_mse:.4f}")
    assert est.loss_ == "mse"
    assert seq_mse < 0.5 * pca_mse
