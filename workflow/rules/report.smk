# Report stage: report/index.html, the study's self-contained HTML report, and the `report` target.
#
#   snakemake --cores all report     figures and report from existing results (never retrains)
#
# The report shows every figure that config/claims.yaml lists under a claim's `figures`, plus
# `datasets` (Methods) and `course` (the course's own numbers). The template and the captions
# are inputs, so editing them re-renders.
import os

import yaml

from initstudy.report import claim_specs, figure_names

CLAIMS_SPEC = "config/claims.yaml"
if os.path.exists(CLAIMS_SPEC):
    with open(CLAIMS_SPEC) as _fh:
        REPORT_FIGURES = figure_names(
            claim_specs(yaml.safe_load(_fh)), extra=("datasets", "course")
        )
else:  # render_report then fails with a missing-input error that names the file
    REPORT_FIGURES = figure_names({}, extra=("datasets", "course"))


localrules:
    render_report,
    report,


rule render_report:
    input:
        claims="results/claims.parquet",
        claims_spec=CLAIMS_SPEC,
        config="results/config.yaml",
        metrics="results/metrics.parquet",
        course=rules.compare_course.output.course,
        template="workflow/report/template.html.j2",
        figures=expand("results/figures/{name}.png", name=REPORT_FIGURES),
        captions=expand("workflow/report/captions/{name}.rst", name=REPORT_FIGURES),
    output:
        "report/index.html",
    log:
        "logs/render_report.log",
    params:
        benchmarks_dir="results/benchmarks",
    conda:
        CONDA_ENV
    script:
        "../scripts/render_report.py"


rule report:
    input:
        rules.render_report.output,


FINAL_TARGETS.append("report/index.html")
