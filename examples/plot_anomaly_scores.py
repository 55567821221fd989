"""
=====================================
Outlier scores from reconstruction
=====================================

An autoencoder trained on one kind of row reconstructs rows of another kind
badly. :class:`~skae.AutoencoderOutlierDetector` turns that into
scikit-learn's outlier-detector interface: ``score_samples`` is minus each
row's mean squared reconstruction error (higher is more normal),
``predict`` returns +1 for inliers and -1 for outliers, and
``contamination`` sets the threshold.

Here the detector learns what a handwritten zero looks like, and we score
zeros it has not seen against every other digit.
"""

# %%
# Train on zeros only
# -------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skae import AutoencoderOutlierDetector, AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X = X / 16.0
zeros, others = X[y == 0], X[y != 0]
zeros_train, zeros_test = train_test_split(zeros, test_size=0.3, random_state=0)

detector = AutoencoderOutlierDetector(
    AutoencoderTransformer(2, epochs=100, random_state=0), contamination=0.05
)
# A small code: with 124 training rows, a wide code would learn these zeros
# too well and reconstruct new zeros noticeably worse.
detector.fit(zeros_train)
print(f"trained on {len(zeros_train)} zeros; offset_ = {detector.offset_:.4f}")

# %%
# Score unseen zeros and the other nine digits
# --------------------------------------------
scores_zeros = detector.score_samples(zeros_test)
scores_others = detector.score_samples(others)
flagged_zeros = np.mean(detector.predict(zeros_test) == -1)
flagged_others = np.mean(detector.predict(others) == -1)
print(
    f"flagged as outliers: {flagged_zeros:.1%} of unseen zeros, "
    f"{flagged_others:.1%} of other digits"
)

labels = np.r_[np.zeros(len(scores_zeros)), np.ones(len(scores_others))]
auc = roc_auc_score(labels, -np.r_[scores_zeros, scores_others])
print(f"ROC AUC of the score for 'not a zero': {auc:.3f}")

# %%
# Every other digit falls below the threshold. So do more than 5% of the
# unseen zeros: the threshold comes from the training rows, which any model
# reconstructs a little better than new ones. With so few training rows,
# ``contamination`` is best read as a rough setting, or the threshold set on
# held-out normal rows.
#
# The score distributions
# -----------------------
#
# The dashed line is ``offset_``: with ``contamination=0.05`` it leaves 5% of
# the training zeros below it. Rows below it are predicted outliers.
fig, ax = plt.subplots(figsize=(7, 4))
bins = np.linspace(min(scores_others.min(), scores_zeros.min()), 0, 50)
ax.hist(scores_others, bins=bins, alpha=0.6, label="other digits", density=True)
ax.hist(scores_zeros, bins=bins, alpha=0.6, label="unseen zeros", density=True)
ax.axvline(detector.offset_, color="k", linestyle="--", label="offset_")
ax.set(
    xlabel="score_samples (minus mean squared error)",
    ylabel="density",
    title=f"Outlier scores of a detector trained on zeros (ROC AUC {auc:.2f})",
)
ax.legend()
fig.tight_layout()

# %%
# Which pixels make a row unusual
# -------------------------------
#
# ``feature_errors`` gives the squared error of every value. For the least
# zero-like digits, the error map shows where the strokes depart from what
# the model expects.
worst = np.argsort(scores_others)[:5]
errors = detector.feature_errors(others[worst])
fig, axes = plt.subplots(2, 5, figsize=(8, 3.6))
for i, row in enumerate(worst):
    axes[0, i].imshow(others[row].reshape(8, 8), cmap="gray_r")
    axes[1, i].imshow(errors[i].reshape(8, 8), cmap="Reds")
    axes[0, i].set_title(f"score {scores_others[row]:.3f}", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("digit")
axes[1, 0].set_ylabel("squared error")
fig.suptitle("The five lowest-scoring digits and their per-pixel errors")
fig.tight_layout()
plt.show()
