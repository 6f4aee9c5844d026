"""The briefing: one self-contained report of one or more scenarios (``negsim report``).

For each scenario: the headline with its interval (the forecast), this run's
deal per issue against the forecast's band, the explanation in words, the
binding constraints, the drivers (with the tornado), the figures; then, with
several scenarios, a comparison on common scales (issues whose scales differ
are listed, not compared); an appendix of every judgement and every source
with its date; and a reproducibility stamp (version, scenario hash, seed,
command). ``report.html`` embeds its figures as ``data:`` URIs and loads
nothing else (it opens offline); ``report.md`` says the same with the figures
next to it in ``figures/``. No clock time is written: the same inputs give
the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sim.core.scenario import Scenario
from sim.engine.outcome import Outcome
from sim.engine.runner import run
from sim.experiments.drivers import Judgement, drivers, judgements, tornado_figure
from sim.experiments.explain import Explanation, explain_run
from sim.experiments.explain_text import BINDING_HEAD, binding_rows, explanation_sentences
from sim.experiments.forecast import Forecast, forecast, percentiles
from sim.experiments.forecast_figures import cloud_figure, fan_figure, time_to_deal_figure
from sim.experiments.forecast_text import band_text, context_line
from sim.report.plots import trajectories_figure
from sim.report.style import BAND_COLOUR, DPI, lay_out

__all__ = ["Briefing", "ScenarioBrief", "brief", "briefing", "write_briefing"]

DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


@dataclass
class ScenarioBrief:
    """Everything the briefing says about one scenario.

    Attributes:
        scenario: The scenario.
        outcome: The run of the scenario's numbers (its seed).
        forecast: The draws.
        explanation: Why the run ended as it did (drivers included).
        judgements: Every judgement with its swing.
        figures: PNG bytes by file name.
    """

    scenario: Scenario
    outcome: Outcome
    forecast: Forecast
    explanation: Explanation
    judgements: list[Judgement]
    figures: dict[str, bytes] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.scenario.name


@dataclass
class Briefing:
    """A briefing of one or more scenarios.

    Attributes:
        briefs: One per scenario, in the order given.
        command: The command line that made it (for the stamp).
        version: negsim's version.
        comparison_figure: PNG bytes of the comparison (several scenarios), or None.
    """

    briefs: list[ScenarioBrief]
    command: list[str]
    version: str
    comparison_figure: bytes | None = None

    def comparison(self) -> dict[str, Any]:
        """Issues on a common scale (same id, min, max and unit) and the ones left out, with why."""
        scenarios = [b.scenario for b in self.briefs]
        ids: list[str] = []
        for s in scenarios:
            ids += [i for i in s.issue_ids if i not in ids]
        common, flagged = [], []
        for iid in ids:
            having = [s for s in scenarios if iid in s.issue_ids]
            if len(having) < len(scenarios):
                missing = [s.name for s in scenarios if iid not in s.issue_ids]
                flagged.append({"issue": iid, "why": f"not in {', '.join(missing)}"})
                continue
            scales = {(s.issue(iid).min, s.issue(iid).max, s.issue(iid).unit) for s in having}
            if len(scales) > 1:
                shown = "; ".join(
                    f"{s.name}: {s.issue(iid).min:g}-{s.issue(iid).max:g} {s.issue(iid).unit}" for s in having
                )
                flagged.append({"issue": iid, "why": f"scales differ ({shown.strip()})"})
                continue
            common.append(iid)
        return {"common": common, "flagged": flagged}


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def brief(
    scenario: Scenario, protocol: str | None = None, seed: int | None = None, runs: int = 2000, driver_runs: int = 200
) -> ScenarioBrief:
    """Run, forecast, explain and draw one scenario."""
    protocol = protocol or scenario.protocol
    seed = scenario.seed if seed is None else seed
    outcome = run(scenario, protocol=protocol, seed=seed)
    drawn = forecast(scenario, runs=runs, protocol=protocol, seed=seed)
    driven = drivers(scenario, protocol, seed, runs=driver_runs)
    explanation = explain_run(outcome, drivers=driven)
    out = ScenarioBrief(scenario, outcome, drawn, explanation, judgements(scenario))
    out.figures = {
        "fan_chart.png": _png(fan_figure(drawn)),
        "time_to_deal.png": _png(time_to_deal_figure(drawn)),
        "deal_cloud.png": _png(cloud_figure(drawn)),
        "tornado.png": _png(tornado_figure(scenario, driven)),
        "trajectories.png": _png(trajectories_figure(outcome, bands=drawn.bands())),
    }
    return out


def _comparison_figure(b: Briefing) -> bytes | None:
    common = b.comparison()["common"]
    if len(b.briefs) < 2 or not common:
        return None
    n = len(common)
    fig = Figure(figsize=(7.5, 1.0 + 0.55 * n * len(b.briefs)), dpi=DPI)
    axes = fig.subplots(n, 1, squeeze=False).ravel()
    for ax, iid in zip(axes, common, strict=True):
        issue = b.briefs[0].scenario.issue(iid)
        for k, item in enumerate(b.briefs):
            band = item.forecast.issue_band(iid)
            if band["p50"] is None:
                ax.plot([], [])
                ax.annotate("no deal in any run", (issue.min, k), fontsize=7, va="center")
                continue
            ax.plot([band["p10"], band["p90"]], [k, k], color=BAND_COLOUR, lw=5, alpha=0.8, solid_capstyle="butt")
            ax.plot([band["p50"]], [k], marker="|", ms=14, mew=2, color="#111111")
        ax.set_yticks(range(len(b.briefs)), [item.scenario.name for item in b.briefs], fontsize=7)
        ax.set_ylim(-0.7, len(b.briefs) - 0.3)
        ax.set_xlim(issue.min, issue.max)
        ax.set_title(f"{issue.label} ({issue.unit})" if issue.unit else issue.label, fontsize=8)
        ax.tick_params(labelsize=7)
    return _png(lay_out(fig, "Deal per issue by scenario: 80% band and median of the runs with a deal", title_size=9))


def briefing(
    scenarios: Sequence[Scenario],
    protocol: str | None = None,
    seed: int | None = None,
    runs: int = 2000,
    driver_runs: int = 200,
    command: Sequence[str] = (),
) -> Briefing:
    """The briefing of several scenarios (see the module doc)."""
    from sim.version import __version__

    out = Briefing([brief(s, protocol, seed, runs, driver_runs) for s in scenarios], list(command), __version__)
    out.comparison_figure = _comparison_figure(out)
    return out


# --------------------------------------------------------------------------
# Writing: the same content as HTML (self-contained) and Markdown.
# --------------------------------------------------------------------------
def _source_date(source: Any) -> tuple[str, str]:
    """A source's text and its date (``YYYY-MM-DD`` found in it, a dated entry's date, else "undated")."""
    if isinstance(source, dict):
        return str(source.get("name", "")), str(source.get("date", "undated"))
    found = DATE.findall(str(source))
    return str(source), found[0] if found else "undated"


def _headline(b: ScenarioBrief) -> list[str]:
    f, o = b.forecast, b.outcome
    rounds = percentiles(f.rows.deal_round[f.deal_in_horizon])
    lines = [f"P(deal) within {f.horizon} rounds: {f.p_deal:.0%} of {f.runs:,} draws."]
    if rounds["p50"] is not None:
        lines[0] += f" Deal round: median {rounds['p50']:.0f}, 80% band {rounds['p10']:.0f}-{rounds['p90']:.0f}."
    story = f"deal in round {o.round}" if o.agreement else f"no deal after {o.end_round} rounds"
    lines.append(f"This run (protocol {o.protocol}, seed {o.seed}): {story}.")
    lines.append(context_line(f))
    return lines


def _deal_rows(b: ScenarioBrief) -> list[list[str]]:
    rows = []
    for issue in b.scenario.issues:
        band = b.forecast.issue_band(issue.id)
        this = issue.format(b.outcome.deal[issue.id]) if b.outcome.deal else "no deal"
        median = issue.format(band["p50"]) if band["p50"] is not None else "-"
        rows.append([issue.label, this, median, band_text(issue, band)])
    return rows


def _party_rows(b: ScenarioBrief) -> list[list[str]]:
    rows = []
    for a, party in enumerate(b.scenario.parties):
        band = percentiles(b.forecast.utility[:, a])
        rows.append(
            [
                party.name,
                f"{b.outcome.utilities[party.id]:.3f}",
                f"{band['p50']:.3f}",
                f"{band['p10']:.3f}-{band['p90']:.3f}",
                f"{party.walkaway:.3f}",
            ]
        )
    return rows


def _driver_rows(b: ScenarioBrief, top: int = 10) -> list[list[str]]:
    s = b.scenario
    rows = []
    for d in (b.explanation.drivers or [])[:top]:
        shift = d["largest_issue"]
        rows.append(
            [
                str(d["rank"]),
                d["label"] + (" (range in the file)" if d["written"] else ""),
                f"{d['low']:.4g} to {d['high']:.4g}",
                f"{d['p_deal']['low']:.0%} to {d['p_deal']['high']:.0%}",
                f"{s.issue(shift).label}: {d['largest_issue_shift']:.0%} of its scale" if shift else "-",
            ]
        )
    return rows


def _judgement_rows(b: ScenarioBrief) -> list[list[str]]:
    return [
        [
            j.label,
            j.path,
            f"{j.base:.4g}",
            f"{j.low:.4g} to {j.high:.4g}",
            "range in the file" if j.written else "default",
        ]
        for j in b.judgements
    ]


def _comparison_rows(b: Briefing) -> tuple[list[str], list[list[str]]]:
    head = ["", *[item.scenario.name for item in b.briefs]]
    rows = [["P(deal) within the horizon", *[f"{item.forecast.p_deal:.0%}" for item in b.briefs]]]
    for iid in b.comparison()["common"]:
        issue = b.briefs[0].scenario.issue(iid)
        cells = []
        for item in b.briefs:
            band = item.forecast.issue_band(iid)
            cells.append("-" if band["p50"] is None else f"{band_text(issue, band)} (median {band['p50']:.4g})")
        rows.append([issue.label, *cells])
    return head, rows


def _stamp(b: Briefing) -> list[list[str]]:
    rows = [["negsim version", b.version], ["command", " ".join(b.command) or "-"]]
    for item in b.briefs:
        s, f = item.scenario, item.forecast
        rows += [
            [f"{s.name}: file", s.source],
            [f"{s.name}: scenario sha256", s.sha256],
            [f"{s.name}: protocol, seed", f"{f.protocol}, {f.seed}"],
            [f"{s.name}: draws", f"{f.runs:,} (drivers: {len(item.judgements)} judgements)"],
        ]
    return rows


SECTIONS = [
    ("fan_chart.png", "The text by round across the draws"),
    ("time_to_deal.png", "Time to a deal"),
    ("deal_cloud.png", "The cloud of deals on the utility plane"),
    ("trajectories.png", "This run: positions by round, the forecast's 80% band behind"),
    ("tornado.png", "What drives the outcome"),
]

CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #111; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #2e86c1; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #999; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.headline { font-size: 1.1em; background: #eef5fb; padding: 0.6em 1em; border-left: 4px solid #2e86c1; }
code { font-size: 0.85em; }
"""


