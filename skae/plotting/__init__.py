"""Pictures of fitted autoencoders: reconstructions, losses, codes, manifolds.

Each display follows scikit-learn's visualization API: the class holds the
computed data, ``plot`` draws it and stores the matplotlib artists as attributes
ending in ``_``, and ``from_estimator`` computes the data from a fitted
estimator and then calls ``plot``.

matplotlib is optional (``pip install skae[plot]``); it is imported inside
``plot``, so importing this module does not import it.
"""

from ._code_scatter import CodeScatterDisplay
from ._denoising import DenoisingDisplay
from ._loss_curve import LossCurveDisplay
from ._manifold import LatentManifoldDisplay
from ._reconstruction import ReconstructionDisplay

__all__ = [
    "CodeScatterDisplay",
    "DenoisingDisplay",
    "LatentManifoldDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
]
