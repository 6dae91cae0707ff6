rule make_dataset:
    output:
        "results/datasets/{dataset}.parquet",
    log:
        "logs/datasets/{dataset}.log",
    benchmark:
        "results/benchmarks/make_dataset/{dataset}.tsv"
    priority: AHEAD  # a second each, and every training job waits for its datasets
    params:
        kind=dataset_setting("kind"),
        n_train=dataset_setting("n_train"),
        n_test=dataset_setting("n_test"),
        noise=dataset_setting("noise"),
        seed=dataset_setting("seed"),
        test_seed=dataset_setting("test_seed"),
        factor=dataset_setting("factor"),
    conda:
        CONDA_ENV
    script:
        "../scripts/make_dataset.py"
