"""The displays of skae.plotting: the artists they draw and the data they carry."""

import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.image import AxesImage
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import norm
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae.plotting import (
    CodeScatterDisplay,
    DenoisingDisplay,
    LatentManifoldDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
)

# Render off-screen; pyplot allows the switch until the first figure exists.
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:100] / 16.0, y[:100]


@pytest.fixture(scope="module")
def ae(digits):
    X, _ = digits
    return AutoencoderTransformer(n_components=4, epochs=2, random_state=0).fit(X)


@pytest.fixture(scope="module")
def pca(digits):
    X, _ = digits
    return PCA(n_components=4).fit(X)


def reconstruct(estimator, X):
    return estimator.inverse_transform(estimator.transform(X))


# -- ReconstructionDisplay ---------------------------------------------------------


def test_reconstruction_grid_has_a_row_per_estimator_and_a_column_per_image(
    digits, ae, pca
):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(
        ae, X, n_images=5, extra_estimators={"PCA": pca}
    )
    assert display.axes_.shape == (3, 5)
    assert display.images_.shape == (3, 5)
    assert all(isinstance(a, Axes) for a in display.axes_.flat)
    assert all(isinstance(im, AxesImage) for im in display.images_.flat)
    assert display.figure_ is display.axes_[0, 0].figure
    assert [a.get_ylabel() for a in display.axes_[:, 0]] == [
        "original",
        "AutoencoderTransformer",
        "PCA",
    ]
    assert display.labels == ["AutoencoderTransformer", "PCA"]
    for a in display.axes_.flat:
        assert len(a.get_xticks()) == 0
        assert len(a.get_yticks()) == 0
        assert a.images[0].get_cmap().name == "gray"


def test_reconstruction_images_hold_originals_and_each_reconstruction(digits, ae, pca):
    X, _ = digits
    n = 4
    display = ReconstructionDisplay.from_estimator(
        ae, X, n_images=n, extra_estimators={"PCA": pca}
    )
    expected_rows = [X[:n], reconstruct(ae, X[:n]), reconstruct(pca, X[:n])]
    for i, rows in enumerate(expected_rows):
        for j in range(n):
            assert_allclose(
                display.images_[i, j].get_array(),
                rows[j].reshape(8, 8),
                rtol=1e-6,
                atol=1e-7,
            )
    assert_allclose(display.originals, X[:n])
    assert len(display.reconstructions) == 2
    assert display.image_shape == (8, 8)


def test_reconstruction_images_share_the_originals_intensity_range(digits, ae, pca):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(
        ae, X, n_images=3, extra_estimators={"PCA": pca}
    )
    low, high = X[:3].min(), X[:3].max()
    for image in display.images_.flat:
        assert_allclose(image.get_clim(), (low, high))


def test_random_state_draws_distinct_rows_reproducibly(digits, ae):
    X, _ = digits

    def shown_rows(random_state):
        display = ReconstructionDisplay.from_estimator(
            ae, X, n_images=6, random_state=random_state
        )
        # Which rows of X are shown, found by matching the originals.
        matches = (display.originals[:, None, :] == X[None, :, :]).all(axis=2)
        return [int(np.flatnonzero(m)[0]) for m in matches]

    first = shown_rows(0)
    assert len(set(first)) == 6
    assert first == shown_rows(0)
    assert first != shown_rows(1)
    assert first != list(range(6))
    assert shown_rows(None) == list(range(6))


def test_name_labels_the_main_estimators_row(digits, ae):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(ae, X, n_images=2, name="AE")
    assert display.axes_.shape == (2, 2)
    assert display.axes_[1, 0].get_ylabel() == "AE"


def test_image_shape_defaults_to_the_estimators_image_shape_(digits):
    X, _ = digits
    conv = ConvAutoencoderTransformer(
        n_components=3, image_shape=(4, 16), filters=(2,), epochs=1, random_state=0
    ).fit(X)
    display = ReconstructionDisplay.from_estimator(conv, X, n_images=2)
    assert display.images_[0, 0].get_array().shape == (4, 16)
    assert_allclose(display.images_[0, 1].get_array(), X[1].reshape(4, 16))
    assert_allclose(
        display.images_[1, 1].get_array(),
        reconstruct(conv, X[:2])[1].reshape(4, 16),
        rtol=1e-6,
        atol=1e-7,
    )


