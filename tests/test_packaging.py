"""Packaging: environment.yml pins what pyproject.toml pins; the README's first commands are true; the
schemas ship as package data, so an installed (non-editable) package finds them."""

import os
import re
import shutil
import subprocess
import sys
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


def test_schemas_are_package_data_and_nowhere_else():
    """One copy of every schema, inside the package, declared as package data."""
    shipped = sorted(p.name for p in (ROOT / "src" / "initstudy" / "schemas").glob("*.schema.yaml"))
    assert "config.schema.yaml" in shipped and "claims.schema.yaml" in shipped and "metrics.schema.yaml" in shipped
    copies = [p for p in ROOT.rglob("*.schema.yaml") if p.parent != ROOT / "src" / "initstudy" / "schemas"]
    assert [p for p in copies if not {".venv", "build", ".git"} & set(p.relative_to(ROOT).parts)] == []
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["tool"]["setuptools"]["package-data"]["initstudy.schemas"] == ["*.schema.yaml"]


def test_a_non_editable_install_reads_its_schemas(tmp_path):
    """`pip install .` into a throwaway venv: from outside the repository, the installed package loads the
    config, claims and table schemas (importlib.resources), not files found relative to a checkout."""
    source = tmp_path / "source"  # a copy, so the build leaves nothing (build/, *.egg-info) in the repository
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # The dependencies come from this environment's site-packages (a .pth line: its own .pth files, such
    # as an editable install of initstudy, are not read), the package itself only from the install.
    (site / "deps.pth").write_text(str(Path(yaml.__file__).resolve().parents[1]) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(source)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(ROOT / "config" / "quick.yaml", outside / "quick.yaml")
    shutil.copy(ROOT / "config" / "claims.yaml", outside / "claims.yaml")
    code = (
        "import initstudy, initstudy.config as cfg, initstudy.tables as t\n"
        "from initstudy.claims import load_claims\n"
        f"assert initstudy.__file__.startswith({str(site)!r}), initstudy.__file__\n"
        "assert cfg.load_schema()['title'] == 'initstudy configuration'\n"
        "config = cfg.load('quick.yaml')\n"
        "load_claims('claims.yaml', config)\n"
        "assert 'loss' in t.table_schema('metrics')['columns']\n"
        "print('ok')\n"
    )
    proc = subprocess.run([python, "-I", "-c", code], cwd=outside, capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr


def test_no_module_is_too_long():
    """Every module of the package stays readable in one sitting: split along a seam past 400 lines."""
    for path in (ROOT / "src" / "initstudy").rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path


def test_schemas_read_the_same_with_libyaml_and_pure_python():
    """The package reads its own schemas with libyaml's loader where PyYAML has it: same data as SafeLoader."""
    from initstudy import schemas

    for f in sorted(Path(schemas.__file__).parent.glob("*.schema.yaml")):
        assert schemas.read(f) == yaml.safe_load(f.read_text(encoding="utf-8")), f.name
