"""The shared look of every figure: theme, palettes, axis helpers and byte-reproducible PNG files.

Every figure script draws inside ``with style():`` (a readable seaborn theme sized for the report,
which shows figures about 900 px wide: a figure is ``WIDTH`` inches at ``DPI``, so 1200 px, and
fonts are chosen to stay legible when scaled down) and ends with :func:`save`, which writes the PNG
atomically with no metadata that changes between runs, so the same tables give the same bytes.

Colours mean the same thing in every figure: one colour per init scheme (:data:`INIT_COLORS`,
several scales of one scheme in shades of it), one per hidden activation (:data:`ACT_COLORS`), one
per class (:data:`CLASS_COLORS`); diverged runs are drawn with :data:`DIVERGED_MARKER`.

Helpers for the study's recurring cases: the final and initial rows of a run
(:func:`final_rows`, :func:`at_init`), seed spread (:func:`spread`), an iteration axis that
shows iteration 0 (:func:`iteration_axis`), a log axis that shows exact zeros at a labelled floor
(:func:`zero_floor`, :func:`zero_axis`), and figures for missing data (:func:`empty_figure`,
:func:`note`).
"""

from __future__ import annotations

import colorsys
import logging
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker

from .tables import write_atomic

DPI = 150
WIDTH = 8.0  # inches: 1200 px at DPI, shown about 900 px wide in the report

INIT_COLORS = {
    "zeros": "#222222",
    "constant": "#AA3377",
    "normal": "#4477AA",
    "uniform": "#66CCEE",
    "lecun_normal": "#CCBB44",
    "xavier_normal": "#228833",
    "xavier_uniform": "#88BB55",
    "he_normal": "#EE6677",
    "orthogonal": "#997700",
}
"""Init scheme -> colour (several scales of one scheme get shades of it: :func:`init_palette`)."""

INIT_NAMES = {
    "zeros": "zeros",
    "constant": "constant",
    "normal": "normal",
    "uniform": "uniform",
    "lecun_normal": "LeCun normal",
    "xavier_normal": "Xavier normal",
    "xavier_uniform": "Xavier uniform",
    "he_normal": "He normal",
    "orthogonal": "orthogonal",
}

ACT_COLORS = {"tanh": "#CC3311", "sigmoid": "#EE7733", "relu": "#0077BB", "linear": "#777777"}
"""Hidden activation -> colour."""

ACT_ORDER = ["tanh", "sigmoid", "relu", "linear"]
INIT_ORDER = list(INIT_COLORS)
CLASS_COLORS = {0: "#4477AA", 1: "#EE6677"}
"""Class label -> colour (matches the blue-red colormap of decision regions)."""

DIVERGED_MARKER = {"marker": "X", "s": 46, "color": "black", "linewidths": 0.6, "edgecolors": "white", "zorder": 6}
"""Scatter style of a diverged run (or of a setting where some runs diverged)."""

SCALE_CMAP = "viridis"

SEABORN_THEME = {
    "figure.facecolor": "white", "axes.labelcolor": ".15", "xtick.direction": "out", "ytick.direction": "out",
    "xtick.color": ".15", "ytick.color": ".15", "axes.axisbelow": True, "grid.linestyle": "-", "text.color": ".15",
    "font.family": ["sans-serif"], "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True, "xtick.top": False,
    "ytick.right": False, "axes.grid": True, "axes.facecolor": "white", "axes.edgecolor": ".8", "grid.color": ".8",
    "axes.spines.left": True, "axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True,
    "xtick.bottom": False, "ytick.left": False,
    "axes.linewidth": 1.0, "grid.linewidth": 0.8, "lines.linewidth": 1.2000000000000002, "lines.markersize": 4.800000000000001,
    "patch.linewidth": 0.8, "xtick.major.width": 1.0, "ytick.major.width": 1.0, "xtick.minor.width": 0.8,
    "ytick.minor.width": 0.8, "xtick.major.size": 4.800000000000001, "ytick.major.size": 4.800000000000001,
    "xtick.minor.size": 3.2, "ytick.minor.size": 3.2, "font.size": 9.600000000000001, "axes.labelsize": 9.600000000000001,
    "axes.titlesize": 9.600000000000001, "xtick.labelsize": 8.8, "ytick.labelsize": 8.8, "legend.fontsize": 8.8,
    "legend.title_fontsize": 9.600000000000001,
}  # fmt: skip
"""seaborn's ``axes_style("whitegrid")`` and ``plotting_context("paper")`` (seaborn 0.13.2) as data, less the
default colormap (every figure names its own). Most figures draw with matplotlib alone in seaborn's theme;
with the theme as data their jobs do not import seaborn (and scipy.stats under it: 1.5-2 s of a 5 s job).
The few that call seaborn get it as ``F.sns``. ``tests/test_figures.py`` checks this against seaborn."""

