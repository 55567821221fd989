"""The fitted state of an estimator: its Keras models and what it read from them.

The Keras models are the fitted model. They are handed out through ``model_``,
``encoder_`` and ``decoder_`` (after which ``transform`` runs them only through
Keras, see :mod:`skae.inference.runner`), and the fitted attributes that say
what was built (``n_components_``, ``loss_``, ``output_activation_``, and a
subclass's own, such as ``image_shape_``) are read from the fit's frozen spec,
never from parameters that changed since.
"""

import copy

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .prefixes import PREFIX_MAX_ROWS, kept_prefix, prefix_scores, select_prefix


def handed_out_model(name, doc):
    """A fitted attribute that hands out one of the fitted Keras models."""

    def get(self):
        return getattr(self._hand_out(), name)

    get.__doc__ = doc
    return property(get)


def from_spec(name, doc):
    """A fitted attribute read from the fit's spec."""

    def get(self):
        return getattr(self._fitted_spec(), name)

    get.__doc__ = doc
    return property(get)


class FittedState:
    """The fitted models and spec of an estimator, and their pickling."""

    model_ = handed_out_model("model", "The fitted Keras autoencoder.")
    encoder_ = handed_out_model("encoder", "The fitted Keras encoder.")
    decoder_ = handed_out_model("decoder", "The fitted Keras decoder.")
    n_components_ = from_spec("n_components", "The fitted model's code size.")
    loss_ = from_spec("loss", "The training loss used.")
    output_activation_ = from_spec("output_activation", "The output activation used.")

    @property
    def _n_features_out(self):
        return self.n_components_

    def _fitted_spec(self):
        check_is_fitted(self)
        return self._spec

    def _hand_out(self):
        """The fitted models, from now on changeable behind skae's back."""
        models = self.__dict__.get("_models")
        if models is None:
            raise AttributeError(f"This {type(self).__name__} instance is not fitted.")
        # Kept in the state, so that copies, pickles and saved files of this
        # estimator compute as it does (through Keras) to the last bit.
        self._handed_out = True
        return models.hand_out()

    def _set_model(self, model):
        from ..inference.runner import FittedModels
        from ..networks.autoencoder import split_autoencoder

        self._models = FittedModels(model, *split_autoencoder(model))
        if self.__dict__.get("_handed_out"):
            self._models.hand_out()

    def save(self, path):
        """Save the estimator to one file that loads without running code.

        The same as ``skae.save(self, path)``, which says what the file holds;
        :func:`skae.load` reads it back.

        Parameters
        ----------
        path : str or path-like
            Where to write; the ``.skae`` suffix is customary.

        Returns
        -------
        path : str
            The path written.
        """
        from ..saving.format import save

        return save(self, path)

    def _store(self, trained, spec, X, *, fraction=None, max_rows=None):
        """Set the fitted attributes after a fit on the rows ``X``.

        ``trained`` is what :func:`skae.fitting.fit.fit_model` returns. With a
        ``fraction``, keep the shortest prefix of the ordered code whose R^2 on
        the fit's held-out rows reaches it. R^2 is measured on at most
        ``max_rows`` rows of ``X`` (``PREFIX_MAX_ROWS`` by default).
        """
        self._handed_out = False  # new models, in skae's hands only
        self._set_model(trained.model)
        self._spec = spec
        if fraction is not None:
            kept = select_prefix(self, trained.held_out, fraction)
            model, self._spec = kept_prefix(trained.model, spec, kept)
            self._set_model(model)
        self.history_ = trained.history
        self.n_iter_ = len(trained.history["loss"])
        r2 = prefix_scores(self, X, max_rows or PREFIX_MAX_ROWS)
        self.reconstruction_r2_ = float(r2[-1])
        self.explained_variance_ratio_ = np.diff(r2, prepend=0.0)

    def _reconstruct(self, X):
        return self._models.decode(self._encode(X, np.float64), np.float64)

    def _width(self):
        """Values per row of the widest array scoring holds."""
        models = self._models
        return max(self.n_features_in_, models.encode.width, models.decode.width)

    def __getstate__(self):
        state = dict(super().__getstate__())
        # Runtime objects: a strategy belongs to its process, and partial_fit's
        # optimizer to the Keras model it compiled (not pickled as such).
        state["distribute"] = None
        state["callbacks"] = without_models(state.get("callbacks"))
        state.pop("_incremental", None)
        models = state.pop("_models", None)
        if models is not None:
            from ..saving.keras_bytes import model_to_bytes

            state["_model_archive"] = model_to_bytes(models.model)
        return state

    def __deepcopy__(self, memo):
        # A copy within this process (truncate, a user's deepcopy): the model's
        # bytes are this process's own, so they skip the allowlist that bytes
        # from a pickle or a file go through in __setstate__.
        from ..saving.keras_bytes import model_from_bytes

        state = self.__getstate__()
        archive = state.pop("_model_archive", None)
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        clone.__setstate__(copy.deepcopy(state, memo))
        if archive is not None:
            clone._set_model(model_from_bytes(archive))
        return clone

    def __setstate__(self, state):
        archive = state.pop("_model_archive", None)
        if "_models_handed_out" in state:  # the flag's name before skae 0.2
            state["_handed_out"] = state.pop("_models_handed_out")
        ratio = state.get("explained_variance_ratio_")
        if isinstance(ratio, float | np.floating):
            # skae 0.1 kept only the total, then named explained_variance_ratio_;
            # what each unit adds is unknown without the training data.
            state["reconstruction_r2_"] = float(ratio)
            state["explained_variance_ratio_"] = np.full(
                state["_spec"].n_components, np.nan
            )
        super().__setstate__(state)
        if archive is not None:
            from .._registry import ESTIMATORS
            from ..saving.keras_bytes import load_model_bytes

            # Unpickling and skops rebuild the model from bytes that may come
            # from elsewhere: skae's allowlist first, as skae.load checks it.
            # A user's subclass, which the unpickler already trusts, may also
            # hold Keras's built-ins and what this process registered with Keras.
            user_model = ESTIMATORS.get(type(self).__name__) is not type(self)
            self._set_model(load_model_bytes(archive, user_model=user_model))


def without_models(callbacks):
    """``callbacks`` as a pickle or a skops file keeps them: each one that a fit
    handed a Keras model, a copy without it. The model is saved once, as the
    estimator's; a callback is handed it again by the next fit."""
    if not isinstance(callbacks, list | tuple):
        return callbacks
    kept = []
    for callback in callbacks:
        if getattr(callback, "_model", None) is not None:
            callback = copy.copy(callback)
            callback._model = None
        kept.append(callback)
    return type(callbacks)(kept)
