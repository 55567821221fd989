"""Fixtures shared by the tests of files from elsewhere."""

import pytest


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Run in an empty folder with its own temporary folder; check both stay clean.

    Yields the folder around them, where a test writes the files it loads;
    nothing but such ``.skae`` files may be left there.
    """
    work, temporary = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    temporary.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    yield tmp_path
    assert not list(work.iterdir()), "loading wrote into the working folder"
    assert not list(temporary.iterdir()), "loading left files in the temporary folder"
    others = {p.name for p in tmp_path.iterdir()} - {"tmp", "work"}
    assert all(name.endswith(".skae") for name in others), others
