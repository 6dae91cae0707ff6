# initstudy: why must weights start random, and how large? Every lecture claim, measured.
#
# results/ path scheme (logs/ mirrors it):
#   results/config.yaml                                 the validated config as run (defaults filled in)
#   results/datasets/{dataset}.parquet                  x1, x2, y, split
#   results/train/{experiment}/{shard}.*.parquet        one training job (a shard of runs): metrics, layers, params
#   results/{metrics,layers,params}.parquet             every run, aggregated (schemas: src/initstudy/schemas/)
#   results/claims.parquet                              one row per claim: verdict, deciding number, interval
#   results/measures/{claim}.parquet                    what each claim's verdict was computed from
#   results/figures/{name}.png                          one figure per name of initstudy.catalog.FIGURES
#   results/benchmarks/{rule}.tsv, .../{rule}/...tsv    runtime and memory of each job
#   report/index.html                                   the report
#   results/course.parquet, results/course_seeds.parquet the course notebooks' printed numbers beside our runs
from snakemake.utils import min_version

min_version("9.0")


# The default study, unless a --configfile is given: that file then replaces it whole (Snakemake
# would otherwise merge the two, and experiments of the default study would leak into a small one).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"



include: "workflow/rules/common.smk"


wildcard_constraints:
    dataset=NAME,
    experiment=NAME,
    shard=r"[0-9]{4}",


include: "workflow/rules/datasets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/course.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


localrules:
    all,
    aggregate_metrics,
    save_config,


rule all:
    default_target: True
    input:
        rules.save_config.output,
        rules.aggregate_metrics.output,
        FINAL_TARGETS,
