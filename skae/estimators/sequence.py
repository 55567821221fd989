"""The sequence autoencoder: an LSTM reads each row as a time series."""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from .._validation import check_shape_fits_rows, shape_param
from ..networks.sequence import SequenceSpec
from .base import BaseAutoencoder
from .docstrings import fill_shared_docs
from .fitted import from_spec
from .parameters import ORDERED_CONSTRAINTS


@fill_shared_docs
class SequenceAutoencoderTransformer(BaseAutoencoder, registered=True):
    """LSTM autoencoder for sequences, as an array of sequences or flat rows.

    ``X`` holds sequences of shape ``(n_samples, timesteps, channels)``, or
    flat rows, each reshaped to ``sequence_shape``; an
    LSTM reads the sequence and a dense layer maps its final state to a linear
    code of ``n_components`` numbers. The decoder feeds the code to an LSTM at
    every time step and maps each step's output back to the channels. Sequences
    in, codes out, sequences back: a drop-in replacement for PCA on time series.

    Parameters
    ----------
    n_components : int or float, default=32
        Size of the code.
    {fraction}
    sequence_shape : tuple of int or None, default=None
        ``(timesteps, channels)`` of one sequence; a row holds the values in C
        order (all channels of step 0, then of step 1, ...), as
        ``sequences.reshape(len(sequences), -1)`` gives them. ``None`` reads
        the shape from sequences passed as an array of shape ``(n_samples,
        timesteps, channels)``, and each flat row as a univariate series,
        ``(n_features, 1)``. When set with such an array, it must match it.
    units : int, default=64
        Size of the encoder's and the decoder's LSTM state.
    activity_l1 : float, default=0.0
        Weight of an L1 penalty on the code (a sparse autoencoder).
    {ordered_and_shared_parameters}

    Attributes
    ----------
    sequence_shape_ : tuple of int
        The ``(timesteps, channels)`` used.
    {shared_attributes}

    See Also
    --------
    AutoencoderTransformer : The fully connected autoencoder.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import SequenceAutoencoderTransformer
    >>> t = np.linspace(0, 2 * np.pi, 20)
    >>> X = np.sin(t + np.linspace(0, 3, 50)[:, None])
    >>> ae = SequenceAutoencoderTransformer(
    ...     n_components=2, units=8, epochs=2, random_state=0
    ... )
    >>> ae.fit_transform(X).shape
    (50, 2)
    >>> ae.sequence_shape_
    (20, 1)
    """

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        **ORDERED_CONSTRAINTS,
        "sequence_shape": ["array-like", None],
        "units": [Interval(Integral, 1, None, closed="left")],
        "activity_l1": [Interval(Real, 0, None, closed="left")],
    }

    _small_params = {"units": 4}

    def __init__(
        self,
        n_components=32,
        *,
        sequence_shape=None,
        units=64,
        activity_l1=0.0,
        ordered=False,
        output_activation="auto",
        loss="auto",
        optimizer="adam",
        learning_rate=1e-3,
        learning_rate_schedule="plateau",
        epochs=200,
        batch_size=256,
        shuffle=True,
        validation_fraction=0.1,
        early_stopping=True,
        n_iter_no_change=10,
        tol=1e-4,
        noise=0.0,
        noise_type="gaussian",
        noise_clip="auto",
        callbacks=None,
        distribute=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.sequence_shape = sequence_shape
        self.units = units
        self.activity_l1 = activity_l1
        self.ordered = ordered
        self.output_activation = output_activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.noise = noise
        self.noise_type = noise_type
        self.noise_clip = noise_clip
        self.callbacks = callbacks
        self.distribute = distribute
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    sequence_shape_ = from_spec("sequence_shape", "The ``(timesteps, channels)`` used.")

    _sample_ndims = (2,)
    _sample_hint = (
        "flat rows (n_samples, n_features), or sequences of shape (n_samples, "
        "timesteps, channels)"
    )

    def _resolve_spec(self, X, fitted, sample_shape=None):
        return SequenceSpec(
            **self._resolve_common(X, fitted),
            sequence_shape=self._sequence_shape(X.shape[1], sample_shape),
            units=int(self.units),
            activity_l1=float(self.activity_l1),
        )

    def _sequence_shape(self, n_features, sample_shape=None):
        sequences = sample_shape is not None and len(sample_shape) == 2
        if self.sequence_shape is None:
            return tuple(sample_shape) if sequences else (n_features, 1)
        shape = shape_param(
            "sequence_shape", self.sequence_shape, (2,), "(timesteps, channels)"
        )
        check_shape_fits_rows(
            "sequence_shape",
            self.sequence_shape,
            shape,
            n_features,
            "Set sequence_shape to (timesteps, channels) of one sequence, or None "
            "for univariate rows.",
        )
        if sequences and shape != tuple(sample_shape):
            raise ValueError(
                f"sequence_shape={self.sequence_shape!r} does not match the "
                f"sequences in X, of shape {tuple(sample_shape)}. Set "
                "sequence_shape=None to read the shape from X, or pass X as flat "
                "rows."
            )
        return shape

    def _network_shapes(self):
        return [self.sequence_shape_]
