"""Docstring sections shared by every skae estimator.

Every autoencoder takes the same output, loss and training parameters and has
the same fitted attributes; they are documented once here and inserted into each
class docstring, so the descriptions cannot drift apart.
"""

import textwrap

SHARED_PARAMETERS = """\
    output_activation : str, default="auto"
        Activation of the decoder's output. ``"auto"`` picks ``"sigmoid"`` when
        the training data lies inside [0, 1] and ``"linear"`` otherwise. The
        choice made is stored in ``output_activation_``.
    loss : {"auto", "mse", "binary_crossentropy"}, default="auto"
        Training loss. ``"auto"`` picks binary cross-entropy for data inside
        [0, 1] (the tutorial's choice) and mean squared error otherwise. The
        choice made is stored in ``loss_``.
{score}
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        A Keras optimizer name, created with ``learning_rate``, or an instance,
        which is copied for every fit (its own learning rate is used).
    learning_rate : float, default=1e-3
        Learning rate of an optimizer given by name.
    learning_rate_schedule : {"plateau", "constant"}, default="plateau"
        ``"plateau"`` halves the learning rate whenever the monitored loss has
        not fallen by 1% (or by ``tol``, if larger) for ``max(1,
        n_iter_no_change // 2)`` epochs, so that a fit settles into a minimum
        that a constant rate keeps stepping over;
        those epochs are counted once the fit has taken 200 gradient steps,
        so that a small data set's first epochs of a few steps each run at the
        full rate. ``"constant"`` keeps it. An optimizer whose learning rate is a Keras
        ``LearningRateSchedule`` follows its own schedule either way.
    epochs : int, default=200
        Maximum number of passes over the training data. With early stopping
        most fits end well before; the cap only bounds the worst case.
    batch_size : int, default=256
        Rows per gradient step, as in the tutorial.
    shuffle : bool, default=True
        Visit the training rows in a new random order every epoch.
    validation_fraction : float in [0, 1), default=0.1
        Fraction of the rows held out to monitor generalisation (``val_loss`` in
        ``history_``) and drive early stopping. ``0`` trains on every row and
        early stopping then watches the training loss.
    early_stopping : bool, default=True
        Stop when the monitored loss has not improved for ``n_iter_no_change``
        epochs and restore the best epoch's weights. On by default so that a
        generous ``epochs`` neither wastes time nor overfits.
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated by early stopping.
    tol : float, default=1e-4
        Relative improvement an epoch must bring to count:
        ``loss < best - tol * |best|``. Relative, so it means the same for
        binary cross-entropy and mean squared error.
    noise : float, default=0.0
        Corruption of the training inputs for a denoising autoencoder: the
        standard deviation of Gaussian noise, or the fraction of values set to
        zero with ``noise_type="mask"``. The targets stay clean, and
        ``transform`` never adds noise. Above 0 the fit serves denoising: the
        held-out rows are corrupted the same way (once, with a fixed draw), so
        that early stopping and the learning-rate schedule watch how well the
        model restores corrupted rows rather than how well it copies clean
        ones. See :ref:`denoising`.
    noise_type : {"gaussian", "mask"}, default="gaussian"
        Kind of corruption applied when ``noise > 0``.
    noise_clip : "auto", None or (float, float), default="auto"
        Range that inputs corrupted by Gaussian noise are clipped to, as the
        Keras tutorial clips its noisy images to [0, 1]. ``"auto"`` clips to
        (0, 1) when the training inputs lie in [0, 1] and leaves other data
        alone; None never clips; a pair ``(low, high)`` clips to it. Mask noise
        sets values to 0 and is never clipped.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks run during training.
    distribute : tf.distribute.Strategy, default=None
        Build and train the model under this TensorFlow distribution strategy
        (``MirroredStrategy`` for several devices of one machine,
        ``MultiWorkerMirroredStrategy`` for several machines); ``batch_size``
        is then the global batch, split between the replicas. TensorFlow
        backend only. A strategy belongs to the process that made it: pickled
        and saved estimators have ``distribute=None``.
    warm_start : bool, default=False
        Continue training the fitted model on the next ``fit`` instead of
        building a new one. The architecture must not change in between.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the validation split and the shuffling. An int gives
        bit-identical results on the same machine; nothing global is seeded.
    verbose : int, default=0
        Progress output: 0 silent; 1 one progress bar over the whole fit
        (epochs done, the last ``loss`` and ``val_loss``, time left) on a
        terminal, and elsewhere (a file, a pipe, a notebook) plain lines: one
        as the fit starts and at most 11 as it runs, whatever the number of
        epochs; 2 Keras's line per epoch. From 1 on, a last line says what
        ended the fit (the epoch cap, early stopping, the NaN guard, a
        ``TimeBudget``) and which epoch's weights were kept.
"""

