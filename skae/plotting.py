"""Pictures of fitted autoencoders: reconstructions, loss curves and codes.

Each display follows scikit-learn's visualization API: the class holds the
computed data, ``plot`` draws it and stores the matplotlib artists as attributes
ending in ``_``, and ``from_estimator`` computes the data from a fitted
estimator and then calls ``plot``.

matplotlib is optional (``pip install skae[plot]``); it is imported inside
``plot``, so importing this module does not import it.
"""

import math
from collections.abc import Mapping
from numbers import Integral

import numpy as np
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import _num_samples, check_is_fitted

__all__ = ["CodeScatterDisplay", "LossCurveDisplay", "ReconstructionDisplay"]

# Labels with at most this many distinct integer values are drawn as classes
# with a legend; more values, or non-integral numbers, get a colorbar instead.
MAX_LEGEND_CLASSES = 20


class ReconstructionDisplay:
    """Grid of images: originals on the first row, reconstructions below.

    Use :meth:`from_estimator` to create one from fitted estimators, for example
    to compare an autoencoder with :class:`~sklearn.decomposition.PCA` on the
    same images. All parameters are stored as attributes.

    Parameters
    ----------
    originals : array-like of shape (n_images, n_features)
        The images shown on the first row, one flat row each.
    reconstructions : list of array-like of shape (n_images, n_features)
        One array per further row of the grid, in order; a single 2-d array
        stands for a list of one.
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)`` of one image, with
        1, 3 (RGB) or 4 (RGBA) channels; rows hold the pixels in C order.
    labels : list of str, default=None
        Name of each reconstruction row, written on its left. ``None`` numbers
        them ``"reconstruction 1"``, ``"reconstruction 2"``, ...

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_images)
        The grid; ``n_rows`` is one plus the number of reconstructions.
    images_ : ndarray of matplotlib AxesImage of shape (n_rows, n_images)
        The image drawn on each Axes.
    figure_ : matplotlib Figure
        Figure containing the grid.

    See Also
    --------
    LossCurveDisplay : Training and validation loss per epoch.
    CodeScatterDisplay : Two code dimensions of the samples.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import ReconstructionDisplay
    >>> X = load_digits().data[:100] / 16.0
    >>> ae = AutoencoderTransformer(n_components=8, epochs=1, random_state=0).fit(X)
    >>> pca = PCA(n_components=8).fit(X)
    >>> display = ReconstructionDisplay.from_estimator(
    ...     ae, X, n_images=5, random_state=0, extra_estimators={"PCA": pca}
    ... )
    >>> display.images_.shape
    (3, 5)
    >>> display.labels
    ['AutoencoderTransformer', 'PCA']
    """

    def __init__(self, originals, reconstructions, image_shape, *, labels=None):
        self.originals = originals
        self.reconstructions = reconstructions
        self.image_shape = image_shape
        self.labels = labels

    def plot(self, ax=None, *, cmap="gray", **kwargs):
        """Draw the grid.

        Parameters
        ----------
        ax : ndarray of matplotlib Axes of shape (n_rows, n_images), default=None
            Axes to draw on, one row per row of the grid (the originals, then
            each reconstruction) and one column per image. ``None`` creates a
            new figure.
        cmap : str or matplotlib Colormap, default="gray"
            Colormap of single-channel images.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`. Single-channel images
            share the originals' intensity range (``vmin``, ``vmax``) unless
            these are given, so that reconstructions are shown on the scale of
            the data they reconstruct.

        Returns
        -------
        display : ReconstructionDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        originals, reconstructions = self._check_data()
        labels = self._row_labels(len(reconstructions))
        shape = _check_image_shape(self.image_shape, originals.shape[1])
        rows = [originals, *reconstructions]
        axes = _check_or_make_axes_grid(ax, len(rows), originals.shape[0])

        imshow_kwargs = {"cmap": cmap, "interpolation": "nearest"}
        if len(shape) == 2 and originals.size:
            imshow_kwargs.update(vmin=originals.min(), vmax=originals.max())
        imshow_kwargs.update(kwargs)

        images = np.empty(axes.shape, dtype=object)
        for i, row in enumerate(rows):
            for j, flat in enumerate(row):
                images[i, j] = axes[i, j].imshow(flat.reshape(shape), **imshow_kwargs)
                axes[i, j].set_xticks([])
                axes[i, j].set_yticks([])
                for spine in axes[i, j].spines.values():
                    spine.set_visible(False)
            # Horizontal, so long estimator names do not run into the next row.
            axes[i, 0].set_ylabel(labels[i], rotation=0, ha="right", va="center")

        self.axes_ = axes
        self.images_ = images
        self.figure_ = axes[0, 0].figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        n_images=8,
        image_shape=None,
        random_state=None,
        extra_estimators=None,
        name=None,
        ax=None,
    ):
        """Show images of ``X`` next to the estimators' reconstructions of them.

        Each reconstruction is ``est.inverse_transform(est.transform(X_shown))``,
        so any fitted transformer with an ``inverse_transform`` works, such as
        :class:`~sklearn.decomposition.PCA`.

        Parameters
        ----------
        estimator : fitted estimator
            The estimator whose reconstructions make the second row.
        X : array-like of shape (n_samples, n_features)
            Images, one flat row each, to pick the shown ones from.
        n_images : int, default=8
            Number of images shown, one column each.
        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(height, width, channels)`` of one image.
            ``None`` uses the estimator's ``image_shape_`` when it has one (as
            :class:`~skae.ConvAutoencoderTransformer` does), otherwise a square
            single-channel image when ``n_features`` is a perfect square.
        random_state : int, RandomState instance or None, default=None
            Draws the shown rows at random, without replacement, when given
            (they keep their order in ``X``); ``None`` shows the first
            ``n_images`` rows.
        extra_estimators : dict of str to fitted estimator, default=None
            Further estimators whose reconstructions are added as rows below,
            labelled by their keys, in order.
        name : str, default=None
            Label of ``estimator``'s row; ``None`` uses its class name.
        ax : ndarray of matplotlib Axes of shape (n_rows, n_images), default=None
            Axes to draw on, with ``n_rows = 2 + len(extra_estimators)``.
            ``None`` creates a new figure.

        Returns
        -------
        display : ReconstructionDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        extra_estimators = _check_extra_estimators(extra_estimators)
        n_samples = _num_samples(X)
        if not isinstance(n_images, Integral) or isinstance(n_images, bool):
            raise TypeError(
                f"n_images must be an int; got {type(n_images).__name__} "
                f"({n_images!r})."
            )
        if not 1 <= n_images <= n_samples:
            raise ValueError(
                f"n_images must be between 1 and the number of samples in X "
                f"({n_samples}); got n_images={n_images}."
            )
        if random_state is None:
            rows = np.arange(n_images)
        else:
            rng = check_random_state(random_state)
            rows = np.sort(rng.choice(n_samples, size=n_images, replace=False))
        X_shown = _safe_indexing(X, rows, axis=0)
        originals = np.asarray(X_shown, dtype=np.float64)
        if originals.ndim != 2:
            raise ValueError(
                "X must be 2-d, one flat image per row; got an array of shape "
                f"{originals.shape}."
            )
        if image_shape is None:
            image_shape = _default_image_shape(estimator, originals.shape[1])

        labels = [type(estimator).__name__ if name is None else name]
        labels += list(extra_estimators)
        reconstructions = [
            np.asarray(est.inverse_transform(est.transform(X_shown)), dtype=np.float64)
            for est in [estimator, *extra_estimators.values()]
        ]
        display = cls(originals, reconstructions, image_shape, labels=labels)
        return display.plot(ax=ax)

    def _check_data(self):
        originals = np.asarray(self.originals, dtype=np.float64)
        if originals.ndim != 2 or originals.shape[0] == 0:
            raise ValueError(
                "originals must be a non-empty 2-d array of shape (n_images, "
                f"n_features); got shape {originals.shape}."
            )
        reconstructions = self.reconstructions
        if isinstance(reconstructions, np.ndarray) and reconstructions.ndim == 2:
            reconstructions = [reconstructions]
        reconstructions = [np.asarray(r, dtype=np.float64) for r in reconstructions]
        for i, reconstruction in enumerate(reconstructions):
            if reconstruction.shape != originals.shape:
                raise ValueError(
                    f"Each reconstruction must have the shape of originals, "
                    f"{originals.shape}; got shape {reconstruction.shape} at "
                    f"position {i}."
                )
        return originals, reconstructions

    def _row_labels(self, n_reconstructions):
        if self.labels is None:
            names = [f"reconstruction {i + 1}" for i in range(n_reconstructions)]
        else:
            names = [str(label) for label in self.labels]
            if len(names) != n_reconstructions:
                raise ValueError(
                    f"labels must name each of the {n_reconstructions} "
                    f"reconstructions; got {len(names)} labels."
                )
        return ["original", *names]


