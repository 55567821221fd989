"""Files: the safe model format, its archives, and Keras models as bytes."""