_RC = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 11.5,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "axes.titlepad": 4.0,
    "legend.frameon": False,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.constrained_layout.use": True,
    "svg.hashsalt": "initstudy",
    "path.simplify": True,
}


def __getattr__(name: str):
    """``F.sns``: seaborn, imported on first use (see :data:`SEABORN_THEME`)."""
    if name == "sns":
        import seaborn

        return seaborn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def with_lightness(color, lightness: float) -> tuple[float, float, float]:
    """``color`` with its HLS lightness set to ``lightness`` (seaborn's ``set_hls_values(color, l=...)``)."""
    h, _, s = colorsys.rgb_to_hls(*matplotlib.colors.to_rgb(color))
    return colorsys.hls_to_rgb(h, lightness, s)


@contextmanager
def style():
    """The study's theme, for the duration of a ``with`` block (no global state is left behind)."""
    rc = {**SEABORN_THEME, **_RC}
    with plt.rc_context(rc):
        yield


def save(fig, path: Path | str) -> None:
    """Write ``fig`` as PNG at :data:`DPI`, atomically and byte-reproducibly, then close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None}))
    w, h = fig.get_size_inches() * DPI
    plt.close(fig)
    logging.getLogger("initstudy.figures").info("wrote %s (%d x %d px)", path, round(w), round(h))


def panels(n: int, ncols: int = 3, height: float = 2.6, width: float = WIDTH, sharex=False, sharey=False):
    """A figure of ``n`` panels on a grid of ``ncols`` columns; unused cells are hidden. Returns (fig, axes)."""
    n = max(int(n), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows + 0.4), squeeze=False, sharex=sharex, sharey=sharey)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def empty_figure(title: str, message: str, width: float = WIDTH, height: float = 2.2):
    """A figure that only says why there is nothing to draw (the rule still gets its output)."""
    fig = plt.figure(figsize=(width, height))
    fig.suptitle(title)
    fig.text(0.5, 0.45, message, ha="center", va="center", wrap=True, color="#555555", fontsize=11)
    return fig


def note(fig, text: str) -> None:
    """A small grey note under the panels (e.g. what is missing from the config)."""
    if text:
        fig.supxlabel(text, fontsize=8.5, color="#666666", style="italic")


def init_label(scheme: str, scale: float) -> str:
    """``"zeros"``, ``"normal 0.01"``, ``"constant 0.5"``, ``"Xavier normal"`` (a gain of 1 is not shown)."""
    name = INIT_NAMES.get(scheme, scheme)
    if scheme == "zeros":
        return name
    if scheme in ("xavier_normal", "xavier_uniform", "he_normal", "orthogonal", "lecun_normal") and scale == 1.0:
        return name
    gain = " gain " if scheme in ("xavier_normal", "xavier_uniform", "he_normal", "orthogonal") else " "
    return f"{name}{gain}{scale:g}"


def init_order_key(scheme: str, scale: float) -> tuple:
    return (INIT_ORDER.index(scheme) if scheme in INIT_ORDER else len(INIT_ORDER), scheme, scale)


def init_palette(pairs) -> dict[str, str]:
    """``{init_label: colour}`` for (scheme, scale) pairs: one hue per scheme, shades for its scales."""
    pairs = sorted({(str(s), float(c)) for s, c in pairs}, key=lambda p: init_order_key(*p))
    out = {}
    for scheme in dict.fromkeys(s for s, _ in pairs):
        scales = [c for s, c in pairs if s == scheme]
        base = INIT_COLORS.get(scheme, "#555555")
        if len(scales) == 1:
            shades = [base]
        else:  # small scales light, large scales dark
            shades = [matplotlib.colors.to_hex(with_lightness(base, v)) for v in np.linspace(0.72, 0.38, len(scales))]
        for scale, colour in zip(scales, shades):
            out[init_label(scheme, scale)] = colour
    return out


def add_init_label(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with an ``init_label`` column (see :func:`init_label`), computed per distinct pair."""
    pairs = df[["init", "scale"]].drop_duplicates()
    labels = {(s, c): init_label(s, c) for s, c in pairs.itertuples(index=False)}
    return df.assign(init_label=[labels[k] for k in zip(df["init"], df["scale"])])