class LossCurveDisplay:
    """Training (and validation) loss of a fitted autoencoder, per epoch.

    Use :meth:`from_estimator` to create one from a fitted estimator. All
    parameters are stored as attributes.

    Parameters
    ----------
    history : dict of str to list of float
        Losses per epoch, as in an estimator's ``history_``: ``"loss"`` for the
        training loss and, when present, ``"val_loss"`` for the validation loss.
    name : str, default=None
        Name prefixed to the legend entries, to tell curves of several
        estimators apart on the same Axes.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curve of each plotted key of ``history`` (``"loss"`` and, when
        present, ``"val_loss"``).
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    ReconstructionDisplay : Images next to their reconstructions.
    CodeScatterDisplay : Two code dimensions of the samples.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import LossCurveDisplay
    >>> X = load_digits().data[:100] / 16.0
    >>> ae = AutoencoderTransformer(n_components=8, epochs=1, random_state=0).fit(X)
    >>> display = LossCurveDisplay.from_estimator(ae)
    >>> sorted(display.lines_)
    ['loss', 'val_loss']
    >>> display.lines_["loss"].get_xdata().tolist()
    [1]
    """

    _curves = (("loss", "training"), ("val_loss", "validation"))

    def __init__(self, history, *, name=None):
        self.history = history
        self.name = name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the loss curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` creates a new figure.
        name : str, default=None
            Name prefixed to the legend entries; ``None`` uses ``self.name``.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for both curves. By
            default both share one colour, the validation curve dashed.

        Returns
        -------
        display : LossCurveDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        curves = self._check_history()
        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name

        lines = {}
        for key, split in self._curves:
            if key not in curves:
                continue
            label = f"{split} loss" if name is None else f"{name} {split} loss"
            line_kwargs = {"label": label, **kwargs}
            if key == "val_loss":
                # The validation curve wears its training curve's colour, dashed.
                line_kwargs = {
                    "color": lines["loss"].get_color(),
                    "linestyle": "--",
                    **line_kwargs,
                }
            epochs = np.arange(1, len(curves[key]) + 1)
            (lines[key],) = ax.plot(epochs, curves[key], **line_kwargs)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()

        self.lines_ = lines
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Plot the losses recorded while ``estimator`` was fitted.

        Parameters
        ----------
        estimator : fitted estimator
            An estimator with a ``history_`` attribute, such as any skae
            autoencoder.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` creates a new figure.
        name : str, default=None
            Name prefixed to the legend entries, to compare several estimators
            on one Axes; ``None`` leaves it out.

        Returns
        -------
        display : LossCurveDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "history_"):
            raise ValueError(
                f"{type(estimator).__name__} has no history_ attribute; "
                "LossCurveDisplay needs an estimator trained by epochs that "
                "records its losses, such as skae.AutoencoderTransformer."
            )
        display = cls(estimator.history_, name=name)
        return display.plot(ax=ax)

    def _check_history(self):
        if not isinstance(self.history, Mapping) or "loss" not in self.history:
            raise ValueError(
                "history must be a dict with a 'loss' list, as an estimator's "
                f"history_ is; got {type(self.history).__name__}"
                + (
                    f" with keys {sorted(self.history)}."
                    if isinstance(self.history, Mapping)
                    else "."
                )
            )
        curves = {}
        for key, _ in self._curves:
            if key not in self.history:
                continue
            values = np.asarray(self.history[key], dtype=np.float64)
            if values.ndim != 1 or (key == "loss" and values.size == 0):
                raise ValueError(
                    f"history[{key!r}] must be a non-empty list of numbers, one "
                    f"per epoch; got an array of shape {values.shape}."
                )
            if values.size:
                curves[key] = values
        return curves


