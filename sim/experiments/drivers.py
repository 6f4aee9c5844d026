"""Drivers: which judgement in a scenario file moves the outcome, and how far.

Every number that is a judgement gets a swing (:func:`judgements`): a number
written as a range swings over its range; walk-aways, their drifts and path
points, patience, capabilities, saliences, red lines (and their softening and
cost), the mediator's bias toward each party and the numbers of each domestic
win-set swing over a default range around their value
(:data:`DEFAULT_SWINGS`; the value itself and the ends are clipped to what
the field allows). Two measures, both on the batched engine:

* **One at a time** (a tornado): each judgement is set to the low end, then
  to the high end of its swing while everything else keeps its value; every
  setting is run over the same ``runs`` draws of the file's ranges and random
  streams (common random numbers), giving P(deal) and each issue's median
  deal at both ends.
* **Variance-based** (Sobol' 1993; Saltelli et al. 2010): all judgements
  drawn at once over their swings with SALib's Saltelli scheme (``N (D + 2)``
  runs, first-order and total indices), for the deal indicator and for each
  issue's final text (the deal, or the text on the table when talks end).
  Runs of one base sample share a seed, so the random streams add noise the
  indices leave unexplained.

Drivers are ranked by how far they swing P(deal), then by the largest shift
they cause in a median deal (as a share of the issue's scale), then by their
total Sobol' index.

References:
    Sobol', I. M. (1993). Sensitivity estimates for nonlinear mathematical
    models. *Mathematical Modelling and Computational Experiments*, 1, 407-414.
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., &
    Tarantola, S. (2010). Variance based sensitivity analysis of model output.
    *Computer Physics Communications*, 181(2), 259-270.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.scenario import Scenario, get_path
from sim.core.slots import parameter_slot
from sim.core.streams import spawn_seeds
from sim.experiments.forecast import range_draws
from sim.experiments.rows import RunRows, run_rows
from sim.protocols import resolve_protocol

__all__ = ["DEFAULT_SWINGS", "Judgement", "drivers", "judgements", "label_of", "tornado_figure"]

DEFAULT_SWINGS: dict[str, tuple[str, float]] = {
    "walkaway": ("plus_minus", 0.05),
    "walkaway_drift": ("plus_minus", 0.002),
    "walkaway_path": ("plus_minus", 0.05),
    "patience": ("plus_minus", 0.02),
    "capability": ("times", 0.25),
    "salience": ("plus_minus", 0.1),
    "red_line": ("share_of_scale", 0.05),
    "soften": ("times", 0.5),
    "cost": ("plus_minus", 0.05),
    "mediator_bias": ("times", 0.25),
    "ratification_bound": ("share_of_scale", 0.05),
    "min_utility": ("plus_minus", 0.05),
    "midpoint": ("plus_minus", 0.05),
    "steepness": ("times", 0.5),
}
"""Default swing of a judgement written as a point: ``(rule, size)``; ``plus_minus``
adds and subtracts ``size``, ``times`` multiplies by ``1 -+ size``, ``share_of_scale``
adds and subtracts ``size`` times the issue's span."""

DEFAULT_RUNS = 200
SOBOL_N = 128


@dataclass(frozen=True)
class Judgement:
    """One judgement and its swing.

    Attributes:
        path: Its path in the scenario file.
        label: What it is, in words.
        base: Its value in the file (the point of a range).
        low: The low end of its swing.
        high: The high end of its swing.
        written: Whether the swing is a range written in the file (else a default swing).
    """

    path: str
    label: str
    base: float
    low: float
    high: float
    written: bool


def _swing(rule: str, size: float, value: float, lo: float, hi: float, span: float = 1.0) -> tuple[float, float]:
    if rule == "plus_minus":
        low, high = value - size, value + size
    elif rule == "times":
        low, high = value * (1 - size), value * (1 + size)
    else:
        low, high = value - size * span, value + size * span
    return max(low, lo), min(high, hi)