@pytest.mark.parametrize("image_shape", [(4, 16), (4, 16, 1)])
def test_explicit_image_shape_is_used(digits, pca, image_shape):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(
        pca, X, n_images=2, image_shape=image_shape
    )
    assert_allclose(display.images_[0, 1].get_array(), X[1].reshape(4, 16))


def test_display_draws_rgb_images_and_numbers_unnamed_rows():
    rng = np.random.default_rng(0)
    originals = rng.random((3, 12))
    reconstruction = rng.random((3, 12))
    display = ReconstructionDisplay(originals, reconstruction, (2, 2, 3)).plot()
    assert display.images_.shape == (2, 3)
    assert_allclose(
        display.images_[1, 2].get_array(), reconstruction[2].reshape(2, 2, 3)
    )
    assert display.axes_[1, 0].get_ylabel() == "reconstruction 1"


def test_passing_a_grid_of_axes_draws_on_it(digits, ae, pca):
    X, _ = digits
    fig, axes = plt.subplots(3, 2, squeeze=False)
    display = ReconstructionDisplay.from_estimator(
        ae, X, n_images=2, extra_estimators={"PCA": pca}, ax=axes
    )
    assert display.figure_ is fig
    assert all(a is b for a, b in zip(display.axes_.flat, axes.flat, strict=True))
    assert all(len(a.images) == 1 for a in axes.flat)


def test_reconstruction_figure_saves_to_png(digits, ae, tmp_path):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(ae, X, n_images=3)
    path = tmp_path / "reconstructions.png"
    display.figure_.savefig(path)
    assert path.is_file()
    assert path.stat().st_size > 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_images": 0}, ValueError, r"between 1 and .* \(100\); got n_images=0"),
        ({"n_images": 101}, ValueError, "got n_images=101"),
        ({"n_images": 2.5}, TypeError, r"n_images must be an int; got float"),
        ({"image_shape": (8, 7)}, ValueError, r"holds 56 values.*n_features=64"),
        ({"image_shape": (4, 8, 2)}, ValueError, r"1, 3 \(RGB\) or 4 \(RGBA\)"),
        ({"image_shape": "8x8"}, ValueError, "image_shape must be"),
        ({"image_shape": (8, -8)}, ValueError, "image_shape must be"),
        ({"extra_estimators": [PCA()]}, TypeError, "must be a dict.*got list"),
        (
            {"extra_estimators": {"km": KMeans(2)}},
            TypeError,
            r"extra_estimators\['km'\] must have transform and inverse_transform",
        ),
        ({"extra_estimators": {"PCA": PCA(2)}}, NotFittedError, "PCA"),
    ],
)
def test_reconstruction_from_estimator_rejects_bad_arguments(
    digits, ae, kwargs, error, match
):
    X, _ = digits
    with pytest.raises(error, match=match):
        ReconstructionDisplay.from_estimator(ae, X, **kwargs)


def test_image_shape_cannot_be_inferred_from_a_non_square_row_width(digits):
    X, _ = digits
    pca = PCA(n_components=2).fit(X[:, :10])
    with pytest.raises(ValueError, match=r"n_features=10 is not a perfect square.*"):
        ReconstructionDisplay.from_estimator(pca, X[:, :10], n_images=2)


@pytest.mark.parametrize(
    "make_ax, got",
    [
        (lambda: plt.subplots(2, 2, squeeze=False)[1], r"shape \(2, 2\)"),
        (lambda: plt.subplots()[1], "Axes"),
        (lambda: np.full((3, 2), None), r"shape \(3, 2\)"),
    ],
)
def test_reconstruction_rejects_ax_of_the_wrong_shape(digits, ae, pca, make_ax, got):
    X, _ = digits
    with pytest.raises(ValueError, match=r"ax must be a 2-d array .*\(3, 2\).*" + got):
        ReconstructionDisplay.from_estimator(
            ae, X, n_images=2, extra_estimators={"PCA": pca}, ax=make_ax()
        )