def ordered(values, order) -> list:
    """Distinct ``values`` in the order of ``order`` (unknown ones last, sorted)."""
    vals = list(dict.fromkeys(values))
    known = [v for v in order if v in vals]
    return known + sorted(v for v in vals if v not in order)


def final_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The last logged iteration of every run (``iteration == iterations``)."""
    return df[df["iteration"] == df["iterations"]]


def at_init(df: pd.DataFrame) -> pd.DataFrame:
    """The rows measured at initialisation (``iteration == 0``)."""
    return df[df["iteration"] == 0]


def spread(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Seed spread of ``value`` per group: median, lo (min), hi (max), n (runs)."""
    g = df.groupby(by, sort=True, observed=True)[value]
    return g.agg(median="median", lo="min", hi="max", n="size").reset_index()


def iteration_axis(ax, label: str = "iteration (gradient-descent steps)") -> None:
    """A log-like x axis that also shows iteration 0 (symlog, linear below 1)."""
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.4)
    ax.set_xlim(left=0)
    ax.xaxis.set_major_locator(ticker.SymmetricalLogLocator(base=10, linthresh=1.0, subs=[1.0]))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xlabel(label)


def scale_axis(ax, label: str = "init scale (weight std)") -> None:
    """A log x axis for init scales, labelled in plain numbers where they are short."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(ticker.LogLocator(base=10, numticks=12))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(_short_number))
    ax.set_xlabel(label)


def _short_number(x, pos=None) -> str:
    if x <= 0:
        return "0"
    if 1e-2 <= x <= 1e3:
        return f"{x:g}"
    return f"$10^{{{round(np.log10(x))}}}$"


def zero_floor(values, floor: float) -> np.ndarray:
    """``values`` with every value <= 0 replaced by ``floor`` (drawn as 'exactly 0' by :func:`zero_axis`)."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, floor)


def floor_below(values, decades: int = 2, cap: float = 1e-17) -> float:
    """A floor for exact zeros on a log axis: ``decades`` below the smallest positive value, at most ``cap``."""
    v = np.asarray(values, dtype=float)
    pos = v[v > 0]
    low = pos.min() if len(pos) else cap
    return float(min(10.0 ** (np.floor(np.log10(low)) - decades), cap))


def zero_axis(ax, floor: float, top: float | None = None, label: str = "exactly 0") -> None:
    """Log y axis whose lowest tick is ``floor``, labelled ``0``, with a grey band marking exact zeros."""
    ax.set_yscale("log")
    top = top if top is not None else max(ax.get_ylim()[1], floor * 1e4)
    lo_dec, hi_dec = int(np.floor(np.log10(floor))), int(np.ceil(np.log10(top)))
    ax.set_ylim(floor / 4, 10.0**hi_dec)
    step = max(1, int(np.ceil((hi_dec - lo_dec) / 6)))
    ticks = [floor] + [10.0**k for k in range(hi_dec, lo_dec, -step) if 10.0**k > floor * 50][::-1]
    ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
    ax.yaxis.set_minor_locator(ticker.NullLocator())
    ax.yaxis.set_major_formatter(
        ticker.FuncFormatter(lambda y, pos: "0" if abs(y / floor - 1) < 1e-6 else f"$10^{{{round(np.log10(y))}}}$")
    )
    ax.axhspan(floor / 4, floor * 4, color="#dddddd", zorder=0, lw=0)
    ax.text(0.99, floor * 1.6, label, transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=8, color="#555555")


