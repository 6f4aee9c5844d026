"""Hypothesis strategies: random valid scenarios with every feature of the file format.

2-5 parties, 1-4 issues (grids, labelled levels), red lines (softening, audience
costs), walk-aways with drift or paths, no-deal lines, curvature, guarantors,
domestic ratification (bounds, minimum utility, logistic), coalitions with
counter-texts, a biased and noisy mediator, strategies, opening texts. Every
generated table is a valid scenario file (the loader accepts it).
"""

from __future__ import annotations

from hypothesis import strategies as st

SPANS = (1.0, 10.0, 100.0, 1000.0)


@st.composite
def issue_tables(draw, index: int, even_grids: bool = False) -> dict:
    span = draw(st.sampled_from(SPANS))
    low = draw(st.sampled_from((0.0, -span / 2, span)))
    table = {"label": f"issue {index}", "min": low, "max": low + span}
    kind = draw(st.sampled_from(("continuous", "grid", "levels", "discrete")))
    if kind == "grid":
        steps = draw(st.integers(1, 10)) * 2 if even_grids else draw(st.integers(2, 20))
        table["step"] = span / steps
    elif kind in ("levels", "discrete"):
        table["levels"] = {repr(low): "none", repr(low + span / 2): "half", repr(low + span): "all"}
        table["discrete"] = kind == "discrete"
    if draw(st.booleans()) and draw(st.booleans()):
        table["no_deal_path"] = [
            [0, low],
            [draw(st.integers(5, 30)), low + span * draw(st.floats(0.0, 0.3, allow_subnormal=False))],
        ]
    return table


def _in(table: dict, share: float) -> float:
    return table["min"] + share * (table["max"] - table["min"])


