# Figures stage: one rule, one script (workflow/scripts/plot_<name>.py) and one caption
# (workflow/report/captions/<name>.rst) per figure; each writes results/figures/<name>.png.
#
# Figure scripts read Parquet tables only (never train), so editing one re-runs only its rule.
# Where a figure shows what a claim's decision rule measures (target accuracy, fixed lr, metric,
# margin), the value comes from config/claims.yaml, so figure and verdict cannot drift apart;
# the defaults below apply when that file or key is absent.
import os

import yaml

_CLAIM_RULES = {}
if os.path.exists("config/claims.yaml"):
    with open("config/claims.yaml") as _fh:
        _CLAIM_RULES = {
            cid: (spec or {}).get("rule", {})
            for cid, spec in ((yaml.safe_load(_fh) or {}).get("claims") or {}).items()
        }
FIGURE_TARGET = _CLAIM_RULES.get("L09", {}).get("target_accuracy", 0.85)
FIGURE_LR = _CLAIM_RULES.get("L09", {}).get("fixed_lr", 1.2)
FIGURE_BIAS_METRIC = _CLAIM_RULES.get("L07", {}).get("metric", "test_acc")
FIGURE_BIAS_MARGIN = _CLAIM_RULES.get("L07", {}).get("margin", None)
FIGURE_BIAS_STATISTIC = _CLAIM_RULES.get("L07", {}).get("statistic", "mean")
FIGURE_BIAS_INTERVAL = _CLAIM_RULES.get("L07", {}).get("interval", None)
FIGURE_BEST_METRIC = _CLAIM_RULES.get("L14", {}).get("metric", "test_acc")
FIGURE_BEST_TOLERANCE = 0.01
FIGURE_REFERENCE_SCALE = _CLAIM_RULES.get("L12", {}).get("reference_scale", 0.01)

_SYMMETRY_DATASETS = config["experiments"].get("symmetry", {}).get("datasets", [])
# decision regions: the planar flower when the symmetry experiment has it, else its first dataset
_BOUNDARY_DATASET = (
    "flower"
    if "flower" in _SYMMETRY_DATASETS
    else (_SYMMETRY_DATASETS or list(config["datasets"]))[0]
)


rule plot_datasets:
    input:
        datasets=expand(
            "results/datasets/{dataset}.parquet", dataset=config["datasets"]
        ),
    output:
        report(
            "results/figures/datasets.png",
            caption="../report/captions/datasets.rst",
            category="Methods",
            labels={"figure": "datasets", "claims": "Methods"},
        ),
    log:
        "logs/figures/datasets.log",
    benchmark:
        "results/benchmarks/plot_datasets.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_datasets.py"


rule plot_logistic:
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/logistic.png",
            caption="../report/captions/logistic.rst",
            category="L01",
            labels={"figure": "logistic", "claims": "L01"},
        ),
    log:
        "logs/figures/logistic.log",
    benchmark:
        "results/benchmarks/plot_logistic.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_logistic.py"


rule plot_symmetry_gaps:
    input:
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/symmetry_gaps.png",
            caption="../report/captions/symmetry_gaps.rst",
            category="L02",
            labels={"figure": "symmetry_gaps", "claims": "L02 L03 L04 B01"},
        ),
    log:
        "logs/figures/symmetry_gaps.log",
    benchmark:
        "results/benchmarks/plot_symmetry_gaps.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_symmetry_gaps.py"


rule plot_width_accuracy:
    input:
        metrics="results/metrics.parquet",
        datasets=expand(
            "results/datasets/{dataset}.parquet", dataset=_SYMMETRY_DATASETS
        ),
    output:
        report(
            "results/figures/width_accuracy.png",
            caption="../report/captions/width_accuracy.rst",
            category="L05",
            labels={"figure": "width_accuracy", "claims": "L05"},
        ),
    log:
        "logs/figures/width_accuracy.log",
    benchmark:
        "results/benchmarks/plot_width_accuracy.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_width_accuracy.py"


