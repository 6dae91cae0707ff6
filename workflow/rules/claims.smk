# Claims stage: every lecture claim judged on the metrics by the rules in config/claims.yaml.
# The best linear classifier of each dataset is computed here, so every dataset a run used is an input.
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
        claims="config/claims.yaml",
    output:
        "results/claims.parquet",
    log:
        "logs/evaluate_claims.log",
    benchmark:
        "results/benchmarks/evaluate_claims.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/evaluate_claims.py"


FINAL_TARGETS.append(rules.evaluate_claims.output[0])
