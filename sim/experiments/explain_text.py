"""An explanation in plain sentences (for the terminal, the briefing and the classroom)."""

from __future__ import annotations

from typing import Any

from sim.core.scenario import Issue, Scenario
from sim.experiments.explain import Constraint, Explanation

__all__ = [
    "BINDING_HEAD",
    "binding_rows",
    "driver_sentences",
    "explain_report",
    "explanation_sentences",
    "names",
    "ratification_sentences",
]


def names(scenario: Scenario, ids: list[str]) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"`` from party ids."""
    shown = [scenario.party(pid).name for pid in ids]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _lower_first(label: str) -> str:
    """A label inside a sentence: "peacetime cap ...", but "NATO path" and "Ukraine's ..." as written."""
    first = label.split(" ")[0]
    if (len(first) > 1 and first[1].isupper()) or first.endswith(("'s", "s'")):
        return label
    return label[:1].lower() + label[1:]


def _sentence(text: str) -> str:
    """Capitalise the first letter of a sentence."""
    return text[:1].upper() + text[1:]


def _small(value: float) -> str:
    """A small number with enough digits to see it (0.0045, not 0.00)."""
    return f"{value:.2g}" if abs(value) < 0.01 else f"{value:.3f}".rstrip("0").rstrip(".")


def _who(scenario: Scenario, pid: str) -> str:
    party = scenario.party(pid)
    label = party.ratification.label if party.ratification else ""
    return f"{party.name} ({label})" if label else party.name


def _line_sentence(s: Scenario, c: Constraint, without: dict[str, Any] | None, horizon: int) -> str:
    issue = s.issue(c.issue)
    where = {
        "red_line": f"{s.party(c.party).name}'s red line",
        "ratification": f"the win-set of {_who(s, c.party)}",
        "no_deal_line": "its no-deal line (no text goes below it)",
    }[c.kind]
    softened = f", softened from {issue.format(c.original)}" if c.original is not None else ""
    head = f"{issue.label} sits at {where} at {issue.format(c.bound)}{softened}"
    if without is None:
        return head + "."
    if not without["deal"]:
        return f"{head}: without it there would be no deal within {horizon} rounds."
    value = without["value"]
    if abs(value - c.value) <= max(0.01 * issue.span, issue.step or 0.0):
        if without["round"] is not None and without["round"] != without.get("actual_round"):
            return (
                f"{head}: without it the deal would come in round {without['round']}, "
                f"with {_lower_first(issue.label)} at {_value(issue, value)}."
            )
        return f"{head}, but without it the deal would be much the same ({_value(issue, value)})."
    return (
        f"{issue.label} is set by {where} at {issue.format(c.bound)}{softened}: "
        f"without it {_lower_first(issue.label)} would be {issue.format(value)}."
    )


def _constraint_sentence(s: Scenario, c: Constraint, without: dict[str, Any] | None, horizon: int) -> str:
    if c.kind == "walkaway":
        return (
            f"{s.party(c.party).name} accepts with little to spare: the deal gives it {c.value:.3f} "
            f"against a walk-away of {c.bound:.3f} ({_small(c.slack)} to spare)."
        )
    if c.issue is None:  # a ratification floor on utility
        return (
            f"The ratification floor of {_who(s, c.party)} binds: the deal gives it {c.value:.3f} "
            f"against a floor of {c.bound:.3f}."
        )
    return _line_sentence(s, c, without, horizon)


def ratification_sentences(scenario: Scenario, failures: list[dict[str, Any]]) -> list[str]:
    """One sentence per failed ratification, with the bound and the margin."""
    out = []
    for f in failures:
        who = _who(scenario, f["party"])
        if f["kind"] == "bounds":
            issue = scenario.issue(f["issue"])
            side = "above its upper" if f["side"] == "max" else "below its lower"
            value, bound = _value(issue, f["value"]), _value(issue, f["bound"])
            out.append(
                f"Round {f['round']}: ratification failed in {who}: {_lower_first(issue.label)} {value} is {side} "
                f"bound {bound} by {_small(abs(f['margin']))} (margin {f['margin']:+.4g})."
            )
        elif f["kind"] == "min_utility":
            out.append(
                f"Round {f['round']}: ratification failed in {who}: the text gave it {f['value']:.3f}, below its "
                f"floor {f['bound']:.3f} (margin {f['margin']:+.4g})."
            )
        else:
            out.append(
                f"Round {f['round']}: the vote in {who} failed: the text gave it {f['value']:.3f} against an "
                f"even-odds point of {f['bound']:.3f} (margin {f['margin']:+.3f}; a {f['chance']:.0%} chance to pass)."
            )
    return out


def _value(issue: Issue, value: float) -> str:
    """A value with the digits needed to see a small margin, and the unit."""
    digits = 0 if issue.span >= 100 else 4
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return f"{text} {issue.unit}".rstrip()