rule plot_decision_boundaries:
    input:
        params="results/params.parquet",
        dataset=f"results/datasets/{_BOUNDARY_DATASET}.parquet",
    output:
        report(
            "results/figures/decision_boundaries.png",
            caption="../report/captions/decision_boundaries.rst",
            category="L06",
            labels={"figure": "decision_boundaries", "claims": "L06"},
        ),
    log:
        "logs/figures/decision_boundaries.log",
    benchmark:
        "results/benchmarks/plot_decision_boundaries.tsv"
    conda:
        CONDA_ENV
    params:
        activation="tanh",
        width=4,
    script:
        "../scripts/plot_decision_boundaries.py"


rule plot_bias_init:
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/bias_init.png",
            caption="../report/captions/bias_init.rst",
            category="L07",
            labels={"figure": "bias_init", "claims": "L07"},
        ),
    log:
        "logs/figures/bias_init.log",
    benchmark:
        "results/benchmarks/plot_bias_init.tsv"
    conda:
        CONDA_ENV
    params:
        metric=FIGURE_BIAS_METRIC,
        margin=FIGURE_BIAS_MARGIN,
        statistic=FIGURE_BIAS_STATISTIC,
        interval=FIGURE_BIAS_INTERVAL,
    script:
        "../scripts/plot_bias_init.py"


rule plot_saturation:
    input:
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/saturation.png",
            caption="../report/captions/saturation.rst",
            category="L08",
            labels={"figure": "saturation", "claims": "L08"},
        ),
    log:
        "logs/figures/saturation.log",
    benchmark:
        "results/benchmarks/plot_saturation.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_saturation.py"


rule plot_learning_curves:
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/learning_curves.png",
            caption="../report/captions/learning_curves.rst",
            category="L09",
            labels={"figure": "learning_curves", "claims": "L09"},
        ),
    log:
        "logs/figures/learning_curves.log",
    benchmark:
        "results/benchmarks/plot_learning_curves.tsv"
    conda:
        CONDA_ENV
    params:
        lr=FIGURE_LR,
    script:
        "../scripts/plot_learning_curves.py"


rule plot_iterations_to_target:
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/iterations_to_target.png",
            caption="../report/captions/iterations_to_target.rst",
            category="L09",
            labels={"figure": "iterations_to_target", "claims": "L09"},
        ),
    log:
        "logs/figures/iterations_to_target.log",
    benchmark:
        "results/benchmarks/plot_iterations_to_target.tsv"
    conda:
        CONDA_ENV
    params:
        target=FIGURE_TARGET,
        lr=FIGURE_LR,
    script:
        "../scripts/plot_iterations_to_target.py"


rule plot_relu_scale:
    input:
        metrics="results/metrics.parquet",
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/relu_scale.png",
            caption="../report/captions/relu_scale.rst",
            category="L10",
            labels={"figure": "relu_scale", "claims": "L10 L11"},
        ),
    log:
        "logs/figures/relu_scale.log",
    benchmark:
        "results/benchmarks/plot_relu_scale.tsv"
    conda:
        CONDA_ENV
    params:
        lr=FIGURE_LR,
    script:
        "../scripts/plot_relu_scale.py"


rule plot_accuracy_vs_scale:
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/accuracy_vs_scale.png",
            caption="../report/captions/accuracy_vs_scale.rst",
            category="L12",
            labels={"figure": "accuracy_vs_scale", "claims": "L12"},
        ),
    log:
        "logs/figures/accuracy_vs_scale.log",
    benchmark:
        "results/benchmarks/plot_accuracy_vs_scale.tsv"
    conda:
        CONDA_ENV
    params:
        reference=FIGURE_REFERENCE_SCALE,
    script:
        "../scripts/plot_accuracy_vs_scale.py"


