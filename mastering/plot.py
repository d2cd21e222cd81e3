"""One PNG of an analysis: band balance against the genre, and loudness over time. No Django imports.

matplotlib is used only through its object API (``matplotlib.figure.Figure`` drawn by
``FigureCanvasAgg``), never ``pyplot``: pyplot keeps global state (the current figure, the
interactive backend) that is neither thread-safe nor headless, while a Figure with its own Agg
canvas is an ordinary object that a request thread creates, draws and drops.

The figure is 10 x 7 inches at 100 dpi, so 1000 x 700 pixels, with two panels:

* Band balance: each band's ``energy_share`` (the fraction of the mix's energy in it) as a bar,
  in percent, and the genre's references as a marker at their mean share with an error bar of
  one standard deviation either side. Without a genre target the panel says so. A band
  without a share (``None``) has no bar.
* Loudness over time: momentary (400 ms) and short-term (3 s) loudness, one point every
  ``interval_seconds``, with a gap wherever a value is ``None`` (below the meter's floor or not
  measured), and a dashed line at the integrated loudness when there is one. Without any
  values the panel says so.

``metadata={"Software": None}`` leaves matplotlib's version out of the file, so the same input
gives the same bytes whatever matplotlib wrote it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 7.0, 100
NO_TARGET = "no references for this genre"
NO_BANDS = "no band measurements"
NO_LOUDNESS = "no loudness measurements"
LOUDNESS_FLOOR_LUFS = -60.0  # the y axis never reaches below this (silence would flatten the plot)


def render_png(
    *,
    bands: list[dict],
    genre_target: dict | None,
    loudness_series: dict,
    integrated_lufs: float | None,
    title: str,
) -> bytes:
    """The two-panel figure as PNG bytes (1000 x 700 pixels)."""
    figure = build_figure(
        bands=bands,
        genre_target=genre_target,
        loudness_series=loudness_series,
        integrated_lufs=integrated_lufs,
        title=title,
    )
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def build_figure(
    *,
    bands: list[dict],
    genre_target: dict | None,
    loudness_series: dict,
    integrated_lufs: float | None,
    title: str,
) -> Figure:
    """The figure :func:`render_png` draws, for callers that want another format or to inspect it."""
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title, parse_math=False)  # a file name is text: "$...$" must not reach mathtext
    band_axes, loudness_axes = figure.subplots(2, 1, height_ratios=(1, 1))
    _band_panel(band_axes, bands, genre_target)
    _loudness_panel(loudness_axes, loudness_series, integrated_lufs)
    return figure


def _number(value) -> float:
    """A float for plotting: None, non-numbers and infinities become NaN (a gap, no bar)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value) if math.isfinite(value) else math.nan


def _band_panel(axes, bands: list[dict], genre_target: dict | None) -> None:
    names = [str(band.get("band", "")) for band in bands]
    positions = list(range(len(names)))
    shares = [100 * _number(band.get("energy_share")) for band in bands]
    axes.set_title("Band balance")
    axes.set_ylabel("Share of energy (%)")
    if not names:
        axes.set_xticks([])
        axes.set_ylim(0, 100)
        axes.text(0.5, 0.5, NO_BANDS, transform=axes.transAxes, ha="center", va="center", color="0.4")
        return
    axes.bar(positions, shares, width=0.6, color="#4c78a8", label="This mix")
    for position, share in zip(positions, shares, strict=True):
        if math.isnan(share):
            axes.annotate("n/a", (position, 0), xytext=(0, 4), textcoords="offset points", ha="center", color="0.4")
    axes.set_xticks(positions, names)
    axes.set_xlim(-0.6, len(names) - 0.4)

    target_rows = [(position, (genre_target or {}).get(name)) for position, name in zip(positions, names, strict=True)]
    target_rows = [(position, target) for position, target in target_rows if isinstance(target, dict)]
    if target_rows:
        axes.errorbar(
            [position for position, _ in target_rows],
            [100 * _number(target.get("mean")) for _, target in target_rows],
            yerr=[100 * abs(_number(target.get("std"))) for _, target in target_rows],
            fmt="D",
            color="#e45756",
            ecolor="#e45756",
            capsize=6,
            markersize=7,
            label="Genre references (mean ± std)",
        )
        axes.legend(loc="upper right")
    else:
        axes.text(0.99, 0.95, NO_TARGET, transform=axes.transAxes, ha="right", va="top", color="0.4")
    axes.set_ylim(bottom=0)


def _loudness_panel(axes, series: dict, integrated_lufs: float | None) -> None:
    interval = _number(series.get("interval_seconds"))
    if not interval > 0:
        interval = 1.0
    axes.set_title("Loudness over time")
    axes.set_xlabel("Time (s)")
    axes.set_ylabel("LUFS")
    plotted, points = [], 0
    for key, label, style in (
        ("momentary", "Momentary (400 ms)", {"color": "#9ecae9", "linewidth": 1.0}),
        ("short_term", "Short-term (3 s)", {"color": "#1f4e79", "linewidth": 1.8}),
    ):
        values = [_number(value) for value in _sequence(series.get(key))]
        axes.plot([index * interval for index in range(len(values))], values, label=label, **style)
        plotted += [value for value in values if not math.isnan(value)]
        points = max(points, len(values))
    axes.set_xlim(0, max(points - 1, 1) * interval)

    integrated = _number(integrated_lufs)
    if not math.isnan(integrated):
        label = f"Integrated {integrated:.1f} LUFS"
        axes.axhline(integrated, color="#e45756", linestyle="--", linewidth=1.2, label=label)
        plotted.append(integrated)
    if plotted:
        low, high = max(min(plotted), LOUDNESS_FLOOR_LUFS), max(plotted)
        low = min(low, high)
        axes.set_ylim(low - 3, high + 3)
        axes.legend(loc="lower right")
    else:
        axes.set_ylim(LOUDNESS_FLOOR_LUFS, 0)
        axes.text(0.5, 0.5, NO_LOUDNESS, transform=axes.transAxes, ha="center", va="center", color="0.4")
    axes.grid(True, alpha=0.3)


def _sequence(value) -> Sequence:
    return value if isinstance(value, list | tuple) else []