def label_of(scenario: Scenario, path: str) -> str:
    """A judgement's path in words (``parties.ukraine.walkaway`` -> ``Ukraine: walk-away``)."""
    keys = path.split(".")

    def issue(iid: str) -> str:
        return scenario.issue(iid).label if iid in scenario.issue_ids else iid

    if keys[0] == "parties" and keys[1] in scenario.party_ids:
        who = scenario.party(keys[1]).name
        rest = keys[2:]
        simple = {
            "walkaway": "walk-away",
            "walkaway_drift": "walk-away drift per round",
            "patience": "patience",
            "capability": "capability",
        }
        if len(rest) == 1 and rest[0] in simple:
            return f"{who}: {simple[rest[0]]}"
        if rest[0] in ("salience", "ideal", "curvature") and len(rest) == 2:
            return f"{who}: {rest[0]} of {issue(rest[1])}"
        if rest[0] == "red_lines" and len(rest) == 3:
            what = {
                "min": "red line (minimum)",
                "max": "red line (maximum)",
                "soften": "red line softening",
                "cost": "audience cost of its red line",
            }[rest[2]]
            return f"{who}: {what} on {issue(rest[1])}"
        if rest[0] == "walkaway_path" and len(rest) == 3:
            points = scenario.party(keys[1]).walkaway_path or ()
            at = points[int(rest[1])][0] if int(rest[1]) < len(points) else rest[1]
            return f"{who}: walk-away at round {at:g}" if isinstance(at, float) else f"{who}: walk-away path"
        if rest[0] == "ratification":
            if rest[1] == "bounds":
                return f"{who}: ratification bound ({rest[3]}) on {issue(rest[2])}"
            if rest[1] == "logistic":
                return f"{who}: ratification vote {rest[2]}"
            return f"{who}: ratification {rest[1].replace('_', ' ')}"
    if keys[0] == "scenario":
        if keys[1] == "mediator_bias" and len(keys) == 3:
            return f"mediator's bias toward {scenario.party(keys[2]).name}"
        if keys[1] == "opening" and len(keys) == 3:
            return f"opening text: {issue(keys[2])}"
        return f"scenario {'.'.join(keys[1:])}"
    if keys[0] == "issues" and len(keys) >= 3 and keys[2] == "no_deal_path":
        points = scenario.issue(keys[1]).no_deal_path
        return f"{issue(keys[1])}: no-deal line at round {points[int(keys[3])][0]:g}"
    return path


def judgements(scenario: Scenario) -> list[Judgement]:
    """Every judgement of a scenario with its swing (see the module doc), ranges first."""
    found: dict[str, Judgement] = {}

    def add(path: str, value: float, rule: str, lo: float, hi: float, span: float = 1.0) -> None:
        low, high = _swing(*DEFAULT_SWINGS[rule], value, lo, hi, span)
        if high > low and path not in found:
            found[path] = Judgement(path, label_of(scenario, path), float(value), low, high, False)

    for path, (low, high) in sorted(scenario.ranges.items()):
        if high > low:
            found[path] = Judgement(path, label_of(scenario, path), _resolved(scenario, path), low, high, True)
    for party in scenario.parties:
        where = f"parties.{party.id}"
        if party.walkaway_path:
            for k, (_, value) in enumerate(party.walkaway_path):
                add(f"{where}.walkaway_path.{k}.1", value, "walkaway_path", 0.0, 1.0)
        else:
            add(f"{where}.walkaway", party.walkaway, "walkaway", 0.0, 1.0)
            add(f"{where}.walkaway_drift", party.walkaway_drift, "walkaway_drift", -1.0, 1.0)
        add(f"{where}.patience", party.patience, "patience", 1e-6, 1.0)
        add(f"{where}.capability", party.capability, "capability", 0.0, np.inf)
        for issue in scenario.issues:
            add(f"{where}.salience.{issue.id}", party.salience[issue.id], "salience", 0.0, 1.0)
        for issue in scenario.issues:
            low, high = party.red_lines[issue.id]
            ideal = party.ideal[issue.id]
            if low > issue.min:
                add(f"{where}.red_lines.{issue.id}.min", low, "red_line", issue.min, ideal, issue.span)
            if high < issue.max:
                add(f"{where}.red_lines.{issue.id}.max", high, "red_line", ideal, issue.max, issue.span)
            if party.red_soften.get(issue.id):
                add(f"{where}.red_lines.{issue.id}.soften", party.red_soften[issue.id], "soften", 0.0, np.inf)
            if party.red_cost.get(issue.id):
                add(f"{where}.red_lines.{issue.id}.cost", party.red_cost[issue.id], "cost", 0.0, 1.0)
        rat = party.ratification
        if rat is not None:
            for issue in scenario.issues:
                low, high = rat.bounds[issue.id]
                if low > issue.min:
                    path = f"{where}.ratification.bounds.{issue.id}.min"
                    add(path, low, "ratification_bound", issue.min, high, issue.span)
                if high < issue.max:
                    path = f"{where}.ratification.bounds.{issue.id}.max"
                    add(path, high, "ratification_bound", low, issue.max, issue.span)
            if rat.min_utility is not None:
                add(f"{where}.ratification.min_utility", rat.min_utility, "min_utility", 0.0, 1.0)
            if rat.midpoint is not None:
                add(f"{where}.ratification.logistic.midpoint", rat.midpoint, "midpoint", 0.0, 1.0)
                add(f"{where}.ratification.logistic.steepness", rat.steepness, "steepness", 1e-6, np.inf)
    if scenario.mediator is not None:
        for party in scenario.parties:
            add(f"scenario.mediator_bias.{party.id}", scenario.mediator_bias[party.id], "mediator_bias", 0.0, np.inf)
    return list(found.values())


