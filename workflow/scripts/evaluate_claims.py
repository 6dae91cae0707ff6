"""Rule evaluate_claims: judge every claim of config/claims.yaml on the metric tables; write results/claims.parquet."""

import logging
import time
from pathlib import Path

from initstudy.claims import Data, evaluate_all, linear_table, load_claims
from initstudy.tables import read_table, write_table


def main(metrics: str, layers: str, datasets: list[str], claims: str, output: str) -> None:
    log = logging.getLogger("evaluate_claims")
    start = time.perf_counter()
    rules = load_claims(claims)
    linear = linear_table({Path(p).name.removesuffix(".parquet"): read_table(p) for p in datasets})
    for row in linear.itertuples():
        log.info("best linear accuracy of %s: %.4f (%d training points)", row.dataset, row.best_linear, row.n_train)
    data = Data(read_table(metrics), read_table(layers), linear)
    table = evaluate_all(rules, data)
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
    write_table(table, output, "claims_table")
    log.info("%d claims judged in %.2f s", len(table), time.perf_counter() - start)


if "snakemake" in globals():
    sm = snakemake  # noqa: F821
    logging.basicConfig(filename=sm.log[0], level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    main(sm.input.metrics, sm.input.layers, list(sm.input.datasets), sm.input.claims, sm.output[0])
