"""The convolutional autoencoder."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import ConvAutoencoderTransformer


def layer_kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_pooling_architecture_mirrors_encoder_with_transposed_convolutions():
    est = ConvAutoencoderTransformer(
        n_components=5,
        image_shape=(7, 6, 2),
        filters=(4, 8),
        downsampling="pool",
        pca_shortcut=False,
        epochs=1,
    ).fit(np.random.default_rng(0).random((20, 84)))
    assert layer_kinds(est.encoder_) == [
        "Reshape", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
        "Dense",
    ]  # fmt: skip
    assert layer_kinds(est.decoder_) == [
        "Dense", "Dense", "Reshape", "Conv2DTranspose", "Conv2DTranspose",
        "Conv2D", "Cropping2D", "Flatten",
    ]  # fmt: skip
    # Odd sizes round up when pooled (7x6 -> 4x3 -> 2x2) and are cropped back.
    assert est.encoder_.get_layer("pool_1").output.shape[1:] == (2, 2, 8)
    assert est.decoder_.get_layer("crop").output.shape[1:] == (7, 6, 2)
    assert est.image_shape_ == (7, 6, 2)
    assert est.transform(np.zeros((3, 84))).shape == (3, 5)
    assert est.inverse_transform(np.zeros((3, 5))).shape == (3, 84)


@pytest.mark.parametrize(
    "n_features, expected", [(64, (8, 8, 1)), (10, (1, 10, 1)), (1, (1, 1, 1))]
)
def test_image_shape_none_infers_square_or_strip(n_features, expected):
    X = np.random.default_rng(0).random((12, n_features))
    est = ConvAutoencoderTransformer(
        n_components=2, image_shape=None, filters=(2,), epochs=1
    ).fit(X)
    assert est.image_shape_ == expected


def test_default_architecture_strides_and_starts_as_pca():
    X = np.random.default_rng(0).random((40, 84))
    est = ConvAutoencoderTransformer(
        n_components=5,
        image_shape=(7, 6, 2),
        filters=(4, 8),
        epochs=1,
        learning_rate=1e-12,
        validation_fraction=0.0,
    ).fit(X)
    code = est.encoder_.get_layer("code")
    assert layer_kinds(est.encoder_) == ["Residual"]
    assert [type(layer).__name__ for layer in code.body] == [
        "Reshape", "Conv2D", "Conv2D", "Flatten", "Dense",
    ]  # fmt: skip
    assert [layer.strides for layer in code.body[1:3]] == [(2, 2), (2, 2)]
    output = est.decoder_.get_layer("output")
    assert [type(layer).__name__ for layer in output.body] == [
        "Dense", "Dense", "Reshape", "Conv2DTranspose", "Conv2DTranspose",
        "Cropping2D", "Flatten",
    ]  # fmt: skip
    # The decoder's last layer outputs the image's channels at full size.
    assert output.body[4].filters == 2
    assert est.loss_ == "mse" and est.output_activation_ == "linear"
    pca = PCA(5).fit(X)
    assert_allclose(est.transform(X), pca.transform(X), atol=1e-4)
    assert_allclose(
        est.inverse_transform(est.transform(X)),
        pca.inverse_transform(pca.transform(X)),
        atol=1e-5,
    )


def test_decoder_filters_auto_doubles_the_encoders():
    X = np.random.default_rng(0).random((20, 64))
    est = ConvAutoencoderTransformer(
        3, image_shape=(8, 8), filters=(4, 6), epochs=1, random_state=0
    ).fit(X)
    assert est.decoder_filters_ == (8, 12)
    output = est.decoder_.get_layer("output")
    dense, expand, to_map, deconv, last = output.body[:5]
    # decoder_dense="auto": a dense layer of 256 units, then the code expands
    # into the innermost block's channels at 2 x 2.
    assert dense.name == "dense" and dense.units == 256 == est.decoder_dense_
    assert expand.units == 2 * 2 * 12 and to_map.target_shape == (2, 2, 12)
    assert deconv.filters == 8 and last.filters == 1
    body = est.encoder_.get_layer("code").body
    assert [layer.filters for layer in body if hasattr(layer, "filters")] == [4, 6]


def test_decoder_filters_set_explicitly_and_mirrored_decoders():
    X = np.random.default_rng(0).random((20, 64))
    mirrored = ConvAutoencoderTransformer(
        3,
        image_shape=(8, 8),
        filters=(4, 6),
        decoder_filters=(4, 6),
        decoder_dense=0,
        epochs=1,
    ).fit(X)
    assert mirrored.decoder_filters_ == (4, 6)
    assert mirrored.decoder_.get_layer("output").body[0].units == 2 * 2 * 6
    pooled = ConvAutoencoderTransformer(
        3,
        image_shape=(8, 8),
        filters=(4,),
        decoder_filters=(5,),
        downsampling="pool",
        epochs=1,
    ).fit(X)
    body = pooled.decoder_.get_layer("output").body
    assert [layer.filters for layer in body if hasattr(layer, "filters")] == [5, 1]
    assert pooled.inverse_transform(pooled.transform(X)).shape == X.shape


@pytest.mark.parametrize(
    "decoder_filters, match",
    [((8,), r"one entry per block of filters \(4, 6\); got decoder_filters=\(8,\)"),
     ((8, 0), r"decoder_filters must be a tuple of positive integers, not empty")],
)  # fmt: skip
def test_bad_decoder_filters_are_refused_by_name(decoder_filters, match):
    est = ConvAutoencoderTransformer(
        3, filters=(4, 6), decoder_filters=decoder_filters, epochs=1
    )
    with pytest.raises(ValueError, match=match):
        est.fit(np.random.default_rng(0).random((20, 64)))
    assert not hasattr(est, "n_iter_")


def test_a_conv_spec_without_decoder_filters_mirrors_its_encoder():
    """Check the specs of models saved before the decoder had its own filters."""
    from skae.networks.conv import ConvSpec

    common = dict(n_features=64, n_components=3, output_activation="linear")
    old = ConvSpec(**common, loss="mse", image_shape=(8, 8, 1), filters=(4, 6))
    assert old.decoder_filters == (4, 6)
    assert old.decoder_dense == 0


def test_decoder_dense_zero_is_the_decoder_without_it():
    X = np.random.default_rng(0).random((20, 64))
    params = dict(image_shape=(8, 8), filters=(4,), epochs=1, random_state=0)
    without = ConvAutoencoderTransformer(3, decoder_dense=0, **params).fit(X)
    wide = ConvAutoencoderTransformer(3, decoder_dense=5, **params).fit(X)
    names = [layer.name for layer in without.decoder_.get_layer("output").body]
    assert "dense" not in names and without.decoder_dense_ == 0
    body = wide.decoder_.get_layer("output").body
    assert body[0].name == "dense" and body[0].units == 5
    with pytest.raises(ValueError, match="decoder_dense"):
        ConvAutoencoderTransformer(3, decoder_dense=-1, **params).fit(X)


def test_warm_start_keeps_the_decoder_it_was_built_with():
    X = np.random.default_rng(0).random((20, 64))
    est = ConvAutoencoderTransformer(
        3, filters=(4,), decoder_filters=(4,), epochs=1, random_state=0
    ).fit(X)
    model = est.model_
    # "auto" continues the fitted decoder rather than doubling it.
    est.set_params(decoder_filters="auto", warm_start=True).fit(X)
    assert est.model_ is model and est.decoder_filters_ == (4,)
    with pytest.raises(ValueError, match=r"decoder_filters is \(4,\); got"):
        est.set_params(decoder_filters=(6,)).fit(X)
    # So does decoder_dense="auto" for a model built without the layer.
    est.set_params(warm_start=False, decoder_filters=(4,), decoder_dense=0).fit(X)
    model = est.model_
    est.set_params(decoder_dense="auto", warm_start=True).fit(X)
    assert est.model_ is model and est.decoder_dense_ == 0


def left_blobs(n, seed):
    """8 x 8 images of a 2 x 2 blob in their left half."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 8, 8))
    for image, row, col in zip(
        images, rng.integers(0, 7, n), rng.integers(0, 3, n), strict=True
    ):
        image[row : row + 2, col : col + 2] = 1.0
    return images


