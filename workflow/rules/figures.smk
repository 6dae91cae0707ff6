# Figures stage: one rule, one script (workflow/scripts/plot_<name>.py) and one caption
# (workflow/report/captions/<name>.rst) per figure; each writes results/figures/<name>.png.
#
# Figure scripts read Parquet tables only (never train), so editing one re-runs only its rule.
# A figure that illustrates a claim plots that claim's measures table (results/measures/<claim>.parquet,
# written by evaluate_claims): no figure script re-derives a number a verdict used.
# Where a figure shows what a claim's decision rule measures (target accuracy, fixed lr, metric,
# margin), the value comes from config/claims.yaml, so figure and verdict cannot drift apart.
# The figure list is initstudy.catalog.FIGURES; the claims rules come from CLAIMS (common.smk), the
# claims file as validated by initstudy.claims.load_claims at DAG-build time. Figures are quick and read
# the aggregated tables, so every plot rule is a `localrule` (never a cluster job).
from initstudy.catalog import FIGURES, figure_category, figure_labels

_CLAIM_RULES = {cid: spec["rule"] for cid, spec in CLAIMS["claims"].items()}
FIGURE_TARGET = _CLAIM_RULES["L09"]["target_accuracy"]
FIGURE_LR = _CLAIM_RULES["L09"]["fixed_lr"]
FIGURE_BIAS_METRIC = _CLAIM_RULES["L07"]["metric"]
FIGURE_BIAS_MARGIN = _CLAIM_RULES["L07"]["margin"]
FIGURE_BIAS_STATISTIC = _CLAIM_RULES["L07"]["statistic"]
FIGURE_BIAS_INTERVAL = _CLAIM_RULES["L07"]["interval"]
FIGURE_BEST_METRIC = _CLAIM_RULES["L14"]["metric"]
FIGURE_REFERENCE_SCALE = _CLAIM_RULES["L12"]["reference_scale"]

_SYMMETRY_DATASETS = config["experiments"].get("symmetry", {}).get("datasets", [])
# decision regions: the planar flower when the symmetry experiment has it, else its first dataset
_BOUNDARY_DATASET = (
    "flower"
    if "flower" in _SYMMETRY_DATASETS
    else (_SYMMETRY_DATASETS or list(config["datasets"]))[0]
)