class CodeScatterDisplay:
    """Scatter plot of two dimensions of the codes, coloured by labels.

    Use :meth:`from_estimator` to create one from a fitted estimator. All
    parameters are stored as attributes.

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_components)
        Codes of the samples, as returned by ``transform``; ``n_components``
        must be at least 2.
    labels : array-like of shape (n_samples,), default=None
        Colour of each point. Strings, booleans and integers with at most 20
        distinct values are classes, shown with a legend; other numbers are
        shown with a colorbar. ``None`` draws every point in one colour.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The points.
    legend_ : matplotlib Legend or None
        The legend of the classes, when ``labels`` are classes.
    colorbar_ : matplotlib Colorbar or None
        The colorbar, when ``labels`` are continuous.
    ax_ : matplotlib Axes
        Axes with the scatter plot.
    figure_ : matplotlib Figure
        Figure containing the scatter plot.

    See Also
    --------
    ReconstructionDisplay : Images next to their reconstructions.
    LossCurveDisplay : Training and validation loss per epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import CodeScatterDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:100] / 16.0, y[:100]
    >>> ae = AutoencoderTransformer(n_components=4, epochs=1, random_state=0).fit(X)
    >>> display = CodeScatterDisplay.from_estimator(ae, X, y, components=(1, 3))
    >>> display.scatter_.get_offsets().shape
    (100, 2)
    >>> len(display.legend_.get_texts())
    10
    """

    def __init__(self, codes, *, labels=None):
        self.codes = codes
        self.labels = labels

    def plot(self, ax=None, *, components=(0, 1), **kwargs):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` creates a new figure.
        components : tuple of two int, default=(0, 1)
            Columns of ``codes`` on the x and y axes.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.scatter`, for example ``s``,
            ``alpha`` or ``cmap``.

        Returns
        -------
        display : CodeScatterDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap
        from matplotlib.lines import Line2D

        codes = np.asarray(self.codes)
        if codes.ndim != 2:
            raise ValueError(
                "codes must be a 2-d array of shape (n_samples, n_components); "
                f"got shape {codes.shape}."
            )
        x, y = _check_components(components, codes.shape[1])
        labels = self._check_labels(codes.shape[0])
        if ax is None:
            _, ax = plt.subplots()

        scatter_kwargs = {"s": 10}
        classes = None
        if labels is not None:
            classes, c = _as_classes(labels)
            if classes is None:
                scatter_kwargs.update(c=c, cmap="viridis")
            else:
                # One colour per class, consecutive in the qualitative map; an
                # explicit ``cmap`` in kwargs still wins.
                n = len(classes)
                if n <= 10:
                    cmap = ListedColormap(plt.get_cmap("tab10").colors[:n])
                elif n <= 20:
                    cmap = ListedColormap(plt.get_cmap("tab20").colors[:n])
                else:
                    cmap = "viridis"
                scatter_kwargs.update(c=c, cmap=cmap, vmin=-0.5, vmax=n - 0.5)
        scatter_kwargs.update(kwargs)
        scatter = ax.scatter(codes[:, x], codes[:, y], **scatter_kwargs)
        ax.set_xlabel(f"code {x}")
        ax.set_ylabel(f"code {y}")

        legend = colorbar = None
        if classes is not None:
            handles = [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=scatter.cmap(scatter.norm(i)),
                    label=str(label),
                )
                for i, label in enumerate(classes)
            ]
            legend = ax.legend(handles=handles, title="label")
        elif labels is not None:
            colorbar = ax.figure.colorbar(scatter, ax=ax)
            colorbar.set_label("label")

        self.scatter_ = scatter
        self.legend_ = legend
        self.colorbar_ = colorbar
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X, y=None, *, ax=None, components=(0, 1), **scatter_kwargs
    ):
        """Plot the codes of ``X``, coloured by ``y``.

        Parameters
        ----------
        estimator : fitted estimator
            A fitted transformer with at least 2 components.
        X : array-like of shape (n_samples, n_features)
            Samples to encode with ``estimator.transform``.
        y : array-like of shape (n_samples,), default=None
            Labels that colour the points; see ``labels`` in the class
            docstring.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` creates a new figure.
        components : tuple of two int, default=(0, 1)
            Code dimensions on the x and y axes.
        **scatter_kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.scatter`.

        Returns
        -------
        display : CodeScatterDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        # Fail before encoding when the estimator says how wide its codes are
        # (n_components_ where it resolves the parameter, as PCA does).
        width = getattr(estimator, "n_components_", None)
        if not isinstance(width, Integral):
            width = getattr(estimator, "n_components", None)
        if isinstance(width, Integral):
            _check_components(
                components,
                width,
                source=f"{type(estimator).__name__} has n_components={width}",
            )
        codes = np.asarray(estimator.transform(X))
        display = cls(codes, labels=y)
        return display.plot(ax=ax, components=components, **scatter_kwargs)

    def _check_labels(self, n_samples):
        if self.labels is None:
            return None
        labels = np.asarray(self.labels)
        if labels.ndim != 1 or labels.shape[0] != n_samples:
            raise ValueError(
                f"labels must be a 1-d array with one label per sample ({n_samples}); "
                f"got shape {labels.shape}."
            )
        return labels


def _check_image_shape(image_shape, n_features):
    """Return the shape to hand to ``imshow``: (h, w), (h, w, 3) or (h, w, 4)."""
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = None
    if (
        shape is None
        or len(shape) not in (2, 3)
        or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape
        )
    ):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, channels) "
            f"with positive ints; got image_shape={image_shape!r}."
        )
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={image_shape!r} holds {math.prod(shape)} values, but "
            f"each image has n_features={n_features}."
        )
    if len(shape) == 3:
        if shape[2] == 1:
            return shape[:2]
        if shape[2] not in (3, 4):
            raise ValueError(
                "Images can have 1, 3 (RGB) or 4 (RGBA) channels; got "
                f"image_shape={image_shape!r}."
            )
    return tuple(int(s) for s in shape)


def _default_image_shape(estimator, n_features):
    shape = getattr(estimator, "image_shape_", None)
    if shape is not None:
        return tuple(shape)
    side = math.isqrt(n_features)
    if side * side == n_features:
        return (side, side)
    raise ValueError(
        f"Cannot infer the image shape: {type(estimator).__name__} has no "
        f"image_shape_ and n_features={n_features} is not a perfect square. "
        "Pass image_shape=(height, width)."
    )


def _check_extra_estimators(extra_estimators):
    if extra_estimators is None:
        return {}
    if not isinstance(extra_estimators, Mapping):
        raise TypeError(
            "extra_estimators must be a dict of name to fitted estimator; got "
            f"{type(extra_estimators).__name__}."
        )
    for key, est in extra_estimators.items():
        if not hasattr(est, "inverse_transform"):
            raise TypeError(
                f"extra_estimators[{key!r}] must have transform and "
                f"inverse_transform; got {type(est).__name__}."
            )
        check_is_fitted(est)
    return dict(extra_estimators)


def _check_or_make_axes_grid(ax, n_rows, n_cols):
    """Return ``ax`` as a 2-d object array of Axes, creating a figure if None."""
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            n_rows,
            n_cols,
            figsize=(1.1 * n_cols + 2.5, 1.1 * n_rows),
            squeeze=False,
            layout="constrained",
        )
        return axes
    axes = np.asarray(ax, dtype=object)
    if axes.shape != (n_rows, n_cols) or not all(
        isinstance(a, Axes) for a in axes.flat
    ):
        raise ValueError(
            f"ax must be a 2-d array of matplotlib Axes of shape ({n_rows}, "
            f"{n_cols}): one row for the originals and one per reconstruction, "
            f"one column per image; got {_describe_ax(ax, axes)}."
        )
    return axes


def _describe_ax(ax, axes):
    if isinstance(ax, np.ndarray | list | tuple):
        return f"an array of shape {axes.shape}"
    return type(ax).__name__


def _check_components(components, n_columns, source=None):
    """Return ``components`` as two ints, checked against the codes' width."""
    if source is None:
        source = f"the codes have {n_columns} column(s)"
    if n_columns < 2:
        raise ValueError(f"CodeScatterDisplay plots two code dimensions, but {source}.")
    try:
        pair = tuple(components)
    except TypeError:
        pair = None
    if (
        pair is None
        or len(pair) != 2
        or not all(isinstance(c, Integral) and not isinstance(c, bool) for c in pair)
        or not all(0 <= c < n_columns for c in pair)
    ):
        raise ValueError(
            f"components must be two code dimensions between 0 and "
            f"{n_columns - 1} ({source}); got components={components!r}."
        )
    return int(pair[0]), int(pair[1])


def _as_classes(labels):
    """Return ``(classes, indices)`` for class labels, ``(None, labels)`` otherwise.

    ``indices`` gives each sample's position in ``classes``.
    """
    if labels.dtype.kind in "iuf":
        classes, indices = np.unique(labels, return_inverse=True)
        integral = np.all(np.isfinite(classes)) and np.all(np.mod(classes, 1) == 0)
        if not integral or len(classes) > MAX_LEGEND_CLASSES:
            return None, labels
        return classes.astype(np.int64), indices
    return np.unique(labels, return_inverse=True)
