"""Packaging: environment.yml pins what pyproject.toml pins; the README's first commands are true."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_pins():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    pins = {}
    for d in deps:
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][^;\s]*)", d.strip()).groups()
        pins[name.lower().replace("_", "-")] = version
    return pins


def _conda_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for d in env["dependencies"]:
        if isinstance(d, str) and "=" in d and not d.startswith("python="):
            name, version = d.split("=", 1)
            pins[name.lower()] = version
    return pins


def test_every_dependency_is_pinned_exactly():
    assert len(_pyproject_pins()) >= 10


def test_environment_yml_pins_match_pyproject():
    assert _conda_pins() == _pyproject_pins()


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:6]
    text = "\n".join(head)
    assert re.search(r"^\s+make\s", text, re.M) and re.search(r"^\s+make test\s", text, re.M)


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
