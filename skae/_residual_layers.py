"""Keras layer of the PCA-shortcut autoencoder: a linear path plus a deep body.

Registered with Keras's serialization so fitted models save, pickle and load in
``safe_mode`` like any built-in layer.
"""

import keras


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
