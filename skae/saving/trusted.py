"""The types skae contributes to a skops file, for ``skops.io.load(trusted=...)``."""

from .._registry import ESTIMATORS, SPECS, WRAPPERS


def skops_trusted_types():
    """Return the names of skae's types to trust when loading with skops.

    ``skops.io.dump`` writes a Pipeline or ColumnTransformer with skae steps
    without pickle, and ``skops.io.load`` builds only the types it is told to
    trust. Besides scikit-learn's and NumPy's, which skops trusts by default, a
    fitted skae estimator adds its own class and the frozen spec of its
    network; this is the list of all of them, and nothing else: no Keras type
    (the Keras model travels as the bytes of its ``.keras`` archive, checked
    against skae's allowlist before Keras loads it) and no Python built-in.

    Returns
    -------
    types : list of str
        The fully qualified names of skae's estimator classes and network
        specs, sorted, as ``skops.io.get_untrusted_types`` reports them.

    See Also
    --------
    save : Save one skae estimator in skae's own format.

    Notes
    -----
    Your own subclass of :class:`~skae.BaseAutoencoder` is yours to trust:
    add its name to the list. Its Keras model may then also hold Keras's
    built-in layers and the objects you registered with
    ``keras.saving.register_keras_serializable`` before loading. An estimator
    whose parameters hold Keras objects (an optimizer instance, callbacks)
    cannot be written by skops; give the optimizer by name.

    Examples
    --------
    >>> import numpy as np
    >>> import skops.io
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> import skae
    >>> X = np.random.default_rng(0).random((50, 6))
    >>> ae = skae.AutoencoderTransformer(2, epochs=2, random_state=0)
    >>> pipe = make_pipeline(MinMaxScaler(), ae).fit(X)
    >>> data = skops.io.dumps(pipe)
    >>> for name in skops.io.get_untrusted_types(data=data):
    ...     print(name)
    skae.estimators.dense.AutoencoderTransformer
    skae.networks.dense.DenseSpec
    >>> same = skops.io.loads(data, trusted=skae.skops_trusted_types())
    >>> bool(np.array_equal(same.transform(X), pipe.transform(X)))
    True
    """
    # Every registered class but the base NetworkSpec, which no fit resolves.
    base = SPECS["NetworkSpec"]
    classes = [*ESTIMATORS.values(), *WRAPPERS.values()]
    classes += [cls for cls in SPECS.values() if cls is not base]
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)
