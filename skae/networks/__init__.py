"""The Keras side: builders of encoders and decoders, and skae's own layers."""
