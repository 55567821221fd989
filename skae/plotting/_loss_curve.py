"""LossCurveDisplay: the training and validation loss per epoch."""

from collections.abc import Mapping

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted


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
