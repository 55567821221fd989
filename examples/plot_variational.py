"""
==========================================
Variational autoencoder: generating digits
==========================================

:class:`~skae.VariationalAutoencoderTransformer` encodes each row as a
Gaussian distribution over its code and is trained so that codes drawn from a
standard normal distribution decode to plausible rows. With a 2-number code we
can look at the whole latent space at once, and
:meth:`~skae.VariationalAutoencoderTransformer.sample` generates new digits.
"""

# %%
# Fit a 2-d latent space
# ----------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits

from skae import VariationalAutoencoderTransformer
from skae.plotting import CodeScatterDisplay

X, y = load_digits(return_X_y=True)
X = X / 16.0

vae = VariationalAutoencoderTransformer(
    2, hidden_layer_sizes=(256,), kl_weight=1.0, epochs=60, random_state=0
)
vae.fit(X)
print(f"{vae.n_iter_} epochs, loss {vae.loss_!r}, mean ELBO {vae.score(X):.2f}")

# %%
# ``transform`` returns the mean of each row's posterior, so it is
# deterministic. Coloured by the true label (which the model never saw), the
# digits form regions of the plane.
display = CodeScatterDisplay.from_estimator(vae, X, y, s=8, alpha=0.7)
display.ax_.set_title("Posterior means of the 1,797 digits")
display.figure_.set_size_inches(6, 5)

# %%
# New digits
# ----------
#
# ``sample(n)`` draws ``n`` codes from the standard normal prior and decodes
# them.
samples = vae.sample(32, random_state=0)
fig, axes = plt.subplots(4, 8, figsize=(8, 4.2))
for ax, image in zip(axes.ravel(), samples, strict=True):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
fig.suptitle("32 digits drawn from the prior")

# %%
# The whole latent space
# ----------------------
#
# ``inverse_transform`` decodes any code. Decoding a grid of codes at the
# quantiles of the prior shows how one digit turns into another across the
# plane.
# sphinx_gallery_thumbnail_number = 3
n = 10
quantiles = norm.ppf(np.linspace(0.05, 0.95, n))
codes = np.array([[a, b] for b in quantiles[::-1] for a in quantiles])
images = vae.inverse_transform(codes).reshape(n, n, 8, 8)
# A blank pixel around every digit keeps neighbours apart.
images = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))
canvas = images.transpose(0, 2, 1, 3).reshape(n * 10, n * 10)
fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
ax.set_title("Decoded grid over the 2-d latent space")
ax.axis("off")
plt.show()
