"""numpydoc validation of every public class, method and function of skae.

As scikit-learn checks its own estimators: a docstring must have its summary,
its sections in order, and every parameter described. The docstrings also say
what is true of each class (the variational model's score is its ELBO, not a
squared error).
"""

import inspect

import pytest

import skae
import skae.callbacks
import skae.datasets
import skae.plotting

validate = pytest.importorskip("numpydoc.validate").validate

# Codes left out everywhere: the summary's line position (GL01, GL02), and
# a name beside the type in Returns (RT02), as scikit-learn does.
IGNORED = {"RT02", "GL01", "GL02"}
# Only a class's own docstring needs an extended summary, See Also and
# Examples; its methods need not repeat them.
CLASS_ONLY = {"ES01", "SA01", "EX01"}


def public_objects():
    """``(import path, is a method or property)`` of everything users import."""
    for module in (skae, skae.callbacks, skae.datasets, skae.plotting):
        for name in module.__all__:
            obj = getattr(module, name)
            if name.startswith("_") or not callable(obj):
                continue
            yield f"{module.__name__}.{name}", False
            if not inspect.isclass(obj):
                continue
            for member, value in vars(obj).items():
                # A classmethod (a Display's from_estimator) is not callable
                # as vars() holds it.
                described = isinstance(value, property | classmethod | staticmethod)
                if member.startswith("_") or not (callable(value) or described):
                    continue
                # Keras calls a callback's hooks; Keras documents them.
                if member.startswith("on_"):
                    continue
                yield f"{module.__name__}.{name}.{member}", True
            # Public methods inherited from skae's own base classes.
            for base in obj.__mro__[1:]:
                if not base.__module__.startswith("skae") or base is obj:
                    continue
                for member, value in vars(base).items():
                    if member.startswith("_") or member in vars(obj):
                        continue
                    if callable(value) or isinstance(
                        value, property | classmethod | staticmethod
                    ):
                        yield f"{module.__name__}.{name}.{member}", True


PUBLIC = sorted(set(public_objects()))


def test_every_public_name_is_checked():
    paths = {path for path, _ in PUBLIC}
    for expected in (
        "skae.AutoencoderTransformer",
        "skae.AutoencoderTransformer.fit",
        "skae.VariationalAutoencoderTransformer.sample",
        "skae.VariationalAutoencoderTransformer.transform",
        "skae.load",
        "skae.callbacks.TimeBudget",
        "skae.datasets.load_digits",
        "skae.plotting.ReconstructionDisplay",
        "skae.plotting.ReconstructionDisplay.from_estimator",
    ):
        assert expected in paths


@pytest.mark.parametrize("path, member", PUBLIC, ids=[path for path, _ in PUBLIC])
def test_docstring_is_valid_numpydoc(path, member):
    result = validate(path)
    is_property = False
    if member:
        owner_path, name = path.rsplit(".", 1)
        module_path, owner = owner_path.rsplit(".", 1)
        owner = getattr(__import__(module_path, fromlist=[owner]), owner)
        is_property = isinstance(inspect.getattr_static(owner, name), property)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in IGNORED
        and not (member and code in CLASS_ONLY)
        # A property is documented in its class's Attributes section.
        and not (is_property and code in ("PR02", "GL08", "SS05", "RT01"))
    ]
    assert not errors, "\n".join([path, *errors])


def test_variational_docstrings_say_what_its_model_does():
    """Regression: one shared template told every class the same things."""
    doc = skae.VariationalAutoencoderTransformer.__doc__
    assert "Whatever the loss, :meth:`score` reports the mean squared error" not in doc
    assert "evidence lower bound" in doc and "log-variances" in doc
    assert "evidence lower bound" in " ".join(
        skae.VariationalAutoencoderTransformer.score.__doc__.split()
    )
    assert "mean squared error" in skae.AutoencoderTransformer.__doc__


@pytest.mark.parametrize("name", ["history_", "n_iter_"])
def test_accumulating_attributes_mention_partial_fit(name):
    from numpydoc.docscrape import NumpyDocString

    attributes = NumpyDocString(skae.AutoencoderTransformer.__doc__)["Attributes"]
    (entry,) = [attribute for attribute in attributes if attribute.name == name]
    assert "partial_fit" in " ".join(entry.desc), entry
