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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")
