"""CodeScatterDisplay: two code dimensions of the samples, coloured by label."""

from numbers import Integral

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

from ._checks import _check_components

# Labels with at most this many distinct integer values are drawn as classes
# with a legend; more values, or non-integral numbers, get a colorbar instead.
MAX_LEGEND_CLASSES = 20


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
