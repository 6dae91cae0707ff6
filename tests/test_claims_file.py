"""config/claims.yaml is read by one loader and refused early: each malformed copy under
tests/configs/bad_claims/ is refused against config/quick.yaml with a message naming the key
(expected.yaml lists the fragments), and `snakemake -n` refuses one before any job, in one message,
without a traceback. A config that leaves a claim's experiments out is not an error: the claim is not run.
"""

import shutil
from pathlib import Path

import pytest
import yaml

from initstudy import config as cfg
from initstudy.catalog import FIGURES
from initstudy.claims import EVALUATORS, ClaimsConfigError, load_claims, not_run

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "configs" / "bad_claims"
EXPECTED: dict = yaml.safe_load((BAD / "expected.yaml").read_text())
CORPUS = sorted(p.name for p in BAD.glob("*.yaml") if p.name != "expected.yaml")
QUICK = cfg.load(ROOT / "config" / "quick.yaml")


def test_every_bad_claims_file_has_its_expectation():
    assert set(CORPUS) == set(EXPECTED)
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("name", CORPUS)
def test_bad_claims_file_is_refused_naming_the_key(name):
    with pytest.raises(ClaimsConfigError) as err:
        load_claims(BAD / name, QUICK)
    message = str(err.value)
    for fragment in EXPECTED[name]["expect"]:
        assert fragment in message, message
    assert all(line.startswith(f"tests/configs/bad_claims/{name}: ") for line in message.splitlines()), message


def test_shipped_claims_file_fits_every_shipped_config():
    for path in sorted((ROOT / "config").glob("*.yaml")):
        if path.name != "claims.yaml":
            load_claims(ROOT / "config" / "claims.yaml", cfg.load(path))


def test_a_config_without_a_claims_experiments_leaves_it_not_run():
    tiny = cfg.load(ROOT / "tests" / "configs" / "tiny.yaml")
    claims = load_claims(ROOT / "config" / "claims.yaml", tiny)  # no error: tiny runs none of the claims
    assert all(not_run(spec, tiny) for spec in claims["claims"].values())
    assert not any(not_run(spec, QUICK) for spec in claims["claims"].values())


def test_every_claim_and_figure_has_its_places():
    """Adding a claim touches its module, claims.yaml and its schema; a figure has a rule, a script and a caption."""
    claims = load_claims(ROOT / "config" / "claims.yaml")
    assert list(claims["claims"]) == list(EVALUATORS)
    figures_smk = (ROOT / "workflow" / "rules" / "figures.smk").read_text()
    for name in FIGURES:
        assert f"\nrule plot_{name}:\n" in figures_smk
        assert (ROOT / "workflow" / "scripts" / f"plot_{name}.py").exists()
        assert (ROOT / "workflow" / "report" / "captions" / f"{name}.rst").exists()


def test_no_module_parses_the_claims_file_but_the_loader():
    for path in [*ROOT.glob("workflow/**/*.smk"), *ROOT.glob("workflow/scripts/*.py"), *ROOT.glob("src/initstudy/**/*.py")]:
        text = path.read_text()
        if "claims.yaml" in text and path.name != "loader.py":
            assert "yaml.safe_load" not in text and "read_yaml" not in text, path


def test_no_claims_module_is_too_long():
    for path in ROOT.glob("src/initstudy/claims/*.py"):
        assert len(path.read_text().splitlines()) <= 400, path


@pytest.mark.slow
def test_snakemake_dry_run_refuses_a_bad_claims_file(tmp_path):
    from conftest import copy_repo, snakemake

    wd = copy_repo(tmp_path / "repo")
    shutil.copy(BAD / "nan_margin.yaml", wd / "config" / "claims.yaml")
    proc = snakemake(wd, "-n", "--configfile", "config/quick.yaml", check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout
    assert "config/claims.yaml: claims.L01.rule.margin: nan is not a finite number" in proc.stdout, proc.stdout
