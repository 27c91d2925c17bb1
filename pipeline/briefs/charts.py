"""Plots of a brief as base64 PNG (embedded in the page as data: URIs; nothing external).

Every plot is drawn from figures (:mod:`pipeline.briefs.figures`) that the companion holds, so
what the picture shows is what the JSON says. A plot is only drawn when it has points.
"""
from __future__ import annotations

import base64
import io
from typing import Any

COLOURS = ["#3b6ea5", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#7f8c8d"]


def png_base64(fig) -> str:
    """Encode a matplotlib figure as base64 PNG and close it (also used by the UI's plots)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _scale(unit: str) -> tuple[float, str]:
    if unit == "USD":
        return 1e9, "USD bn"
    if unit == "share_0_1":
        return 0.01, "%"
    return 1.0, "%" if unit == "pct" else unit


def line_chart(lines: list[dict[str, Any]], title: str) -> str | None:
    """One line per series (``figures.series`` dicts, same unit); None when no series has points."""
    lines = [s for s in lines if s and s["points"]]
    if not lines:
        return None
    plt = _pyplot()
    divisor, axis = _scale(lines[0]["unit"])
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=96)
    for k, line in enumerate(lines):
        xs = [p["key"][line["x"]] for p in line["points"]]
        ys = [p["value"] / divisor for p in line["points"]]
        ax.plot(xs, ys, marker="o", markersize=3, color=COLOURS[k % len(COLOURS)], label=line["label"])
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(axis)
    ax.grid(alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if len(lines) > 1:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return png_base64(fig)


def bar_chart(bars: list[tuple[str, dict[str, Any]]], title: str) -> str | None:
    """Horizontal bars, one per (label, figure); None without bars."""
    bars = [(label, f) for label, f in bars if f is not None]
    if not bars:
        return None
    plt = _pyplot()
    divisor, axis = _scale(bars[0][1]["unit"])
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(bars) + 1.2), dpi=96)
    labels = [label for label, _ in bars][::-1]
    values = [f["value"] / divisor for _, f in bars][::-1]
    ax.barh(labels, values, color=COLOURS[0])
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(axis)
    fig.tight_layout()
    return png_base64(fig)


def interval_chart(rows: list[tuple[str, dict, dict | None, dict | None]], title: str) -> str | None:
    """Point estimates with 5th-95th percentile bars: (label, point, p05, p95) figures."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.3), dpi=96)
    for k, (label, point, low, high) in enumerate(rows[::-1]):
        ax.plot([point["value"]], [k], "o", color=COLOURS[1] if "member" in label else COLOURS[0])
        if low is not None and high is not None:
            ax.plot([low["value"], high["value"]], [k, k], color="#9bb4d3", linewidth=3, zorder=1)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows[::-1]], fontsize=8)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("% change from the baseline (bar: 5th-95th percentile of the draws)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return png_base64(fig)
