"""What a fitted autoencoder does with rows: encode, decode, score.

After ``fit`` these read the fitted state only (the models, ``n_components_``,
``sample_shape_``), never the parameters, as scikit-learn's PCA reads
``components_``; the Keras models run in :mod:`skae.inference`.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._validation import validate_codes
from ..inference.scoring import squared_errors
from .shapes import from_rows


class TransformMethods:
    """``transform``, ``inverse_transform``, ``score_samples`` and ``score``."""

    def _encode(self, X, dtype):
        """The codes of the rows of ``X``: the heart of ``transform``."""
        return self._models.encode(X, dtype)

    def transform(self, X):
        """Encode ``X`` into the code space.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to encode, with the training data's features: flat, or
            samples of the shape ``fit`` saw (``sample_shape_``).

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_)
            The codes, float32 for float32 input, float64 otherwise.
        """
        rows = self._rows(X)
        return self._encode(rows, dtype=rows.dtype)

    def inverse_transform(self, X):
        """Decode codes back into the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, *sample_shape_)
            The reconstruction, float32 for float32 codes, float64 otherwise,
            in the shape of the samples ``fit`` saw: flat rows
            ``(n_samples, n_features_in_)`` after a fit on rows, images after
            a fit on images.
        """
        check_is_fitted(self)
        Z = validate_codes(X, self.n_components_, self)
        return from_rows(self._models.decode(Z, Z.dtype), self._fitted_sample_shape())

    def score_samples(self, X):
        """Return the negative mean squared reconstruction error of each row.

        Higher is better; unusually low values flag rows unlike the training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to score, with the training data's features.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus each row's mean squared reconstruction error.
        """
        X = self._rows(X)
        return -squared_errors(X, self._reconstruct, self._width()) / X.shape[1]

    def score(self, X, y=None):
        """Return the mean of :meth:`score_samples` over the rows of ``X``.

        That is minus the mean squared reconstruction error, except for the
        variational autoencoder, whose :meth:`score_samples` is the evidence
        lower bound (ELBO). Higher is better, so model selection tools such as
        ``GridSearchCV`` pick the model that models held-out data best.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows like the training data.
        y : None
            Ignored.

        Returns
        -------
        score : float
            The mean score of the rows.
        """
        return float(np.mean(self.score_samples(X)))