rule plot_depth_signal:
    input:
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/depth_signal.png",
            caption="../report/captions/depth_signal.rst",
            category="L13",
            labels={"figure": "depth_signal", "claims": "L13"},
        ),
    log:
        "logs/figures/depth_signal.log",
    benchmark:
        "results/benchmarks/plot_depth_signal.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_depth_signal.py"


rule plot_depth_accuracy:
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/depth_accuracy.png",
            caption="../report/captions/depth_accuracy.rst",
            category="L13",
            labels={"figure": "depth_accuracy", "claims": "L13"},
        ),
    log:
        "logs/figures/depth_accuracy.log",
    benchmark:
        "results/benchmarks/plot_depth_accuracy.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_depth_accuracy.py"


rule plot_best_scale:
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/best_scale.png",
            caption="../report/captions/best_scale.rst",
            category="L14",
            labels={"figure": "best_scale", "claims": "L14"},
        ),
    log:
        "logs/figures/best_scale.log",
    benchmark:
        "results/benchmarks/plot_best_scale.tsv"
    conda:
        CONDA_ENV
    params:
        metric=FIGURE_BEST_METRIC,
        tolerance=FIGURE_BEST_TOLERANCE,
    script:
        "../scripts/plot_best_scale.py"


FINAL_TARGETS.extend(
    f"results/figures/{name}.png"
    for name in (
        "datasets",
        "logistic",
        "symmetry_gaps",
        "width_accuracy",
        "decision_boundaries",
        "bias_init",
        "saturation",
        "learning_curves",
        "iterations_to_target",
        "relu_scale",
        "accuracy_vs_scale",
        "depth_signal",
        "depth_accuracy",
        "best_scale",
    )
)


# --- Beyond the lecture (B01-B04): one rule, script and caption per figure, as above. Rule
# parameters come from the B rules of config/claims.yaml, so a figure shows what its verdict uses.
_B02 = _CLAIM_RULES.get("B02", {})
_B03 = _CLAIM_RULES.get("B03", {})
_B04 = _CLAIM_RULES.get("B04", {})
_CONSTANT_DATASETS = sorted(
    {
        name
        for exp in ("long", "symmetry")
        for name in config["experiments"].get(exp, {}).get("datasets", [])
    }
)
_GLOROT_DATASET = (
    config["experiments"].get("glorot", {}).get("datasets")
    or (["flower"] if "flower" in config["datasets"] else list(config["datasets"]))
)[0]


rule plot_constant_inits:
    input:
        metrics="results/metrics.parquet",
        datasets=expand(
            "results/datasets/{dataset}.parquet", dataset=_CONSTANT_DATASETS
        ),
    output:
        report(
            "results/figures/constant_inits.png",
            caption="../report/captions/constant_inits.rst",
            category="B01",
            labels={"figure": "constant_inits", "claims": "B01"},
        ),
    log:
        "logs/figures/constant_inits.log",
    benchmark:
        "results/benchmarks/plot_constant_inits.tsv"
    conda:
        CONDA_ENV
    params:
        dataset="flower",
        width=4,
    script:
        "../scripts/plot_constant_inits.py"


rule plot_bias_only:
    input:
        layers="results/layers.parquet",
        metrics="results/metrics.parquet",
        params="results/params.parquet",
    output:
        report(
            "results/figures/bias_only.png",
            caption="../report/captions/bias_only.rst",
            category="B02",
            labels={"figure": "bias_only", "claims": "B02"},
        ),
    log:
        "logs/figures/bias_only.log",
    benchmark:
        "results/benchmarks/plot_bias_only.tsv"
    conda:
        CONDA_ENV
    params:
        metric=_B02.get("metric", "test_acc"),
        reference_init=_B02.get("reference_init", "normal"),
        reference_scale=_B02.get("reference_scale", 0.01),
        reference_bias=_B02.get("reference_bias", "zeros"),
    script:
        "../scripts/plot_bias_only.py"


