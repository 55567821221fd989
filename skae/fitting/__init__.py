"""Training: the input pipeline, the fit loop and what watches it."""
