"""
======================================
Saving a whole pipeline without pickle
======================================

:func:`skae.save` writes one skae estimator. A whole
:class:`~sklearn.pipeline.Pipeline` (a scaler, an autoencoder, a classifier)
goes through `skops <https://skops.readthedocs.io>`_ instead: ``skops.io.dump``
writes it without pickle, and ``skops.io.load`` builds only the types it is
told to trust. :func:`skae.skops_trusted_types` names skae's own types, and no
others: the autoencoder's Keras model travels as the bytes of its ``.keras``
archive, which skae checks against its allowlist before Keras reads them.
"""

# %%
# Fit a small pipeline on the digits
# ----------------------------------
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import skops.io
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import skae

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipe = make_pipeline(
    MinMaxScaler(),
    skae.AutoencoderTransformer(16, epochs=5, random_state=0),
    LogisticRegression(max_iter=1000),
).fit(X_train, y_train)
print(f"held-out accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# Save it with skops, see what it asks to trust
# ---------------------------------------------
#
# ``get_untrusted_types`` lists the types in the file that skops does not
# trust by default: here the autoencoder's class and the frozen spec of its
# network, both in :func:`skae.skops_trusted_types`. The scaler and the
# classifier are scikit-learn's, which skops trusts already.
workdir = tempfile.TemporaryDirectory()
path = os.path.join(workdir.name, "digits-pipeline.skops")
skops.io.dump(pipe, path)
untrusted = skops.io.get_untrusted_types(file=path)
print("skops asks to trust:", untrusted)
print("all of them skae's:", set(untrusted) <= set(skae.skops_trusted_types()))

# %%
# Load it, trusting skae's types
# ------------------------------
#
# The loaded pipeline predicts exactly what the fitted one did: the codes and
# the class probabilities are bit-identical.
loaded = skops.io.load(path, trusted=skae.skops_trusted_types())
same_codes = np.array_equal(loaded[:-1].transform(X_test), pipe[:-1].transform(X_test))
same_probabilities = np.array_equal(
    loaded.predict_proba(X_test), pipe.predict_proba(X_test)
)
print("identical codes:", same_codes)
print("identical probabilities:", same_probabilities)

display = ConfusionMatrixDisplay.from_predictions(
    pipe.predict(X_test), loaded.predict(X_test), colorbar=False
)
display.ax_.set(
    xlabel="prediction of the loaded pipeline",
    ylabel="prediction of the fitted pipeline",
    title="The same predictions, digit for digit",
)

# %%
# :func:`skae.save` writes one estimator only; it says where a pipeline goes:
try:
    skae.save(pipe, os.path.join(workdir.name, "pipeline.skae"))
except TypeError as error:
    print("refused:", error)

# %%
# The Keras model inside is checked however it comes back: through skops, by
# unpickling, or in a file :func:`skae.load` reads. A forged model that names
# code to run (a ``Lambda`` layer, a function-typed setting) is refused with a
# ``ValueError`` before Keras reads it. See :ref:`saving`.
workdir.cleanup()
plt.show()
