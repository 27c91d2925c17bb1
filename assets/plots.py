"""Small PNG plots embedded in asset metadata (base64 inside markdown)."""
from __future__ import annotations

import base64
import io

import dagster as dg
import pandas as pd


def bar_chart_md(frame: pd.DataFrame, label: str, value: str, title: str) -> dg.MetadataValue:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=90)
    ax.barh(frame[label].astype(str)[::-1], frame[value][::-1], color="#3b6ea5")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(value)
    fig.tight_layout()
    return _png_md(fig, title)


def coefficient_chart_md(frame: pd.DataFrame, label: str, estimate: str, std_error: str,
                         title: str) -> dg.MetadataValue:
    """Horizontal point estimates with 95% confidence bars (estimate +- 1.96 se)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.35 * len(frame) + 1.2), dpi=90)
    labels = frame[label].astype(str)[::-1]
    ax.errorbar(frame[estimate][::-1], labels, xerr=1.96 * frame[std_error][::-1], fmt="o",
                color="#3b6ea5", ecolor="#9bb4d3", capsize=3)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"{estimate} (95% CI)")
    fig.tight_layout()
    return _png_md(fig, title)


def _png_md(fig, title: str) -> dg.MetadataValue:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


def scatter_md(frame: pd.DataFrame, x: str, y: str, label: str, title: str) -> dg.MetadataValue:
    """Labelled scatter plot (one point per row)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=90)
    ax.scatter(frame[x], frame[y], color="#3b6ea5", s=18)
    for _, row in frame.iterrows():
        ax.annotate(str(row[label]), (row[x], row[y]), fontsize=7, xytext=(2, 2),
                    textcoords="offset points")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png_md(fig, title)


def line_chart_md(frame: pd.DataFrame, x: str, y: str, series: str, title: str) -> dg.MetadataValue:
    """One line per value of ``series`` (e.g. BRICS and TISA averages by year)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=90)
    for name, part in frame.sort_values(x).groupby(series):
        ax.plot(part[x], part[y], marker="o", label=str(name))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png_md(fig, title)
