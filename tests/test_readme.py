"""The README's examples run as written."""

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
STEMS = {
    "train-images-idx3-ubyte": (200, 28, 28),
    "train-labels-idx1-ubyte": (200,),
    "t10k-images-idx3-ubyte": (50, 28, 28),
    "t10k-labels-idx1-ubyte": (50,),
}


def readme_block(marker):
    """The fenced Python block that follows ``<!-- marker -->`` in the README."""
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker} -->\n```python\n(.*?)```", text, re.DOTALL)
    assert found, f"the README has no block marked {marker!r}"
    return found.group(1)


def write_small_fashion_mnist(folder):
    """IDX files of 200 training and 50 test images of two kinds of blob."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for stem, shape in STEMS.items():
        if len(shape) == 1:
            array = (np.arange(shape[0]) % 2).astype(np.uint8)
        else:
            labels = np.arange(shape[0]) % 2
            rows = np.arange(28)[:, None]
            blobs = np.where(labels[:, None, None], rows < 14, rows.T < 14)
            noise = rng.integers(0, 60, size=shape)
            array = np.clip(blobs * 200 + noise, 0, 255).astype(np.uint8)
        header = bytes([0, 0, 0x08, array.ndim])
        header += np.array(array.shape, dtype=">u4").tobytes()
        (folder / f"{stem}.gz").write_bytes(gzip.compress(header + array.tobytes()))


@pytest.mark.slow
def test_quick_start_image_example_runs_as_written(tmp_path, monkeypatch, capsys):
    """Check that the Quick start's 28x28 example runs and prints what it says."""
    write_small_fashion_mnist(tmp_path / "fashion-mnist")
    monkeypatch.setenv("SKAE_DATA", str(tmp_path))
    code = readme_block("quick-start-images")
    # The README's 10 epochs on 2,000 images; one epoch is enough to run it.
    code = code.replace("epochs=10", "epochs=1")
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "(28, 28, 1) (28, 28)"
    assert 0.5 <= float(printed[1]) <= 1.0
    assert namespace["Z"].shape == (200, 32)
    assert namespace["images"].shape == (8, 28, 28)


# A Markdown link or image: [text](target) or ![alt](target).
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_readme_is_a_landing_page_of_at_most_250_lines():
    """Check that the README stays short: the long text lives in doc/."""
    n_lines = len(README.read_text(encoding="utf-8").splitlines())
    assert n_lines <= 250, f"README.md has {n_lines} lines; move text into doc/"


def test_every_relative_link_in_the_readme_points_to_an_existing_file():
    """Check the README's links into the repository (doc pages, files)."""
    text = README.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if "://" not in t]
    assert any(t.startswith("doc/") for t in targets), "no links into doc/"
    missing = [
        target
        for target in targets
        if target.startswith("#") or not (README.parent / target.split("#")[0]).exists()
    ]
    assert not missing, f"README.md links to no file in the repository: {missing}"
