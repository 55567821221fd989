"""
===================================
Your own Keras encoder and decoder
===================================

When none of skae's networks fits your data, subclass
:class:`~skae.BaseAutoencoder` and build the two Keras models yourself. The
subclass lists its parameters in ``__init__`` (stored as given, as in every
scikit-learn estimator) and implements two methods:

* ``build_encoder(n_features, seed)``: a Keras model named ``"encoder"`` from
  rows of ``n_features`` values to codes of ``n_components`` values;
* ``build_decoder(n_features, output_activation, seed)``: a Keras model named
  ``"decoder"`` from codes back to rows, ending in ``output_activation``
  (which skae resolves from the data: a sigmoid for data in [0, 1]).

Everything else comes from the base class: input validation, the training
loop with early stopping, ``transform``, ``inverse_transform``, ``score``,
``partial_fit``, cloning, pickling and grid searches.
"""

# %%
# An encoder with a linear shortcut
# ---------------------------------
#
# The encoder adds a linear map of the input to a nonlinear one, so it can
# never do worse than a linear projection; the decoder is a plain two-layer
# network. Pass ``seed`` to the initializers so that ``random_state`` makes
# fits repeatable.
import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer, BaseAutoencoder
from skae.datasets import load_digits
from skae.plotting import LossCurveDisplay


class ShortcutAutoencoder(BaseAutoencoder):
    """Dense autoencoder whose encoder has a linear shortcut."""

    def __init__(self, n_components=8, *, width=64, epochs=100, random_state=None):
        # Only what this model exposes; the other training parameters of
        # AutoencoderTransformer (batch_size, early_stopping...) keep their
        # defaults.
        self.n_components = n_components
        self.width = width
        self.epochs = epochs
        self.random_state = random_state

    def build_encoder(self, n_features, seed):
        init = keras.initializers.GlorotUniform(seed=seed)
        dense = keras.layers.Dense
        rows = keras.Input((n_features,), name="rows")
        hidden = dense(self.width, "relu", kernel_initializer=init, name="hidden")(rows)
        nonlinear = dense(self.n_components, kernel_initializer=init, name="nonlinear")
        linear = dense(self.n_components, kernel_initializer=init, name="linear")
        codes = keras.layers.Add(name="codes")([nonlinear(hidden), linear(rows)])
        return keras.Model(rows, codes, name="encoder")

    def build_decoder(self, n_features, output_activation, seed):
        init = keras.initializers.GlorotUniform(seed=seed)
        return keras.Sequential(
            [
                keras.Input((self.n_components,), name="codes"),
                keras.layers.Dense(self.width, "relu", kernel_initializer=init),
                keras.layers.Dense(
                    n_features, output_activation, kernel_initializer=init
                ),
            ],
            name="decoder",
        )


# %%
# Fit it as any transformer
# -------------------------
(X_train, _), (X_test, _) = load_digits()

custom = ShortcutAutoencoder(8, epochs=60, random_state=0).fit(X_train)
print(custom)
print(
    "codes:",
    custom.transform(X_test).shape,
    "| loss:",
    custom.loss_,
    "| epochs run:",
    custom.n_iter_,
)
custom.encoder_.summary()

# %%
# Compare it with PCA and the Keras tutorial's model, all with 8 numbers per
# image, on the held-out digits:
pca = PCA(8).fit(X_train)
tutorial = AutoencoderTransformer(8, hidden_layer_sizes=(), epochs=60, random_state=0)
tutorial.fit(X_train)
pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
print("held-out MSE per pixel")
print(f"  PCA(8)               {pca_mse:.4f}")
print(f"  tutorial model       {-tutorial.score(X_test):.4f}")
print(f"  ShortcutAutoencoder  {-custom.score(X_test):.4f}")

# %%
# The shortcut helps a lot against the tutorial's model, but in 60 epochs on
# 1,437 images neither network trained from random weights catches up with
# PCA. That is why skae's default :class:`~skae.AutoencoderTransformer` starts
# from PCA's solution instead (see :ref:`defaults`).

# %%
# Training curves
# ---------------
#
# The fitted ``history_`` holds the training and validation loss per epoch;
# :class:`~skae.plotting.LossCurveDisplay` draws it.
fig, ax = plt.subplots(figsize=(6, 4))
LossCurveDisplay.from_estimator(custom, ax=ax, name="ShortcutAutoencoder")
LossCurveDisplay.from_estimator(tutorial, ax=ax, name="tutorial")
ax.set_title("Binary cross-entropy per epoch")
fig.tight_layout()

# %%
# In a grid search
# ----------------
#
# ``width`` is a parameter like any other, so scikit-learn can tune it. The
# score is minus the held-out reconstruction error.
search = GridSearchCV(
    ShortcutAutoencoder(8, epochs=15, random_state=0), {"width": [16, 64]}, cv=2
)
search.fit(X_train)
print("best width:", search.best_params_["width"])

# %%
# A subclass saves with ``save`` like skae's own estimators; pass the class to
# :func:`skae.load` through ``custom_objects`` to load it (see the
# :ref:`saving guide <saving>`).
plt.show()
