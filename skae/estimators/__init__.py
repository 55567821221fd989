"""The scikit-learn face: one estimator class per autoencoder family."""
