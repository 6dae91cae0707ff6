rule save_config:
    output:
        "results/config.yaml",
    log:
        "logs/save_config.log",
    params:
        config=config,
    conda:
        CONDA_ENV
    script:
        "../scripts/save_config.py"


rule aggregate_metrics:
    input:
        metrics=shard_outputs("metrics"),
        layers=shard_outputs("layers"),
        params=shard_outputs("params"),
    output:
        metrics="results/metrics.parquet",
        layers="results/layers.parquet",
        params="results/params.parquet",
    log:
        "logs/aggregate_metrics.log",
    benchmark:
        "results/benchmarks/aggregate_metrics.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/aggregate_metrics.py"
