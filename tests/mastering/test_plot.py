"""mastering.plot: a valid 1000 x 700 PNG for full, target-less and empty inputs, drawing what it is given.

The PNG is checked by Pillow (not matplotlib), the drawing through the figure's artists against
the input numbers.
"""

import io
import math
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle
from PIL import Image

from mastering import plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BANDS = [
    {"band": "low", "energy_share": 0.40},
    {"band": "low_mid", "energy_share": 0.20},
    {"band": "mid", "energy_share": 0.25},
    {"band": "high_mid", "energy_share": 0.10},
    {"band": "high", "energy_share": 0.05},
]
TARGET = {
    "low": {"mean": 0.35, "std": 0.05},
    "low_mid": {"mean": 0.18, "std": 0.03},
    "mid": {"mean": 0.27, "std": 0.04},
    "high_mid": {"mean": 0.12, "std": 0.02},
    "high": {"mean": 0.08, "std": 0.01},
}
SERIES = {
    "interval_seconds": 0.5,
    "momentary": [-9.0, None, -7.5, -8.0, None, None, -6.0, -8.5],
    "short_term": [None, None, -8.2, -8.0, -7.9, -8.1, -7.7, -8.0],
}
FULL = {"bands": BANDS, "genre_target": TARGET, "loudness_series": SERIES, "integrated_lufs": -8.2, "title": "mix"}


def decoded(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    Image.open(io.BytesIO(png)).verify()  # the whole file: chunks and their CRCs
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def texts(axes) -> list[str]:
    return [text.get_text() for text in axes.texts]


def test_full_input_is_a_1000_by_700_png():
    image = decoded(plot.render_png(**FULL))
    assert image.format == "PNG"
    assert image.size == (1000, 700)


def test_without_genre_target_the_png_is_valid_and_says_there_are_no_references():
    for target in (None, {}, {"other": {"mean": 0.5, "std": 0.1}}):
        inputs = {**FULL, "genre_target": target}
        assert decoded(plot.render_png(**inputs)).size == (1000, 700)
        band_axes, _ = plot.build_figure(**inputs).axes
        assert plot.NO_TARGET in texts(band_axes)
    band_axes, _ = plot.build_figure(**FULL).axes
    assert plot.NO_TARGET not in texts(band_axes)


def test_all_none_and_empty_series_give_a_valid_png_with_no_lines_drawn():
    all_none = {"interval_seconds": 1.0, "momentary": [None] * 12, "short_term": [None] * 12}
    for series in (all_none, {}):
        inputs = {**FULL, "loudness_series": series, "integrated_lufs": None}
        assert decoded(plot.render_png(**inputs)).size == (1000, 700)
        _, loudness_axes = plot.build_figure(**inputs).axes
        assert all(np.isnan(line.get_ydata()).all() for line in loudness_axes.lines)
        assert plot.NO_LOUDNESS in texts(loudness_axes)
    empty = {"bands": [], "genre_target": None, "loudness_series": {}, "integrated_lufs": None, "title": ""}
    assert decoded(plot.render_png(**empty)).size == (1000, 700)


def test_bars_are_the_shares_and_markers_the_genre_means_with_their_std():
    band_axes, _ = plot.build_figure(**FULL).axes
    bars = [patch for patch in band_axes.patches if isinstance(patch, Rectangle)]
    assert [round(bar.get_height(), 6) for bar in bars] == [40.0, 20.0, 25.0, 10.0, 5.0]  # percent
    assert [label.get_text() for label in band_axes.get_xticklabels()] == [band["band"] for band in BANDS]

    (markers,) = [line for line in band_axes.lines if line.get_marker() == "D"]
    assert list(markers.get_ydata()) == [35.0, 18.0, 27.0, 12.0, 8.0]
    (error_bars,) = [c for c in band_axes.collections if isinstance(c, LineCollection)]
    spans = sorted((round(seg[0][1], 6), round(seg[1][1], 6)) for seg in error_bars.get_segments())
    assert spans == sorted([(30.0, 40.0), (15.0, 21.0), (23.0, 31.0), (10.0, 14.0), (7.0, 9.0)])  # mean -/+ std


def test_a_band_without_share_or_target_has_no_bar_or_marker():
    bands = [*BANDS[:4], {"band": "high", "energy_share": None}]
    target = {name: stats for name, stats in TARGET.items() if name != "mid"}
    band_axes, _ = plot.build_figure(**{**FULL, "bands": bands, "genre_target": target}).axes
    heights = [bar.get_height() for bar in band_axes.patches if isinstance(bar, Rectangle)]
    assert heights[:4] == [40.0, 20.0, 25.0, 10.0] and math.isnan(heights[4])
    (markers,) = [line for line in band_axes.lines if line.get_marker() == "D"]
    assert list(markers.get_xdata()) == [0, 1, 3, 4]  # no marker over "mid"


def test_loudness_lines_have_gaps_for_none_and_the_integrated_line_its_value():
    _, loudness_axes = plot.build_figure(**FULL).axes
    by_label = {line.get_label(): line for line in loudness_axes.lines}
    momentary = by_label["Momentary (400 ms)"]
    assert list(momentary.get_xdata()) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    expected = [math.nan if value is None else value for value in SERIES["momentary"]]
    np.testing.assert_array_equal(momentary.get_ydata(), expected)  # NaN where None: a gap
    integrated = by_label["Integrated -8.2 LUFS"]
    assert list(integrated.get_ydata()) == [-8.2, -8.2]

    _, without = plot.build_figure(**{**FULL, "integrated_lufs": None}).axes
    assert not [line for line in without.lines if line.get_label().startswith("Integrated")]


def test_plots_drawn_at_once_in_threads_are_the_same_png():
    alone = plot.render_png(**FULL)
    start = threading.Barrier(4)

    def draw(_):
        start.wait()
        return plot.render_png(**FULL)

    with ThreadPoolExecutor(max_workers=4) as pool:
        pngs = list(pool.map(draw, range(4)))
    assert all(png == alone for png in pngs)


def test_plot_uses_neither_pyplot_nor_django():
    code = (
        "import sys, mastering.plot; "
        "bad = [m for m in sys.modules if m in ('django', 'matplotlib.pyplot') or m.startswith('django.')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(plot.__file__).parent.parent, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