def test_random_flip_trains_on_mirror_images_too():
    """Trained on blobs in the left half alone, the model reconstructs blobs
    in the right half only when random_flip shows it their mirror images; the
    warm start may switch it, as any training parameter."""
    X, mirrored = left_blobs(300, 0), left_blobs(100, 1)[:, :, ::-1]
    params = dict(filters=(8,), epochs=20, batch_size=32, random_state=0)
    errors = {}
    for flip in (None, "horizontal"):
        est = ConvAutoencoderTransformer(8, random_flip=flip, **params).fit(X)
        restored = est.inverse_transform(est.transform(mirrored))
        errors[flip] = np.mean((restored - mirrored) ** 2)
    assert errors["horizontal"] < errors[None] / 4, errors
    model = est.model_
    est.set_params(random_flip="vertical", warm_start=True, epochs=1).fit(X)
    assert est.model_ is model


def test_random_flip_starts_as_pca_of_the_images_and_their_mirror_images():
    """Before training (a learning rate too small to move it) the model is PCA
    of what it trains on: blobs on either side, reconstructed alike."""
    X, mirrored = left_blobs(300, 0), left_blobs(300, 0)[:, :, ::-1]
    params = dict(filters=(4,), epochs=1, learning_rate=1e-12, random_state=0)
    for flip in (None, "horizontal"):
        est = ConvAutoencoderTransformer(8, random_flip=flip, **params).fit(X)
        own, other = (
            np.mean((est.inverse_transform(est.transform(Y)) - Y) ** 2)
            for Y in (X, mirrored)
        )
        if flip is None:
            assert other > 2 * own
        else:
            assert_allclose(other, own, rtol=0.02)