def test_reconstruction_display_rejects_inconsistent_data():
    originals = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"shape of originals, \(2, 4\); got shape"):
        ReconstructionDisplay(originals, [np.zeros((2, 5))], (2, 2)).plot()
    with pytest.raises(ValueError, match="name each of the 1 reconstructions; got 2"):
        ReconstructionDisplay(originals, [originals], (2, 2), labels=["a", "b"]).plot()
    with pytest.raises(ValueError, match="originals must be a non-empty 2-d array"):
        ReconstructionDisplay(np.zeros(4), [np.zeros(4)], (2, 2)).plot()


@pytest.fixture(scope="module")
def ae_images(digits):
    """An autoencoder fitted on the digits as non-square (4, 16) images."""
    X, _ = digits
    est = AutoencoderTransformer(n_components=2, epochs=1, random_state=0)
    return est.fit(X.reshape(-1, 4, 16))


def test_flat_rows_are_shown_in_the_shape_of_the_images_fitted_on(digits, ae_images):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(ae_images, X, n_images=2)
    assert display.images_[0, 0].get_array().shape == (4, 16)
    assert_allclose(display.images_[0, 1].get_array(), X[1].reshape(4, 16))


# -- DenoisingDisplay --------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy(digits):
    X, _ = digits
    rng = np.random.default_rng(0)
    return np.clip(X + rng.normal(scale=0.3, size=X.shape), 0, 1)


def test_denoising_rows_hold_noisy_restored_and_clean_images(digits, ae, noisy):
    X, _ = digits
    display = DenoisingDisplay.from_estimator(ae, noisy, X, n_images=4)
    assert display.axes_.shape == display.images_.shape == (3, 4)
    assert all(isinstance(im, AxesImage) for im in display.images_.flat)
    assert display.figure_ is display.axes_[0, 0].figure
    assert [a.get_ylabel() for a in display.axes_[:, 0]] == [
        "noisy",
        "restored",
        "clean",
    ]
    expected_rows = [noisy[:4], reconstruct(ae, noisy[:4]), X[:4]]
    for i, rows in enumerate(expected_rows):
        for j in range(4):
            assert_allclose(
                display.images_[i, j].get_array(),
                rows[j].reshape(8, 8),
                rtol=1e-6,
                atol=1e-7,
            )
    assert_allclose(display.restored, reconstruct(ae, noisy[:4]), rtol=1e-6)
    assert display.image_shape == (8, 8)
    # All rows on the clean images' scale, so the noise shows as it is.
    for image in display.images_.flat:
        assert_allclose(image.get_clim(), (X[:4].min(), X[:4].max()))


def test_denoising_without_clean_images_has_two_rows_on_the_noisy_scale(ae, noisy):
    display = DenoisingDisplay.from_estimator(ae, noisy * 2, n_images=3)
    assert display.images_.shape == (2, 3)
    assert display.clean is None
    assert [a.get_ylabel() for a in display.axes_[:, 0]] == ["noisy", "restored"]
    for image in display.images_.flat:
        assert_allclose(image.get_clim(), (0, (noisy[:3] * 2).max()))


def test_denoising_random_state_picks_the_same_rows_of_both(digits, ae, noisy):
    X, _ = digits
    display = DenoisingDisplay.from_estimator(ae, noisy, X, n_images=5, random_state=0)
    rows = [int(np.flatnonzero((noisy == row).all(axis=1))[0]) for row in display.noisy]
    assert rows != list(range(5))
    assert len(set(rows)) == 5
    assert_allclose(display.clean, X[rows])


