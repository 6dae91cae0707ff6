# Report stage: report/index.html, the study's self-contained HTML report, and the `report` target.
#
#   snakemake --cores all report     figures and report from existing results (never retrains)
#
# The report shows every figure that config/claims.yaml lists under a claim's `figures`, plus
# `datasets` (Methods) and `course` (the course's own numbers). The template and the captions are
# inputs, so editing them re-renders.
import os

from initstudy.report import figure_names

REPORT_FIGURES = figure_names(CLAIMS["claims"], extra=("datasets", "course"))


localrules:
    render_report,
    report,


rule render_report:
    input:
        claims=rules.evaluate_claims.output.claims,
        measures=rules.evaluate_claims.output.measures,
        claims_spec=CLAIMS_FILE,
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
        configfiles=[os.path.relpath(f) for f in workflow.configfiles],  # which config produced the report
    conda:
        CONDA_ENV
    script:
        "../scripts/render_report.py"


rule report:
    input:
        rules.render_report.output,


FINAL_TARGETS.append("report/index.html")