SHARED_ATTRIBUTES = """\
    encoder_ : keras.Model
{encoder}
        Handing it out (this attribute, ``decoder_`` or ``model_``) makes
        ``transform`` run the Keras models themselves from then on, so that
        changes to their weights always show.
    decoder_ : keras.Model
        Maps codes to reconstructions.
    model_ : keras.Model
        ``decoder_(encoder_(x))``; the three models share their weights.
    loss_ : str
        The training loss used, ``"binary_crossentropy"`` or ``"mse"``.
    output_activation_ : str
        The decoder's output activation used.
    n_components_ : int
        Size of the fitted model's code; parameters changed after the fit
        change nothing until the next one.
    history_ : dict of str to list of float
        Per-epoch ``"loss"`` (and ``"val_loss"`` with a validation split) of
        the last :meth:`fit`, with one more entry for each :meth:`partial_fit`
        call since.
    n_iter_ : int
        Epochs run by the last :meth:`fit`, plus one for each
        :meth:`partial_fit` call since.
    reconstruction_r2_ : float
        Fraction of the training data's total variance explained by the
        reconstruction, ``1 - SSE / total sum of squares``, measured on at
        most 10,000 evenly spaced rows (after :meth:`partial_fit`, on at most
        1,000 rows of the last chunk); compare with
        ``PCA(n_components).fit(X).explained_variance_ratio_.sum()``.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        What each code unit adds to ``reconstruction_r2_``, in order: entry
        ``k`` is the R^2 of decoding the first ``k + 1`` units (zeros standing
        in for the rest) minus that of the first ``k``. Its cumulative sum is
        the R^2 of each prefix and its sum is ``reconstruction_r2_``, as PCA's
        sums to the variance its components explain. Meaningful per unit for
        an ordered code (``ordered=True`` or a float ``n_components``); the
        prefixes of an unordered code are not trained to be good codes, so
        there the entries (which may be negative) say little about each unit.
    n_features_in_ : int
        Number of features seen during fit.
    sample_shape_ : tuple of int
        The shape of one sample of the data :meth:`fit` saw: ``(n_features_in_,)``
        for flat rows, ``(28, 28)`` for images passed as ``(n_samples, 28,
        28)``. :meth:`inverse_transform` returns samples of this shape.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
"""


ORDERED_PARAMETERS = """\
    ordered : bool, default=False
        Train the code so that every prefix of it is a good code, as PCA's
        components are ordered: nested dropout (Rippel et al., 2014) keeps a
        random number of leading code units of each training row and zeroes
        the rest. :meth:`truncate` then gives a fitted copy with fewer units
        without refitting, and ``explained_variance_ratio_`` says what each
        unit adds. A float ``n_components`` implies it.
"""

FRACTION = (
    "A float in (0, 1) trains an ordered code of ``min(n_features, 128)`` units "
    "and keeps the fewest leading units whose R^2 on the held-out rows (on the "
    "training rows when ``validation_fraction=0``) reaches it, as "
    "``PCA(n_components=0.95)`` keeps enough components for 95% of the "
    "variance; ``n_components_`` is the number kept."
)

MEAN_SQUARED_ERROR = "Whatever the loss, :meth:`score` reports the mean squared error."
CODES = "Maps rows to codes."


def fill_shared_docs(cls=None, *, score=MEAN_SQUARED_ERROR, encoder=CODES):
    """Class decorator: put the shared sections into ``cls``'s docstring.

    ``score`` and ``encoder`` are the sentences that differ between classes:
    what :meth:`score` reports, and what the encoder outputs.
    """

    def fill(cls):
        # The markers are indented like the sections, so formatters leave the
        # docstring's indentation alone.
        parameters = SHARED_PARAMETERS.replace("{score}", _indented(score))
        ordered = ORDERED_PARAMETERS + parameters
        attributes = SHARED_ATTRIBUTES.replace("{encoder}", _indented(encoder))
        doc = cls.__doc__.replace("    {fraction}\n", _indented(FRACTION) + "\n")
        cls.__doc__ = (
            doc.replace("    {ordered_and_shared_parameters}\n", ordered)
            .replace("    {shared_parameters}\n", parameters)
            .replace("    {shared_attributes}\n", attributes)
        )
        return cls

    return fill if cls is None else fill(cls)


def _indented(text):
    return textwrap.fill(text, 80, initial_indent=" " * 8, subsequent_indent=" " * 8)