def test_denoising_reads_images_as_fitted(digits, ae_images, noisy):
    X, _ = digits
    images = X.reshape(-1, 4, 16)
    est = ae_images
    noisy_images = noisy.reshape(-1, 4, 16)
    display = DenoisingDisplay.from_estimator(est, noisy_images, images, n_images=2)
    assert display.image_shape == (4, 16)
    assert_allclose(display.images_[2, 1].get_array(), images[1])
    assert_allclose(
        display.images_[1, 1].get_array(),
        reconstruct(est, noisy_images[:2])[1],
        rtol=1e-6,
        atol=1e-7,
    )


def test_denoising_draws_on_a_given_grid_and_rejects_other_shapes(digits, ae, noisy):
    X, _ = digits
    fig, axes = plt.subplots(3, 2, squeeze=False)
    display = DenoisingDisplay.from_estimator(ae, noisy, X, n_images=2, ax=axes)
    assert display.figure_ is fig
    assert all(a is b for a, b in zip(display.axes_.flat, axes.flat, strict=True))
    with pytest.raises(
        ValueError, match=r"\(2, 2\): one row each for the noisy and restored images"
    ):
        DenoisingDisplay.from_estimator(ae, noisy, n_images=2, ax=axes)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_images": 0}, ValueError, r"between 1 and .* \(100\); got n_images=0"),
        ({"n_images": 2.5}, TypeError, r"n_images must be an int; got float"),
        ({"image_shape": (8, 7)}, ValueError, r"holds 56 values.*n_features=64"),
        (
            {"X_clean": np.zeros((99, 64))},
            ValueError,
            "got 99 samples in X_clean and 100 in X_noisy",
        ),
        (
            {"X_clean": np.zeros((100, 63))},
            ValueError,
            r"clean must have the shape of noisy, \(8, 64\); got shape \(8, 63\)",
        ),
        ({"X_clean": np.zeros(100)}, ValueError, "X_clean must hold one flat image"),
    ],
)
def test_denoising_from_estimator_rejects_bad_arguments(
    ae, noisy, kwargs, error, match
):
    with pytest.raises(error, match=match):
        DenoisingDisplay.from_estimator(ae, noisy, **kwargs)


def test_denoising_display_rejects_inconsistent_data():
    noisy = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"restored must have the shape of noisy"):
        DenoisingDisplay(noisy, np.zeros((2, 5)), (2, 2)).plot()
    with pytest.raises(ValueError, match="noisy must be a non-empty 2-d array"):
        DenoisingDisplay(np.zeros((0, 4)), np.zeros((0, 4)), (2, 2)).plot()
    with pytest.raises(NotFittedError):
        DenoisingDisplay.from_estimator(AutoencoderTransformer(), noisy)


# -- LatentManifoldDisplay ---------------------------------------------------------


@pytest.fixture(scope="module")
def ae2(digits):
    X, _ = digits
    return AutoencoderTransformer(n_components=2, epochs=1, random_state=0).fit(X)


@pytest.fixture(scope="module")
def vae(digits):
    X, _ = digits
    return VariationalAutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(8,), epochs=1, random_state=0
    ).fit(X)


def tile(canvas, i, j, height, width, spacing=1):
    top, left = i * (height + spacing), j * (width + spacing)
    return canvas[top : top + height, left : left + width]


def test_manifold_tiles_are_the_decoded_grid_codes(digits, ae2):
    X, _ = digits
    display = LatentManifoldDisplay.from_estimator(ae2, X, n_points=4)
    assert display.grid.shape == (4, 4, 2)
    assert display.canvas.shape == (35, 35)
    assert display.image_shape == (8, 8)
    assert display.spacing == 1
    decoded = ae2.inverse_transform(display.grid.reshape(-1, 2))
    for k, (i, j) in enumerate(np.ndindex(4, 4)):
        assert_allclose(tile(display.canvas, i, j, 8, 8), decoded[k].reshape(8, 8))
    # Blank rows and columns between the tiles, and nowhere else.
    blank = np.isnan(display.canvas)
    assert_array_equal(np.flatnonzero(blank.all(axis=1)), [8, 17, 26])
    assert_array_equal(np.flatnonzero(blank.all(axis=0)), [8, 17, 26])
    assert blank.sum() == 35 * 35 - 16 * 64
    assert_allclose(display.canvas_.get_array(), display.canvas)
    assert display.canvas_ is display.ax_.images[0]
    assert display.figure_ is display.ax_.figure
    assert display.canvas_.get_cmap().name == "gray"


