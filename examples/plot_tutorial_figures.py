"""
=====================================
The Keras tutorial's figures, by skae
=====================================

Keras's classic autoencoder tutorial draws four pictures: test digits above
their reconstructions, noisy digits next to what a denoising autoencoder makes
of them, the digits a variational autoencoder decodes from a grid over its 2-d
latent space, and the test digits' codes coloured by their class. Each takes a
fitted estimator and one call to a display of :mod:`skae.plotting`; no encoder
or decoder has to be cut out of the model by hand.

We use scikit-learn's 8x8 digits, which ship with it, in place of MNIST, and
train for few epochs so that the script runs in seconds.
"""

# %%
# The digits
# ----------
#
# :func:`skae.datasets.load_digits` splits the digits into training and test
# images, scaled to [0, 1]. The noisy copies of the test digits carry Gaussian
# noise, clipped back into [0, 1].
import numpy as np

from skae import AutoencoderTransformer, VariationalAutoencoderTransformer
from skae.datasets import load_digits
from skae.plotting import (
    CodeScatterDisplay,
    DenoisingDisplay,
    LatentManifoldDisplay,
    ReconstructionDisplay,
)

(X_train, y_train), (X_test, y_test) = load_digits()
rng = np.random.default_rng(0)
X_noisy = np.clip(X_test + rng.normal(scale=0.3, size=X_test.shape), 0, 1)

# %%
# Reconstructions
# ---------------
#
# The tutorial's first model: one dense layer in, one out, a 32-number code
# (``hidden_layer_sizes=()``), here with a larger learning rate so that few
# epochs suffice. Below its row, skae's default model of the same code size,
# which starts as PCA and has a hidden layer. The top row shows test digits.
tutorial = AutoencoderTransformer(
    32,
    hidden_layer_sizes=(),
    learning_rate=1e-2,
    epochs=100,
    batch_size=32,
    random_state=0,
)
tutorial.fit(X_train)
default = AutoencoderTransformer(32, epochs=30, random_state=0).fit(X_train)
display = ReconstructionDisplay.from_estimator(
    tutorial,
    X_test,
    n_images=10,
    name="tutorial model",
    extra_estimators={"skae default": default},
)
display.figure_.suptitle("Test digits and their reconstructions")

# %%
# Denoising
# ---------
#
# With ``noise=0.3`` the autoencoder sees corrupted training digits and is
# asked for the clean ones, the tutorial's denoiser; nothing else needs
# setting (see :ref:`the denoising example
# <sphx_glr_auto_examples_plot_denoising.py>` for the numbers).
denoiser = AutoencoderTransformer(32, noise=0.3, random_state=0)
denoiser.fit(X_train)
display = DenoisingDisplay.from_estimator(denoiser, X_noisy, X_test, n_images=10)
display.figure_.suptitle("Noisy test digits, restored, and as they were")

# %%
# The latent manifold of a variational autoencoder
# ------------------------------------------------
#
# A variational autoencoder with a 2-d code. Its prior is a standard normal,
# so :class:`~skae.plotting.LatentManifoldDisplay` decodes codes at the
# prior's quantiles from 0.05 to 0.95 in each dimension: each tile stands for
# about as many codes of the prior. The ticks give the codes; a blank pixel
# keeps neighbouring digits apart (``spacing=1``).
# sphinx_gallery_thumbnail_number = 3
vae = VariationalAutoencoderTransformer(2, epochs=60, batch_size=64, random_state=0)
vae.fit(X_train)
display = LatentManifoldDisplay.from_estimator(vae, n_points=15, cmap="gray_r")
display.ax_.set_title("Digits decoded from a grid over the 2-d code")
display.figure_.set_size_inches(6, 6)

# %%
# For an autoencoder without a prior, pass data instead:
# ``LatentManifoldDisplay.from_estimator(est, X)`` spans the 1st to 99th
# percentiles of the codes of ``X``.
#
# Codes by class
# --------------
#
# The posterior means of the test digits, coloured by the label the model
# never saw. Where a class gathers, the manifold above shows that digit.
display = CodeScatterDisplay.from_estimator(vae, X_test, y_test, s=12, alpha=0.8)
display.ax_.set_title("Codes of the test digits")
display.figure_.set_size_inches(6, 5)
