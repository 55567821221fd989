"""Sphinx configuration of skae's documentation site.

Build with ``make -C doc html`` (warnings are errors) from the repository
root. The gallery runs every ``examples/plot_*.py`` script; each must finish
without an exception, or the build fails.
"""

import os
import re
import sys
import warnings
from pathlib import Path

# The gallery and the API pages import Keras and TensorFlow. Their C++ log
# lines go to the terminal, not into the pages, and this keeps the build
# output readable. These settings concern the docs build only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Two threads each way: the gallery shares a small machine with other jobs.
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
# matplotlib draws off-screen.
os.environ.setdefault("MPLBACKEND", "agg")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Document the checkout beside this folder, installed or not; gallery_order.py
# lives in this folder.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import skae  # noqa: E402

# -- project -----------------------------------------------------------------

project = "skae"
author = "The skae developers"
copyright = "the skae developers"  # noqa: A001 (Sphinx's name)
release = skae.__version__
version = ".".join(release.split(".")[:2])

# -- general -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # Reads the repository's CHANGELOG.md into changelog.rst.
    "myst_parser",
]
# Only the .rst pages are documents; Markdown comes in through includes.
source_suffix = {".rst": "restructuredtext"}

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
# "fit()" rather than "AutoencoderTransformer.fit()" in the page's contents.
toc_object_entries_show_parents = "hide"
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc and autosummary ---------------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "groupwise"}
# The signatures carry the defaults already; the parameter tables carry types.
autodoc_typehints = "none"


def skip_fitted_attributes(app, what, name, obj, skip, options):
    """Leave the properties that hold fitted state out of the member lists.

    They are described, with their types, in each class's "Attributes" section;
    listing them again as members would show every one of them twice.
    """
    if what == "class" and name.endswith("_") and not name.startswith("_"):
        return True
    # TimeBudget's on_* methods are the hooks Keras calls, not API to call
    # (the class is defined in skae.fitting and shown as skae.callbacks's).
    module = getattr(obj, "__module__", None) or ""
    if name.startswith("on_") and module.startswith("skae."):
        return True
    return None


# A name ending in "_" followed by punctuation is a reference in
# reStructuredText. Type descriptions such as "ndarray of shape
# (n_features_in_,)" hold such names; numpydoc passes types through as they are,
# so they are quoted here, before numpydoc reads the docstring. A leading "*"
# ("(n_samples, *sample_shape_)") goes inside the quotes, or it would start
# an emphasis that never ends.
_PARAM_LINE = re.compile(r"^(\s*\*{0,2}\w+ : )(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])(\*{0,2}[A-Za-z]\w*_)(?=[,)\s]|$)")


def quote_fitted_names_in_types(app, what, name, obj, options, lines):
    """Quote names like ``n_features_in_`` in "name : type" lines."""
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if match:
            head, type_ = match.groups()
            lines[i] = head + _TRAILING_UNDERSCORE.sub(r"``\1``", type_)


# Docstrings inherited from scikit-learn (get_params, set_output...) refer to
# labels and glossary terms of scikit-learn's own site, which this offline
# build cannot link to; their text is kept, as plain text.
_FOREIGN_ROLE = re.compile(r":(?:ref|term|doc):`([^`<]*?)\s*(?:<([^>`]*)>)?`")


def unlink_foreign_roles(app, what, name, obj, options, lines):
    """Replace :ref:, :term: and :doc: roles in docstrings not from skae."""
    module = getattr(obj, "__module__", None) or ""
    if module == "skae" or module.startswith("skae."):
        return
    for i, line in enumerate(lines):
        lines[i] = _FOREIGN_ROLE.sub(lambda m: m.group(1) or m.group(2), line)


# -- numpydoc ----------------------------------------------------------------

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False


def _keep_written_attribute_descriptions():
    """Keep the "Attributes" text the class docstring gives.

    For an attribute that is also a documented property of the class (skae's
    ``encoder_``, ``n_components_``...), numpydoc replaces the description
    written in the class's "Attributes" section with the first sentence of the
    property's own docstring, which is shorter and loses what the section
    says. Here numpydoc does that only when the section gives no description.
    """
    from numpydoc.docscrape_sphinx import SphinxDocString

    process_param = SphinxDocString._process_param

    def _process_param(self, param, desc, fake_autosummary):
        written = any(line.strip() for line in desc)
        return process_param(self, param, desc, fake_autosummary and not written)

    SphinxDocString._process_param = _process_param


_keep_written_attribute_descriptions()

# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    # A failing example fails the build, at the end, with every failure listed.
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "expected_failing_examples": [],
    "plot_gallery": "True",
    "download_all_examples": True,
    "within_subsection_order": "gallery_order.ReadingOrder",
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "default_thumb_file": None,
    "show_memory": False,
    # No links into other projects' documentation: the build is offline.
    "reference_url": {"skae": None},
    "doc_module": ("skae",),
    "backreferences_dir": "generated/backreferences",
    "image_scrapers": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skae {release}"
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}

# TensorFlow and Keras warn about their own internals on import; they are not
# the docs' concern and would otherwise land in the build log.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="tensorflow")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="keras")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="google")
# matplotlib under Agg: plt.show() in the examples is a no-op.
warnings.filterwarnings(
    "ignore",
    message="FigureCanvasAgg is non-interactive, and thus cannot be shown",
    category=UserWarning,
)


def setup(app):
    app.connect("autodoc-skip-member", skip_fitted_attributes)
    # Before numpydoc (priority 500) turns the sections into markup.
    app.connect("autodoc-process-docstring", quote_fitted_names_in_types, priority=400)
    app.connect("autodoc-process-docstring", unlink_foreign_roles, priority=400)
