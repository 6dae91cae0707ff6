"""The figures of the study, in report order: the one list that the figure rules' targets, the claims
schema's figure names (checked by :mod:`initstudy.claims.loader`) and the captions follow from.

A figure ``name`` is made by rule ``plot_<name>`` (workflow/rules/figures.smk) running
workflow/scripts/plot_<name>.py, writes results/figures/<name>.png and has the caption
workflow/report/captions/<name>.rst; tests/test_figures.py checks that all four exist for every name.
"""

FIGURES: dict[str, str] = {
    "datasets": "Methods",
    "logistic": "L01",
    "symmetry_gaps": "L02 L03 L04 B01",
    "width_accuracy": "L05",
    "decision_boundaries": "L06",
    "bias_init": "L07",
    "saturation": "L08",
    "learning_curves": "L09",
    "iterations_to_target": "L09",
    "relu_slowdown": "L10",
    "relu_scale": "L11",
    "accuracy_vs_scale": "L12",
    "depth_signal": "L13",
    "depth_accuracy": "L13",
    "best_scale": "L14",
    "constant_inits": "B01",
    "bias_only": "B02",
    "edge_of_chaos": "B03",
    "glorot_histograms": "B03",
    "init_families": "B04",
    "course": "Course",
}
"""Figure name -> the claims (or report section) it illustrates."""


def figure_labels(name: str) -> dict:
    """The ``report()`` labels of a figure's output (snakemake --report)."""
    return {"figure": name, "claims": FIGURES[name]}


def figure_category(name: str) -> str:
    """The ``report()`` category of a figure: its first claim."""
    return FIGURES[name].split()[0]
