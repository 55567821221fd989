"""skae's own Keras layers, registered with Keras's serialization in one place.

``Residual`` is the PCA-shortcut autoencoder's linear path plus a deep body;
``GaussianSampling`` is the variational autoencoder's sampling and KL term;
``NestedDropout`` trains ordered codes, and ``CodePrefix`` and ``ZeroPadCode``
keep the first units of one (see :mod:`skae.networks.ordered`); ``Clip`` bounds
a denoiser's output.
Registered under the package name ``skae``, so fitted models save, pickle and
load in ``safe_mode`` like any built-in layer.
"""

import keras
import numpy as np
from keras import ops


def seed_generator(seed):
    """A ``keras.random.SeedGenerator`` for a seed in ``[0, 2**32)`` or None.

    Keras on PyTorch holds seeds as int32 and reads their bits as uint32, so a
    seed of ``2**31`` or more overflows there; it is passed as the negative int
    with the same 32 bits. The other backends take it as it is, so their fits
    do not change.
    """
    return keras.random.SeedGenerator(signed_seed(seed))


def signed_seed(seed):
    """``seed`` as the int this backend's Keras random layers accept."""
    if seed is not None and seed >= 2**31 and keras.config.backend() == "torch":
        return seed - 2**32
    return seed


@keras.saving.register_keras_serializable(package="skae")
class Residual(keras.layers.Layer):
    """Return ``shortcut(x) + body(x)``: a linear map plus a stack of layers.

    With the shortcut set to PCA's projection (or reconstruction) and the body's
    last layer starting at zero, the layer starts as PCA and training learns a
    nonlinear correction on top of it.

    Parameters
    ----------
    shortcut : keras.layers.Dense
        The linear path.
    body : list of keras.layers.Layer
        Layers applied one after the other; the last one's output must have the
        shortcut's width.
    """

    def __init__(self, shortcut, body, **kwargs):
        super().__init__(**kwargs)
        self.shortcut = shortcut
        self.body = list(body)

    def build(self, input_shape):
        # Sub-layers restored from a saved model arrive already built.
        if not self.shortcut.built:
            self.shortcut.build(input_shape)
        shape = input_shape
        for layer in self.body:
            if not layer.built:
                layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs, training=False):
        outputs = inputs
        for layer in self.body:
            outputs = layer(outputs, training=training)
        return self.shortcut(inputs) + outputs

    def compute_output_shape(self, input_shape):
        return self.shortcut.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "shortcut": keras.saving.serialize_keras_object(self.shortcut),
            "body": [keras.saving.serialize_keras_object(layer) for layer in self.body],
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["shortcut"] = keras.saving.deserialize_keras_object(config["shortcut"])
        config["body"] = [
            keras.saving.deserialize_keras_object(layer) for layer in config["body"]
        ]
        return cls(**config)


# Log-variances are squashed smoothly into [-LOG_VAR_BOUND, LOG_VAR_BOUND], so
# unscaled inputs cannot overflow exp(log_var) while gradients still flow.
LOG_VAR_BOUND = 20.0


def bounded_log_var(raw, tanh=ops.tanh):
    """Map the encoder's raw log-variance output into the bounded range."""
    return LOG_VAR_BOUND * tanh(raw / LOG_VAR_BOUND)


@keras.saving.register_keras_serializable(package="skae")
class GaussianSampling(keras.layers.Layer):
    """Draw a code from ``N(mean, exp(log_var))`` and add the KL penalty.

    The input holds ``n_components`` means followed by ``n_components``
    log-variances. While training the layer returns a reparameterised sample
    ``mean + exp(log_var / 2) * eps``; otherwise it returns the mean, so the
    trained model is deterministic. Either way it adds
    ``kl_scale * KL(q(z | x) || N(0, I))``, averaged over the batch, to the
    model's losses.

    Parameters
    ----------
    n_components : int
        Size of the code.
    kl_scale : float
        Weight of the KL term relative to the reconstruction loss.
    seed : int or None
        Seed of the sampling noise.
    """

    def __init__(self, n_components, kl_scale, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.n_components = n_components
        self.kl_scale = kl_scale
        self.seed = seed
        self.seed_generator = seed_generator(seed)

    def call(self, stats, training=False):
        mean = stats[:, : self.n_components]
        log_var = bounded_log_var(stats[:, self.n_components :])
        kl = -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        self.add_loss(self.kl_scale * ops.mean(kl))
        if not training:
            return mean
        # Drawn in the layer's compute dtype, not Keras's global floatx, so the
        # layer also runs under float64 or mixed-precision policies.
        noise = keras.random.normal(
            ops.shape(mean), dtype=self.compute_dtype, seed=self.seed_generator
        )
        return mean + ops.exp(0.5 * log_var) * noise

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_components)

    def get_config(self):
        return {
            **super().get_config(),
            "n_components": self.n_components,
            "kl_scale": self.kl_scale,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="skae")
class NestedDropout(keras.layers.Layer):
    """Keep a random prefix of each row's code while training; identity otherwise.

    Nested dropout (Rippel, Gelbart and Adams, ICML 2014): for every row a
    prefix length ``b`` is drawn and the code units from ``b`` on are zeroed,
    so the decoder learns to reconstruct from any prefix and the encoder puts
    what matters most first. ``b`` is log-uniform on ``[1, n_components]``:
    every doubling of the prefix (1-2, 2-4, 4-8, ...) is drawn equally often,
    so short prefixes train as much as long ones.

    Parameters
    ----------
    n_components : int
        Size of the code.
    seed : int or None
        Seed of the prefix lengths.
    """

    def __init__(self, n_components, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.n_components = n_components
        self.seed = seed
        self.seed_generator = seed_generator(seed)

    def call(self, codes, training=False):
        if not training:
            return codes
        u = keras.random.uniform(
            (ops.shape(codes)[0], 1), dtype="float32", seed=self.seed_generator
        )
        # ceil(K ** u) is log-uniform on 1..K; u < 1, so it never exceeds K.
        kept = ops.ceil(ops.exp(u * float(np.log(self.n_components))))
        units = ops.arange(1, self.n_components + 1, dtype="float32")[None, :]
        mask = ops.cast(units <= kept, codes.dtype)
        return codes * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "n_components": self.n_components,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="skae")
class CodePrefix(keras.layers.Layer):
    """Keep the first ``n_components`` units of a code.

    Parameters
    ----------
    n_components : int
        Units kept.
    """

    def __init__(self, n_components, **kwargs):
        super().__init__(**kwargs)
        self.n_components = n_components

    def call(self, codes):
        return codes[:, : self.n_components]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_components)

    def get_config(self):
        return {**super().get_config(), "n_components": self.n_components}


@keras.saving.register_keras_serializable(package="skae")
class ZeroPadCode(keras.layers.Layer):
    """Append zeros to a code's prefix, up to the ``width`` the decoder reads.

    Parameters
    ----------
    width : int
        Units of the full code.
    """

    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.width = width

    def call(self, codes):
        return ops.pad(codes, [[0, 0], [0, self.width - ops.shape(codes)[1]]])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.width)

    def get_config(self):
        return {**super().get_config(), "width": self.width}


@keras.saving.register_keras_serializable(package="skae")
class Clip(keras.layers.Layer):
    """Clip every value to ``[low, high]``: a denoiser's output to its data's range.

    Parameters
    ----------
    low, high : float
        The range; values outside it become its nearest end, whose gradient
        is zero.
    """

    def __init__(self, low=0.0, high=1.0, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)

    def call(self, inputs):
        return ops.clip(inputs, self.low, self.high)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}
