import numpy as np
import pandas as pd

SHARDS = range(config["n_shards"])

rule make_dataset:
    output: "results/data/dataset.npy"
    run:
        rng = np.random.default_rng(config["seed"])
        np.save(output[0], rng.normal(size=(config["n"], 4)))

rule train_shard:
    input: "results/data/dataset.npy"
    output: "results/shards/shard_{s}.parquet"
    threads: 1
    run:
        import os
        x = np.load(input[0])
        rng = np.random.default_rng(int(wildcards.s))
        w = rng.normal(size=4)
        loss = ((x @ w) ** 2).mean()
        pd.DataFrame({"shard": [int(wildcards.s)], "loss": [loss],
                      "w0": [w[0]]}).to_parquet(output[0])
        print("train_shard", wildcards.s, "SLURM_JOB_ID=", os.environ.get("SLURM_JOB_ID"))

rule aggregate_metrics:
    input: expand("results/shards/shard_{s}.parquet", s=SHARDS)
    output: m="results/metrics.parquet", l="results/layers.parquet"
    run:
        df = pd.concat([pd.read_parquet(f) for f in input], ignore_index=True)
        df.to_parquet(output.m)
        df[["shard", "w0"]].rename(columns={"w0": "layer0"}).to_parquet(output.l)

rule plot_loss:
    input: "results/metrics.parquet"
    output: "results/plots/loss.txt"
    shell: "python -c 'import pandas as pd; print(pd.read_parquet(\"{input}\").loss.describe())' > {output}"

rule render_report:
    input: "results/plots/loss.txt", "results/layers.parquet"
    output: "results/report.txt"
    shell: "cat {input[0]} > {output}"
