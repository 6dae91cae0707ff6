rule train_shard:
    input:
        dataset=shard_dataset,
    output:
        metrics="results/train/{experiment}/{cell}/{shard}.metrics.parquet",
        layers="results/train/{experiment}/{cell}/{shard}.layers.parquet",
        params="results/train/{experiment}/{cell}/{shard}.params.parquet",
    log:
        "logs/train/{experiment}/{cell}/{shard}.log",
    benchmark:
        "results/benchmarks/train_shard/{experiment}/{cell}/{shard}.tsv"
    threads: 1
    params:
        runs=shard_runs,
        iterations=experiment_setting("iterations"),
        log_points=experiment_setting("log_points"),
        exact=experiment_setting("exact"),
        dtype=config["dtype"],
        saturation_threshold=config["saturation_threshold"],
    script:
        "../scripts/train_shard.py"