def test_random_flip_is_checked_by_name():
    X = np.zeros((10, 16))
    with pytest.raises(ValueError, match="'random_flip' parameter"):
        ConvAutoencoderTransformer(2, random_flip="left").fit(X)


def test_pooling_with_the_shortcut_and_striding_without_it_build_and_train():
    X = np.random.default_rng(0).random((30, 64))
    for params in (
        {"downsampling": "pool", "pca_shortcut": True},
        {"downsampling": "stride", "pca_shortcut": False},
    ):
        est = ConvAutoencoderTransformer(
            3, image_shape=None, filters=(4,), epochs=2, **params
        ).fit(X)
        assert est.inverse_transform(est.transform(X)).shape == X.shape
        assert np.isfinite(est.score(X))


def test_transform_matches_keras_encoder():
    X = np.random.default_rng(0).random((30, 36))
    est = ConvAutoencoderTransformer(
        n_components=3, image_shape=(6, 6), filters=(4,), epochs=2
    ).fit(X)
    keras_codes = keras.ops.convert_to_numpy(est.encoder_(X.astype(np.float32)))
    assert_allclose(est.transform(X), keras_codes, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_conv_reconstructs_digits_better_than_pca_at_same_code_size():
    """Check the defining claim on real images: 8x8 digits, an 8-number code."""
    X, _ = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X / 16.0, test_size=0.25, random_state=0)
    pca = PCA(8).fit(X_train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    conv = ConvAutoencoderTransformer(
        n_components=8, image_shape=(8, 8), epochs=60, random_state=0
    ).fit(X_train)
    conv_mse = -conv.score(X_test)
    print(f"digits, 8 components: conv MSE {conv_mse:.5f}, PCA MSE {pca_mse:.5f}")
    assert conv_mse < 0.9 * pca_mse
