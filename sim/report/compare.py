"""Comparisons: every protocol on one scenario, or several scenarios side by side.

``negsim compare-protocols SCENARIO`` runs each protocol with the scenario's
seed, measures each deal against the same benchmarks (Nash, Kalai-Smorodinsky,
Pareto gap) and draws the deals side by side on each issue's line.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from sim.benchmarks.solutions import solve
from sim.core.scenario import Issue, Scenario
from sim.engine.outcome import Outcome
from sim.engine.runner import run
from sim.protocols import protocol_names
from sim.report.plots import DPI, TEXT_COLOUR, party_colour, plain_text
from sim.report.tables import format_table

__all__ = [
    "MARKERS",
    "compare_protocols",
    "compare_scenarios",
    "comparison_figure",
    "protocol_marker",
    "scale_key",
    "scale_text",
    "ProtocolComparison",
    "scenario_comparison_figure",
    "ScenarioComparison",
    "write_comparison",
    "write_scenario_comparison",
]

MARKERS = ("o", "s", "^", "P", "X", "D", "v", "*", "h", "<", ">", "p")
"""Markers by a protocol's place in the listing (a new protocol gets the next one)."""


def protocol_marker(name: str) -> str:
    """The marker of a protocol in comparison figures."""
    from sim.protocols import protocol_names

    names = protocol_names()
    return MARKERS[names.index(name) % len(MARKERS)] if name in names else MARKERS[0]


@dataclass(frozen=True)
class ProtocolComparison:
    """The outcomes of several protocols on one scenario.

    Attributes:
        scenario: The scenario.
        outcomes: Outcome per protocol name, in run order.
        seconds: Wall-clock seconds each run took (not written to files).
    """

    scenario: Scenario
    outcomes: dict[str, Outcome]
    seconds: dict[str, float]

    def rows(self) -> list[dict[str, object]]:
        """One row per protocol: deal per issue, round, utilities, distances, Pareto gap."""
        rows = []
        for name, out in self.outcomes.items():
            row: dict[str, object] = {"protocol": name, "agreement": out.agreement, "round": out.round}
            for issue in self.scenario.issues:
                row[f"deal.{issue.id}"] = None if out.deal is None else round(out.deal[issue.id], 6)
            for pid in self.scenario.party_ids:
                row[f"utility.{pid}"] = round(out.utilities[pid], 6)
            row["distance_to_nash"] = _round(out.distance_to_nash)
            row["distance_to_kalai_smorodinsky"] = _round(out.distance_to_ks)
            row["pareto_gap"] = _round(out.pareto_gap)
            row["accepted_by_all"] = all(out.accepts.values())
            rows.append(row)
        return rows

    def to_csv(self) -> str:
        """The table as CSV (deterministic: no timings)."""
        return rows_to_csv(self.rows())

    def report(self, timings: bool = True) -> str:
        """A terminal table: one line per protocol."""
        s = self.scenario
        header = ["protocol", "deal", "round"] + [p.name for p in s.parties]
        header += ["all sign", "to Nash", "to KS", "Pareto gap"] + (["seconds"] if timings else [])
        lines = []
        for name, out in self.outcomes.items():
            if out.deal is None:
                deal = "no deal"
            else:
                deal = "; ".join(issue.format(out.deal[issue.id]).split(" (")[0] for issue in s.issues)
            gap = "-" if out.pareto_gap is None else f"{out.pareto_gap:.3f}"
            if out.pareto_efficient:
                gap += " (efficient)"
            row = [name, deal, "-" if out.round is None else str(out.round)]
            row += [f"{out.utilities[p]:.3f}" for p in s.party_ids]
            signs = (
                "yes"
                if all(out.accepts.values())
                else "no: " + ", ".join(s.party(p).name for p, ok in out.accepts.items() if not ok)
            )
            row += [signs, _fmt(out.distance_to_nash), _fmt(out.distance_to_ks), gap]
            if timings:
                row.append(f"{self.seconds[name]:.3f}")
            lines.append(row)
        issues = ", ".join(f"{i.label} ({i.unit})" if i.unit else i.label for i in s.issues)
        return f"{s.title}: every protocol (deal = {issues})\n\n" + format_table(header, lines)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def compare_protocols(
    scenario: Scenario, protocols: Sequence[str] | None = None, seed: int | None = None
) -> ProtocolComparison:
    """Run several protocols (default: all) on one scenario.

    Args:
        scenario: The scenario.
        protocols: Protocol names (default: every registered protocol).
        seed: Seed for every run (default: the scenario's).

    Returns:
        The comparison.
    """
    solutions = solve(scenario)
    outcomes, seconds = {}, {}
    for name in protocols or protocol_names():
        started = time.perf_counter()
        outcomes[name] = run(scenario, protocol=name, seed=seed, solutions=solutions)
        seconds[name] = time.perf_counter() - started
    return ProtocolComparison(scenario, outcomes, seconds)


