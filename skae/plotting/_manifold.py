"""LatentManifoldDisplay: the images decoded from a grid over a 2-d code."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from ..estimators.variational import VariationalAutoencoderTransformer
from ._checks import _check_image_shape, _default_image_shape

# A variational model's grid runs through these quantiles of its standard
# normal prior: the tails beyond them hold few codes and decode to little.
PRIOR_QUANTILES = (0.05, 0.95)
# Other models' grids span these percentiles of the codes of X, so that a few
# outlying codes do not stretch the grid over empty space.
CODE_PERCENTILES = (1.0, 99.0)
# At most about this many tick labels per axis, so that they stay legible.
MAX_TICK_LABELS = 8


class LatentManifoldDisplay:
    """Images decoded from a grid of 2-d codes, tiled into one canvas.

    Each tile is the decoding of one code of the grid, placed where that code
    lies in the plane, so the canvas shows how the images change across the
    latent space. Use :meth:`from_estimator` to create one from a fitted
    estimator with a 2-d code. All parameters are stored as attributes.

    Parameters
    ----------
    canvas : ndarray of shape (n_rows * (height + spacing) - spacing, \
n_cols * (width + spacing) - spacing[, channels])
        The decoded images, tiled: the image of ``grid[i, j]`` fills
        ``height`` rows from row ``i * (height + spacing)`` and ``width``
        columns from column ``j * (width + spacing)``. The pixels between
        tiles are NaN.
    grid : ndarray of shape (n_rows, n_cols, 2)
        The code decoded into each tile. Codes grow along the columns in their
        first dimension and up the rows (from the bottom row to the top one)
        in their second.
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)`` of one tile, with
        1, 3 (RGB) or 4 (RGBA) channels.
    spacing : int, default=0
        Number of blank (NaN) pixels between neighbouring tiles.

    Attributes
    ----------
    canvas_ : matplotlib AxesImage
        The drawn canvas.
    ax_ : matplotlib Axes
        Axes with the canvas; its ticks mark the codes of the tiles.
    figure_ : matplotlib Figure
        Figure containing the canvas.

    See Also
    --------
    CodeScatterDisplay : Two code dimensions of the samples.
    ReconstructionDisplay : Images next to their reconstructions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoderTransformer
    >>> from skae.plotting import LatentManifoldDisplay
    >>> X = load_digits().data[:100] / 16.0
    >>> vae = VariationalAutoencoderTransformer(
    ...     n_components=2, epochs=1, random_state=0
    ... ).fit(X)
    >>> display = LatentManifoldDisplay.from_estimator(vae, n_points=5)
    >>> display.canvas.shape  # 5 tiles of 8 pixels, 4 gaps of 1
    (44, 44)
    >>> display.grid.shape
    (5, 5, 2)
    >>> np.round(display.grid[0, 0], 2).tolist()  # top left: low x, high y
    [-1.64, 1.64]
    """

    def __init__(self, canvas, grid, image_shape, *, spacing=0):
        self.canvas = canvas
        self.grid = grid
        self.image_shape = image_shape
        self.spacing = spacing

    def plot(self, ax=None, *, cmap="gray", **kwargs):
        """Draw the canvas.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` creates a new figure.
        cmap : str or matplotlib Colormap, default="gray"
            Colormap of single-channel images.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`, for example ``vmin``
            and ``vmax``. The blank pixels between tiles are transparent, so
            they show the Axes' background colour.

        Returns
        -------
        display : LatentManifoldDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        canvas, grid, (height, width), spacing = self._check_data()
        if ax is None:
            _, ax = plt.subplots()
        blank = (
            np.isnan(canvas).any(axis=2, keepdims=True) if canvas.ndim == 3 else None
        )
        if blank is not None and blank.any():
            # Colour images ignore the colormap's colour for NaN: make the
            # blank pixels transparent through an alpha channel instead.
            if canvas.shape[2] == 3:
                canvas = np.concatenate([canvas, np.ones_like(blank, float)], axis=2)
            canvas = np.where(blank, 0.0, canvas)
        imshow_kwargs = {"cmap": cmap, "interpolation": "nearest"}
        imshow_kwargs.update(kwargs)
        image = ax.imshow(canvas, **imshow_kwargs)

        # Ticks at the centres of the tiles, labelled with their codes.
        n_rows, n_cols = grid.shape[:2]
        step = math.ceil(n_cols / MAX_TICK_LABELS)
        columns = np.arange(0, n_cols, step)
        ax.set_xticks(columns * (width + spacing) + (width - 1) / 2)
        ax.set_xticklabels([f"{v:.2g}" for v in grid[0, columns, 0]])
        step = math.ceil(n_rows / MAX_TICK_LABELS)
        rows = np.arange(0, n_rows, step)
        ax.set_yticks(rows * (height + spacing) + (height - 1) / 2)
        ax.set_yticklabels([f"{v:.2g}" for v in grid[rows, 0, 1]])
        ax.set_xlabel("code 0")
        ax.set_ylabel("code 1")

        self.canvas_ = image
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X=None,
        *,
        n_points=15,
        extent=None,
        image_shape=None,
        spacing=1,
        ax=None,
        cmap="gray",
        **imshow_kwargs,
    ):
        """Decode an ``n_points`` by ``n_points`` grid of codes into one canvas.

        The grid's codes are decoded with ``estimator.inverse_transform``. It
        spans ``extent`` when given; else the 1st to 99th percentiles of the
        codes of ``X`` in each dimension when ``X`` is given; else, for a
        :class:`~skae.VariationalAutoencoderTransformer`, the quantiles 0.05 to
        0.95 of its standard normal prior, evenly spaced in probability, so
        that each tile stands for as many codes of the prior.

        Parameters
        ----------
        estimator : fitted estimator
            A fitted transformer with a 2-d code (``n_components_ == 2``) and
            an ``inverse_transform``.
        X : array-like of shape (n_samples, n_features) or \
(n_samples, h, w[, c]), default=None
            Samples whose codes (``estimator.transform(X)``) set the grid's
            range. Needed unless ``extent`` is given or the estimator is a
            variational one.
        n_points : int, default=15
            Number of codes along each dimension of the grid.
        extent : tuple of 4 float, default=None
            ``(x_min, x_max, y_min, y_max)``: the grid runs evenly from
            ``x_min`` to ``x_max`` in the first code dimension and from
            ``y_min`` to ``y_max`` in the second. ``None`` sets the range from
            ``X`` or the prior, as above.
        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(height, width, channels)`` of one
            decoded image. ``None`` uses the shape of the images the estimator
            was fitted on (its ``sample_shape_``), else its ``image_shape_``,
            otherwise a square single-channel image when the decoded rows'
            width is a perfect square.
        spacing : int, default=1
            Number of blank pixels between neighbouring tiles, which keeps
            small images that fill their frame apart; 0 tiles them edge to
            edge.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` creates a new figure.
        cmap : str or matplotlib Colormap, default="gray"
            Colormap of single-channel images.
        **imshow_kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : LatentManifoldDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        name = type(estimator).__name__
        width = getattr(estimator, "n_components_", None)
        if width != 2:
            raise ValueError(
                f"LatentManifoldDisplay decodes a grid over a 2-d code, but {name} "
                f"has n_components_={width!r}. Fit it with n_components=2."
            )
        if not isinstance(n_points, Integral) or isinstance(n_points, bool):
            raise TypeError(
                f"n_points must be an int; got {type(n_points).__name__} "
                f"({n_points!r})."
            )
        if n_points < 2:
            raise ValueError(f"n_points must be at least 2; got n_points={n_points}.")
        spacing = _check_spacing(spacing)

        if extent is not None:
            x_min, x_max, y_min, y_max = _check_extent(extent)
            xs = np.linspace(x_min, x_max, n_points)
            ys = np.linspace(y_min, y_max, n_points)
        elif X is not None:
            codes = np.asarray(estimator.transform(X), dtype=np.float64)
            low, high = np.percentile(codes, CODE_PERCENTILES, axis=0)
            xs = np.linspace(low[0], high[0], n_points)
            ys = np.linspace(low[1], high[1], n_points)
        elif isinstance(estimator, VariationalAutoencoderTransformer):
            from scipy.stats import norm

            xs = ys = norm.ppf(np.linspace(*PRIOR_QUANTILES, n_points))
        else:
            raise ValueError(
                f"{name} has no prior to lay the grid over: pass X, whose codes' "
                "1st to 99th percentiles set the grid's range, or "
                "extent=(x_min, x_max, y_min, y_max)."
            )

        # Row i of the grid holds the i-th highest second coordinate, so that
        # the codes grow upwards on the canvas as on a plot's y axis.
        grid = np.stack(np.meshgrid(xs, ys[::-1]), axis=-1)
        decoded = estimator.inverse_transform(grid.reshape(-1, 2))
        decoded = np.asarray(decoded, dtype=np.float64).reshape(grid.shape[0] ** 2, -1)
        if image_shape is None:
            image_shape = _default_image_shape(estimator, decoded.shape[1])
        shape = _check_image_shape(image_shape, decoded.shape[1])
        canvas = _tile(decoded.reshape(n_points, n_points, *shape), spacing)
        display = cls(canvas, grid, tuple(image_shape), spacing=spacing)
        return display.plot(ax=ax, cmap=cmap, **imshow_kwargs)

    def _check_data(self):
        """``canvas``, ``grid``, the ``(height, width)`` of a tile, ``spacing``."""
        spacing = _check_spacing(self.spacing)
        grid = np.asarray(self.grid, dtype=np.float64)
        if grid.ndim != 3 or grid.shape[2] != 2 or 0 in grid.shape:
            raise ValueError(
                "grid must be a non-empty array of shape (n_rows, n_cols, 2); got "
                f"shape {grid.shape}."
            )
        n_rows, n_cols = grid.shape[:2]
        canvas = np.asarray(self.canvas, dtype=np.float64)
        try:
            n_features = math.prod(self.image_shape)
        except TypeError:
            n_features = None
        shape = _check_image_shape(self.image_shape, n_features)
        height, width = shape[:2]
        expected = (
            n_rows * (height + spacing) - spacing,
            n_cols * (width + spacing) - spacing,
            *shape[2:],
        )
        if canvas.shape != expected:
            raise ValueError(
                f"canvas must hold the {n_rows} x {n_cols} tiles of grid, each of "
                f"image_shape={self.image_shape!r}, {spacing} pixel(s) apart, so "
                f"have shape {expected}; got shape {canvas.shape}."
            )
        return canvas, grid, (height, width), spacing


def _check_extent(extent):
    try:
        values = tuple(extent)
    except TypeError:
        values = None
    if (
        values is None
        or len(values) != 4
        or not all(isinstance(v, Real) and np.isfinite(v) for v in values)
        or not (values[0] < values[1] and values[2] < values[3])
    ):
        raise ValueError(
            "extent must be (x_min, x_max, y_min, y_max), four finite numbers with "
            f"x_min < x_max and y_min < y_max; got extent={extent!r}."
        )
    return tuple(float(v) for v in values)


def _check_spacing(spacing):
    if not isinstance(spacing, Integral) or isinstance(spacing, bool) or spacing < 0:
        raise ValueError(
            f"spacing must be a non-negative int; got spacing={spacing!r}."
        )
    return int(spacing)


def _tile(images, spacing):
    """Tile ``images`` of shape (n_rows, n_cols, h, w[, c]) into one canvas.

    Each tile gets ``spacing`` NaN pixels below and to its right, which the
    last row and column then drop.
    """
    n_rows, n_cols, height, width = images.shape[:4]
    channels = images.shape[4:]
    tiles = images.reshape(n_rows, n_cols, height, width, -1)
    tiles = np.pad(
        tiles,
        ((0, 0), (0, 0), (0, spacing), (0, spacing), (0, 0)),
        constant_values=np.nan,
    )
    canvas = tiles.transpose(0, 2, 1, 3, 4).reshape(
        n_rows * (height + spacing), n_cols * (width + spacing), *channels
    )
    return canvas[: canvas.shape[0] - spacing, : canvas.shape[1] - spacing]