class _Html:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def heading(self, level: int, text: str) -> None:
        self.add(f"<h{level}>{html.escape(text)}</h{level}>")

    def p(self, text: str, cls: str = "") -> None:
        self.add(f'<p class="{cls}">{html.escape(text)}</p>' if cls else f"<p>{html.escape(text)}</p>")

    def table(self, head: list[str], rows: list[list[str]]) -> None:
        if not rows:
            return
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        self.add(f"<table><tr>{cells}</tr>{body}</table>")

    def figure(self, png: bytes, caption: str) -> None:
        data = base64.b64encode(png).decode("ascii")
        alt = html.escape(caption)
        self.add(f'<figure><img src="data:image/png;base64,{data}" alt="{alt}"><figcaption>{alt}</figcaption></figure>')

    def ul(self, items: list[str]) -> None:
        if items:
            self.add("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")


class _Markdown:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def heading(self, level: int, text: str) -> None:
        self.add("#" * level + " " + text + "\n")

    def p(self, text: str, cls: str = "") -> None:
        self.add(("> " if cls else "") + text + "\n")

    def table(self, head: list[str], rows: list[list[str]]) -> None:
        if not rows:
            return

        def cell(c: str) -> str:
            return c.replace("|", "\\|")

        lines = ["| " + " | ".join(cell(h) for h in head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
        self.add("\n".join(lines) + "\n")

    def figure(self, path: str, caption: str) -> None:
        self.add(f"![{caption}]({path})\n")

    def ul(self, items: list[str]) -> None:
        if items:
            self.add("\n".join(f"- {i}" for i in items) + "\n")


def _content(b: Briefing, doc: Any, figure) -> None:
    """Write the briefing's content into ``doc`` (HTML or Markdown); ``figure(doc, key, png, caption)``."""
    titles = ", ".join(item.scenario.title for item in b.briefs)
    heading = doc.heading
    heading(1, f"Briefing: {titles}")
    doc.p(
        "Forecasts vary every range written in the scenario files and every random stream, and nothing else; "
        "bands are 10th-90th percentiles of the runs (80% bands). Most numbers in a scenario are judgements: "
        "the drivers below say which of them move the outcome."
    )
    for item in b.briefs:
        s = item.scenario
        heading(2, s.title)
        for line in _headline(item):
            doc.p(line, "headline")
        heading(3, "The deal per issue")
        doc.table(["issue", "this run", "median of the runs", "80% band"], _deal_rows(item))
        doc.table(["party", "utility, this run", "median", "80% band", "walk-away (round 0)"], _party_rows(item))
        heading(3, "Why")
        doc.ul(explanation_sentences(item.explanation))
        doc.table(BINDING_HEAD, binding_rows(item.explanation))
        heading(3, "What drives it")
        doc.table(
            ["#", "judgement", "swing", "P(deal), low to high", "largest shift of a median deal"], _driver_rows(item)
        )
        for key, caption in SECTIONS:
            figure(doc, f"{s.name}-{key}", item.figures[key], f"{s.title}: {caption}")
    if len(b.briefs) > 1:
        heading(2, "Comparison on common scales")
        head, rows = _comparison_rows(b)
        doc.table(head, rows)
        flagged = b.comparison()["flagged"]
        doc.ul([f"{f['issue']}: not compared, {f['why']}" for f in flagged])
        if b.comparison_figure is not None:
            figure(doc, "comparison.png", b.comparison_figure, "Deal per issue by scenario")
    heading(2, "Appendix: judgements and sources")
    for item in b.briefs:
        heading(3, f"{item.scenario.title}: judgements")
        doc.table(["judgement", "path", "value", "swing", "swing from"], _judgement_rows(item))
        heading(3, f"{item.scenario.title}: sources")
        doc.table(["date", "source"], [[d, t] for t, d in map(_source_date, item.scenario.sources)])
    heading(2, "Reproducibility")
    doc.table(["", ""], _stamp(b))


def write_briefing(b: Briefing, out_dir: str | Path) -> list[Path]:
    """Write ``report.html`` (self-contained), ``report.md`` and ``figures/`` into ``out_dir``."""
    out = Path(out_dir)
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    page = _Html()
    _content(b, page, lambda doc, key, png, caption: doc.figure(png, caption))
    title = html.escape("negsim briefing: " + ", ".join(item.scenario.name for item in b.briefs))
    text = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS}</style></head><body>\n" + "\n".join(page.parts) + "\n</body></html>\n"
    )
    written = []
    path = out / "report.html"
    path.write_text(text)
    written.append(path)
    md = _Markdown()

    def md_figure(doc: _Markdown, key: str, png: bytes, caption: str) -> None:
        (figures / key).write_bytes(png)
        written.append(figures / key)
        doc.figure(f"figures/{key}", caption)

    _content(b, md, md_figure)
    path = out / "report.md"
    path.write_text("\n".join(md.parts))
    written.insert(1, path)
    return written