def test_manifold_grid_spans_the_percentiles_of_the_codes_of_X(digits, ae2):
    X, _ = digits
    display = LatentManifoldDisplay.from_estimator(ae2, X, n_points=5)
    low, high = np.percentile(ae2.transform(X), [1, 99], axis=0)
    xs, ys = np.linspace(low[0], high[0], 5), np.linspace(low[1], high[1], 5)
    # Columns run through the first dimension, rows up through the second.
    for i in range(5):
        assert_allclose(display.grid[i, :, 0], xs)
        assert_allclose(display.grid[:, i, 1], ys[::-1])


def test_variational_grid_runs_through_the_prior_quantiles(vae):
    display = LatentManifoldDisplay.from_estimator(vae, n_points=6)
    quantiles = norm.ppf(np.linspace(0.05, 0.95, 6))
    assert_allclose(display.grid[2, :, 0], quantiles)
    assert_allclose(display.grid[:, 3, 1], quantiles[::-1])
    assert display.canvas.shape == (53, 53)


def test_extent_and_X_take_the_place_of_the_prior(digits, vae):
    X, _ = digits
    display = LatentManifoldDisplay.from_estimator(
        vae, n_points=3, extent=(-1, 1, 0, 4)
    )
    assert_allclose(display.grid[0, :, 0], [-1, 0, 1])
    assert_allclose(display.grid[:, 0, 1], [4, 2, 0])
    display = LatentManifoldDisplay.from_estimator(vae, X, n_points=3)
    low, high = np.percentile(vae.transform(X), [1, 99], axis=0)
    assert_allclose(display.grid[0, :, 0], np.linspace(low[0], high[0], 3))


def test_manifold_ticks_mark_the_codes_of_the_tiles(vae):
    display = LatentManifoldDisplay.from_estimator(vae, n_points=15)
    columns = np.arange(0, 15, 2)
    assert_allclose(display.ax_.get_xticks(), columns * 9 + 3.5)
    assert_allclose(display.ax_.get_yticks(), columns * 9 + 3.5)
    labels = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert labels == [f"{v:.2g}" for v in display.grid[0, columns, 0]]
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert labels == [f"{v:.2g}" for v in display.grid[columns, 0, 1]]
    assert display.ax_.get_xlabel() == "code 0"
    assert display.ax_.get_ylabel() == "code 1"


def test_manifold_tiles_have_the_shape_of_the_images_fitted_on(ae_images):
    est = ae_images
    display = LatentManifoldDisplay.from_estimator(
        est, extent=(0, 1, 0, 1), n_points=3, spacing=0
    )
    assert display.image_shape == (4, 16)
    assert display.canvas.shape == (12, 48)
    decoded = est.inverse_transform(display.grid.reshape(-1, 2))
    assert decoded.shape == (9, 4, 16)
    assert_allclose(tile(display.canvas, 1, 2, 4, 16, spacing=0), decoded[5])
    assert not np.isnan(display.canvas).any()


def test_manifold_reads_a_conv_image_shape_and_an_explicit_one(digits, pca):
    X, _ = digits
    conv = ConvAutoencoderTransformer(
        n_components=2, image_shape=(4, 16), filters=(2,), epochs=1, random_state=0
    ).fit(X)
    display = LatentManifoldDisplay.from_estimator(conv, X, n_points=2)
    assert display.canvas.shape == (9, 33)
    pca2 = PCA(n_components=2).fit(X)
    display = LatentManifoldDisplay.from_estimator(
        pca2, X, n_points=2, image_shape=(16, 4, 1)
    )
    assert display.canvas.shape == (33, 9)
    decoded = pca2.inverse_transform(display.grid.reshape(-1, 2))
    assert_allclose(tile(display.canvas, 1, 0, 16, 4), decoded[2].reshape(16, 4))


