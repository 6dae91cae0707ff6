"""Rule save_config: the validated config as run (defaults filled in), saved beside the results."""

import yaml

from initstudy.rulescript import run_rule
from initstudy.tables import write_atomic


def main(output: str, *, config: dict) -> None:
    text = yaml.safe_dump(config, sort_keys=False)
    write_atomic(output, lambda tmp: tmp.write_text(text))


if "snakemake" in globals():
    run_rule(snakemake, main, snakemake.output[0], config=dict(snakemake.params.config))  # noqa: F821
