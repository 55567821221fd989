"""skae: autoencoders as scikit-learn transformers, built on Keras 3."""

from ._version import __version__
from .estimators.base import BaseAutoencoder
from .estimators.conv import ConvAutoencoderTransformer
from .estimators.dense import AutoencoderTransformer
from .estimators.outliers import AutoencoderOutlierDetector
from .estimators.sequence import SequenceAutoencoderTransformer
from .estimators.variational import VariationalAutoencoderTransformer
from .saving.format import load, save
from .saving.trusted import skops_trusted_types

__all__ = [
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "BaseAutoencoder",
    "ConvAutoencoderTransformer",
    "SequenceAutoencoderTransformer",
    "VariationalAutoencoderTransformer",
    "__version__",
    "load",
    "save",
    "skops_trusted_types",
]


def __getattr__(name):
    # skae.callbacks imports Keras, which ``import skae`` leaves for later.
    if name == "callbacks":
        import importlib

        return importlib.import_module(".callbacks", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
