"""Rule compare_course: the course's printed numbers beside our runs (results/course.parquet, course_seeds.parquet)."""

import logging
from pathlib import Path

from initstudy.course import compare
from initstudy.rulescript import run_rule
from initstudy.tables import read_columns, read_table, write_table

log = logging.getLogger("compare_course")


def hidden_lookup(layouts: dict[str, list[list[int]]]):
    """``hidden_of(experiment, width, depth)``: the hidden widths of the net recorded as (width, depth)."""

    def hidden_of(experiment: str, width: int, depth: int) -> list[int]:
        for layout in layouts[experiment]:
            if len(layout) == depth and (layout[0] if layout else 0) == width:
                return list(layout)
        raise KeyError(f"experiment {experiment}: no net of width {width} and depth {depth}")

    return hidden_of


def main(
    metrics: str, datasets: list[str], course_out: str, seeds_out: str, *, course: dict, layouts: dict, replay: bool = True
) -> None:
    df = read_table(metrics, name="metrics")
    data = {Path(p).stem: read_columns(p) for p in datasets}
    table, seeds = compare(course, df, data, hidden_lookup(layouts), replay=replay)
    write_table(table, course_out, "course")
    write_table(seeds, seeds_out, "course_seeds")
    log.info("%d printed numbers, %d match to the printed digit", len(table), int(table["match"].sum()))


if "snakemake" in globals():
    sm = snakemake  # noqa: F821
    run_rule(sm, main, sm.input.metrics, list(sm.input.datasets), sm.output.course, sm.output.seeds, course=dict(sm.params.course),
         layouts=dict(sm.params.layouts))  # fmt: skip
