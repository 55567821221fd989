"""
=======================
Denoising autoencoder
=======================

With ``noise=0.3``, :class:`~skae.AutoencoderTransformer` corrupts its
training inputs with Gaussian noise of standard deviation 0.3 while still
asking for the clean rows as output. It learns to remove that kind of noise.
The corruption happens only during training: ``transform`` and
``inverse_transform`` never add any.

We corrupt held-out digits the same way and compare what comes back from
PCA, a plain autoencoder and the denoising one.
"""

# %%
# Clean training digits, noisy test digits
# ----------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.datasets import load_digits

(X_train, _), (X_test, _) = load_digits()
rng = np.random.default_rng(0)
X_noisy = np.clip(X_test + rng.normal(scale=0.3, size=X_test.shape), 0, 1)
X_noisy = X_noisy.astype(np.float32)

# %%
# Three models of the same code size
# ----------------------------------
#
# Both autoencoders have one hidden layer of 128 units and 32 code units and
# train for 60 epochs; the only difference is ``noise``. PCA keeps 32
# components.
#
# Two settings differ from the defaults, on purpose. ``pca_shortcut=False``:
# the default model starts as PCA, which is a fine start for reconstruction but
# not for removing noise. ``early_stopping=False``: the held-out rows that early
# stopping watches are clean, so their loss measures plain reconstruction and
# would stop a denoising fit too soon; a fixed number of epochs is used instead.
k = 32
pca = PCA(k).fit(X_train)
settings = dict(
    hidden_layer_sizes=(128,),
    pca_shortcut=False,
    epochs=60,
    batch_size=64,
    early_stopping=False,
    random_state=0,
)
plain = AutoencoderTransformer(k, **settings).fit(X_train)
denoising = AutoencoderTransformer(k, noise=0.3, **settings).fit(X_train)


def restore(model, X):
    return model.inverse_transform(model.transform(X))


outputs = {
    "noisy input": X_noisy,
    f"PCA({k})": restore(pca, X_noisy),
    "plain autoencoder": restore(plain, X_noisy),
    "denoising autoencoder": restore(denoising, X_noisy),
}
for name, X_out in outputs.items():
    print(f"{name:22s} MSE to the clean digits: {np.mean((X_out - X_test) ** 2):.4f}")

# %%
# A model that reconstructs its input faithfully also reconstructs the
# noise: 32 components are enough for PCA and the plain autoencoder to keep
# much of it. The denoising autoencoder was trained to map noisy digits to
# clean ones, and its output is closest to the clean test digits.
#
# The pictures
# ------------
n = 8
rows = {"clean": X_test, **outputs}
fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 1.0))
for row, (name, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row, images[:n], strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
fig.suptitle("Clean digits, their noisy versions, and what each model returns")
fig.tight_layout()
plt.show()
