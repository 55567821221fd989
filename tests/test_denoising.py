"""The denoising mode: what setting ``noise`` changes besides the training inputs."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

import skae
from skae import AutoencoderTransformer
from skae.fitting.data import make_dataset, make_validation_dataset

TINY = dict(epochs=3, batch_size=32, random_state=0)


def batches(dataset):
    return [tuple(np.asarray(part) for part in pair) for pair in dataset]


@pytest.fixture(scope="module")
def digits():
    """Digits in [0, 1]: the clean rows and a copy with clipped Gaussian noise."""
    X = load_digits().data / 16.0
    noise = 0.25 * np.random.default_rng(0).standard_normal(X.shape)
    return X, np.clip(X + noise, 0, 1)


def test_noise_corrupts_the_held_out_inputs_once_for_the_whole_fit():
    X = np.random.default_rng(0).random((20, 5)).astype(np.float32)
    plain = batches(make_validation_dataset(X, batch_size=8))
    for inputs, targets in plain:
        assert_array_equal(inputs, targets)
    corrupted = make_validation_dataset(
        X, batch_size=8, seed=3, noise_type="gaussian", noise=0.5
    )
    first, second = batches(corrupted), batches(corrupted)
    for (inputs, targets), (again, _), (clean, _) in zip(
        first, second, plain, strict=True
    ):
        # The targets stay clean, the inputs are noisy, and the same each epoch.
        assert_array_equal(targets, clean)
        assert not np.allclose(inputs, clean)
        assert_array_equal(inputs, again)
    other_seed = batches(
        make_validation_dataset(
            X, batch_size=8, seed=4, noise_type="gaussian", noise=0.5
        )
    )
    assert not np.array_equal(other_seed[0][0], first[0][0])
    masked = batches(
        make_validation_dataset(X, batch_size=20, seed=3, noise_type="mask", noise=0.5)
    )
    zeroed = masked[0][0] == 0
    assert 0.2 < zeroed.mean() < 0.8
    assert_array_equal(masked[0][0][~zeroed], X[~zeroed])


def test_noise_clip_clips_the_corrupted_inputs():
    X = np.random.default_rng(0).random((30, 4)).astype(np.float32)
    common = dict(batch_size=30, shuffle=False, seed=0, epochs=1)
    gaussian = dict(noise_type="gaussian", noise=1.0)
    free = batches(make_dataset(X, **common, **gaussian))[0][0]
    assert free.min() < 0 and free.max() > 1
    clipped = batches(make_dataset(X, **common, **gaussian, noise_clip=(0.0, 1.0)))
    inputs = clipped[0][0]
    assert inputs.min() == 0 and inputs.max() == 1
    assert_array_equal(inputs, np.clip(free, 0, 1))
    held_out = batches(
        make_validation_dataset(X, batch_size=30, seed=0, **gaussian, noise_clip=(0, 1))
    )
    assert 0 <= held_out[0][0].min() and held_out[0][0].max() <= 1


@pytest.mark.parametrize(
    "noise_clip, data_range, expected",
    [
        ("auto", (0, 1), (0.0, 1.0)),
        ("auto", (-1, 1), None),
        (None, (0, 1), None),
        ((-0.5, 2), (-1, 1), (-0.5, 2.0)),
    ],
)
def test_noise_clip_resolves_to_the_range_clipped_to(noise_clip, data_range, expected):
    from skae.fitting.setup import resolve_noise_clip

    X = np.linspace(*data_range, 12).reshape(4, 3)
    assert resolve_noise_clip(noise_clip, 0.3, "gaussian", X) == expected
    # Nothing to clip without Gaussian noise.
    assert resolve_noise_clip(noise_clip, 0.0, "gaussian", X) is None
    assert resolve_noise_clip(noise_clip, 0.3, "mask", X) is None


@pytest.mark.parametrize("bad", [(1, 0), (0, np.inf), (0, 1, 2), ("a", 1)])
def test_a_bad_noise_clip_is_refused_by_name(bad):
    X = np.random.default_rng(0).random((20, 4))
    with pytest.raises(ValueError, match="noise_clip must be 'auto', None or a pair"):
        AutoencoderTransformer(2, noise=0.1, noise_clip=bad, **TINY).fit(X)


def test_noise_clip_changes_what_a_fit_trains_on(digits):
    clean, _ = digits
    auto = AutoencoderTransformer(4, noise=0.5, **TINY).fit(clean)
    unclipped = AutoencoderTransformer(4, noise=0.5, noise_clip=None, **TINY).fit(clean)
    assert auto.history_["loss"] != unclipped.history_["loss"]


def test_a_denoiser_of_unit_data_clips_its_output(digits):
    clean, noisy = digits
    X = noisy[:200]
    plain = AutoencoderTransformer(8, **TINY).fit(X)
    denoiser = AutoencoderTransformer(8, noise=0.3, **TINY).fit(X)
    targeted = AutoencoderTransformer(8, **TINY).fit(X, X_target=clean[:200])
    same = AutoencoderTransformer(8, **TINY).fit(X, X_target=X.copy())
    assert not plain._spec.output_clip and not same._spec.output_clip
    assert denoiser._spec.output_clip and targeted._spec.output_clip
    far = 3 * X - 1  # reconstructions of these reach outside [0, 1]
    assert plain.inverse_transform(plain.transform(far)).max() > 1
    for est in (denoiser, targeted):
        for rows in (far[:3], far):  # the NumPy pass and Keras's call
            out = est.inverse_transform(est.transform(rows))
            assert out.min() >= 0 and out.max() <= 1
            keras_out = np.asarray(est.decoder_(est.transform(rows)))
            assert_allclose(out, keras_out, rtol=1e-5, atol=1e-6)
    # Data outside [0, 1], or a model that does not start as PCA: no clip.
    wide = AutoencoderTransformer(8, noise=0.3, **TINY).fit(2 * X - 1)
    sigmoid = AutoencoderTransformer(8, noise=0.3, pca_shortcut=False, **TINY).fit(X)
    assert not wide._spec.output_clip and not sigmoid._spec.output_clip


def test_a_clipped_denoiser_saves_loads_and_continues(digits, tmp_path):
    _, noisy = digits
    X = noisy[:200]
    est = AutoencoderTransformer(8, noise=0.3, warm_start=True, **TINY).fit(X)
    skae.save(est, tmp_path / "denoiser.skae")
    loaded = skae.load(tmp_path / "denoiser.skae")
    codes = est.transform(X)
    assert_array_equal(loaded.transform(X), codes)
    assert_array_equal(loaded.inverse_transform(codes), est.inverse_transform(codes))
    # A warm start keeps the clip, also with the noise switched off.
    est.set_params(noise=0.0).fit(X)
    assert est._spec.output_clip


@pytest.mark.slow
def test_noise_alone_beats_pca_at_its_best_k_on_noisy_digits(digits):
    """Fitted on noisy rows only, the denoiser restores held-out noisy rows
    better than PCA at any k (it used to stay at PCA's error: the PCA start and
    early stopping on plain reconstruction held it there)."""
    clean, noisy = digits
    train, test = slice(0, 1400), slice(1400, None)

    def error(est):
        restored = est.inverse_transform(est.transform(noisy[test]))
        return np.mean((restored - clean[test]) ** 2)

    pca = {k: error(PCA(k).fit(noisy[train])) for k in (8, 12, 16, 24, 32)}
    denoiser = AutoencoderTransformer(32, noise=0.25, random_state=0)
    ratio = error(denoiser.fit(noisy[train])) / min(pca.values())
    print(f"denoiser / best PCA: {ratio:.3f}")
    assert ratio < 0.85


def test_the_log_says_the_held_out_rows_are_corrupted_too(digits, capsys):
    _, noisy = digits
    AutoencoderTransformer(4, noise=0.3, verbose=1, **TINY).fit(noisy[:200])
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (
        "Training up to 3 epochs on 180 rows, validating on 20 with the same "
        "gaussian noise 0.3 (val_loss: restoring them)."
    )


def test_a_convolutional_denoiser_of_images_clips_its_output(digits):
    from skae import ConvAutoencoderTransformer

    _, noisy = digits
    images = noisy[:200].reshape(-1, 8, 8)
    params = dict(filters=(4,), **TINY)
    denoiser = ConvAutoencoderTransformer(8, noise=0.3, **params).fit(images)
    plain = ConvAutoencoderTransformer(8, **params).fit(images)
    assert denoiser._spec.output_clip and not plain._spec.output_clip
    out = denoiser.inverse_transform(denoiser.transform(3 * images - 1))
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