rule plot_edge_of_chaos:
    input:
        layers="results/layers.parquet",
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/edge_of_chaos.png",
            caption="../report/captions/edge_of_chaos.rst",
            category="B03",
            labels={"figure": "edge_of_chaos", "claims": "B03"},
        ),
    log:
        "logs/figures/edge_of_chaos.log",
    benchmark:
        "results/benchmarks/plot_edge_of_chaos.tsv"
    conda:
        CONDA_ENV
    params:
        signal_experiment=_B03.get("signal_experiment", "edge_signal"),
        train_experiment=_B03.get("train_experiment", "edge_train"),
        init=_B03.get("init", "lecun_normal"),
        critical=_B03.get("critical", {"tanh": 1.0, "relu": 1.4142135623730951}),
        reach_log10=_B03.get("reach_log10", 1.0),
        metric=_B03.get("metric", "train_acc"),
    script:
        "../scripts/plot_edge_of_chaos.py"


rule plot_glorot_histograms:
    input:
        layers="results/layers.parquet",
        dataset=f"results/datasets/{_GLOROT_DATASET}.parquet",
    output:
        report(
            "results/figures/glorot_histograms.png",
            caption="../report/captions/glorot_histograms.rst",
            category="B03",
            labels={"figure": "glorot_histograms", "claims": "B03"},
        ),
    log:
        "logs/figures/glorot_histograms.log",
    benchmark:
        "results/benchmarks/plot_glorot_histograms.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_glorot_histograms.py"


rule plot_init_families:
    input:
        metrics="results/metrics.parquet",
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/init_families.png",
            caption="../report/captions/init_families.rst",
            category="B04",
            labels={"figure": "init_families", "claims": "B04"},
        ),
    log:
        "logs/figures/init_families.log",
    benchmark:
        "results/benchmarks/plot_init_families.tsv"
    conda:
        CONDA_ENV
    params:
        shallow_experiment=_B04.get("shallow_experiment", "families"),
        shallow_inits=_B04.get("shallow_inits", ["normal", "uniform"]),
        metric=_B04.get("metric", "test_acc"),
        margin=_B04.get("margin", None),
        statistic=_B04.get("statistic", "mean"),
        interval=_B04.get("interval", None),
        signal_experiment=_B04.get("signal_experiment", "edge_signal"),
        train_experiment=_B04.get("train_experiment", "edge_train"),
        deep_inits=_B04.get("deep_inits", ["orthogonal", "lecun_normal"]),
        deep_scales=_B04.get("deep_scales", {"tanh": 1.0, "relu": 1.4142135623730951}),
        deep_metric=_B04.get("deep_metric", "train_acc"),
    script:
        "../scripts/plot_init_families.py"


FINAL_TARGETS.extend(
    f"results/figures/{name}.png"
    for name in (
        "constant_inits",
        "bias_only",
        "edge_of_chaos",
        "glorot_histograms",
        "init_families",
    )
)


# Figures are quick and read the aggregated tables: they run on the submitting host, never as cluster jobs.
localrules:
    plot_datasets,
    plot_logistic,
    plot_symmetry_gaps,
    plot_width_accuracy,
    plot_decision_boundaries,
    plot_bias_init,
    plot_saturation,
    plot_learning_curves,
    plot_iterations_to_target,
    plot_relu_scale,
    plot_accuracy_vs_scale,
    plot_depth_signal,
    plot_depth_accuracy,
    plot_best_scale,
    plot_constant_inits,
    plot_bias_only,
    plot_edge_of_chaos,
    plot_glorot_histograms,
    plot_init_families,


rule plot_course:
    input:
        course=rules.compare_course.output.course,
        seeds=rules.compare_course.output.seeds,
    output:
        report(
            "results/figures/course.png",
            caption="../report/captions/course.rst",
            category="Course",
            labels={"figure": "course", "claims": "Course"},
        ),
    log:
        "logs/figures/course.log",
    benchmark:
        "results/benchmarks/plot_course.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_course.py"
