"""A user's own network: what a subclass of :class:`~skae.BaseAutoencoder` defines.

A subclass implements :meth:`CustomNetwork.build_encoder` and
:meth:`CustomNetwork.build_decoder`; its spec is a
:class:`~skae.networks.spec.CustomSpec` of its parameters, and its network is
built from those two methods. skae's own estimators resolve specs of their own
kinds, built by the builders their network modules register.
"""

from .._seeds import int_seeds
from ..networks.spec import BUILDERS, CustomSpec, freeze
from .parameters import RESOLVED_PARAMS, TRAINING_PARAMS


class CustomNetwork:
    """The extension points of :class:`~skae.BaseAutoencoder`."""

    def build_encoder(self, n_features, seed):
        """Return the Keras encoder: ``(batch, n_features)`` rows to codes.

        Parameters
        ----------
        n_features : int
            Values per row.
        seed : int
            Derived from ``random_state``; pass it to initializers and random
            layers for reproducible fits.

        Returns
        -------
        encoder : keras.Model
            Named ``"encoder"``, mapping rows to ``(batch, n_components)``.
        """
        raise NotImplementedError(f"{type(self).__name__} must define build_encoder")

    def build_decoder(self, n_features, output_activation, seed):
        """Return the Keras decoder: codes to ``(batch, n_features)`` rows.

        Parameters
        ----------
        n_features : int
            Values per row.
        output_activation : str
            The activation the output must end in (``"auto"`` resolved).
        seed : int
            Derived from ``random_state``.

        Returns
        -------
        decoder : keras.Model
            Named ``"decoder"``, mapping ``(batch, n_components)`` to rows.
        """
        raise NotImplementedError(f"{type(self).__name__} must define build_decoder")

    def _resolve_spec(self, X, fitted, sample_shape=None):
        """What this fit builds; ``fitted`` is the spec a warm start continues.

        ``sample_shape`` is the shape of one sample of the training data as the
        user passed it (``(n_features,)`` for flat rows).
        """
        parameters = {
            name: freeze(value)
            for name, value in self.get_params(deep=False).items()
            if name not in TRAINING_PARAMS | RESOLVED_PARAMS
        }
        return CustomSpec(
            **self._resolve_common(X, fitted), parameters=tuple(parameters.items())
        )

    def _build_network(self, spec, seed):
        """The :class:`~skae.networks.autoencoder.Network` of ``spec``.

        The builder registered for ``spec``'s kind; for a user's model (a
        :class:`~skae.networks.spec.CustomSpec`), its ``build_encoder`` and
        ``build_decoder``.
        """
        from ..networks.autoencoder import Network

        builder = BUILDERS.get(type(spec))
        if builder is not None:
            return builder(spec, seed)
        encoder_seed, decoder_seed = int_seeds(seed, 2)
        return Network(
            self.build_encoder(spec.n_features, seed=encoder_seed),
            self.build_decoder(spec.n_features, spec.output_activation, decoder_seed),
        )