def test_manifold_draws_rgb_tiles_on_a_given_axes():
    grid = np.zeros((2, 3, 2))
    canvas = np.random.default_rng(0).random((4, 6, 3))
    fig, ax = plt.subplots()
    display = LatentManifoldDisplay(canvas, grid, (2, 2, 3)).plot(ax=ax, alpha=0.5)
    assert display.ax_ is ax
    assert display.figure_ is fig
    assert display.canvas_.get_alpha() == 0.5
    assert_allclose(display.canvas_.get_array(), canvas)


def test_blank_pixels_between_colour_tiles_are_transparent():
    tiles = np.random.default_rng(0).random((2, 2, 2, 2, 3))
    canvas = np.full((5, 5, 3), np.nan)
    for i, j in np.ndindex(2, 2):
        canvas[3 * i : 3 * i + 2, 3 * j : 3 * j + 2] = tiles[i, j]
    grid = np.zeros((2, 2, 2))
    display = LatentManifoldDisplay(canvas, grid, (2, 2, 3), spacing=1).plot()
    drawn = display.canvas_.get_array()
    assert drawn.shape == (5, 5, 4)
    assert_array_equal(drawn[2, :, 3], 0)
    assert_array_equal(drawn[:, 2, 3], 0)
    assert_allclose(drawn[3:, :2, :3], tiles[1, 0])
    assert_array_equal(drawn[3:, :2, 3], 1)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_points": 1}, ValueError, "n_points must be at least 2; got n_points=1"),
        ({"n_points": 2.0}, TypeError, r"n_points must be an int; got float"),
        ({"extent": (0, 1, 2)}, ValueError, r"got extent=\(0, 1, 2\)"),
        ({"extent": (1, 0, 0, 1)}, ValueError, "x_min < x_max and y_min < y_max"),
        ({"extent": (0, np.inf, 0, 1)}, ValueError, "four finite numbers"),
        ({"image_shape": (8, 7)}, ValueError, r"holds 56 values.*n_features=64"),
        ({"spacing": -1}, ValueError, "non-negative int; got spacing=-1"),
    ],
)
def test_manifold_from_estimator_rejects_bad_arguments(vae, kwargs, error, match):
    with pytest.raises(error, match=match):
        LatentManifoldDisplay.from_estimator(vae, **kwargs)


def test_manifold_needs_a_2d_code(digits, ae):
    X, _ = digits
    match = r"2-d code, but AutoencoderTransformer has n_components_=4\. Fit it"
    with pytest.raises(ValueError, match=match):
        LatentManifoldDisplay.from_estimator(ae, X)
    with pytest.raises(NotFittedError):
        LatentManifoldDisplay.from_estimator(VariationalAutoencoderTransformer(2))


def test_manifold_without_a_prior_needs_X_or_extent(digits, ae2):
    X, _ = digits
    with pytest.raises(ValueError, match="AutoencoderTransformer has no prior.*pass X"):
        LatentManifoldDisplay.from_estimator(ae2)
    pca = PCA(n_components=2).fit(X[:, :10])
    with pytest.raises(ValueError, match="n_features=10 is not a perfect square"):
        LatentManifoldDisplay.from_estimator(pca, X[:, :10])


def test_manifold_display_rejects_inconsistent_data():
    with pytest.raises(ValueError, match=r"grid must be .*\(n_rows, n_cols, 2\)"):
        LatentManifoldDisplay(np.zeros((4, 4)), np.zeros((2, 2)), (2, 2)).plot()
    with pytest.raises(ValueError, match=r"so have shape \(4, 6\); got shape \(6, 4\)"):
        LatentManifoldDisplay(np.zeros((6, 4)), np.zeros((2, 3, 2)), (2, 2)).plot()
    with pytest.raises(ValueError, match=r"1 pixel\(s\) apart, so have shape \(5, 8\)"):
        LatentManifoldDisplay(
            np.zeros((4, 6)), np.zeros((2, 3, 2)), (2, 2), spacing=1
        ).plot()


