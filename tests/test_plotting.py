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
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

from skae import AutoencoderTransformer, ConvAutoencoderTransformer
from skae.plotting import (
    CodeScatterDisplay,
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
