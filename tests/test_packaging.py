"""The project's configuration files agree with each other."""

import configparser
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_flake8_settings_are_ruffs():
    """Check that setup.cfg gives flake8 the line length and rules ruff uses."""
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config.sections() == ["flake8"], "setup.cfg holds only what flake8 needs"
    flake8 = config["flake8"]
    assert int(flake8["max-line-length"]) == ruff["line-length"]
    selected = {code.strip() for code in flake8["select"].split(",")}
    assert selected == set(ruff["lint"]["select"])
    ignored_for_tests = flake8["per-file-ignores"].split(":")[1].split(",")
    expected = ruff["lint"]["per-file-ignores"]["tests/*"]
    assert [code.strip() for code in ignored_for_tests] == expected
