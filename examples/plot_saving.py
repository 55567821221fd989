"""
==========================
Saving and loading safely
==========================

``est.save(path)`` writes a fitted estimator to one file of plain data: its
parameters and fitted attributes as JSON and NumPy arrays, and the Keras
model in Keras's own format. :func:`skae.load` reads it back without running
any code from the file, and refuses a file that is damaged or was edited.
"""

# %%
# Save, load, compare
# -------------------
import os
import pickle
import tempfile
import zipfile

import matplotlib.pyplot as plt
import numpy as np

import skae
from skae import AutoencoderTransformer
from skae.datasets import load_digits
from skae.plotting import ReconstructionDisplay

(X_train, _), (X_test, _) = load_digits()
ae = AutoencoderTransformer(8, epochs=20, random_state=0).fit(X_train)

workdir = tempfile.TemporaryDirectory()
folder = workdir.name
path = ae.save(os.path.join(folder, "digits.skae"))
print(f"wrote {os.path.basename(path)}: {os.path.getsize(path) / 1024:.0f} KiB")
with zipfile.ZipFile(path) as archive:
    print("members:", archive.namelist())

loaded = skae.load(path)
print(loaded)

# %%
# The loaded estimator computes exactly what the saved one did: the codes,
# the reconstructions and the score are bit-identical.
same_codes = np.array_equal(loaded.transform(X_test), ae.transform(X_test))
same_rows = np.array_equal(
    loaded.inverse_transform(loaded.transform(X_test)),
    ae.inverse_transform(ae.transform(X_test)),
)
print("identical codes:", same_codes)
print("identical reconstructions:", same_rows)
print("identical score:", loaded.score(X_test) == ae.score(X_test))

display = ReconstructionDisplay.from_estimator(
    ae,
    X_test,
    n_images=8,
    random_state=0,
    name="fitted",
    extra_estimators={"loaded from file": loaded},
)
display.figure_.suptitle("Held-out digits, reconstructed before and after saving")
display.figure_.set_size_inches(8, 3.2)

# %%
# A damaged or edited file is refused
# -----------------------------------
#
# The file ends in a SHA-256 of everything before it, and each member's
# SHA-256 is recorded inside, all checked before anything is parsed. Change a
# single byte and :func:`skae.load` raises a ``ValueError`` that says what is
# wrong, before Keras or NumPy reads anything.
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0xFF
tampered = os.path.join(folder, "tampered.skae")
with open(tampered, "wb") as f:
    f.write(data)

try:
    skae.load(tampered)
except ValueError as error:
    print("refused:", error)

# %%
# A pickle handed over by mistake is refused too, without being unpickled:
pickled = os.path.join(folder, "digits.pkl")
with open(pickled, "wb") as f:
    pickle.dump(ae, f)
try:
    skae.load(pickled)
except ValueError as error:
    print("refused:", error)

# %%
# Beyond the checksums, which only catch damage (a forger can recompute
# them), :func:`skae.load` accepts only skae's own estimator classes and checks
# the Keras configuration against the exact list of what skae writes, so that
# a ``Lambda`` layer or any other object that would run code is refused. See
# :ref:`saving` for the details, and for loading your own subclasses with
# ``custom_objects``.
#
# Pickle and joblib work too, as for any scikit-learn estimator, but loading
# a pickle runs code: keep them for files you made yourself.
workdir.cleanup()
plt.show()