def _resolved(scenario: Scenario, path: str) -> float:
    """The point value a range resolves to (its ``value``, else its midpoint)."""
    node = get_path(scenario.data, path)
    return float(node.get("value", (node["low"] + node["high"]) / 2))


def _medians(rows: RunRows, blocks: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """P(deal) and each issue's median deal per block of ``size`` rows."""
    agreement = rows.agreement.reshape(blocks, size)
    deal = rows.deal.reshape(blocks, size, -1)
    p = agreement.mean(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # blocks without a deal: NaN
        medians = np.nanmedian(deal, axis=1)
    return p, medians


def _integer_paths(scenario: Scenario, paths: Sequence[str]) -> set[str]:
    return {p for p in paths if parameter_slot(scenario, p).domain.integer}


def _sobol(scenario: Scenario, found: list[Judgement], protocol: str, seed: int, n: int) -> dict[str, dict[str, Any]]:
    """First-order and total Sobol' indices of every judgement (see the module doc)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = {
        "num_vars": len(found),
        "names": [j.path for j in found],
        "bounds": [[j.low, j.high] for j in found],
    }
    matrix = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    per_base = len(found) + 2
    seeds = np.repeat(spawn_seeds(seed, n), per_base)[: len(matrix)]
    integers = _integer_paths(scenario, problem["names"])
    columns = {p: (np.round(matrix[:, k]) if p in integers else matrix[:, k]) for k, p in enumerate(problem["names"])}
    rows = run_rows(scenario, columns, seeds, protocol, source=scenario.source)
    outputs = {"p_deal": rows.agreement.astype(float)}
    for k, issue in enumerate(scenario.issues):
        outputs[issue.id] = (rows.final_text[:, k] - issue.min) / issue.span
    indices: dict[str, dict[str, Any]] = {j.path: {"p_deal": None, "issues": {}} for j in found}
    for name, y in outputs.items():
        if np.var(y) <= 1e-15:
            found_s1 = found_st = np.zeros(len(found))
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = sobol_analyze.analyze(problem, y, calc_second_order=False, print_to_console=False, seed=seed)
            found_s1, found_st = np.nan_to_num(result["S1"]), np.nan_to_num(result["ST"])
        for k, j in enumerate(found):
            value = {"S1": float(f"{found_s1[k]:.6g}"), "ST": float(f"{found_st[k]:.6g}")}
            if name == "p_deal":
                indices[j.path]["p_deal"] = value
            else:
                indices[j.path]["issues"][name] = value
    return indices


def _clean(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(f"{value:.12g}")


def drivers(
    scenario: Scenario,
    protocol: str | None = None,
    seed: int | None = None,
    runs: int = DEFAULT_RUNS,
    sobol: int | None = SOBOL_N,
    found: list[Judgement] | None = None,
) -> list[dict[str, Any]]:
    """The drivers of a scenario's outcome, ranked (see the module doc).

    Args:
        scenario: The scenario.
        protocol: Protocol name (default: the scenario's).
        seed: Seed of the draws (default: the scenario's).
        runs: Draws of the file's ranges and random streams per swing end.
        sobol: Saltelli base sample size N (a power of two), or None to skip the indices.
        found: The judgements to swing (default: :func:`judgements`).

    Returns:
        One entry per judgement, best first: ``parameter``, ``label``,
        ``base``, ``low``, ``high``, ``written`` (a range in the file),
        ``p_deal`` ``{base, low, high, swing}``, ``issues`` ``{id: {base,
        low, high, swing}}`` (median deals), ``largest_issue`` and
        ``largest_issue_shift`` (share of its scale), ``sobol`` (indices or
        None) and ``rank``.
    """
    name = resolve_protocol(scenario, protocol).name
    seed = scenario.seed if seed is None else int(seed)
    found = judgements(scenario) if found is None else list(found)
    if not found:
        return []
    draws = range_draws(scenario, runs, seed)
    seeds = spawn_seeds(seed, runs)
    base_column = {j.path: np.full(runs, j.base) for j in found}
    base_column.update({p: v.astype(float) for p, v in draws.items()})
    blocks = 1 + 2 * len(found)
    columns = {p: np.tile(v, blocks) for p, v in base_column.items()}
    for k, j in enumerate(found):
        for end, value in ((1, j.low), (2, j.high)):
            start = (1 + 2 * k + end - 1) * runs
            columns[j.path][start : start + runs] = value
    integers = _integer_paths(scenario, list(columns))
    columns = {p: (np.round(v) if p in integers else v) for p, v in columns.items()}
    rows = run_rows(scenario, columns, np.tile(seeds, blocks), name, source=scenario.source)
    p, medians = _medians(rows, blocks, runs)
    indices = _sobol(scenario, found, name, seed, sobol) if sobol else {}
    out = []
    for k, j in enumerate(found):
        lo, hi = 1 + 2 * k, 2 + 2 * k
        issues = {}
        shift, largest = 0.0, None
        for i, issue in enumerate(scenario.issues):
            a, b, c = medians[0, i], medians[lo, i], medians[hi, i]
            swing = c - b if np.isfinite(b) and np.isfinite(c) else None
            issues[issue.id] = {"base": _clean(a), "low": _clean(b), "high": _clean(c), "swing": _clean(swing)}
            if swing is not None and abs(swing) / issue.span > shift + 1e-12:
                shift, largest = abs(swing) / issue.span, issue.id
        out.append(
            {
                "parameter": j.path,
                "label": j.label,
                "base": _clean(j.base),
                "low": _clean(j.low),
                "high": _clean(j.high),
                "written": j.written,
                "p_deal": {
                    "base": _clean(p[0]),
                    "low": _clean(p[lo]),
                    "high": _clean(p[hi]),
                    "swing": _clean(p[hi] - p[lo]),
                },
                "issues": issues,
                "largest_issue": largest,
                "largest_issue_shift": _clean(shift),
                "sobol": indices.get(j.path),
            }
        )

    def key(d: dict[str, Any]) -> tuple:
        st = d["sobol"]["p_deal"]["ST"] if d["sobol"] else 0.0
        return (-round(abs(d["p_deal"]["swing"]), 12), -round(d["largest_issue_shift"], 12), -st, d["parameter"])

    out.sort(key=key)
    for rank, d in enumerate(out, start=1):
        d["rank"] = rank
    return out


def tornado_figure(scenario: Scenario, found: list[dict[str, Any]], top: int = 15):
    """The tornado: each top driver's P(deal) at the low and high end of its swing, and its largest deal shift."""
    from matplotlib.figure import Figure

    from sim.report.style import DPI, TEXT_COLOUR, lay_out

    shown = found[:top][::-1]
    fig = Figure(figsize=(11, 0.45 * max(len(shown), 3) + 1.6), dpi=DPI)
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 1]})
    y = np.arange(len(shown))
    labels = [textwrap.fill(d["label"] + (" (range)" if d["written"] else ""), 48) for d in shown]
    base = shown[0]["p_deal"]["base"] if shown else 0.0
    for k, d in enumerate(shown):
        lo, hi = d["p_deal"]["low"], d["p_deal"]["high"]
        left.barh(k, hi - base, left=base, color="#2e86c1", height=0.6)
        left.barh(k, lo - base, left=base, color="#c0392b", height=0.6)
        shift = d["largest_issue_shift"] or 0.0
        issue = d["largest_issue"]
        sign = 1.0
        if issue is not None and d["issues"][issue]["swing"] is not None:
            sign = np.sign(d["issues"][issue]["swing"]) or 1.0
        right.barh(k, sign * shift, color="#7d3c98", height=0.6)
        if issue is not None:
            right.annotate(
                scenario.issue(issue).label,
                (0, k),
                textcoords="offset points",
                xytext=(-4 * sign, -3),
                ha="right" if sign > 0 else "left",
                fontsize=6,
            )
    left.axvline(base, color=TEXT_COLOUR, lw=0.8)
    left.set_yticks(y, labels, fontsize=7)
    left.set_xlim(-0.02, 1.02)
    left.set_title("P(deal): low end of the swing (red), high end (blue)", fontsize=8)
    left.set_xlabel("P(deal)", fontsize=8)
    right.axvline(0, color=TEXT_COLOUR, lw=0.8)
    right.set_title("largest shift of a median deal, low to high end", fontsize=8)
    right.set_xlabel("share of the issue's scale", fontsize=8)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    return lay_out(fig, f"{scenario.title}: what drives the outcome (one judgement at a time)")
