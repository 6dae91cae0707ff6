rule train_shard:
    input:
        unpack(shard_datasets),
    output:
        metrics="results/train/{experiment}/{shard}.metrics.parquet",
        layers="results/train/{experiment}/{shard}.layers.parquet",
        params="results/train/{experiment}/{shard}.params.parquet",
    log:
        "logs/train/{experiment}/{shard}.log",
    benchmark:
        "results/benchmarks/train_shard/{experiment}/{shard}.tsv"
    threads: 1
    priority: shard_priority
    params:
        runs=shard_runs,
        iterations=experiment_setting("iterations"),
        log_points=experiment_setting("log_points"),
        log_every=experiment_setting("log_every"),
        exact=experiment_setting("exact"),
        dtype=config["dtype"],
        backend=config["backend"],
        saturation_threshold=config["saturation_threshold"],
    conda:
        CONDA_ENV
    script:
        "../scripts/train_shard.py"
