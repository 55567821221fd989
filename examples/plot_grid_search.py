"""
======================================
Choosing the code size by grid search
======================================

An autoencoder is a scikit-learn transformer, so it goes into a
:class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.model_selection.GridSearchCV` chooses its ``n_components``
by cross-validation. Here the pipeline classifies digits from their codes, and
the search keeps the code size with the best accuracy.

Every candidate of a grid search is a new fit. The second part shows how one
*ordered* fit serves every code size instead.
"""

# %%
# A pipeline and a grid search
# ----------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skae import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X = X / 16.0

pipe = Pipeline(
    [
        ("ae", AutoencoderTransformer(epochs=10, random_state=0)),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)
start = time.perf_counter()
# refit=False: only the scores are used here, so the best pipeline is not
# refitted on all the rows.
search = GridSearchCV(pipe, {"ae__n_components": [4, 16]}, cv=3, refit=False)
search.fit(X, y)
print(f"grid search: {time.perf_counter() - start:.1f} s")
print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# Without a classifier, an autoencoder's own ``score`` (minus the mean
# squared reconstruction error) lets ``GridSearchCV`` pick the code size that
# reconstructs held-out rows best.
#
# One ordered fit for every code size
# -----------------------------------
#
# With ``ordered=True`` the code is trained so that its first ``k`` units are
# a good code for every ``k``, as PCA's components are. ``truncate(k)`` then
# gives a fitted copy with ``k`` units, without refitting, and
# :class:`~sklearn.frozen.FrozenEstimator` keeps the search from refitting it.
start = time.perf_counter()
ordered = AutoencoderTransformer(32, ordered=True, epochs=20, random_state=0).fit(X)
sizes = [2, 4, 8, 16, 32]
frozen_pipe = Pipeline([("ae", ordered), ("clf", LogisticRegression(max_iter=1000))])
grid = {"ae": [FrozenEstimator(ordered.truncate(k)) for k in sizes]}
frozen_search = GridSearchCV(frozen_pipe, grid, cv=3).fit(X, y)
print(f"one ordered fit and its search: {time.perf_counter() - start:.1f} s")
best = frozen_search.best_params_["ae"].n_components_
print(f"best: {best} units, accuracy {frozen_search.best_score_:.3f}")

# %%
# The frozen autoencoder has seen every fold's rows (without their labels)
# when it was fitted, as a PCA fitted before a search would have; the
# pipeline search above fits the autoencoder inside each fold instead.
#
# Accuracy and reconstruction by code size
# ----------------------------------------
#
# ``explained_variance_ratio_`` of an ordered code says what each unit adds
# to the R^2 of the reconstruction, so its cumulative sum plays the part of
# PCA's.
accuracy = frozen_search.cv_results_["mean_test_score"]
r2 = np.cumsum(ordered.explained_variance_ratio_)[np.array(sizes) - 1]

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.plot(sizes, accuracy, "o-", label="prefixes of one ordered fit")
grid_sizes = search.cv_results_["param_ae__n_components"].data.astype(int)
left.plot(grid_sizes, search.cv_results_["mean_test_score"], "s", label="separate fits")
left.set(ylabel="mean CV accuracy", title="Classifying the codes")
left.legend()
right.plot(sizes, r2, "o-")
right.set(ylabel="training R^2", ylim=(0, 1), title="Reconstruction R^2 of each prefix")
for ax in (left, right):
    ax.set(xscale="log", xticks=sizes, xticklabels=sizes, xlabel="code units")
    ax.minorticks_off()
fig.tight_layout()
plt.show()
