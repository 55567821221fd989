"""One function builds every autoencoder skae trains: a spec and a seed in, a model out.

:func:`build_autoencoder` looks up the builder registered for the spec's kind
(each network module registers its own with :func:`~skae.networks.spec.builds`),
or takes the one a user's model brings, then adds what every kind shares: the
nested dropout of an ordered code, the PCA start of a ``pca_shortcut`` network,
and the joining of encoder and decoder into one model. The fit, the allowlist
of what model files may name, and the common tests all build through it.
"""

import contextlib

from .._seeds import int_seed
from .autoencoder import join_autoencoder
from .dense import start_from_pca
from .ordered import ordered_network
from .spec import BUILDERS


def build_autoencoder(spec, seed, X_train=None, network=None, pca_rows=None):
    """Return the untrained autoencoder of ``spec``: ``decoder(encoder(inputs))``.

    Parameters
    ----------
    spec : NetworkSpec
        What to build.
    seed : numpy.random.SeedSequence
        Every random choice of the build draws from a child of it: the initial
        weights and the layers' own randomness (dropout, sampling, nested
        dropout), and the sample a streamed PCA start reads.
    X_train : array-like or StreamedRows, default=None
        The training rows, from which a ``pca_shortcut`` network starts as PCA;
        None leaves its shortcuts at their initial weights (a network built only
        to be serialized).
    network : callable, default=None
        ``network(spec, seed) -> Network`` for a spec no builder is registered
        for (the model of a user's ``BaseAutoencoder``).
    pca_rows : callable, default=None
        ``pca_rows(X)``: the rows PCA's start is computed from, given the
        training rows (a sample of them, when streamed); None: those rows. A
        fit that trains on mirror images too starts as PCA of them all.

    Returns
    -------
    model : keras.Model
        The joined autoencoder, whose ``encoder`` and ``decoder`` sub-models
        share its weights.
    """
    network_seed, start_seed, order_seed = seed.spawn(3)
    build = network if network is not None else BUILDERS[type(spec)]
    halves = build(spec, network_seed)
    if spec.ordered:
        halves = ordered_network(halves, spec.n_components, int_seed(order_seed))
    if getattr(spec, "pca_shortcut", False) and X_train is not None:
        start_from_pca(halves, spec, X_train, start_seed, pca_rows)
    return join_autoencoder(*halves)


@contextlib.contextmanager
def float32_keras():
    """Make Keras build float32 layers, whatever its global floatx and policy.

    Global state is changed only when it differs, and restored afterwards. Keras
    keeps the dtype policy per thread but floatx for the whole process, so a
    fit under a non-default floatx briefly changes it for other threads too.
    """
    import keras

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    if floatx == "float32" and policy.name == "float32":
        yield
        return
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)
