"""Where transform runs: the fitted Keras models applied to rows."""
