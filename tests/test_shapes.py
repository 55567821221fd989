"""Images and sequences as users hold them: N-d arrays in, codes out, samples back."""

import os
import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.estimators.shapes import to_rows
from skae.fitting import fit as fitting

TINY = dict(epochs=2, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def digits():
    """The first 150 digits as (n, 8, 8) images in [0, 1], and their labels."""
    X, y = load_digits(return_X_y=True)
    return (X[:150] / 16.0).reshape(-1, 8, 8), y[:150]


def conv(**params):
    return ConvAutoencoderTransformer(4, filters=(4,), **{**TINY, **params})


@pytest.fixture(scope="module")
def conv_on_images(digits):
    images, _ = digits
    return conv().fit(images)


# -- images ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("channels", [None, 1, 3])
def test_conv_reads_the_image_shape_from_images(digits, channels):
    images, _ = digits
    if channels is not None:
        images = np.repeat(images[..., None], channels, axis=-1)
    est = conv().fit(images)
    height_width_channels = (*images.shape[1:], 1)[:3]
    assert est.image_shape_ == height_width_channels
    assert est.sample_shape_ == images.shape[1:]
    assert est.n_features_in_ == np.prod(images.shape[1:])
    codes = est.transform(images)
    assert codes.shape == (len(images), 4)
    assert est.inverse_transform(codes).shape == images.shape
    assert est.fit_transform(images).shape == (len(images), 4)


@pytest.mark.slow
def test_conv_on_images_computes_what_it_computes_on_flat_rows(digits):
    """Images are the flat rows in C order: the same fit, bit for bit."""
    images, _ = digits
    flat = images.reshape(len(images), -1)
    on_images = conv().fit(images)
    on_rows = conv(image_shape=(8, 8)).fit(flat)
    assert on_images.history_ == on_rows.history_
    assert_array_equal(on_images.transform(images), on_rows.transform(flat))
    assert_array_equal(
        on_images.inverse_transform(on_images.transform(images)).reshape(flat.shape),
        on_rows.inverse_transform(on_rows.transform(flat)),
    )
    assert on_rows.sample_shape_ == (64,)
    assert on_rows.inverse_transform(on_rows.transform(flat)).shape == flat.shape


def test_a_fitted_conv_model_reads_flat_rows_and_its_own_image_shapes(
    conv_on_images, digits
):
    images, _ = digits
    codes = conv_on_images.transform(images)
    for same in (images.reshape(len(images), -1), images[..., None]):
        assert_array_equal(conv_on_images.transform(same), codes)
        assert conv_on_images.score(same) == conv_on_images.score(images)


@pytest.mark.parametrize(
    "shape", [(5, 4, 16), (5, 8, 8, 2), (5, 64, 1)], ids=["other", "2ch", "column"]
)
def test_a_batch_of_the_wrong_shape_names_the_expected_one(conv_on_images, shape):
    X = np.zeros(shape)
    expected = (
        r"fitted on samples of shape \(8, 8\): pass X of shape \(n_samples, 8, 8\)"
    )
    for method in ("transform", "score", "score_samples"):
        with pytest.raises(ValueError, match=expected):
            getattr(conv_on_images, method)(X)


def test_conv_refuses_samples_that_are_not_images(digits):
    with pytest.raises(ValueError, match=r"images of shape \(n_samples, height, width"):
        conv().fit(np.zeros((4, 2, 2, 2, 2)))


@pytest.mark.slow
def test_an_image_shape_that_does_not_match_the_images_is_refused(digits):
    images, _ = digits
    with pytest.raises(ValueError, match=r"image_shape=\(4, 16\) does not match .*"):
        conv(image_shape=(4, 16)).fit(images)
    # The shape of the images, with or without the channel, is accepted.
    for shape in ((8, 8), (8, 8, 1)):
        assert conv(image_shape=shape).fit(images).image_shape_ == (8, 8, 1)


def test_the_default_image_shape_fits_flat_mnist_rows_as_before():
    X = np.random.default_rng(0).random((20, 784))
    est = ConvAutoencoderTransformer(2, filters=(2,), epochs=1, random_state=0)
    assert est.fit(X).image_shape_ == (28, 28, 1)


@pytest.mark.slow
def test_a_pipeline_from_images_to_a_classifier_in_a_grid_search(digits):
    images, y = digits
    pipe = make_pipeline(conv(epochs=1), LogisticRegression(max_iter=300))
    search = GridSearchCV(
        pipe, {"convautoencodertransformer__n_components": [2, 4]}, cv=2
    ).fit(images, y)
    assert search.predict(images).shape == (len(images),)
    assert 0.0 <= search.score(images, y) <= 1.0


# -- sequences ---------------------------------------------------------------------


def sequences(n=40, timesteps=6, channels=2):
    t = np.linspace(0, 2 * np.pi, timesteps)
    phase = np.linspace(0, 3, n)[:, None, None]
    return np.sin(t[None, :, None] + phase * np.arange(1, channels + 1))


def test_sequence_model_reads_timesteps_and_channels():
    X = sequences()
    est = SequenceAutoencoderTransformer(2, units=4, **TINY).fit(X)
    assert est.sequence_shape_ == (6, 2)
    assert est.sample_shape_ == (6, 2)
    assert est.transform(X).shape == (40, 2)
    assert est.inverse_transform(est.transform(X)).shape == X.shape
    assert_array_equal(est.transform(X.reshape(40, -1)), est.transform(X))
    with pytest.raises(ValueError, match=r"pass X of shape \(n_samples, 6, 2\)"):
        est.transform(X.reshape(40, 2, 6))


def test_sequence_model_refuses_other_samples_and_mismatched_shapes():
    with pytest.raises(ValueError, match=r"sequences of shape \(n_samples, timesteps"):
        SequenceAutoencoderTransformer(2, **TINY).fit(np.zeros((4, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"sequence_shape=\(3, 4\) does not match"):
        SequenceAutoencoderTransformer(2, sequence_shape=(3, 4), **TINY).fit(
            sequences()
        )


# -- dense models flatten ------------------------------------------------------------


@pytest.mark.slow
def test_dense_models_flatten_samples_and_give_them_back(digits):
    images, _ = digits
    flat = images.reshape(len(images), -1)
    on_images = AutoencoderTransformer(4, **TINY).fit(images)
    on_rows = AutoencoderTransformer(4, **TINY).fit(flat)
    assert on_images.sample_shape_ == (8, 8)
    assert_array_equal(on_images.transform(images), on_rows.transform(flat))
    back = on_images.inverse_transform(on_images.transform(images))
    assert back.shape == images.shape
    assert_array_equal(
        back.reshape(flat.shape), on_rows.inverse_transform(on_rows.transform(flat))
    )
    vae = VariationalAutoencoderTransformer(2, epochs=1, random_state=0).fit(images)
    assert vae.sample(3, random_state=0).shape == (3, 8, 8)
    assert vae.score_samples(images[:5]).shape == (5,)


def test_outlier_detector_takes_images_and_explains_them_as_images(digits):
    images, _ = digits
    detector = AutoencoderOutlierDetector(conv(epochs=1)).fit(images)
    assert detector.n_features_in_ == 64
    assert detector.predict(images).shape == (len(images),)
    assert detector.feature_errors(images[:3]).shape == (3, 8, 8)
    assert_array_equal(
        detector.score_samples(images), detector.score_samples(images.reshape(150, -1))
    )
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(8, 8\)"):
        detector.predict(np.zeros((3, 4, 16)))


# -- partial_fit, warm starts, files -----------------------------------------------


@pytest.mark.slow
def test_partial_fit_keeps_the_first_chunks_sample_shape(digits):
    images, _ = digits
    est = conv()
    est.partial_fit(images[:75])
    est.partial_fit(images[75:].reshape(75, -1))
    assert est.sample_shape_ == (8, 8)
    assert est.inverse_transform(est.transform(images[:2])).shape == (2, 8, 8)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(8, 8\)"):
        est.partial_fit(np.zeros((4, 4, 16)))
    assert est.n_iter_ == 2  # the refused chunk changed nothing


def test_a_refused_fit_leaves_the_fitted_shape(conv_on_images):
    est = pickle.loads(pickle.dumps(conv_on_images))
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(8, 8\)"):
        est.set_params(warm_start=True).fit(np.zeros((4, 2, 2, 2, 2)))
    assert est.sample_shape_ == (8, 8)


def test_the_sample_shape_survives_pickle_and_the_safe_format(
    conv_on_images, digits, tmp_path
):
    images, _ = digits
    expected = conv_on_images.inverse_transform(conv_on_images.transform(images[:3]))
    path = conv_on_images.save(os.path.join(tmp_path, "images.skae"))
    for copy in (pickle.loads(pickle.dumps(conv_on_images)), skae.load(path)):
        assert copy.sample_shape_ == (8, 8)
        assert_array_equal(copy.inverse_transform(copy.transform(images[:3])), expected)


def test_an_estimator_saved_before_sample_shapes_gives_flat_rows(conv_on_images):
    """Pickles and files from before sample_shape_ existed give back flat rows."""
    state = conv_on_images.__getstate__()
    del state["_sample_shape"]
    old = ConvAutoencoderTransformer.__new__(ConvAutoencoderTransformer)
    old.__setstate__(state)
    assert old.sample_shape_ == (64,)
    assert old.inverse_transform(np.zeros((2, 4))).shape == (2, 64)


# -- memmaps -----------------------------------------------------------------------


def test_memmapped_images_stream_as_flat_memmaps_do(digits, tmp_path, monkeypatch):
    images, _ = digits
    path = os.path.join(tmp_path, "images.npy")
    memmap = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=images.shape
    )
    memmap[:] = images
    memmap.flush()
    rows, shape = to_rows(AutoencoderTransformer(), memmap)
    assert isinstance(rows, np.memmap) and shape == (8, 8)
    assert np.shares_memory(rows, memmap)

    streamed = []
    split_rows = fitting.split_rows

    def spy(X, fraction, seed, is_streamed):
        streamed.append(is_streamed)
        return split_rows(X, fraction, seed, is_streamed)

    monkeypatch.setattr(fitting, "split_rows", spy)
    from_file = conv().fit(memmap)
    assert streamed == [True]
    in_memory = conv().fit(images.astype(np.float32))
    assert_array_equal(from_file.transform(memmap), in_memory.transform(images))


def test_reconstruction_display_shows_images_held_as_images(conv_on_images, digits):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skae.plotting import ReconstructionDisplay

    images, _ = digits
    display = ReconstructionDisplay.from_estimator(conv_on_images, images, n_images=3)
    assert display.image_shape == (8, 8)
    assert display.originals.shape == (3, 64)
    assert_array_equal(display.originals, images[:3].reshape(3, 64))
    expected = conv_on_images.inverse_transform(conv_on_images.transform(images[:3]))
    assert_array_equal(display.reconstructions[0], expected.reshape(3, 64))