def driver_sentences(scenario: Scenario, drivers: list[dict[str, Any]] | None, top: int = 3) -> list[str]:
    """What would change the outcome most: the top drivers of P(deal), then of the deal itself."""
    if not drivers:
        return []
    out = []
    p_movers = [d for d in drivers if abs(d["p_deal"]["swing"]) > 0]
    if p_movers:
        parts = [
            f"{d['label']} ({_fmt(d['low'])}-{_fmt(d['high'])}): {d['p_deal']['low']:.0%} to {d['p_deal']['high']:.0%}"
            for d in p_movers[:top]
        ]
        out.append("What would change P(deal) most (one judgement at a time, low to high): " + "; ".join(parts) + ".")
    else:
        out.append(
            f"No single judgement moves P(deal) ({drivers[0]['p_deal']['base']:.0%}) over its swing, one at a time."
        )
    deal_movers = sorted(
        (d for d in drivers if d.get("largest_issue")), key=lambda d: -(d["largest_issue_shift"] or 0.0)
    )
    parts = []
    for d in deal_movers[:top]:
        issue = scenario.issue(d["largest_issue"])
        lo, hi = d["issues"][issue.id]["low"], d["issues"][issue.id]["high"]
        parts.append(
            f"{d['label']} ({_fmt(d['low'])}-{_fmt(d['high'])}): {_lower_first(issue.label)} "
            f"{issue.format(lo)} to {issue.format(hi)}"
        )
    if parts:
        out.append("What moves the deal most (median, low to high): " + "; ".join(parts) + ".")
    return out


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def explanation_sentences(e: Explanation, moves: int = 3, ratification: bool = True) -> list[str]:
    """The explanation in sentences: why the run ended so, ratification, who gave way, what would change it.

    Args:
        e: The explanation.
        moves: How many issues' movements to describe.
        ratification: Whether to include the ratification failures (``negsim run`` has
            already printed them in its story).
    """
    s = e.scenario
    horizon = s.rounds
    out = []
    if e.agreement:
        binding = e.binding()
        if binding:
            out += [_constraint_sentence(s, c, w, horizon) for c, w in binding]
        else:
            out.append("No constraint binds at the deal: every party had room to spare when the last one said yes.")
    else:
        out.append(f"No deal within {e.end_round} rounds.")
        for clash in e.clashes:
            issue = s.issue(clash["issue"])
            out.append(
                f"The lines on {_lower_first(issue.label)} do not meet: {s.party(clash['min_party']).name} needs at "
                f"least {issue.format(clash['min'])}, {s.party(clash['max_party']).name} at most "
                f"{issue.format(clash['max'])}."
            )
        for h in e.holdouts:
            why = []
            if h["below_walkaway"]:
                why.append(f"it gives it {h['utility']:.3f} against a walk-away of {h['walkaway']:.3f}")
            for line in h["lines_crossed"]:
                issue = s.issue(line["issue"])
                word = "above its maximum" if line["side"] == "max" else "below its minimum"
                why.append(f"{_lower_first(issue.label)} is {word} of {issue.format(line['bound'])}")
            out.append(f"{s.party(h['party']).name} refused the last text: " + "; ".join(why) + ".")
    if ratification:
        out += ratification_sentences(s, e.ratification)
    ranked = sorted(
        (m for m in e.movement.items() if m[1]["toward"] or m[1]["away"]),
        key=lambda m: -abs(m[1]["moved"]) / s.issue(m[0]).span,
    )
    for iid, m in ranked[:moves]:
        issue = s.issue(iid)
        text = (
            f"On {_lower_first(issue.label)} the text moved from {issue.format(m['from'])} to {issue.format(m['to'])}"
        )
        if m["toward"]:
            text += f", toward {names(s, m['toward'])}"
        if m["away"]:
            text += f" and away from {names(s, m['away'])}" if m["toward"] else f", away from {names(s, m['away'])}"
        out.append(text + ".")
    out += driver_sentences(s, e.drivers)
    return [_sentence(line) for line in out]


BINDING_HEAD = ["party", "constraint", "issue", "line", "deal", "slack", "without it"]


def binding_rows(e: Explanation) -> list[list[str]]:
    """The binding constraints as table rows (:data:`BINDING_HEAD`), with what the deal would be without each."""
    s = e.scenario
    rows = []
    for c, without in e.binding() if e.agreement else []:
        issue = s.issue(c.issue) if c.issue else None
        fmt = issue.format if issue else (lambda v: f"{v:.3f}")
        gone = "-"
        if without is not None and not without["deal"]:
            gone = "no deal"
        elif without is not None:
            gone = _value(issue, without["value"]) if issue else ""
            if without["round"] != e.round:
                gone = f"{gone} (round {without['round']})".strip()
        who = s.party(c.party).name if c.party else "every signer"
        kind = c.kind.replace("_", " ")
        rows.append([who, kind, issue.label if issue else "-", fmt(c.bound), fmt(c.value), _small(c.slack), gone])
    return rows


def explain_report(e: Explanation, top: int = 10) -> str:
    """The explanation for the terminal: sentences, every binding constraint, the top drivers."""
    from sim.report.tables import format_table

    s = e.scenario
    head = f"{s.title} - why: protocol {e.protocol}, seed {e.seed}, "
    head += f"deal in round {e.round}" if e.agreement else f"no deal after {e.end_round} rounds"
    lines = [head, ""] + [f"  {line}" for line in explanation_sentences(e)]
    rows = binding_rows(e)
    if rows:
        lines += ["", format_table(BINDING_HEAD, rows)]
    if e.drivers:
        drows = []
        for d in e.drivers[:top]:
            shift = d["largest_issue"]
            drows.append(
                [
                    str(d["rank"]),
                    d["label"] + (" (range)" if d["written"] else ""),
                    f"{_fmt(d['low'])}..{_fmt(d['high'])}",
                    f"{d['p_deal']['low']:.0%} -> {d['p_deal']['high']:.0%}",
                    f"{s.issue(shift).label}: {d['largest_issue_shift']:.0%} of scale" if shift else "-",
                    _sobol_text(d),
                ]
            )
        lines += [
            "",
            format_table(
                ["#", "judgement", "swing", "P(deal) low -> high", "largest shift", "Sobol ST (deal / issue)"], drows
            ),
        ]
    return "\n".join(lines)


def _sobol_text(d: dict[str, Any]) -> str:
    if not d["sobol"]:
        return "-"
    text = f"{d['sobol']['p_deal']['ST']:.2f}"
    if d["largest_issue"]:
        text += f" / {d['sobol']['issues'][d['largest_issue']]['ST']:.2f}"
    return text
