"""
=========================
Autoencoder against PCA
=========================

:class:`~skae.AutoencoderTransformer` is used exactly as
:class:`~sklearn.decomposition.PCA` is: ``fit`` on training rows, ``transform``
to codes, ``inverse_transform`` back to rows. Here both compress
scikit-learn's 8x8 digits to a few numbers per image, and we compare how well
they reconstruct digits neither has seen.

The autoencoders train for at most 30 epochs to keep this page fast; with the
default ``epochs=200`` and early stopping they do somewhat better.
"""

# %%
# Data: 1,437 training and 360 test images
# ----------------------------------------
#
# :func:`skae.datasets.load_digits` returns scikit-learn's digits as float32
# rows in [0, 1], already split (stratified, with a fixed seed).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.datasets import load_digits
from skae.plotting import ReconstructionDisplay

(X_train, y_train), (X_test, y_test) = load_digits()
print(X_train.shape, X_test.shape)

# %%
# One model of each kind per code size
# ------------------------------------
#
# The held-out mean squared error per pixel is minus the autoencoder's
# ``score``; for PCA we compute it from its reconstruction.
sizes = [2, 4, 8, 16]
pca_errors, ae_errors, models = [], [], {}
for k in sizes:
    pca = PCA(n_components=k).fit(X_train)
    pca_errors.append(
        np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    )
    ae = AutoencoderTransformer(k, epochs=30, random_state=0).fit(X_train)
    ae_errors.append(-ae.score(X_test))
    models[k] = ae, pca
    print(f"k={k:2d}  PCA {pca_errors[-1]:.4f}  autoencoder {ae_errors[-1]:.4f}")

# %%
# Reconstruction error against code size
# --------------------------------------
#
# The autoencoder starts from PCA's solution (its default ``pca_shortcut``)
# and learns a nonlinear correction, so its curve lies below PCA's.
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(sizes, pca_errors, "o-", label="PCA")
ax.plot(sizes, ae_errors, "s-", label="AutoencoderTransformer")
ax.set(
    xscale="log",
    xticks=sizes,
    xticklabels=[str(k) for k in sizes],
    xlabel="code size (n_components)",
    ylabel="held-out MSE per pixel",
    title="Reconstructing unseen digits",
)
ax.minorticks_off()
ax.legend()
fig.tight_layout()

# %%
# What the reconstructions look like
# ----------------------------------
#
# :class:`~skae.plotting.ReconstructionDisplay` draws test images on the
# first row and each estimator's reconstruction below. With four numbers per
# image PCA blurs most digits into one another; the autoencoder keeps more of
# their shape.
# sphinx_gallery_thumbnail_number = 2
ae, pca = models[4]
display = ReconstructionDisplay.from_estimator(
    ae,
    X_test,
    n_images=10,
    random_state=0,
    name="autoencoder (k=4)",
    extra_estimators={"PCA (k=4)": pca},
)
display.figure_.set_size_inches(9, 3)
plt.show()
