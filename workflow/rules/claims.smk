# Claims stage: every lecture claim judged on the metrics by the rules in config/claims.yaml (CLAIMS,
# validated in common.smk). Writes the claims table and, per claim, the measures its verdict was computed
# from. The best linear classifier of each dataset is computed here, so every dataset a run used is an input.
CLAIM_DATASETS = sorted(
    {name for exp in config["experiments"].values() for name in exp["datasets"]}
)


localrules:
    evaluate_claims,


rule evaluate_claims:
    input:
        metrics=rules.aggregate_metrics.output.metrics,
        layers=rules.aggregate_metrics.output.layers,
        datasets=expand("results/datasets/{dataset}.parquet", dataset=CLAIM_DATASETS),
        claims=CLAIMS_FILE,
    output:
        claims="results/claims.parquet",
        measures=expand("results/measures/{claim}.parquet", claim=CLAIM_IDS),
    log:
        "logs/evaluate_claims.log",
    benchmark:
        "results/benchmarks/evaluate_claims.tsv"
    priority: AHEAD  # most figures and the report wait for its measures: before the figures that do not
    conda:
        CONDA_ENV
    script:
        "../scripts/evaluate_claims.py"


FINAL_TARGETS.append(rules.evaluate_claims.output.claims)