def comparison_figure(comparison: ProtocolComparison) -> Figure:
    """Per issue: each protocol's deal on the issue's line, with ideals, red lines, Nash and KS."""
    s = comparison.scenario
    names = list(comparison.outcomes)
    rows_per_issue = len(names) + 1
    fig = Figure(figsize=(9.5, 1.0 + 0.42 * rows_per_issue * len(s.issues) + 0.6 * len(s.issues)), dpi=DPI)
    axes = fig.subplots(len(s.issues), 1, squeeze=False)[:, 0]
    nash = comparison.outcomes[names[0]].benchmarks.get("nash")
    ks = comparison.outcomes[names[0]].benchmarks.get("kalai_smorodinsky")
    labels = ["benchmarks"] + names
    for ax, issue in zip(axes, s.issues, strict=True):
        at_ideal: dict[float, list[str]] = {}
        for party in s.parties:
            at_ideal.setdefault(party.ideal[issue.id], []).append(party.name)
        for value, names_here in at_ideal.items():
            ax.text(
                value,
                rows_per_issue - 0.35,
                " / ".join(names_here),
                color="#333333",
                fontsize=7,
                ha="center",
                va="bottom",
            )
        for a, party in enumerate(s.parties):
            colour = party_colour(a)
            ax.axvline(party.ideal[issue.id], color=colour, lw=1.6, ls=":", zorder=1)
            low, high = party.red_lines[issue.id]
            if low > issue.min:
                ax.axvspan(issue.min, low, color=colour, alpha=0.10, hatch="//", lw=0)
            if high < issue.max:
                ax.axvspan(high, issue.max, color=colour, alpha=0.10, hatch="//", lw=0)
        for point, marker, name, dy in ((nash, "D", "Nash", -0.18), (ks, "s", "Kalai-Smorodinsky", 0.18)):
            if point is not None:
                ax.plot(
                    point[issue.id],
                    dy,
                    marker=marker,
                    ms=9,
                    mfc="white",
                    mec=TEXT_COLOUR,
                    ls="none",
                    label=name,
                    zorder=3,
                )
        for k, name in enumerate(names, start=1):
            out = comparison.outcomes[name]
            ax.axhline(k, color="#dddddd", lw=0.8, zorder=0)
            if out.deal is None:
                ax.text(issue.min + 0.01 * issue.span, k, "no deal", fontsize=7, va="center", color="#888888")
                continue
            filled = all(out.accepts.values())
            ax.plot(
                out.deal[issue.id],
                k,
                marker=protocol_marker(name),
                ms=10,
                ls="none",
                color=TEXT_COLOUR,
                mfc=TEXT_COLOUR if filled else "white",
                zorder=4,
            )
        ax.set_yticks(range(rows_per_issue), labels, fontsize=8)
        ax.set_ylim(-0.7, rows_per_issue + 0.2)
        from sim.report.plots import label_issue_axis

        label_issue_axis(ax, issue, axis="x")
        ax.set_title(issue.label, fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    handles, texts = axes[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="lower right", fontsize=7, frameon=False, ncol=2)
    fig.suptitle(
        f"{s.title}: the deal under each protocol\n"
        "dotted = ideals, hatched = red lines; hollow marker = not every party would accept (forecast)",
        fontsize=9,
    )
    plain_text(fig).tight_layout(rect=(0, 0.03, 1, 0.97))
    return fig


def write_comparison(comparison: ProtocolComparison, out_dir: Path, stem: str = "comparison") -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.csv`` into ``out_dir``."""
    return _write(comparison_figure(comparison), comparison.to_csv(), out_dir, stem)


def rows_to_csv(rows: list[dict[str, object]]) -> str:
    """Rows of a comparison table as CSV (empty cells for missing values)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def _write(figure: Figure, table: str, out_dir: Path, stem: str) -> list[Path]:
    """Each file written under a temporary name and renamed: never half a file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, csv_path = out_dir / f"{stem}.png", out_dir / f"{stem}.csv"
    plain_text(figure)
    for path, write in ((png, lambda p: figure.savefig(p, format="png")), (csv_path, lambda p: p.write_text(table))):
        tmp = path.with_name(f".{path.name}.tmp")
        write(tmp)
        os.replace(tmp, path)
    return [png, csv_path]


def scale_key(issue: Issue) -> tuple:
    """What makes two issues' numbers comparable: label, bounds, unit and labelled levels."""
    return (issue.label, issue.min, issue.max, issue.unit, tuple(issue.levels.items()))


def scale_text(issue: Issue, levels: bool = False) -> str:
    """An issue's scale in words: ``Peacetime cap on Ukraine's armed forces, 50..1000 thousand troops``.

    Args:
        issue: The issue.
        levels: Add the labelled levels (``0 = none, 1 = all``).
    """
    unit = f" {issue.unit}" if issue.unit else ""
    named = f" ({', '.join(f'{v:g} = {name}' for v, name in issue.levels.items())})" if levels and issue.levels else ""
    return f"{issue.label}, {issue.min:g}..{issue.max:g}{unit}{named}"


@dataclass(frozen=True)
class ScenarioComparison:
    """The outcomes of several scenarios under one protocol.

    Attributes:
        outcomes: Outcome per scenario name, in the order given.
        protocol: The protocol name used (None: each scenario's own).
    """

    outcomes: dict[str, Outcome]
    protocol: str | None

    @property
    def issue_ids(self) -> list[str]:
        """Every issue of any scenario, in order of first appearance."""
        seen: list[str] = []
        for out in self.outcomes.values():
            seen += [i for i in out.scenario.issue_ids if i not in seen]
        return seen

    @property
    def party_ids(self) -> list[str]:
        """Every party of any scenario, in order of first appearance."""
        seen: list[str] = []
        for out in self.outcomes.values():
            seen += [p for p in out.scenario.party_ids if p not in seen]
        return seen

    @property
    def differing_scales(self) -> list[str]:
        """Issues whose scale (label, bounds, unit or levels) differs between the scenarios that have them."""
        out = []
        for iid in self.issue_ids:
            keys = {scale_key(o.scenario.issue(iid)) for o in self.outcomes.values() if iid in o.scenario.issue_ids}
            if len(keys) > 1:
                out.append(iid)
        return out

    def rows(self) -> list[dict[str, object]]:
        """One row per scenario: protocol, agreement, round, deal per issue, utility per party.

        Each deal column ``deal.<issue>`` has a ``scale.<issue>`` column saying the
        scale its number is on in that scenario (label, bounds, unit): scenarios may
        define an issue on different scales, and a number alone would not say so.
        """
        rows = []
        for name, out in self.outcomes.items():
            row: dict[str, object] = {
                "scenario": name,
                "protocol": out.protocol,
                "agreement": out.agreement,
                "round": out.round,
            }
            for iid in self.issue_ids:
                value = None if out.deal is None or iid not in out.deal else round(out.deal[iid], 6)
                row[f"deal.{iid}"] = value
                row[f"scale.{iid}"] = scale_text(out.scenario.issue(iid)) if iid in out.scenario.issue_ids else None
            for pid in self.party_ids:
                row[f"utility.{pid}"] = round(out.utilities[pid], 6) if pid in out.utilities else None
            row["distance_to_nash"] = _round(out.distance_to_nash)
            rows.append(row)
        return rows

    def to_csv(self) -> str:
        """The table as CSV."""
        return rows_to_csv(self.rows())

    def report(self) -> str:
        """A terminal table: per scenario, the deal on each issue (with level labels) and utilities."""
        header = ["scenario", "result"]
        lines = []
        for name, out in self.outcomes.items():
            if out.forecast:
                result = f"forecast, round {out.round}"
            else:
                result = f"deal in round {out.round}" if out.agreement else f"no deal ({out.end_round} rounds)"
            lines.append([name, result])
        text = [format_table(header, lines), ""]
        issue_rows = []
        differ = self.differing_scales
        for iid in self.issue_ids:
            row = [f"{iid} *" if iid in differ else iid]
            for out in self.outcomes.values():
                if iid not in out.scenario.issue_ids:
                    row.append("(not on the table)")
                else:
                    value = None if out.deal is None else out.deal[iid]
                    row.append(out.scenario.issue(iid).format(value))
            issue_rows.append(row)
        text += [format_table(["issue", *self.outcomes], issue_rows), ""]
        for iid in differ:
            having = {n: o.scenario.issue(iid) for n, o in self.outcomes.items() if iid in o.scenario.issue_ids}
            texts = {scale_text(issue) for issue in having.values()}
            keys = {scale_key(issue) for issue in having.values()}
            scales: dict[str, list[str]] = {}
            for name, issue in having.items():  # the levels too when only they differ
                scales.setdefault(scale_text(issue, levels=len(texts) < len(keys)), []).append(name)
            text.append(f"* {iid}: the scales differ, so the numbers do not compare across scenarios:")
            text += [f"    {', '.join(names)}: {scale}" for scale, names in scales.items()]
        if differ:
            text.append("")
        party_rows = []
        for pid in self.party_ids:
            row = [pid]
            for out in self.outcomes.values():
                row.append(
                    "-"
                    if pid not in out.utilities
                    else f"{out.utilities[pid]:.3f} (walk-away {out.walkaways[pid]:.2f})"
                )
            party_rows.append(row)
        text.append(format_table(["utility", *self.outcomes], party_rows))
        return "\n".join(text)


def compare_scenarios(
    scenarios: Sequence[Scenario], protocol: str | None = None, seed: int | None = None
) -> ScenarioComparison:
    """Run several scenarios (with one protocol, or each with its own).

    Args:
        scenarios: The scenarios, in display order.
        protocol: Protocol for all (default: each scenario's own).
        seed: Seed for all (default: each scenario's own).
    """
    outcomes = {}
    for scenario in scenarios:
        name = scenario.name
        while name in outcomes:
            name += "'"
        outcomes[name] = run(scenario, protocol=protocol, seed=seed)
    return ScenarioComparison(outcomes, protocol)


def scenario_comparison_figure(comparison: ScenarioComparison) -> Figure:
    """Per issue, each scenario's deal with its parties' ideals and red lines; then each party's utility.

    Issues whose scales differ between scenarios are drawn on each scenario's own
    scale normalised to 0..1 (said in the panel's title).
    """
    from sim.report.plots import label_issue_axis

    names = list(comparison.outcomes)
    issues = comparison.issue_ids
    parties = comparison.party_ids
    colours = {pid: party_colour(k) for k, pid in enumerate(parties)}
    n = len(names)
    height = 1.2 + len(issues) * (0.5 + 0.38 * n) + 3.2
    fig = Figure(figsize=(10.5, height), dpi=DPI)
    grid = fig.add_gridspec(len(issues) + 1, 1, height_ratios=[0.5 + 0.38 * n] * len(issues) + [3.0])
    for k, iid in enumerate(issues):
        ax = fig.add_subplot(grid[k])
        defs = [out.scenario.issue(iid) for out in comparison.outcomes.values() if iid in out.scenario.issue_ids]
        same = iid not in comparison.differing_scales
        for row, out in enumerate(comparison.outcomes.values()):
            y = n - 1 - row
            ax.axhline(y, color="#e5e5e5", lw=0.8, zorder=0)
            if iid not in out.scenario.issue_ids:
                ax.text(
                    0.01,
                    y,
                    "not on the table",
                    transform=ax.get_yaxis_transform(),
                    fontsize=7,
                    va="center",
                    color="#999999",
                )
                continue
            issue = out.scenario.issue(iid)

            def place(v, issue=issue, same=same):
                return v if same else (v - issue.min) / issue.span

            for party in out.scenario.parties:
                colour = colours[party.id]
                ax.plot(place(party.ideal[iid]), y, marker="|", ms=14, mew=2.2, color=colour, ls="none", zorder=2)
                low, high = party.red_lines[iid]
                if low > issue.min:
                    ax.plot(
                        [place(issue.min), place(low)],
                        [y - 0.28] * 2,
                        color=colour,
                        lw=3,
                        alpha=0.35,
                        solid_capstyle="butt",
                    )
                if high < issue.max:
                    ax.plot(
                        [place(high), place(issue.max)],
                        [y - 0.28] * 2,
                        color=colour,
                        lw=3,
                        alpha=0.35,
                        solid_capstyle="butt",
                    )
            if out.deal is not None:
                ax.plot(place(out.deal[iid]), y, marker="*", ms=15, color="gold", mec=TEXT_COLOUR, ls="none", zorder=4)
            else:
                ax.text(
                    0.99,
                    y,
                    "no deal",
                    transform=ax.get_yaxis_transform(),
                    fontsize=7,
                    va="center",
                    ha="right",
                    color="#888888",
                )
        ax.set_yticks(range(n), names[::-1], fontsize=8)
        ax.set_ylim(-0.7, n - 0.3)
        if same:
            label_issue_axis(ax, defs[0], axis="x")
            ax.set_title(defs[0].label, fontsize=9, loc="left")
        else:
            ax.set_xlim(-0.04, 1.04)
            ax.set_xlabel("position on each scenario's own scale (0 = min, 1 = max)", fontsize=8)
            ax.set_title(f"{defs[0].label} (scales differ between scenarios)", fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    ax = fig.add_subplot(grid[len(issues)])
    width = 0.8 / max(1, len(parties))
    for j, pid in enumerate(parties):
        xs, us, ws = [], [], []
        for row, out in enumerate(comparison.outcomes.values()):
            if pid in out.utilities:
                xs.append(row + (j - (len(parties) - 1) / 2) * width)
                us.append(out.utilities[pid])
                ws.append(out.walkaways[pid])
        name = next(out.scenario.party(pid).name for out in comparison.outcomes.values() if pid in out.utilities)
        ax.bar(xs, us, width, color=colours[pid], label=name)
        ax.plot(xs, ws, ls="none", marker="_", ms=12, mew=2, color=TEXT_COLOUR)
    labels = []
    for name, out in comparison.outcomes.items():
        result = f"forecast r{out.round}" if out.forecast else f"deal r{out.round}" if out.agreement else "no deal"
        labels.append(f"{name}\n{result}")
    ax.set_xticks(range(n), labels, fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("utility (bar); walk-away at the end (—)", fontsize=8)
    ax.legend(fontsize=7, ncol=min(6, len(parties)), loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    protocol = comparison.protocol or "each scenario's own protocol"
    fig.suptitle(
        f"Scenarios compared ({protocol}): the deal on each issue (star), ideals (ticks), red lines (shaded bars)",
        fontsize=10,
    )
    plain_text(fig).tight_layout(rect=(0, 0.02, 1, 0.98))
    return fig


def write_scenario_comparison(comparison: ScenarioComparison, out_dir: Path, stem: str = "scenarios") -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.csv`` into ``out_dir``."""
    return _write(scenario_comparison_figure(comparison), comparison.to_csv(), out_dir, stem)