# -- LossCurveDisplay --------------------------------------------------------------


def test_loss_curves_carry_the_history(ae):
    display = LossCurveDisplay.from_estimator(ae)
    assert set(display.lines_) == {"loss", "val_loss"}
    for key, line in display.lines_.items():
        assert_allclose(line.get_ydata(), ae.history_[key])
        assert_array_equal(line.get_xdata(), np.arange(1, len(ae.history_[key]) + 1))
    training, validation = display.lines_["loss"], display.lines_["val_loss"]
    assert validation.get_linestyle() == "--"
    assert validation.get_color() == training.get_color()
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "loss"
    legend = display.ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "training loss",
        "validation loss",
    ]
    assert display.figure_ is display.ax_.figure


def test_loss_curve_without_validation_draws_training_loss_only(digits):
    X, _ = digits
    est = AutoencoderTransformer(
        n_components=2, epochs=2, validation_fraction=0.0, random_state=0
    ).fit(X)
    display = LossCurveDisplay.from_estimator(est)
    assert list(display.lines_) == ["loss"]
    assert_allclose(display.lines_["loss"].get_ydata(), est.history_["loss"])
    assert len(display.ax_.get_lines()) == 1


def test_loss_curves_of_two_estimators_share_an_axes_by_name(ae):
    fig, ax = plt.subplots()
    first = LossCurveDisplay.from_estimator(ae, ax=ax, name="a")
    second = LossCurveDisplay(
        {"loss": [3.0, 2.0, 1.5], "val_loss": [3.5, 2.5, 2.0]}, name="b"
    ).plot(ax=ax, linewidth=3)
    assert first.ax_ is second.ax_ is ax
    assert second.figure_ is fig
    assert len(ax.get_lines()) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "a training loss",
        "a validation loss",
        "b training loss",
        "b validation loss",
    ]
    assert_allclose(second.lines_["val_loss"].get_ydata(), [3.5, 2.5, 2.0])
    assert second.lines_["loss"].get_linewidth() == 3
    assert second.lines_["loss"].get_color() != first.lines_["loss"].get_color()


def test_loss_curve_needs_a_history(digits, pca):
    with pytest.raises(ValueError, match="PCA has no history_ attribute"):
        LossCurveDisplay.from_estimator(pca)
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(AutoencoderTransformer())
    with pytest.raises(ValueError, match=r"'loss' list.*keys \['val_loss'\]"):
        LossCurveDisplay({"val_loss": [1.0]}).plot()
    with pytest.raises(ValueError, match=r"'loss' list.*got list\."):
        LossCurveDisplay([1.0, 0.5]).plot()
    with pytest.raises(ValueError, match=r"history\['loss'\] must be a non-empty"):
        LossCurveDisplay({"loss": []}).plot()


# -- CodeScatterDisplay ------------------------------------------------------------


def test_code_scatter_plots_the_chosen_code_columns(digits, ae):
    X, y = digits
    display = CodeScatterDisplay.from_estimator(ae, X, y, components=(3, 1))
    codes = ae.transform(X)
    assert_allclose(display.scatter_.get_offsets(), codes[:, [3, 1]])
    assert_allclose(display.codes, codes)
    assert display.ax_.get_xlabel() == "code 3"
    assert display.ax_.get_ylabel() == "code 1"
    assert display.figure_ is display.ax_.figure


def test_class_labels_get_one_colour_each_and_a_legend(digits, ae):
    X, y = digits
    display = CodeScatterDisplay.from_estimator(ae, X, y)
    assert display.colorbar_ is None
    assert display.legend_ is display.ax_.get_legend()
    assert [t.get_text() for t in display.legend_.get_texts()] == [
        str(d) for d in range(10)
    ]
    assert_array_equal(display.scatter_.get_array(), y)
    # Face colours are mapped from the labels when the figure is drawn.
    display.figure_.canvas.draw()
    colours = display.scatter_.get_facecolors()
    assert len(np.unique(colours, axis=0)) == 10
    for digit, handle in enumerate(display.legend_.legend_handles):
        assert_allclose(colours[y == digit], [handle.get_color()] * np.sum(y == digit))


