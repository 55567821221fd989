"""How ``"auto"`` picks the loss and output activation, and the check they fit X."""

import dataclasses

from .._arrays import same_rows
from .._validation import inside_unit_interval


def resolve_output_and_loss(X, output_activation, loss, linear_start, fitted):
    """Return ``(output_activation, loss)`` with ``"auto"`` settled.

    Data inside [0, 1] gets the tutorial's sigmoid and binary cross-entropy,
    other data a linear output and mean squared error. A model that starts as
    PCA (``linear_start``) starts in PCA's own terms, linear and squared error.
    A fit that continues a ``fitted`` spec keeps what ``"auto"`` chose then.
    """
    if fitted is not None:
        auto = fitted.output_activation, fitted.loss
    elif linear_start:
        auto = "linear", "mse"
    elif inside_unit_interval(X):
        auto = "sigmoid", "binary_crossentropy"
    else:
        auto = "linear", "mse"
    return (
        auto[0] if output_activation == "auto" else output_activation,
        auto[1] if loss == "auto" else loss,
    )


def clip_output(spec, outputs, *, noise, inputs=None, fitted=None):
    """``spec``, with its linear output clipped to [0, 1] where a denoiser needs it.

    A denoiser (training ``noise`` above 0, or ``inputs`` that differ from the
    targets ``outputs`` they were given with) whose network starts as PCA has a
    linear output, which starts as PCA's reconstruction of the corrupted inputs
    and so reaches outside [0, 1] where the noise does. When the rows it learns
    to output, ``outputs``, lie in [0, 1] (None: rows known to), its output is
    clipped to that range (``output_clip``). The cheap conditions are checked
    first: the data are read only for a spec that could clip. Specs without the
    option come back as they are; a fit that continues a ``fitted`` spec keeps
    its choice.
    """
    if not hasattr(spec, "output_clip"):
        return spec
    if fitted is not None:
        return dataclasses.replace(spec, output_clip=fitted.output_clip)
    clip = (
        spec.pca_shortcut
        and spec.output_activation == "linear"
        and (outputs is None or inside_unit_interval(outputs))
        # Targets equal to the inputs ask for plain reconstruction.
        and (noise > 0 or (inputs is not None and not same_rows(inputs, outputs)))
    )
    return dataclasses.replace(spec, output_clip=bool(clip))


def check_loss_fits_data(X, loss, output_activation):
    """Raise if binary cross-entropy meets data or outputs outside [0, 1]."""
    if loss != "binary_crossentropy":
        return
    if not inside_unit_interval(X):
        raise ValueError(
            "loss='binary_crossentropy' needs data inside [0, 1]; got values "
            f"from {X.min():.6g} to {X.max():.6g}. Scale X into [0, 1] (for "
            "example with MinMaxScaler) or use loss='mse'."
        )
    if output_activation != "sigmoid":
        raise ValueError(
            "loss='binary_crossentropy' needs outputs inside (0, 1); got "
            f"output_activation={output_activation!r}. Use "
            "output_activation='sigmoid' or 'auto'."
        )
