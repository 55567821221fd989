"""skae: autoencoders as scikit-learn transformers, built on Keras 3."""

from ._base import BaseAutoencoder
from ._conv import ConvAutoencoderTransformer
from ._dense import AutoencoderTransformer
from ._saving import load
from ._sequence import SequenceAutoencoderTransformer
from ._variational import VariationalAutoencoderTransformer

__version__ = "0.1.0"

__all__ = [
    "AutoencoderTransformer",
    "BaseAutoencoder",
    "ConvAutoencoderTransformer",
    "SequenceAutoencoderTransformer",
    "VariationalAutoencoderTransformer",
    "__version__",
    "load",
]
