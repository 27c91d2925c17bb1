"""HTML of a brief and of the index: one self-contained file each (inline CSS, plots as data:
URIs, no script, font or stylesheet from elsewhere), laid out to print cleanly to PDF."""
from __future__ import annotations

from typing import Any

from jinja2 import Environment, StrictUndefined

CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2733;margin:0 auto;max-width:980px;
padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #3b6ea5;padding-bottom:3px;margin-top:30px}
h3{font-size:14px;margin:16px 0 6px;color:#3b4b5c}
.sub{color:#5c6b7a;margin:0 0 14px}nav{font-size:12px;margin-bottom:10px}nav a{margin-right:10px;color:#3b6ea5}
dl.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:8px;margin:0}
dl.figs div{background:#f3f6fa;border-left:3px solid #3b6ea5;padding:6px 8px}
dt{font-size:12px;color:#4c5a68}dd{margin:2px 0 0;font-size:18px;font-weight:600}
sup{font-size:10px;color:#7f8c8d;font-weight:400}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:4px 0 8px}
th,td{border-bottom:1px solid #dde3ea;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eef2f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:6px 0}
p.missing{background:#fff7e6;border-left:3px solid #d68910;padding:6px 8px;margin:6px 0}
.methods td{font-size:11.5px}.methods td:nth-child(3){width:38%}.cite{background:#f3f6fa;padding:8px;font-size:12.5px}
footer{margin-top:30px;font-size:11px;color:#7f8c8d}
@media print{body{max-width:none;padding:0;font-size:11px}nav{display:none}h2{break-after:avoid}
section,table,img,dl.figs div{break-inside:avoid}a{color:inherit;text-decoration:none}@page{margin:14mm}}
"""

BRIEF = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Country brief: {{ b.name }} ({{ b.iso3 }})</title><style>{{ css }}</style></head>
<body>
<header><h1>{{ b.name }} ({{ b.iso3 }}): trade and trade agreements</h1>
<p class="sub">Country brief built {{ b.generated_at[:10] }} from warehouse snapshot {{ b.methods.snapshot }}.
Every figure names its table and column in the methods section; the companion {{ b.iso3 }}.json holds them all.</p>
<nav>{% for s in b.sections %}<a href="#{{ s.id }}">{{ s.title }}</a>{% endfor %}<a href="#methods">Methods and sources</a></nav>
{% if b.headline %}<dl class="figs">{% for f in b.headline %}<div><dt>{{ f.label }}{% if f.year %}, {{ f.year }}{% endif %}</dt><dd>{{ f.display }}</dd></div>{% endfor %}</dl>{% endif %}
</header>
{% for s in b.sections %}<section id="{{ s.id }}" data-section="{{ s.id }}"><h2>{{ s.title }}</h2>
{% for m in s.missing %}<p class="missing">{{ m }}</p>{% endfor %}
{% for blk in s.blocks %}{% if blk.title %}<h3>{{ blk.title }}</h3>{% endif %}
{% if blk.kind == "figures" %}<dl class="figs">{% for f in blk.figures %}<div><dt>{{ f.label }}<sup>{{ ref(f) }}</sup></dt><dd>{{ f.display }}</dd></div>{% endfor %}</dl>
{% elif blk.kind == "table" %}<table><thead><tr>{% for h in blk.header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row in blk.rows %}<tr>{% for c in row %}{% if c is none %}<td class="n">&ndash;</td>{% elif c.value is defined %}<td class="n">{{ c.display }}<sup>{{ ref(c) }}</sup></td>{% else %}<td>{{ c.text }}</td>{% endif %}{% endfor %}</tr>
{% endfor %}</tbody></table>
{% elif blk.kind == "plot" %}<img alt="{{ blk.title }}" src="data:image/png;base64,{{ blk.png }}">{% endif %}
{% endfor %}</section>
{% endfor %}
<section id="methods" data-section="methods"><h2>Methods and sources</h2>
<p>Code version {{ b.methods.code_version }}; warehouse snapshot {{ b.methods.snapshot }}{% if b.methods.published_at %}, published {{ b.methods.published_at }}{% endif %}.
A dash in a table is a cell the warehouse leaves empty (its definition says when).</p>
<h3>Tables read</h3><table class="methods"><thead><tr><th>ref</th><th>table (contract)</th><th>source</th><th>data retrieved</th><th>table built</th><th>code</th></tr></thead><tbody>
{% for t in b.methods.tables %}<tr><td>{{ loop.index }}</td><td>{{ t.table }} ({{ t.contract }})</td><td>{{ t.source }}</td><td>{{ t.retrieved_at }}</td><td>{{ t.materialized_at }}</td><td>{{ t.code_version }}</td></tr>
{% endfor %}</tbody></table>
<h3>Definitions</h3><table class="methods"><thead><tr><th>ref</th><th>column</th><th>definition</th><th>years</th><th>source</th><th>caveats</th></tr></thead><tbody>
{% for d in b.methods.definitions %}<tr><td>{{ tables.index(d.table) + 1 }}</td><td>{{ d.table }}.{{ d.column }}</td><td>{{ d.definition }}</td><td>{{ d.years|ranges }}</td><td>{{ d.sources|join(", ") }}</td><td>{{ d.caveats|join("; ") }}</td></tr>
{% endfor %}</tbody></table>
<h3>Suggested citation</h3><p class="cite">{{ b.methods.citation }}</p></section>
<footer>Superscripts refer to the tables read (methods section). Shares are of the values in the table named; group membership is that of each year (1 July rule).</footer>
</body></html>
"""

INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Country briefs</title><style>{{ css }}</style></head>
<body><h1>Country briefs</h1><p class="sub">Warehouse snapshot {{ snapshot }}. Each brief opens offline and prints to PDF.</p>
<table><thead><tr><th>country</th>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for iso3, item in briefs %}<tr><td><a href="{{ iso3 }}.html">{{ item.name }} ({{ iso3 }})</a></td>
{% for h in header %}{% set f = pick(item.headline, h) %}<td class="n">{% if f %}{{ f.display }} ({{ f.year }}){% else %}&ndash;{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></body></html>
"""

def year_ranges(years: list[int]) -> str:
    """1980, 1984, 2010, 2011, 2012 -> "1980, 1984, 2010-2012"."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["ranges"] = year_ranges


def render_brief(brief: dict[str, Any]) -> str:
    tables = [t["table"] for t in brief["methods"]["tables"]]

    def ref(f: dict[str, Any]) -> str:
        return str(tables.index(f["table"]) + 1)

    return _ENV.from_string(BRIEF).render(b=brief, css=CSS, ref=ref, tables=tables)


def render_index(briefs: dict[str, dict[str, Any]], snapshot: str) -> str:
    from pipeline.briefs.build import HEADLINES

    header = [label for _, _, label in HEADLINES]

    def pick(headline: list[dict[str, Any]], label: str) -> dict[str, Any] | None:
        return next((f for f in headline if f["label"] == label), None)

    return _ENV.from_string(INDEX).render(briefs=sorted(briefs.items()), header=header, pick=pick,
                                          snapshot=snapshot, css=CSS)
