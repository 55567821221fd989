"""The variational autoencoder."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits

from skae import VariationalAutoencoderTransformer


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X / 16.0


@pytest.fixture(scope="module")
def fitted(digits):
    vae = VariationalAutoencoderTransformer(
        n_components=4,
        hidden_layer_sizes=(64,),
        epochs=40,
        batch_size=64,
        random_state=0,
    )
    return vae.fit(digits)


def test_transform_is_the_deterministic_posterior_mean(fitted, digits):
    stats = fitted._models.encode(digits, np.float64)
    assert fitted.encoder_.output_shape == (None, 8)  # means and log-variances
    assert_array_equal(fitted.transform(digits), stats[:, :4])
    assert_array_equal(fitted.transform(digits), fitted.transform(digits))


def test_samples_have_the_datas_shape_and_range(fitted, digits):
    samples = fitted.sample(50, random_state=0)
    assert samples.shape == (50, 64)
    assert samples.min() >= 0 and samples.max() <= 1  # sigmoid output
    assert_array_equal(samples, fitted.sample(50, random_state=0))
    assert not np.array_equal(samples, fitted.sample(50, random_state=1))
    # Samples look like digits on average, not like noise.
    assert np.abs(samples.mean(axis=0) - digits.mean(axis=0)).mean() < 0.1


def test_sample_validates_its_arguments(fitted):
    with pytest.raises(ValueError, match="'n_samples' parameter.*Got 0 instead"):
        fitted.sample(0)


def test_score_samples_is_the_elbo(fitted, digits):
    X = digits[:10]
    stats = fitted._models.encode(X, np.float64)
    mean, log_var = stats[:, :4], 20 * np.tanh(stats[:, 4:] / 20)
    p = np.clip(fitted.inverse_transform(mean), 1e-7, 1 - 1e-7)
    reconstruction = -np.sum(X * np.log(p) + (1 - X) * np.log(1 - p), axis=1)
    kl = 0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1)
    assert_allclose(fitted.score_samples(X), -(reconstruction + kl), rtol=1e-10)
    assert fitted.score(X) == pytest.approx(np.mean(-(reconstruction + kl)))
    assert np.all(kl > 0)


@pytest.mark.slow
def test_kl_weight_shrinks_the_posterior_towards_the_prior(digits):
    def posterior_kl(kl_weight):
        vae = VariationalAutoencoderTransformer(
            n_components=4,
            hidden_layer_sizes=(32,),
            kl_weight=kl_weight,
            epochs=15,
            random_state=0,
        ).fit(digits)
        stats = vae._models.encode(digits, np.float64)
        mean, log_var = stats[:, :4], 20 * np.tanh(stats[:, 4:] / 20)
        return np.mean(np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1))

    assert posterior_kl(5.0) < posterior_kl(0.2)


def test_training_loss_includes_the_kl_term(fitted, digits):
    """Check that the Keras loss is reconstruction plus the weighted KL term."""
    X = digits[:256].astype(np.float32)
    fitted.model_.compile(loss="binary_crossentropy")
    keras_loss = fitted.model_.evaluate(X, X, verbose=0, batch_size=256)
    elbo = fitted.score_samples(X)
    assert keras_loss == pytest.approx(-np.mean(elbo) / 64, rel=1e-4)


def test_unscaled_data_trains_without_overflow():
    """Check that large inputs cannot overflow exp(log_var) into a NaN loss."""
    import warnings

    X = np.random.default_rng(0).normal(loc=100, size=(100, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        vae = VariationalAutoencoderTransformer(
            n_components=2, hidden_layer_sizes=(8,), epochs=3, random_state=0
        ).fit(X)
    assert all(np.isfinite(vae.history_["loss"]))
    assert np.isfinite(vae.score_samples(X)).all()
