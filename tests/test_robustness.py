"""Robustness: whatever data goes in, a result or a clear error comes out.

Hypothesis generates the data: shapes, dtypes, NaN and inf placement, constant
columns, single rows and columns, huge and tiny magnitudes, DataFrames and
sparse matrices. Every case must end either in a result (finite wherever the
input was finite and the fit succeeded) or in a ValueError or TypeError whose
message says what was wrong; any other exception (a TensorFlow error, a Keras
traceback) fails the test. The examples are derandomized, so every run tests
the same cases, and each property test checks (and prints, with ``-s``) how many
cases it generated.
"""

import collections
import math
import re
import warnings

# Imported before any test runs: importing TensorFlow raises the recursion
# limit, which Hypothesis warns about when it happens inside a test.
import keras  # noqa: F401
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from skae import (
    AutoencoderTransformer,
    ConvAutoencoderTransformer,
    SequenceAutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._validation import plain_rows as _plain_rows

# scikit-learn's finiteness check sums the data first, and a sum of inf and -inf
# makes NumPy warn before the check raises its ValueError.
pytestmark = pytest.mark.filterwarnings(
    "ignore:invalid value encountered in reduce:RuntimeWarning"
)

FLOAT32_MAX = float(np.finfo(np.float32).max)

# Reproducible in CI: the same examples every run, no example database. Fits
# take a fraction of a second each but the first one pays for TensorFlow's
# warm-up, hence no deadline for them, and a failing fit is reported as found
# (shrinking it would cost hundreds of fits). Inference calls get a generous
# deadline, so that a call that hangs for seconds still fails.
QUERY_SETTINGS = {
    "deadline": 10_000,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
FIT_SETTINGS = {
    **QUERY_SETTINGS,
    "deadline": None,
    "phases": [Phase.explicit, Phase.generate],
}

# Generated cases run per property, and the least each must run.
CASES = collections.Counter()
FLOORS = {
    "fit dense": 64,
    "fit variational": 32,
    "fit conv": 10,
    "fit sequence": 10,
    "fit dataframe": 20,
    "fit sparse": 12,
    "query dense": 150,
    "query variational": 150,
    "query conv": 150,
    "query sequence": 150,
}

# Tiny models: one gradient step per epoch on up to 30 rows.
TINY = {"epochs": 1, "batch_size": 32, "random_state": 0}


def dense(n_components, hidden=(3,), **params):
    return AutoencoderTransformer(
        n_components, hidden_layer_sizes=hidden, **TINY, **params
    )


def variational(n_components, **params):
    return VariationalAutoencoderTransformer(
        n_components, hidden_layer_sizes=(3,), **TINY, **params
    )


def conv(n_components, **params):
    return ConvAutoencoderTransformer(
        n_components, image_shape=None, filters=(2,), **TINY, **params
    )


def sequence(n_components, **params):
    return SequenceAutoencoderTransformer(n_components, units=2, **TINY, **params)


BUILDERS = {
    "dense": dense,
    "variational": variational,
    "conv": conv,
    "sequence": sequence,
}

# What the error must say for each kind of bad input.
NON_FINITE = "NaN|infinity"
NOT_A_NUMBER = "could not convert string to float"
TOO_LARGE = "too large to convert to float64"
BEYOND_FLOAT32 = "beyond the float32 range"
TOO_FEW_ROWS = "validation_fraction=.* leaves none to train on"
# Sparse rows work everywhere; sparse codes, which inverse_transform never gets
# from transform, are refused with the dense alternative named.
SPARSE = "toarray"

# The warnings a successful fit may give: skae's own NaN guard, and
# TensorFlow's deprecation notices about its internals.
NAN_GUARD = "training loss became non-finite"


def run_counted(counter, property_test, **arguments):
    """Run a Hypothesis test and check it generated at least its floor of cases.

    The count is this call's own, so the check holds whatever ran before.
    """
    before = CASES[counter]
    property_test(**arguments)
    ran = CASES[counter] - before
    print(f"{counter}: {ran} generated cases")
    assert ran >= FLOORS[counter], (counter, ran)


def check_warnings(caught):
    """Fail on any warning other than skae's NaN guard and TF deprecations."""
    for w in caught:
        if issubclass(w.category, DeprecationWarning):
            continue
        assert issubclass(w.category, RuntimeWarning), w
        assert NAN_GUARD in str(w.message), w


def check_fitted_results(est, X, n_samples, n_features, n_components):
    """Check transform, inverse_transform and score on the training data."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Z = est.transform(X)
        X_back = est.inverse_transform(Z)
        score = est.score(X)
    check_warnings(caught)
    assert Z.shape == (n_samples, n_components)
    if isinstance(X, np.ndarray):
        assert Z.dtype == (np.float32 if X.dtype == np.float32 else np.float64)
    assert X_back.shape == (n_samples, n_features)
    assert np.isfinite(Z).all()
    assert np.isfinite(X_back).all()
    assert math.isfinite(score)


# -- generated training data ------------------------------------------------------

KINDS = (
    "float64",
    "float32",
    "float16",
    "int64",
    "uint8",
    "bool",
    "object numbers",
    "object with a word",
    "object with a huge int",
    "numeric strings",
    "list of lists",
)
MAGNITUDES = (1e-30, 1e-3, 1.0, 1e3, 1e30, 1e300)
WORDS = ("abc", "", " ", "1,5", "x1")


@st.composite
def training_data(draw, max_samples=30, max_features=12):
    """Return ``(X, reason)``: the data and what its error must say, or None."""
    n_samples = draw(st.integers(1, max_samples))
    n_features = draw(st.integers(1, max_features))
    kind = draw(st.sampled_from(KINDS))
    magnitude = draw(st.sampled_from(MAGNITUDES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        values = rng.random((n_samples, n_features)) * magnitude
    else:
        values = rng.standard_normal((n_samples, n_features)) * magnitude
    columns = st.integers(0, n_features - 1)
    for j in draw(st.sets(columns, max_size=n_features)):
        values[:, j] = draw(st.sampled_from([0.0, 1.0, -2.5, magnitude]))
    cells = st.tuples(st.integers(0, n_samples - 1), columns)
    holes = draw(
        st.lists(
            st.tuples(cells, st.sampled_from([np.nan, np.inf, -np.inf])),
            max_size=3,
        )
    )
    odd_cell = draw(cells)
    word = draw(st.sampled_from(WORDS))
    X = make_kind(values, kind, holes, odd_cell, word)
    return X, reason_for(X, kind)


def make_kind(values, kind, holes=(), odd_cell=(0, 0), word="abc"):
    """Turn float64 ``values`` into data of ``kind``, with ``holes`` where it can.

    The object kinds with a word or a huge int put it at ``odd_cell``.
    """
    if kind in ("int64", "uint8", "bool"):
        # No NaN or inf in integer data.
        if kind == "bool":
            return values > np.median(values)
        if kind == "uint8":
            return np.clip(np.rint(np.abs(values)), 0, 255).astype(np.uint8)
        return np.clip(np.rint(values), -(2**62), 2**62).astype(np.int64)
    for (i, j), value in holes:
        values[i, j] = value
    if kind in ("float64", "float32", "float16"):
        with np.errstate(over="ignore"):
            # Beyond the dtype's range the cast gives inf, which is then expected.
            return values.astype(kind)
    if kind == "numeric strings":
        return values.astype(str)
    if kind == "list of lists":
        return values.tolist()
    # Object arrays of Python floats and ints (None stands for a missing value).
    X = np.empty(values.shape, dtype=object)
    for (i, j), value in np.ndenumerate(values):
        if not np.isfinite(value):
            X[i, j] = None if np.isnan(value) else float(value)
        else:
            X[i, j] = int(value) if (i + j) % 2 else float(value)
    if kind == "object with a word":
        X[odd_cell] = word
    elif kind == "object with a huge int":
        X[odd_cell] = 10**400
    return X


def reason_for(X, kind):
    """What fitting ``X`` must fail with, or None when it must succeed."""
    if kind == "object with a word":
        return NOT_A_NUMBER
    if kind == "object with a huge int":
        return TOO_LARGE
    as_float = np.asarray(X, dtype=np.float64)
    if not np.isfinite(as_float).all():
        return NON_FINITE
    if np.abs(as_float).max() > FLOAT32_MAX:
        return BEYOND_FLOAT32
    return None


def named_case(kind, n_samples=20, n_features=4, magnitude=1.0, constant=()):
    """A training case built like ``training_data`` builds them, for @example."""
    values = np.random.default_rng(0).standard_normal((n_samples, n_features))
    values *= magnitude
    values[:, list(constant)] = 1.0
    X = make_kind(values, kind)
    return X, reason_for(X, kind)


# Cases every run must include, whatever Hypothesis draws besides.
HUGE = named_case("float64", magnitude=1e30)
TOO_HUGE = named_case("float64", magnitude=1e300)
TINY_VALUES = named_case("float32", magnitude=1e-30)
ONE_ROW = named_case("float64", n_samples=1)
ONE_COLUMN = named_case("float64", n_features=1)
CONSTANT_COLUMNS = named_case("float64", constant=(0, 2))
ALL_CONSTANT = named_case("float64", constant=(0, 1, 2, 3))
WORD = named_case("object with a word")


def n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def fit_or_raise(est, X, reason):
    """Fit ``est`` on ``X``; return whether it was fitted, checking any error."""
    n_samples = n_rows(X)
    n_val = math.ceil(est.validation_fraction * n_samples)
    if reason is None and n_val >= n_samples:
        reason = TOO_FEW_ROWS
    if reason is not None:
        with pytest.raises((ValueError, TypeError), match=reason):
            est.fit(X)
        assert not hasattr(est, "model_")
        return False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X)
    check_warnings(caught)
    return True


@settings(max_examples=FLOORS["fit dense"] - 8, **FIT_SETTINGS)
@given(
    case=training_data(),
    n_components=st.integers(1, 3),
    hidden=st.sampled_from([(), (3,)]),
    validation_fraction=st.sampled_from([0.0, 0.2]),
)
@example(case=HUGE, n_components=2, hidden=(3,), validation_fraction=0.2)
@example(case=TOO_HUGE, n_components=2, hidden=(3,), validation_fraction=0.2)
@example(case=TINY_VALUES, n_components=2, hidden=(3,), validation_fraction=0.2)
@example(case=ONE_ROW, n_components=2, hidden=(3,), validation_fraction=0.0)
@example(case=ONE_COLUMN, n_components=2, hidden=(3,), validation_fraction=0.2)
@example(case=CONSTANT_COLUMNS, n_components=3, hidden=(), validation_fraction=0.2)
@example(case=ALL_CONSTANT, n_components=1, hidden=(3,), validation_fraction=0.0)
@example(case=WORD, n_components=1, hidden=(3,), validation_fraction=0.0)
def dense_fit_cases(case, n_components, hidden, validation_fraction):
    CASES["fit dense"] += 1
    X, reason = case
    est = dense(n_components, hidden=hidden, validation_fraction=validation_fraction)
    if fit_or_raise(est, X, reason):
        n_samples, n_features = np.shape(X)
        check_fitted_results(est, X, n_samples, n_features, n_components)


@pytest.mark.slow
def test_dense_fit_gives_finite_results_or_a_clear_error():
    run_counted("fit dense", dense_fit_cases)


@settings(max_examples=FLOORS["fit variational"] - 4, **FIT_SETTINGS)
@given(case=training_data(), validation_fraction=st.sampled_from([0.0, 0.2]))
@example(case=HUGE, validation_fraction=0.2)
@example(case=TOO_HUGE, validation_fraction=0.2)
@example(case=ONE_ROW, validation_fraction=0.0)
@example(case=ALL_CONSTANT, validation_fraction=0.2)
def variational_fit_cases(case, validation_fraction):
    CASES["fit variational"] += 1
    X, reason = case
    est = variational(2, validation_fraction=validation_fraction)
    if fit_or_raise(est, X, reason):
        n_samples, n_features = np.shape(X)
        check_fitted_results(est, X, n_samples, n_features, 2)


@pytest.mark.slow
def test_variational_fit_gives_finite_results_or_a_clear_error():
    run_counted("fit variational", variational_fit_cases)


@settings(max_examples=10, **FIT_SETTINGS)
@given(case=training_data(max_samples=12, max_features=9))
def conv_and_sequence_fit_cases(name, case):
    CASES[f"fit {name}"] += 1
    X, reason = case
    est = BUILDERS[name](2, validation_fraction=0.0)
    if fit_or_raise(est, X, reason):
        n_samples, n_features = np.shape(X)
        check_fitted_results(est, X, n_samples, n_features, 2)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["conv", "sequence"])
def test_conv_and_sequence_fit_give_finite_results_or_a_clear_error(name):
    run_counted(f"fit {name}", conv_and_sequence_fit_cases, name=name)


# -- DataFrames and sparse matrices ------------------------------------------------

COLUMN_KINDS = (
    "float64",
    "float32",
    "int64",
    "bool",
    "category",
    "Int64",
    "Int64 with NA",
    "text",
)


@st.composite
def frames(draw):
    """Return ``(frame, reason)`` for a DataFrame of mixed column dtypes."""
    n_samples = draw(st.integers(1, 20))
    n_features = draw(st.integers(1, 6))
    naming = draw(st.sampled_from(["str", "int", "mixed"]))
    names = [f"f{j}" if naming == "str" else j for j in range(n_features)]
    if naming == "mixed":
        names = [f"f{j}" if j % 2 else j for j in range(n_features)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kinds = draw(
        st.lists(
            st.sampled_from(COLUMN_KINDS), min_size=n_features, max_size=n_features
        )
    )
    data = {}
    for name, kind in zip(names, kinds, strict=True):
        values = rng.standard_normal(n_samples)
        if kind in ("float64", "float32"):
            data[name] = values.astype(kind)
        elif kind == "int64":
            data[name] = np.rint(values * 10).astype(np.int64)
        elif kind == "bool":
            data[name] = values > 0
        elif kind == "category":
            data[name] = pd.Categorical(np.rint(values))
        elif kind.startswith("Int64"):
            column = pd.array(np.rint(values * 10).astype(np.int64), dtype="Int64")
            if kind == "Int64 with NA":
                column[int(rng.integers(n_samples))] = pd.NA
            data[name] = column
        else:
            data[name] = rng.choice(["a", "b", "c"], n_samples)
    X = pd.DataFrame(data, columns=names)
    kinds = set(kinds)
    if naming == "mixed" and n_features > 1:
        reason = "Feature names are only supported if all input features have string"
    elif "text" in kinds:
        reason = NOT_A_NUMBER + ("|NaN" if "Int64 with NA" in kinds else "")
    elif "Int64 with NA" in kinds:
        reason = "NaN"
    else:
        reason = None
    return X, reason


@settings(max_examples=FLOORS["fit dataframe"], **FIT_SETTINGS)
@given(case=frames())
def dataframe_fit_cases(case):
    CASES["fit dataframe"] += 1
    X, reason = case
    est = dense(1, validation_fraction=0.0)
    if not fit_or_raise(est, X, reason):
        return
    check_fitted_results(est, X, *X.shape, 1)
    string_names = all(isinstance(name, str) for name in X.columns)
    assert hasattr(est, "feature_names_in_") == string_names
    if string_names and X.shape[1] > 1:
        with pytest.raises(ValueError, match="feature names should match"):
            est.transform(X[X.columns[::-1]])


def test_dataframe_fit_gives_finite_results_or_a_clear_error():
    run_counted("fit dataframe", dataframe_fit_cases)


SPARSE_FORMATS = (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array)


@settings(max_examples=FLOORS["fit sparse"], **FIT_SETTINGS)
@given(
    n_samples=st.integers(1, 30),
    n_features=st.integers(1, 12),
    density=st.floats(0, 1),
    to_sparse=st.sampled_from(SPARSE_FORMATS),
)
def sparse_fit_cases(n_samples, n_features, density, to_sparse):
    CASES["fit sparse"] += 1
    X = to_sparse(sp.random(n_samples, n_features, density=density, random_state=0))
    est = dense(1, validation_fraction=0.0).fit(X)
    for method in ("transform", "score_samples"):
        result = getattr(est, method)(X)
        assert len(result) == n_samples
        assert np.isfinite(result).all()


@pytest.mark.slow
def test_sparse_input_fits_transforms_and_scores():
    run_counted("fit sparse", sparse_fit_cases)


# -- bad input to a fitted estimator -----------------------------------------------

QUERY_KINDS = (
    "float64",
    "float32",
    "int",
    "bool",
    "list of lists",
    "wrong width",
    "nan",
    "inf",
    "4-d",
    "1-d",
    "no rows",
    "no columns",
    "word in object array",
    "a string",
    "None",
    "complex",
    "ragged lists",
    "huge int",
    "sparse",
)


@st.composite
def queries(draw, width):
    """Return ``(X, reason)`` for input whose valid width is ``width``."""
    kind = draw(st.sampled_from(QUERY_KINDS))
    n_samples = draw(st.integers(1, 20))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = rng.standard_normal((n_samples, width))
    cell = (draw(st.integers(0, n_samples - 1)), draw(st.integers(0, width - 1)))
    if kind in ("float64", "float32"):
        return rows.astype(kind), None
    if kind == "int":
        return np.rint(rows * 5).astype(np.int64), None
    if kind == "bool":
        return rows > 0, None
    if kind == "list of lists":
        return rows.tolist(), None
    if kind == "wrong width":
        other = draw(st.integers(1, 20).filter(lambda w: w != width))
        return rng.standard_normal((n_samples, other)), "X has .* but .*expect"
    if kind in ("nan", "inf"):
        rows[cell] = np.nan if kind == "nan" else -np.inf
        return rows, NON_FINITE
    if kind == "4-d":
        # Samples of a shape no fitted model here reads (codes are 2-d only).
        return rows[:, :, None, None], "samples of shape|Found array with dim 4"
    if kind == "1-d":
        return rows[0], "Expected 2D array, got 1D array"
    if kind == "no rows":
        return rows[:0], "0 sample"
    if kind == "no columns":
        return rows[:, :0], "0 feature"
    if kind == "word in object array":
        X = rows.astype(object)
        X[cell] = draw(st.sampled_from(WORDS))
        return X, NOT_A_NUMBER
    if kind == "a string":
        return draw(st.sampled_from(WORDS)), NOT_A_NUMBER
    if kind == "None":
        return None, "Expected 2D array, got scalar array"
    if kind == "complex":
        return rows + 1j, "Complex data not supported"
    if kind == "ragged lists":
        return [[0.5] * width, [0.5] * (width + 1)], "inhomogeneous"
    if kind == "huge int":
        X = rows.astype(object)
        X[cell] = -(10**400)
        return X, TOO_LARGE
    to_sparse = draw(st.sampled_from(SPARSE_FORMATS))
    return to_sparse(rows), SPARSE


@pytest.fixture(scope="module")
def fitted():
    """One small fitted estimator of each kind, on 10 features."""
    X = np.random.default_rng(0).standard_normal((30, 10))
    return {name: build(2).fit(X) for name, build in BUILDERS.items()}


@settings(max_examples=150, **QUERY_SETTINGS)
@given(data=st.data())
def query_cases(fitted, name, data):
    CASES[f"query {name}"] += 1
    est = fitted[name]
    method = data.draw(st.sampled_from(["transform", "inverse_transform", "score"]))
    width = est.n_components if method == "inverse_transform" else est.n_features_in_
    X, reason = data.draw(queries(width))
    if reason == SPARSE and method != "inverse_transform":
        result = getattr(est, method)(X)
    elif reason is not None:
        with pytest.raises((ValueError, TypeError), match=reason):
            getattr(est, method)(X)
        return
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = getattr(est, method)(X)
        check_warnings(caught)
    if method == "score":
        assert math.isfinite(result)
        return
    n_out = est.n_features_in_ if method == "inverse_transform" else est.n_components
    assert result.shape == (n_rows(X), n_out)
    assert np.isfinite(result).all()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_fitted_estimator_gives_finite_results_or_a_clear_error(fitted, name):
    run_counted(f"query {name}", query_cases, fitted=fitted, name=name)


# -- regression tests for the bugs the properties found ----------------------------


@pytest.mark.parametrize("name", ["dense", "variational"])
def test_fit_rejects_values_beyond_float32_range(name):
    """Check that float64 values float32 cannot hold are refused, not made inf."""
    X = np.random.default_rng(0).standard_normal((20, 3))
    X[4, 1] = -1e300
    est = BUILDERS[name](1)
    with pytest.raises(ValueError, match=r"up to 1e\+300 .*beyond the float32 range"):
        est.fit(X)
    assert not hasattr(est, "model_")


@pytest.mark.parametrize("method", ["fit", "transform", "inverse_transform", "score"])
def test_numbers_too_large_for_float64_raise_a_value_error(fitted, method):
    """Check that ints beyond float64 give a ValueError, not an OverflowError."""
    X = [[10**400, 1.0]]
    est = dense(1) if method == "fit" else fitted["dense"]
    with pytest.raises(ValueError, match=re.escape(TOO_LARGE)):
        getattr(est, method)(X)


def test_variational_score_samples_reports_numbers_too_large_for_float64(fitted):
    X = np.ones((2, 10), dtype=object)
    X[0, 0] = 10**400
    with pytest.raises(ValueError, match=TOO_LARGE):
        fitted["variational"].score_samples(X)


def test_fast_path_check_does_not_warn():
    """Check that the fast path's finite-sum test is silent when the sum is not."""
    overflowing = np.full((4, 2), 1e308)
    inf_minus_inf = np.array([[np.inf, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _plain_rows(overflowing, 2) is None
        assert _plain_rows(inf_minus_inf, 2) is None
        assert _plain_rows(overflowing / 10, 2) is not None


@pytest.mark.parametrize("magnitude", [1e-30, 1e20, 1e37])
def test_pca_shortcut_start_survives_huge_and_tiny_magnitudes(magnitude):
    """Check that the PCA start is finite and is PCA's, whatever the data's scale.

    With 30 rows of 2 features PCA uses its covariance solver, whose float32
    products overflowed above about 1e19 and gave NaN weights, so transform
    returned NaN; below about 1e-19 they vanished.
    """
    spread = np.random.default_rng(0).standard_normal((30, 2)) * [3.0, 0.3]
    axis = np.array([0.6, 0.8])
    X = spread @ np.array([axis, [-0.8, 0.6]]) * magnitude
    est = AutoencoderTransformer(1, hidden_layer_sizes=(2,), epochs=1, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X)
    check_warnings(caught)
    Z = est.transform(X)
    assert np.isfinite(Z).all()
    direction = est.encoder_.get_layer("code").shortcut.get_weights()[0][:, 0]
    assert abs(direction @ axis) > 0.99


def test_fit_on_constant_data_gives_no_numpy_warning():
    X = np.full((20, 3), 7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = AutoencoderTransformer(2, hidden_layer_sizes=(3,), **TINY).fit(X)
    assert np.isfinite(est.transform(X)).all()
