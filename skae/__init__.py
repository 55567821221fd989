"""skae: autoencoders as scikit-learn transformers, built on Keras 3."""

from ._dense import AutoencoderTransformer

__version__ = "0.1.0"

__all__ = ["AutoencoderTransformer", "__version__"]
