"""The names skae's parameters accept for activations and losses.

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
