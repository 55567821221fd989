"""Outlier detection from reconstruction error, with any skae autoencoder inside."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._registry import WRAPPERS, register
from .._validation import validate_rows
from ..inference.scoring import chunked_rows
from .base import BaseAutoencoder
from .shapes import from_rows, to_rows

# contamination="auto" flags rows whose log reconstruction error lies more than
# this many robust standard deviations (1.4826 median absolute deviations)
# above the median on the training rows: for log-normally spread errors, about
# 1 row in 740. The log: errors are skewed (most rows reconstruct well, a few
# far worse), so that the spread of the errors themselves flags too many rows.
AUTO_DEVIATIONS = 3.0
MAD_TO_STD = 1.4826


class AutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Unsupervised outlier detection by an autoencoder's reconstruction error.

    The autoencoder learns to reconstruct the training rows; rows unlike them
    reconstruct worse. A row's score is the autoencoder's ``score_samples``:
    minus its mean squared reconstruction error (the evidence lower bound for
    :class:`VariationalAutoencoderTransformer`), so higher is more normal, as
    in :class:`~sklearn.ensemble.IsolationForest` and
    :class:`~sklearn.neighbors.LocalOutlierFactor` with ``novelty=True``.
    :meth:`feature_errors` shows which columns make a row unusual.

    Parameters
    ----------
    estimator : skae autoencoder or None, default=None
        The autoencoder to fit, cloned: any of skae's (dense, convolutional,
        sequence, variational) or a :class:`BaseAutoencoder` subclass of your
        own. None uses ``AutoencoderTransformer()``.
    contamination : "auto" or float in (0, 0.5], default=0.1
        The expected fraction of outliers in the training data, which sets
        ``offset_``: a float flags that fraction of the training rows (the
        lowest scores), 0.1 by default as in PyOD's detectors. ``"auto"``
        flags rows whose log reconstruction error is more than 3 robust
        standard deviations (``1.4826`` times the median absolute deviation)
        above the median on the training rows (the scores themselves are used
        where some are positive, as a variational autoencoder's may be).

    Attributes
    ----------
    estimator_ : skae autoencoder
        The fitted autoencoder.
    offset_ : float
        ``decision_function`` is ``score_samples - offset_``; rows below it
        are outliers.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Outliers isolated by random splits.
    sklearn.neighbors.LocalOutlierFactor : Outliers by local density.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderOutlierDetector, AutoencoderTransformer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)) @ [[1, 1, 0, 0], [0, 0, 1, 1]]
    >>> ae = AutoencoderTransformer(2, hidden_layer_sizes=(8,), random_state=0)
    >>> detector = AutoencoderOutlierDetector(ae, contamination=0.05).fit(X)
    >>> detector.predict([[1, 1, -1, -1], [3, -3, 0, 0]])
    array([ 1, -1])
    >>> detector.feature_errors([[3, -3, 0, 0]]).round().astype(int)
    array([[9, 9, 0, 0]])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "score_samples", "inverse_transform"]), None],
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
    }

    def __init__(self, estimator=None, *, contamination=0.1):
        self.estimator = estimator
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the autoencoder to ``X`` and set the outlier threshold.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows, mostly normal ones.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted detector.
        """
        if self.estimator is None:
            from .dense import AutoencoderTransformer

            estimator = AutoencoderTransformer()
        else:
            estimator = clone(self.estimator)
        if not isinstance(estimator, BaseAutoencoder):
            raise TypeError(
                "estimator must be a skae autoencoder (a BaseAutoencoder); got "
                f"{type(estimator).__name__}."
            )
        X, shape = to_rows(estimator, X)
        X = validate_rows(self, X, reset=True, accept_sparse="csr")
        estimator.fit(from_rows(X, shape))
        scores = estimator.score_samples(X)
        if self.contamination == "auto":
            offset = auto_offset(scores)
        else:
            offset = np.percentile(scores, 100.0 * self.contamination)
        self.estimator_ = estimator
        self.offset_ = float(offset)
        return self

    def score_samples(self, X):
        """Return each row's normality: the autoencoder's ``score_samples``.

        Minus the row's mean squared reconstruction error, or the evidence
        lower bound for a variational autoencoder.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher is more normal.
        """
        X = self._rows(X)
        return self.estimator_.score_samples(X)

    def decision_function(self, X):
        """Return ``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Below zero for outliers.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Return +1 for inliers and -1 for outliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where ``decision_function`` is negative, +1 elsewhere.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def feature_errors(self, X):
        """Return the squared reconstruction error of every value of ``X``.

        A row's large entries are the features that make it unusual; their
        mean is minus its :meth:`score_samples` (except for the variational
        autoencoder, whose score adds its KL term).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to explain.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_features)
            ``(x - reconstruction) ** 2``, float64; for an autoencoder fitted
            on images or sequences, of shape ``(n_samples, *sample_shape_)``
            (the autoencoder's), so that the errors can be shown as images.
        """
        X = self._rows(X)
        est = self.estimator_
        errors = np.empty(X.shape, dtype=np.float64)
        for rows, x in chunked_rows(X, est._width()):
            errors[rows] = (est._reconstruct(x) - x) ** 2
        return from_rows(errors, est.sample_shape_)

    def _rows(self, X):
        check_is_fitted(self)
        estimator = self.estimator_
        X, _ = to_rows(estimator, X, fitted=True)
        return validate_rows(self, X, reset=False, accept_sparse="csr")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


register(WRAPPERS, AutoencoderOutlierDetector)


def auto_offset(scores):
    """The ``offset_`` of ``contamination="auto"`` for these training scores."""
    log_scale = np.all(scores < 0)
    values = np.log(-scores) if log_scale else -scores
    median = np.median(values)
    spread = MAD_TO_STD * np.median(np.abs(values - median))
    limit = median + AUTO_DEVIATIONS * spread
    return -np.exp(limit) if log_scale else -limit
