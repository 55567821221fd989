"""The variational autoencoder's network: a dense stack around Gaussian sampling."""

from dataclasses import dataclass, fields

from .._seeds import int_seeds
from .autoencoder import Network
from .dense import DenseSpec, dense_decoder, dense_encoder
from .spec import NetworkSpec, builds


@dataclass(frozen=True, kw_only=True)
class VariationalSpec(NetworkSpec, registered=True):
    """A VAE; see :class:`~skae.VariationalAutoencoderTransformer`.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        The encoder's hidden widths; the decoder reverses them.
    activation : str
        Activation of the hidden layers.
    kl_weight : float
        Weight of the KL term.
    """

    hidden_layer_sizes: tuple = ()
    activation: str = "relu"
    kl_weight: float = 1.0


@builds(VariationalSpec)
def build_variational(spec, seed):
    """Return the encoder (means and log-variances), decoder and sampling layer.

    The encoder outputs ``n_components`` means followed by ``n_components``
    log-variances; the sampling layer draws a code from them while training,
    and the KL term is measured per feature, like the reconstruction loss.
    """

    from .layers import GaussianSampling

    encoder_seed, decoder_seed, sampling_seed = seed.spawn(3)
    shared = {field.name: getattr(spec, field.name) for field in fields(NetworkSpec)}
    dense = DenseSpec(
        **shared,
        hidden_layer_sizes=spec.hidden_layer_sizes,
        activation=spec.activation,
    )
    sampling = GaussianSampling(
        spec.n_components,
        kl_scale=spec.kl_weight / spec.n_features,
        seed=int_seeds(sampling_seed, 1)[0],
        name="sampling",
    )
    return Network(
        dense_encoder(dense, encoder_seed, n_outputs=2 * spec.n_components),
        dense_decoder(dense, decoder_seed),
        sampling,
    )
