# Course stage: the numbers the course's notebooks print (config key `course`) beside our runs drawn
# the notebooks' way and our own seeds; the notebooks' own arithmetic is re-run here for comparison.
COURSE_EXPERIMENTS = sorted(
    {n["experiment"] for n in config["course"]["numbers"]}
)
COURSE_DATASETS = sorted(
    {ds for name in COURSE_EXPERIMENTS for ds in config["experiments"][name]["datasets"]}
)


rule compare_course:
    localrule: True
    input:
        metrics=rules.aggregate_metrics.output.metrics,
        datasets=expand("results/datasets/{dataset}.parquet", dataset=COURSE_DATASETS),
    output:
        course="results/course.parquet",
        seeds="results/course_seeds.parquet",
    log:
        "logs/compare_course.log",
    benchmark:
        "results/benchmarks/compare_course.tsv"
    priority: AHEAD  # it re-runs the notebooks' arithmetic (~15 s), and plot_course and the report wait for it
    params:
        course=config["course"],
        layouts=course_layouts(COURSE_EXPERIMENTS),
    conda:
        CONDA_ENV
    script:
        "../scripts/compare_course.py"


FINAL_TARGETS.append(rules.compare_course.output.course)
