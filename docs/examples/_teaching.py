"""Shared by the teaching examples: run the classroom model with slider values, one table row per run."""

from sim.engine.outcome import result_of
from sim.ui.classroom import ClassroomModel

GENEVA = "scenarios/geneva-2025-11.toml"
ISSUES = {"territory": "Donetsk", "nato": "NATO", "army_cap": "army cap", "security_guarantee": "guarantee"}


def terms(model: ClassroomModel, deal: dict) -> list[str]:
    """The deal on the four issues the exercises follow, as the UI shows them."""
    s = model.scenario
    return [s.issue(i).format(deal[i]).split(" (")[0].replace(" thousand troops", "k") for i in ISSUES]


def row(label: str, **sliders) -> list[str]:
    """One run of the Geneva file with these slider values: how it ends, the terms, Russia's and Ukraine's utility."""
    model = ClassroomModel(GENEVA, **sliders).run_to_end()
    agreement, deal, utility, _ = result_of(model.scenario, model.state)
    if not agreement:
        return [label, f"no deal in {model.state.t} rounds", *["-"] * len(ISSUES), *fmt(utility)]
    kind = "deal" if all(model.state.accepts[0]) else "forecast"
    return [label, f"{kind}, round {int(model.state.round[0])}", *terms(model, deal), *fmt(utility)]


def fmt(utility: dict) -> list[str]:
    return [f"{utility['russia']:.2f}", f"{utility['ukraine']:.2f}"]


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


HEADER = ["ends", *ISSUES.values(), "Russia's utility", "Ukraine's utility"]


def outlook(label: str, **sliders) -> list[str]:
    """The forecast the UI shows for these sliders (500 draws): P(deal), how the talks end, the army cap's band."""
    from sim.ui.classroom import forecast_for

    f = forecast_for(ClassroomModel(GENEVA, **sliders).scenario)
    ends = f.ended_shares()
    cap = f.issue_band("army_cap")
    band = "-" if cap["p10"] is None else f"{cap['p10']:.0f}-{cap['p90']:.0f}k"
    shares = [f"{ends[k]:.0%}" for k in ("walkout", "breakdown", "round_limit")]
    return [label, f"{f.p_deal:.0%}", *shares, band]


OUTLOOK = ["P(deal)", "walk-out", "breakdown", "round limit", "army cap (80% band)"]
