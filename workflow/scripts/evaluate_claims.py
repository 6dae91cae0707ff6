"""Rule evaluate_claims: judge every claim of config/claims.yaml on the metric tables; write results/claims.parquet
and, per claim, the measures its verdict was computed from (results/measures/<claim_id>.parquet)."""

import logging
import time
from pathlib import Path

from initstudy.claims import Data, evaluate_with_measures, linear_table, load_claims
from initstudy.rulescript import run_rule
from initstudy.tables import read_table, write_table


def main(metrics: str, layers: str, datasets: list[str], claims: str, output: str, measures: list[str] = ()) -> None:
    log = logging.getLogger("evaluate_claims")
    start = time.perf_counter()
    rules = load_claims(claims)
    linear = linear_table({Path(p).name.removesuffix(".parquet"): read_table(p) for p in datasets})
    for row in linear.itertuples():
        log.info("best linear accuracy of %s: %.4f (%d training points)", row.dataset, row.best_linear, row.n_train)
    data = Data(read_table(metrics), read_table(layers), linear)
    table, tables = evaluate_with_measures(rules, data)
    for row in table.itertuples():
        log.info(
            "%s %s: %s = %.6g [%.6g, %.6g] vs %g",
            row.claim_id,
            row.verdict,
            row.statistic,
            row.value,
            row.ci_low,
            row.ci_high,
            row.threshold,
        )
    for path in measures:
        write_table(tables[Path(path).name.removesuffix(".parquet")], path, "measures")
    write_table(table, output, "claims_table")
    log.info("%d claims judged in %.2f s", len(table), time.perf_counter() - start)


if "snakemake" in globals():
    sm = snakemake  # noqa: F821
    i = sm.input
    run_rule(sm, main, i.metrics, i.layers, list(i.datasets), i.claims, sm.output.claims, list(sm.output.measures))
