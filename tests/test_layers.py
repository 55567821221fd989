"""Imports point down the layers the README's Architecture section states."""

import ast
import re
from pathlib import Path

import pytest

from skae._options import ACTIVATION_NAMES
from skae.inference.numpy_pass import ACTIVATIONS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "skae"


def stated_layers():
    """The README's layers, top first: each a set of skae's top-level names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- layers -->\n```text\n(.*?)\n```", text, re.DOTALL)
    assert found, "the README's Architecture section states no layers"
    return [
        {name.strip().strip("`") for name in layer.split(",")}
        for layer in found.group(1).split(">")
    ]


def imports(package=PACKAGE):
    """Yield ``(module, imported)``: every skae module each module imports."""
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        within = parts if path.name == "__init__.py" else parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = within[: len(within) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
                names = [a.name for a in node.names] if not node.module else [None]
                for name in names:
                    yield ".".join(parts), ".".join(target + ([name] if name else []))
            elif isinstance(node, ast.ImportFrom) and node.module.startswith("skae"):
                yield ".".join(parts), node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("skae"):
                        yield ".".join(parts), alias.name


def layer_of(module, layers):
    """The index of the layer ``module`` belongs to (by its first name below skae)."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "skae"
    for i, layer in enumerate(layers):
        if name in layer:
            return i
    pytest.fail(f"{module} is in no layer the README states")


def test_every_module_is_in_a_stated_layer():
    layers = stated_layers()
    for path in PACKAGE.iterdir():
        if path.name in ("__pycache__", "__init__.py") or path.suffix not in (
            "",
            ".py",
        ):
            continue
        layer_of(f"skae.{path.stem}", layers)


def upward_imports(package=PACKAGE):
    layers = stated_layers()
    return sorted(
        {
            f"{module} imports {imported}"
            for module, imported in imports(package)
            if layer_of(imported, layers) < layer_of(module, layers)
        }
    )


def test_no_module_imports_from_a_higher_layer():
    upward = upward_imports()
    assert not upward, "\n".join(upward)


def test_an_upward_import_is_found_wherever_it_hides(tmp_path):
    """Check the walk on a package whose lower layers import from higher ones."""
    fake = tmp_path / "skae"
    (fake / "networks").mkdir(parents=True)
    (fake / "networks" / "__init__.py").write_text("")
    (fake / "networks" / "dense.py").write_text(
        "def build():\n    from ..estimators.base import BaseAutoencoder\n"
    )
    (fake / "_seeds.py").write_text("import skae.fitting.loop\n")
    (fake / "saving.py").write_text("from skae.networks import dense\n")
    assert upward_imports(fake) == [
        "skae._seeds imports skae.fitting.loop",
        "skae.networks.dense imports skae.estimators.base",
    ]


def test_the_numpy_pass_implements_every_activation_skae_accepts():
    assert set(ACTIVATIONS) == ACTIVATION_NAMES