rule plot_datasets:
    localrule: True
    input:
        datasets=expand(
            "results/datasets/{dataset}.parquet", dataset=config["datasets"]
        ),
    output:
        report(
            "results/figures/datasets.png",
            caption="../report/captions/datasets.rst",
            category=figure_category("datasets"),
            labels=figure_labels("datasets"),
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
    localrule: True
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/logistic.png",
            caption="../report/captions/logistic.rst",
            category=figure_category("logistic"),
            labels=figure_labels("logistic"),
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
    localrule: True
    input:
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/symmetry_gaps.png",
            caption="../report/captions/symmetry_gaps.rst",
            category=figure_category("symmetry_gaps"),
            labels=figure_labels("symmetry_gaps"),
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
    localrule: True
    input:
        metrics="results/metrics.parquet",
        measures="results/measures/L05.parquet",
    output:
        report(
            "results/figures/width_accuracy.png",
            caption="../report/captions/width_accuracy.rst",
            category=figure_category("width_accuracy"),
            labels=figure_labels("width_accuracy"),
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
    localrule: True
    input:
        params="results/params.parquet",
        dataset=f"results/datasets/{_BOUNDARY_DATASET}.parquet",
    output:
        report(
            "results/figures/decision_boundaries.png",
            caption="../report/captions/decision_boundaries.rst",
            category=figure_category("decision_boundaries"),
            labels=figure_labels("decision_boundaries"),
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
    localrule: True
    input:
        metrics="results/metrics.parquet",
        measures="results/measures/L07.parquet",
    output:
        report(
            "results/figures/bias_init.png",
            caption="../report/captions/bias_init.rst",
            category=figure_category("bias_init"),
            labels=figure_labels("bias_init"),
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
    localrule: True
    input:
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/saturation.png",
            caption="../report/captions/saturation.rst",
            category=figure_category("saturation"),
            labels=figure_labels("saturation"),
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
    localrule: True
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/learning_curves.png",
            caption="../report/captions/learning_curves.rst",
            category=figure_category("learning_curves"),
            labels=figure_labels("learning_curves"),
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
    localrule: True
    input:
        metrics="results/metrics.parquet",
        measures="results/measures/L09.parquet",
    output:
        report(
            "results/figures/iterations_to_target.png",
            caption="../report/captions/iterations_to_target.rst",
            category=figure_category("iterations_to_target"),
            labels=figure_labels("iterations_to_target"),
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


rule plot_relu_slowdown:
    localrule: True
    input:
        measures="results/measures/L10.parquet",
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/relu_slowdown.png",
            caption="../report/captions/relu_slowdown.rst",
            category=figure_category("relu_slowdown"),
            labels=figure_labels("relu_slowdown"),
        ),
    log:
        "logs/figures/relu_slowdown.log",
    benchmark:
        "results/benchmarks/plot_relu_slowdown.tsv"
    conda:
        CONDA_ENV
    params:
        experiment=_CLAIM_RULES["L10"]["slowdown_experiment"],
        target=_CLAIM_RULES["L10"]["target_accuracy"],
        reference=_CLAIM_RULES["L10"]["reference_scale"],
        large=_CLAIM_RULES["L10"]["large_scales"],
        flat_margin=_CLAIM_RULES["L10"]["flat_margin"],
        activation=_CLAIM_RULES["L10"]["activation"],
        compare=_CLAIM_RULES["L10"]["compare_activations"],
    script:
        "../scripts/plot_relu_slowdown.py"


rule plot_relu_scale:
    localrule: True
    input:
        metrics="results/metrics.parquet",
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/relu_scale.png",
            caption="../report/captions/relu_scale.rst",
            category=figure_category("relu_scale"),
            labels=figure_labels("relu_scale"),
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
    localrule: True
    input:
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/accuracy_vs_scale.png",
            caption="../report/captions/accuracy_vs_scale.rst",
            category=figure_category("accuracy_vs_scale"),
            labels=figure_labels("accuracy_vs_scale"),
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
    localrule: True
    input:
        layers="results/layers.parquet",
    output:
        report(
            "results/figures/depth_signal.png",
            caption="../report/captions/depth_signal.rst",
            category=figure_category("depth_signal"),
            labels=figure_labels("depth_signal"),
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
    localrule: True
    input:
        measures="results/measures/L13.parquet",
        metrics="results/metrics.parquet",
    output:
        report(
            "results/figures/depth_accuracy.png",
            caption="../report/captions/depth_accuracy.rst",
            category=figure_category("depth_accuracy"),
            labels=figure_labels("depth_accuracy"),
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
    localrule: True
    input:
        measures="results/measures/L14.parquet",
    output:
        report(
            "results/figures/best_scale.png",
            caption="../report/captions/best_scale.rst",
            category=figure_category("best_scale"),
            labels=figure_labels("best_scale"),
        ),
    log:
        "logs/figures/best_scale.log",
    benchmark:
        "results/benchmarks/plot_best_scale.tsv"
    conda:
        CONDA_ENV
    params:
        metric=FIGURE_BEST_METRIC,
        limits=[_CLAIM_RULES["L14"]["large_deep"], _CLAIM_RULES["L14"]["large_everywhere"]],
        margin=_CLAIM_RULES["L14"]["margin"],
    script:
        "../scripts/plot_best_scale.py"




# --- Beyond the lecture (B01-B04): one rule, script and caption per figure, as above. Rule
# parameters come from the B rules of config/claims.yaml, so a figure shows what its verdict uses.
_B02 = _CLAIM_RULES["B02"]
_B03 = _CLAIM_RULES["B03"]
_B04 = _CLAIM_RULES["B04"]
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
    localrule: True
    input:
        metrics="results/metrics.parquet",
        datasets=expand(
            "results/datasets/{dataset}.parquet", dataset=_CONSTANT_DATASETS
        ),
    output:
        report(
            "results/figures/constant_inits.png",
            caption="../report/captions/constant_inits.rst",
            category=figure_category("constant_inits"),
            labels=figure_labels("constant_inits"),
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
    localrule: True
    input:
        layers="results/layers.parquet",
        metrics="results/metrics.parquet",
        params="results/params.parquet",
    output:
        report(
            "results/figures/bias_only.png",
            caption="../report/captions/bias_only.rst",
            category=figure_category("bias_only"),
            labels=figure_labels("bias_only"),
        ),
    log:
        "logs/figures/bias_only.log",
    benchmark:
        "results/benchmarks/plot_bias_only.tsv"
    conda:
        CONDA_ENV
    params:
        metric=_B02["metric"],
        reference=(_B02["reference_init"], _B02["reference_scale"]),
        reference_bias=_B02["reference_bias"],
    script:
        "../scripts/plot_bias_only.py"


rule plot_edge_of_chaos:
    localrule: True
    input:
        layers="results/layers.parquet",
        measures="results/measures/B03.parquet",
    output:
        report(
            "results/figures/edge_of_chaos.png",
            caption="../report/captions/edge_of_chaos.rst",
            category=figure_category("edge_of_chaos"),
            labels=figure_labels("edge_of_chaos"),
        ),
    log:
        "logs/figures/edge_of_chaos.log",
    benchmark:
        "results/benchmarks/plot_edge_of_chaos.tsv"
    conda:
        CONDA_ENV
    params:
        signal_experiment=_B03["signal_experiment"],
        init=_B03["init"],
        critical=_B03["critical"],
        factor=_B03["factor"],
        metric=_B03["metric"],
    script:
        "../scripts/plot_edge_of_chaos.py"


rule plot_glorot_histograms:
    localrule: True
    input:
        layers="results/layers.parquet",
        dataset=f"results/datasets/{_GLOROT_DATASET}.parquet",
    output:
        report(
            "results/figures/glorot_histograms.png",
            caption="../report/captions/glorot_histograms.rst",
            category=figure_category("glorot_histograms"),
            labels=figure_labels("glorot_histograms"),
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
    localrule: True
    input:
        measures="results/measures/B04.parquet",
    output:
        report(
            "results/figures/init_families.png",
            caption="../report/captions/init_families.rst",
            category=figure_category("init_families"),
            labels=figure_labels("init_families"),
        ),
    log:
        "logs/figures/init_families.log",
    benchmark:
        "results/benchmarks/plot_init_families.tsv"
    conda:
        CONDA_ENV
    params:
        shallow_inits=_B04["shallow_inits"],
        metric=_B04["metric"],
        margin=_B04["margin"],
        statistic=_B04["statistic"],
        interval=_B04["interval"],
        deep_inits=_B04["deep_inits"],
        deep_scales=_B04["deep_scales"],
        deep_metric=_B04["deep_metric"],
    script:
        "../scripts/plot_init_families.py"


rule plot_course:
    localrule: True
    input:
        course=rules.compare_course.output.course,
        seeds=rules.compare_course.output.seeds,
    output:
        report(
            "results/figures/course.png",
            caption="../report/captions/course.rst",
            category=figure_category("course"),
            labels=figure_labels("course"),
        ),
    log:
        "logs/figures/course.log",
    benchmark:
        "results/benchmarks/plot_course.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_course.py"


FINAL_TARGETS.extend(f"results/figures/{name}.png" for name in FIGURES)