def test_string_labels_name_the_legend_entries(digits, pca):
    X, y = digits
    names = np.where(y % 2 == 0, "even", "odd")
    display = CodeScatterDisplay.from_estimator(pca, X, names)
    assert [t.get_text() for t in display.legend_.get_texts()] == ["even", "odd"]
    assert_array_equal(display.scatter_.get_array(), (y % 2 == 1).astype(int))


def test_continuous_labels_get_a_colorbar(digits, pca):
    X, _ = digits
    values = np.linspace(0.0, 1.0, len(X))
    display = CodeScatterDisplay.from_estimator(pca, X, values)
    assert display.legend_ is None
    assert display.colorbar_ is not None
    assert_allclose(display.scatter_.get_array(), values)


def test_code_scatter_without_labels_has_no_legend_and_uses_given_ax(digits, ae):
    X, _ = digits
    fig, ax = plt.subplots()
    display = CodeScatterDisplay.from_estimator(ae, X, ax=ax, s=7, marker="x")
    assert display.ax_ is ax
    assert display.figure_ is fig
    assert display.legend_ is None
    assert display.colorbar_ is None
    assert ax.get_legend() is None
    assert_allclose(display.scatter_.get_sizes(), [7])


@pytest.mark.parametrize(
    "components, match",
    [
        ((0, 4), r"between 0 and 3 \(AutoencoderTransformer has n_components=4\)"),
        ((-1, 0), r"got components=\(-1, 0\)"),
        ((0,), r"got components=\(0,\)"),
        ((0, 1, 2), r"got components=\(0, 1, 2\)"),
        (0, "got components=0"),
    ],
)
def test_code_scatter_rejects_components_out_of_range(digits, ae, components, match):
    X, _ = digits
    with pytest.raises(ValueError, match=match):
        CodeScatterDisplay.from_estimator(ae, X, components=components)


def test_code_scatter_needs_two_components(digits):
    X, _ = digits
    pca = PCA(n_components=1).fit(X)
    with pytest.raises(ValueError, match="two code dimensions, but PCA has n_comp"):
        CodeScatterDisplay.from_estimator(pca, X)
    with pytest.raises(ValueError, match=r"the codes have 1 column\(s\)"):
        CodeScatterDisplay(np.zeros((5, 1))).plot()
    with pytest.raises(NotFittedError):
        CodeScatterDisplay.from_estimator(AutoencoderTransformer(), X)


def test_code_scatter_rejects_labels_of_the_wrong_length(digits, ae):
    X, y = digits
    with pytest.raises(ValueError, match=r"one label per sample \(100\); got shape"):
        CodeScatterDisplay.from_estimator(ae, X, y[:50])


# -- the module as a whole ---------------------------------------------------------


def test_importing_skae_does_not_import_plotting_or_matplotlib():
    code = (
        "import sys, skae; "
        "assert 'skae.plotting' not in sys.modules; "
        "assert 'matplotlib' not in sys.modules; "
        "import skae.plotting; "
        "assert 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "display",
    [
        ReconstructionDisplay(np.zeros((1, 4)), [np.zeros((1, 4))], (2, 2)),
        LossCurveDisplay({"loss": [1.0]}),
        CodeScatterDisplay(np.zeros((3, 2))),
        DenoisingDisplay(np.zeros((1, 4)), np.zeros((1, 4)), (2, 2)),
        LatentManifoldDisplay(np.zeros((4, 4)), np.zeros((2, 2, 2)), (2, 2)),
    ],
    ids=lambda d: type(d).__name__,
)
def test_plot_without_matplotlib_says_what_to_install(monkeypatch, display):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=f"{type(display).__name__}.plot requires"):
        display.plot()


def test_from_estimator_without_matplotlib_fails_before_computing(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    unfitted = AutoencoderTransformer()
    with pytest.raises(ImportError, match="LossCurveDisplay.from_estimator requires"):
        LossCurveDisplay.from_estimator(unfitted)
