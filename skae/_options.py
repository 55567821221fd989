"""The names skae's parameters accept for activations, losses and flips.

One list for every layer of the package: the estimators' parameter
constraints, the NumPy forward pass (which implements each activation) and the
allowlist of what a model file may name all read it from here.
"""

ACTIVATION_NAMES = frozenset(
    {
        "linear",
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "tanh",
        "sigmoid",
        "softplus",
    }
)
LOSSES = ("mse", "binary_crossentropy")
# What random_flip mirrors: the image axes, of (row, height, width,
# channels), each of its options flips.
FLIP_AXES = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}
