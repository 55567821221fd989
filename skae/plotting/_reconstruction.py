"""ReconstructionDisplay: images next to the estimators' reconstructions."""

from numbers import Integral

import numpy as np
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._checks import (
    _check_extra_estimators,
    _check_image_shape,
    _check_or_make_axes_grid,
    _default_image_shape,
)


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
        axes = _check_or_make_axes_grid(
            ax,
            len(rows),
            originals.shape[0],
            rows="one row for the originals and one per reconstruction",
        )
        images = _draw_image_rows(
            axes, rows, labels, shape, scale=originals, cmap=cmap, **kwargs
        )
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
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Images, one flat row each or as ``(height, width[, channels])``
            arrays, to pick the shown ones from. Images given as such set the
            default ``image_shape``.
        n_images : int, default=8
            Number of images shown, one column each.
        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(height, width, channels)`` of one image.
            ``None`` uses the shape of the images in ``X`` when they are given
            as such, else that of the images the estimator was fitted on (its
            ``sample_shape_``), else its ``image_shape_`` when it has one (as
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
        rows = _pick_rows(_num_samples(X), n_images, random_state)
        X_shown = _safe_indexing(X, rows, axis=0)
        originals, image_shape = _flat_images(X_shown, "X", image_shape, estimator)

        labels = [type(estimator).__name__ if name is None else name]
        labels += list(extra_estimators)
        reconstructions = [
            np.asarray(
                est.inverse_transform(est.transform(X_shown)), dtype=np.float64
            ).reshape(n_images, -1)
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


def _pick_rows(n_samples, n_images, random_state):
    """Indices of the ``n_images`` rows shown: the first ones, or drawn sorted."""
    if not isinstance(n_images, Integral) or isinstance(n_images, bool):
        raise TypeError(
            f"n_images must be an int; got {type(n_images).__name__} ({n_images!r})."
        )
    if not 1 <= n_images <= n_samples:
        raise ValueError(
            f"n_images must be between 1 and the number of samples in X "
            f"({n_samples}); got n_images={n_images}."
        )
    if random_state is None:
        return np.arange(n_images)
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_samples, size=n_images, replace=False))


def _flat_images(X, name, image_shape, estimator):
    """``X`` as float64 flat rows, and the image shape to show them in.

    Images held as ``(n, height, width[, channels])`` are flattened and give
    the default shape; flat rows take the estimator's default.
    """
    images = np.asarray(X, dtype=np.float64)
    if images.ndim in (3, 4):
        if image_shape is None:
            image_shape = images.shape[1:]
        images = images.reshape(images.shape[0], -1)
    elif images.ndim != 2:
        raise ValueError(
            f"{name} must hold one flat image per row, or images of shape (n, "
            f"height, width[, channels]); got an array of shape {images.shape}."
        )
    if image_shape is None:
        image_shape = _default_image_shape(estimator, images.shape[1])
    return images, image_shape


def _draw_image_rows(axes, rows, labels, shape, *, scale, cmap, **kwargs):
    """Draw row ``i`` of flat images on ``axes[i]``, labelled ``labels[i]``.

    Single-channel images share the intensity range of ``scale`` unless
    ``vmin`` or ``vmax`` are in ``kwargs``. Returns the AxesImage grid.
    """
    imshow_kwargs = {"cmap": cmap, "interpolation": "nearest"}
    if len(shape) == 2 and scale.size:
        imshow_kwargs.update(vmin=scale.min(), vmax=scale.max())
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
    return images