@st.composite
def party_tables(draw, issues: dict, index: int, n_parties: int) -> dict:
    ids = list(issues)
    shares = {iid: draw(st.floats(0.0, 1.0, allow_subnormal=False)) for iid in ids}
    salience = {iid: draw(st.floats(0.0, 1.0, allow_subnormal=False)) for iid in ids}
    salience[ids[0]] = max(salience[ids[0]], 0.1)
    party = {
        "name": f"Party {index}",
        "capability": draw(st.floats(0.1, 2.0, allow_subnormal=False)),
        "patience": draw(st.floats(0.8, 1.0, allow_subnormal=False)),
        "walkaway": draw(st.floats(0.0, 0.6, allow_subnormal=False)),
        "ideal": {iid: _in(issues[iid], shares[iid]) for iid in ids},
        "salience": salience,
    }
    if draw(st.booleans()):
        party["walkaway_drift"] = draw(st.floats(-0.01, 0.005, allow_subnormal=False))
    elif draw(st.booleans()):
        party["walkaway_path"] = [
            [0, party["walkaway"]],
            [draw(st.integers(3, 20)), draw(st.floats(0.0, 0.6, allow_subnormal=False))],
        ]
    if draw(st.booleans()):
        party["curvature"] = {
            iid: draw(st.floats(0.5, 2.0, allow_subnormal=False)) for iid in ids if draw(st.booleans())
        }
    red = {}
    for iid in ids:
        if draw(st.integers(0, 3)) == 0:
            side = draw(st.sampled_from(("min", "max")))
            share = (
                shares[iid] * draw(st.floats(0.0, 1.0, allow_subnormal=False))
                if side == "min"
                else 1 - (1 - shares[iid]) * draw(st.floats(0.0, 1.0, allow_subnormal=False))
            )
            ideal = party["ideal"][iid]
            value = _in(issues[iid], share)
            line = {side: min(value, ideal) if side == "min" else max(value, ideal)}  # never across its own ideal
            if draw(st.booleans()):
                line["soften"] = (issues[iid]["max"] - issues[iid]["min"]) * draw(
                    st.floats(0.0, 0.02, allow_subnormal=False)
                )
                line["cost"] = draw(st.floats(0.0, 0.1, allow_subnormal=False))
            red[iid] = line
    if red:
        party["red_lines"] = red
    if index >= 2 and len(ids) > 1 and draw(st.booleans()):
        party["must_agree_on"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
    if draw(st.integers(0, 3)) == 0:
        rat: dict = {"label": f"parliament {index}"}
        choice = draw(st.sampled_from(("bounds", "min_utility", "logistic")))
        if choice == "bounds":
            iid = draw(st.sampled_from(ids))
            rat["bounds"] = {iid: {"min": _in(issues[iid], draw(st.floats(0.0, 0.5, allow_subnormal=False)))}}
        elif choice == "min_utility":
            rat["min_utility"] = draw(st.floats(0.2, 0.6, allow_subnormal=False))
        else:
            rat["logistic"] = {
                "midpoint": draw(st.floats(0.2, 0.6, allow_subnormal=False)),
                "steepness": draw(st.floats(2.0, 20.0, allow_subnormal=False)),
            }
        party["ratification"] = rat
    if draw(st.integers(0, 3)) == 0:
        party["walkout_after"] = draw(st.integers(1, 6))
    if index >= 2 and len(ids) > 1 and draw(st.booleans()):
        party["voice_on"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
    party["front_sensitivity"] = draw(st.sampled_from((0.0, 0.0, -0.5, 0.5)))
    strategies = ["linear", "boulware", "conceder", "tit_for_tat"] + (["equilibrium"] if n_parties == 2 else [])
    if draw(st.booleans()):
        party["strategy"] = draw(st.sampled_from(strategies))
    return party


@st.composite
def scenario_tables(
    draw,
    max_parties: int = 5,
    max_issues: int = 4,
    max_rounds: int = 25,
    with_openings: bool = True,
    even_grids: bool = False,
) -> dict:
    """A random valid scenario as nested tables (what a TOML parser returns).

    Args:
        max_parties: At most this many parties (at least 2).
        max_issues: At most this many issues (at least 1).
        max_rounds: At most this many rounds (at least 3).
        with_openings: Also draw the opening text: a rule (compromise, mediator) or explicit values.
        even_grids: Grids only with an even number of steps (the scale's midpoint on the grid).
    """
    n_issues = draw(st.integers(1, max_issues))
    n_parties = draw(st.integers(2, max_parties))
    issues = {f"i{k}": draw(issue_tables(k, even_grids)) for k in range(n_issues)}
    parties = {f"p{k}": draw(party_tables(issues, k, n_parties)) for k in range(n_parties)}
    header = {
        "name": "generated",
        "rounds": draw(st.integers(3, max_rounds)),
        "seed": draw(st.integers(0, 2**31)),
        "noise": draw(st.sampled_from((0.0, 0.0, 0.02))),
        "ratification_failure": draw(st.sampled_from(("continue", "end"))),
    }
    if draw(st.booleans()):
        header["mediator_bias"] = {
            draw(st.sampled_from(list(parties))): draw(st.floats(0.5, 3.0, allow_subnormal=False))
        }
    if with_openings and draw(st.booleans()):
        kind = draw(st.sampled_from(("compromise", "mediator", "explicit")))
        header["opening"] = (
            {iid: _in(table, draw(st.floats(0.0, 1.0, allow_subnormal=False))) for iid, table in issues.items()}
            if kind == "explicit"
            else kind
        )
        if kind == "mediator":  # a mediator opening needs a mediator (rules.opening_rules)
            header["mediator"] = draw(st.sampled_from(list(parties)))
    if draw(st.booleans()):
        header["breakdown_risk"] = draw(st.sampled_from((0.02, 0.1, 0.3)))
    if draw(st.booleans()):
        header["mediator_lean"] = {
            draw(st.sampled_from(list(parties))): draw(st.floats(0.0, 0.9, allow_subnormal=False))
        }
    if draw(st.integers(0, 3)) == 0:
        header["mediator_misperception"] = draw(st.floats(0.0, 0.1, allow_subnormal=False))
    if draw(st.booleans()):
        header["start_date"], header["round_days"] = "2025-11-23", draw(st.sampled_from((1.0, 3.5, 7.0)))
    data = {"scenario": header, "issues": issues, "parties": parties}
    free = [iid for iid, t in issues.items() if "no_deal_path" not in t]
    if free and draw(st.booleans()):
        iid = draw(st.sampled_from(free))
        span = issues[iid]["max"] - issues[iid]["min"]
        data["battlefield"] = {
            "issue": iid,
            "start": _in(issues[iid], draw(st.floats(0.0, 0.3, allow_subnormal=False))),
            "drift": span * draw(st.floats(-0.01, 0.02, allow_subnormal=False)),
            "volatility": span * draw(st.floats(0.0, 0.03, allow_subnormal=False)),
            "jump_rate": draw(st.floats(0.0, 0.2, allow_subnormal=False)),
            "jump_size": span * draw(st.floats(-0.1, 0.1, allow_subnormal=False)),
        }
    if draw(st.booleans()):
        pid = draw(st.sampled_from(list(parties)))
        data["events"] = [
            {
                "label": "shock",
                "round": draw(st.integers(1, header["rounds"])),
                "shift": {f"parties.{pid}.walkaway": draw(st.floats(-0.2, 0.2, allow_subnormal=False))},
                "probability": draw(st.floats(0.0, 1.0, allow_subnormal=False)),
            }
        ]
    if n_parties >= 3 and draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(list(parties)), min_size=2, max_size=2, unique=True))
        data["coalitions"] = {"c": {"members": [a, b], "counter_text": draw(st.booleans())}}
    return data
