"""DenoisingDisplay: noisy images, what the estimator restores, the clean ones."""

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._checks import _check_image_shape, _check_or_make_axes_grid
from ._reconstruction import _draw_image_rows, _flat_images, _pick_rows


class DenoisingDisplay:
    """Grid of images: noisy ones, their restorations and, when known, clean ones.

    Use :meth:`from_estimator` to create one from a fitted denoising
    autoencoder (one fitted with ``noise`` above 0, for example). All
    parameters are stored as attributes.

    Parameters
    ----------
    noisy : array-like of shape (n_images, n_features)
        The noisy images, on the first row, one flat row each.
    restored : array-like of shape (n_images, n_features)
        The estimator's restorations of ``noisy``, on the second row.
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)`` of one image, with
        1, 3 (RGB) or 4 (RGBA) channels; rows hold the pixels in C order.
    clean : array-like of shape (n_images, n_features), default=None
        The images before the noise was added, on a third row; ``None``
        leaves the row out.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_images)
        The grid; ``n_rows`` is 3 with ``clean``, 2 without.
    images_ : ndarray of matplotlib AxesImage of shape (n_rows, n_images)
        The image drawn on each Axes.
    figure_ : matplotlib Figure
        Figure containing the grid.

    See Also
    --------
    ReconstructionDisplay : Images next to their reconstructions.
    LatentManifoldDisplay : Images decoded from a grid of 2-d codes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import DenoisingDisplay
    >>> X = load_digits().data[:100] / 16.0
    >>> rng = np.random.default_rng(0)
    >>> X_noisy = np.clip(X + rng.normal(scale=0.3, size=X.shape), 0, 1)
    >>> ae = AutoencoderTransformer(
    ...     n_components=8, noise=0.3, epochs=1, random_state=0
    ... ).fit(X)
    >>> display = DenoisingDisplay.from_estimator(ae, X_noisy, X, n_images=5)
    >>> display.images_.shape
    (3, 5)
    >>> [ax.get_ylabel() for ax in display.axes_[:, 0]]
    ['noisy', 'restored', 'clean']
    """

    def __init__(self, noisy, restored, image_shape, *, clean=None):
        self.noisy = noisy
        self.restored = restored
        self.image_shape = image_shape
        self.clean = clean

    def plot(self, ax=None, *, cmap="gray", **kwargs):
        """Draw the grid.

        Parameters
        ----------
        ax : ndarray of matplotlib Axes of shape (n_rows, n_images), default=None
            Axes to draw on: a row for the noisy images, one for the restored
            ones and, with ``clean``, one for the clean ones; one column per
            image. ``None`` creates a new figure.
        cmap : str or matplotlib Colormap, default="gray"
            Colormap of single-channel images.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`. Single-channel images
            share the intensity range (``vmin``, ``vmax``) of the clean images,
            or of the noisy ones without ``clean``, unless these are given.

        Returns
        -------
        display : DenoisingDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        rows = self._check_data()
        shape = _check_image_shape(self.image_shape, rows[0].shape[1])
        labels = ["noisy", "restored", "clean"][: len(rows)]
        axes = _check_or_make_axes_grid(
            ax,
            len(rows),
            rows[0].shape[0],
            rows=f"one row each for the {', '.join(labels[:-1])} and {labels[-1]} "
            "images",
        )
        # The clean images set the scale; without them, the noisy ones.
        scale = rows[2] if len(rows) == 3 else rows[0]
        images = _draw_image_rows(
            axes, rows, labels, shape, scale=scale, cmap=cmap, **kwargs
        )
        self.axes_ = axes
        self.images_ = images
        self.figure_ = axes[0, 0].figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X_noisy,
        X_clean=None,
        *,
        n_images=8,
        random_state=None,
        image_shape=None,
        ax=None,
    ):
        """Show noisy images, the estimator's restorations and the clean images.

        The restoration of each shown image is
        ``estimator.inverse_transform(estimator.transform(X_noisy_shown))``.

        Parameters
        ----------
        estimator : fitted estimator
            A fitted transformer with an ``inverse_transform``, such as an
            autoencoder fitted with ``noise`` above 0.
        X_noisy : array-like of shape (n_samples, n_features) or \
(n_samples, h, w[, c])
            Noisy images, one flat row each or as ``(height, width[,
            channels])`` arrays, to pick the shown ones from. Images given as
            such set the default ``image_shape``.
        X_clean : array-like of the shape of X_noisy, default=None
            The same images without noise, shown on a third row; the same
            rows are picked from both. ``None`` leaves the row out.
        n_images : int, default=8
            Number of images shown, one column each.
        random_state : int, RandomState instance or None, default=None
            Draws the shown rows at random, without replacement, when given
            (they keep their order in ``X_noisy``); ``None`` shows the first
            ``n_images`` rows.
        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(height, width, channels)`` of one image.
            ``None`` uses the shape of the images in ``X_noisy`` when they are
            given as such, else that of the images the estimator was fitted
            on (its ``sample_shape_``), else its ``image_shape_``, otherwise a
            square single-channel image when ``n_features`` is a perfect
            square.
        ax : ndarray of matplotlib Axes of shape (n_rows, n_images), default=None
            Axes to draw on, with ``n_rows`` 3 with ``X_clean`` and 2
            without. ``None`` creates a new figure.

        Returns
        -------
        display : DenoisingDisplay
            Object that stores the computed values and the artists.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        n_samples = _num_samples(X_noisy)
        if X_clean is not None and _num_samples(X_clean) != n_samples:
            raise ValueError(
                f"X_clean must hold the same images as X_noisy, without the "
                f"noise; got {_num_samples(X_clean)} samples in X_clean and "
                f"{n_samples} in X_noisy."
            )
        rows = _pick_rows(n_samples, n_images, random_state)
        X_shown = _safe_indexing(X_noisy, rows, axis=0)
        noisy, image_shape = _flat_images(X_shown, "X_noisy", image_shape, estimator)
        clean = None
        if X_clean is not None:
            clean, _ = _flat_images(
                _safe_indexing(X_clean, rows, axis=0), "X_clean", image_shape, None
            )
        restored = estimator.inverse_transform(estimator.transform(X_shown))
        restored = np.asarray(restored, dtype=np.float64).reshape(n_images, -1)
        display = cls(noisy, restored, image_shape, clean=clean)
        return display.plot(ax=ax)

    def _check_data(self):
        noisy = np.asarray(self.noisy, dtype=np.float64)
        if noisy.ndim != 2 or noisy.shape[0] == 0:
            raise ValueError(
                "noisy must be a non-empty 2-d array of shape (n_images, "
                f"n_features); got shape {noisy.shape}."
            )
        rows = [noisy]
        for name in ("restored", "clean"):
            value = getattr(self, name)
            if value is None and name == "clean":
                continue
            row = np.asarray(value, dtype=np.float64)
            if row.shape != noisy.shape:
                raise ValueError(
                    f"{name} must have the shape of noisy, {noisy.shape}; got "
                    f"shape {row.shape}."
                )
            rows.append(row)
        return rows