def legend_above(fig, handles, labels, title: str | None = None, ncol: int | None = None) -> None:
    """One legend for the whole figure, above the panels (never over data)."""
    if not handles:
        return
    fig.legend(handles, labels, loc="outside upper center", ncol=ncol or min(len(labels), 6), title=title, frameon=False)


def band(ax, x, lo, hi, color, alpha: float = 0.18) -> None:
    ax.fill_between(x, lo, hi, color=color, alpha=alpha, lw=0)


def scale_colors(scales) -> dict[float, tuple]:
    """Init scale -> colour on :data:`SCALE_CMAP`, log-spaced."""
    s = sorted({float(v) for v in scales})
    cmap = plt.get_cmap(SCALE_CMAP)
    if len(s) == 1:
        return {s[0]: cmap(0.4)}
    logs = np.log10(s)
    t = (logs - logs.min()) / (logs.max() - logs.min())
    return {v: cmap(0.92 * ti) for v, ti in zip(s, t)}


def first_diverged(df: pd.DataFrame, run_key: list[str]) -> pd.DataFrame:
    """For every run that diverged: its first logged row flagged ``diverged`` (one row per run)."""
    d = df[df["diverged"]]
    if d.empty:
        return d
    return d.sort_values("iteration", kind="stable").groupby(run_key, sort=False, observed=True).head(1)


def mark_diverged(ax, x, y, label: bool = True) -> bool:
    """Draw diverged runs (or settings) at ``(x, y)`` with :data:`DIVERGED_MARKER`; True if any.

    A run with no finite value (NaN ``y``: not finite at initialisation) is drawn on the bottom edge
    of the axes, so it is seen, not dropped.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) == 0:
        return False
    ok = ~np.isnan(y)
    ax.scatter(x[ok], y[ok], label="diverged" if label else None, **DIVERGED_MARKER)
    if not ok.all():
        ax.scatter(x[~ok], np.full((~ok).sum(), 0.02), transform=ax.get_xaxis_transform(), clip_on=False, **DIVERGED_MARKER)
    return True


def diverged_handle():
    """A legend handle for :data:`DIVERGED_MARKER`."""
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="", marker="X", markersize=7, color="black", markeredgecolor="white")


def line_handle(color, ls="-", marker=None, lw=1.8):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, ls=ls, marker=marker, lw=lw)


def init_style(label: str) -> dict:
    """Line style of an init label: symmetric inits dashed and drawn on top, so equal curves stay visible."""
    if label == "zeros" or label.startswith("constant"):
        return {"ls": (0, (4, 2)), "zorder": 4, "lw": 1.7}
    return {"ls": "-", "zorder": 3, "lw": 1.8}


def missing(experiments: list[str], present) -> str:
    """A note naming the experiments that have no runs in the tables (not in this config)."""
    gone = [e for e in experiments if e not in set(present)]
    return f"No runs of experiment {', '.join(repr(e) for e in gone)} in the tables (not in this config)." if gone else ""


def _plain(y: float) -> str:
    if y <= 0:
        return "0"
    if 1e-3 <= y < 1e4:
        return f"{y:g}"
    k = np.log10(y)
    return f"$10^{{{round(k)}}}$" if abs(k - round(k)) < 1e-9 else f"{y:.0e}"


def _leading_digit(y: float) -> int:
    return int(np.round(y / 10.0 ** np.floor(np.log10(y) + 1e-9)))


def readable_log_y(ax) -> None:
    """Label a log y axis in plain numbers (0.3, 1, 100); when it spans under ~1.5 decades, label 2, 3 and 5 too.

    Call after everything is drawn (it reads the final limits).
    """
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda y, pos: _plain(y)))
    lo, hi = ax.get_ylim()
    if lo > 0 and np.log10(hi / lo) < 1.5:
        ax.yaxis.set_minor_formatter(ticker.FuncFormatter(lambda y, pos: _plain(y) if _leading_digit(y) in (2, 3, 5) else ""))
    else:
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
