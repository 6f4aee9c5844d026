"""``negsim bench --peer``: negsim against NegMAS on the same session, CPU-time rates.

NegMAS (Mohammad, Greenwood, Ito & Aydogan, https://github.com/yasserfarouk/negmas)
is AGPL-licensed: it is never a dependency of negsim, only an optional tool
for this comparison, installed by hand (``pip install negmas``, best in a
virtualenv of its own). This module is the only place that imports it, and
only inside the functions that build and run its sessions.

**The session.** 4 parties, 3 continuous issues, 100 rounds, stacked
alternating offers, every party conceding linearly in time (Faratin et al.
1998, beta = 1). It is built in code (:func:`peer_scenario`), not shipped in
``scenarios/``: that folder holds sourced scenarios of the talks (pinned by
``tests/test_identity.py``, offered by the UI's picker), and this one is a
synthetic problem of a given size.

**The equivalent NegMAS session**, built from any scenario that only uses
what both sides share (:func:`peer_spec`, :func:`negmas_session`):

========================= ================================= =========================================
negsim                    NegMAS                            correspondence
========================= ================================= =========================================
``alternating`` protocol  ``SAOMechanism``                  stacked alternating offers; a deal when
                                                            every party accepts
``rounds`` = 100          ``n_steps=100``,                  one offer per round (step): party
                          ``one_offer_per_step=True``       ``(t - 1) mod P`` in negsim, the next
                                                            negotiator in turn in NegMAS
issue ``[min, max]``      ``make_issue((min, max))``        continuous issues (NegMAS's default
                                                            offer inverter, BIDS, searches a grid of
                                                            10 levels per continuous issue; the
                                                            protocol takes any value)
``v = 1 - |z - p|``       ``TriangularFun(p - span, p,      the same value function in issue units
                          p + span)``
salience / sum            ``LinearAdditiveUtilityFunction`` the same weights
                          weights
``walkaway``              ``reserved_value``                the same walk-away (BATNA)
strategy (beta)           ``TimeBasedConcedingNegotiator``  target ``w + (1 - (t/T)^(1/beta))(1 - w)``
                          ``offering_curve=1/beta``,        on both sides (NegMAS scales its
                          ``stochastic=False``              aspiration between the reserved value
                                                            and the best utility)
========================= ================================= =========================================

They differ in how an offer is chosen (negsim: the point on the segment
toward the others' weighted ideal where the proposer's utility is its
target; NegMAS: the outcome of its grid whose utility is nearest above the
target) and in the answer (negsim: at least next round's target, AC_next;
NegMAS: at least the current target), so the deals differ; the size of the
problem (parties, issues, rounds, kind of concession) is the same.

**The measurement** (:func:`peer`): in each of ``repeats`` interleaved
blocks, NegMAS sessions one by one, ``sim.run`` one session at a time, the
Mesa model stepped to the end per session, and ``sim.run_many`` of
``sessions`` sessions in one call; CPU time of this process (one BLAS
thread), rates from the totals.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np

from sim.core.errors import Problem, UserError
from sim.core.scenario import Scenario
from sim.core.threads import one_blas_thread
from sim.engine.batch import run_many
from sim.engine.model import NegotiationModel
from sim.engine.runner import run
from sim.engine.scenarios import scenario_from_dict
from sim.protocols.strategies import TIME_BETA

__all__ = [
    "GOALS",
    "INSTALL",
    "negmas_problems",
    "negmas_session",
    "peer",
    "peer_report",
    "peer_scenario",
    "peer_spec",
    "require_negmas",
]

INSTALL = "pip install negmas"
"""How to install the peer (by hand; never a dependency)."""

GOALS = {"batched": 500.0, "run": 2.0}
"""Issue #17's goals: batched engine >= 500x NegMAS; a single ``sim.run`` >= 2x."""

_ISSUES = ("x", "y", "z")
_PARTIES = {  # id: (ideal per issue on a 0..100 scale, salience per issue, walk-away)
    "a": ((0, 20, 80), (0.6, 0.3, 0.1), 0.35),
    "b": ((100, 0, 40), (0.2, 0.5, 0.3), 0.30),
    "c": ((30, 100, 0), (0.3, 0.3, 0.4), 0.40),
    "d": ((70, 60, 100), (0.4, 0.2, 0.4), 0.30),
}


def peer_scenario() -> Scenario:
    """The benchmark session: 4 parties, 3 continuous issues on 0..100, 100 rounds, linear concession.

    Synthetic (not a model of the talks): ideals spread over the cube,
    saliences and walk-aways chosen once, equal capability, patience 1 (no
    discounting: NegMAS's time-based negotiators do not discount either).
    """
    parties = {
        pid: {
            "name": pid.upper(),
            "capability": 1.0,
            "patience": 1.0,
            "walkaway": walk,
            "ideal": dict(zip(_ISSUES, ideal, strict=True)),
            "salience": dict(zip(_ISSUES, salience, strict=True)),
            "strategy": "linear",
        }
        for pid, (ideal, salience, walk) in _PARTIES.items()
    }
    data = {
        "scenario": {
            "name": "bench-4party",
            "title": "Peer benchmark: 4 parties, 3 issues, 100 rounds",
            "rounds": 100,
            "protocol": "alternating",
            "seed": 0,
            "main_parties": ["a", "b"],
            "sources": ["Synthetic benchmark session (sim/experiments/peer.py); not a model of the talks"],
        },
        "issues": {i: {"label": i, "min": 0.0, "max": 100.0} for i in _ISSUES},
        "parties": parties,
    }
    return scenario_from_dict(data, "<peer benchmark>")


def negmas_problems(scenario: Scenario) -> list[Problem]:
    """What a scenario uses that the NegMAS session cannot express (empty: it translates).

    The session needs continuous issues without a no-deal line, linear value
    functions, constant walk-aways, no red lines, time-dependent strategies,
    patience 1, every party signing for every issue, no ratification,
    walk-outs, breakdown risk, coalitions, battlefield or events.
    """
    src = scenario.source
    problems = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(src, field, f"{message} (the NegMAS peer session cannot express it)"))

    for issue in scenario.issues:
        if issue.step or issue.discrete:
            bad(f"issues.{issue.id}", "must be continuous (no step, not discrete)")
        if issue.no_deal_path:
            bad(f"issues.{issue.id}.no_deal_path", "must be absent")
    for party in scenario.parties:
        at = f"parties.{party.id}"
        if any(k != 1.0 for k in party.curvature.values()):
            bad(f"{at}.curvature", "must be 1 (linear values)")
        for issue in scenario.issues:
            if tuple(party.red_lines.get(issue.id, (issue.min, issue.max))) != (issue.min, issue.max):
                bad(f"{at}.red_lines.{issue.id}", "must be absent")
        if party.walkaway_drift or party.walkaway_path:
            bad(f"{at}.walkaway_drift", "must be 0 (a constant walk-away value)")
        if party.strategy not in TIME_BETA:
            bad(f"{at}.strategy", f"must be one of {', '.join(TIME_BETA)}; got {party.strategy!r}")
        if party.patience != 1.0:
            bad(f"{at}.patience", f"must be 1 (NegMAS's time-based negotiators do not discount); got {party.patience}")
        if party.must_agree_on and set(party.must_agree_on) != set(scenario.issue_ids):
            bad(f"{at}.must_agree_on", "must be absent (every party signs for every issue)")
        if party.ratification is not None:
            bad(f"{at}.ratification", "must be absent")
        if party.walkout_after:
            bad(f"{at}.walkout_after", "must be 0")
    if scenario.breakdown_risk:
        bad("scenario.breakdown_risk", "must be 0")
    if scenario.coalitions:
        bad("coalitions", "must be absent")
    if scenario.battlefield is not None:
        bad("battlefield", "must be absent")
    if scenario.events:
        bad("events", "must be absent")
    return problems


def peer_spec(scenario: Scenario) -> dict[str, Any]:
    """The NegMAS session as plain data (what :func:`negmas_session` builds), without importing NegMAS.

    Returns:
        ``n_steps``, ``one_offer_per_step``, ``issues`` (``[(id, min, max)]``) and
        ``parties``: per party its ``id``, ``weights`` (salience normalised to sum
        1), ``triangles`` (``(start, middle, end)`` of ``v = 1 - |x - p| / span``
        per issue, in issue units), ``reserved_value`` and ``exponent`` (1 / beta).

    Raises:
        UserError: When the scenario uses something the NegMAS session cannot express.
    """
    problems = negmas_problems(scenario)
    if problems:
        raise UserError(problems)
    return {
        "n_steps": scenario.rounds,
        "one_offer_per_step": True,
        "issues": [(i.id, float(i.min), float(i.max)) for i in scenario.issues],
        "parties": [
            {
                "id": p.id,
                "weights": {i.id: p.weights()[i.id] for i in scenario.issues},
                "triangles": {
                    i.id: (p.ideal[i.id] - i.span, float(p.ideal[i.id]), p.ideal[i.id] + i.span)
                    for i in scenario.issues
                },
                "reserved_value": float(p.walkaway),
                "exponent": 1.0 / TIME_BETA[p.strategy],
            }
            for p in scenario.parties
        ],
    }


def require_negmas() -> str:
    """NegMAS's version; a one-line UserError naming the install command when it is missing."""
    try:
        import negmas
    except ImportError:
        raise UserError.at(
            "--peer",
            "",
            "needs NegMAS, an optional tool for this comparison only (AGPL, never a negsim dependency); "
            f"install it by hand: {INSTALL}",
        ) from None
    return str(negmas.__version__)


def negmas_session(spec: dict[str, Any]):
    """A fresh NegMAS ``SAOMechanism`` with its negotiators, from :func:`peer_spec` (NegMAS imported here)."""
    from negmas import SAOMechanism, make_issue
    from negmas.preferences import LinearAdditiveUtilityFunction
    from negmas.preferences.value_fun import TriangularFun
    from negmas.sao import TimeBasedConcedingNegotiator

    issues = [make_issue((low, high), name) for name, low, high in spec["issues"]]
    mechanism = SAOMechanism(issues=issues, n_steps=spec["n_steps"], one_offer_per_step=spec["one_offer_per_step"])
    for party in spec["parties"]:
        ufun = LinearAdditiveUtilityFunction(
            values={name: TriangularFun(start=s, middle=m, end=e) for name, (s, m, e) in party["triangles"].items()},
            weights=party["weights"],
            outcome_space=mechanism.outcome_space,
            reserved_value=party["reserved_value"],
        )
        negotiator = TimeBasedConcedingNegotiator(name=party["id"], offering_curve=party["exponent"], stochastic=False)
        mechanism.add(negotiator, ufun=ufun)
    return mechanism


def _negmas_block(spec: dict[str, Any], seeds: range) -> tuple[float, list[int], list[bool]]:
    steps, deals = [], []
    started = time.process_time()
    for seed in seeds:
        random.seed(seed)  # NegMAS draws from random and numpy's global state
        np.random.seed(seed)
        state = negmas_session(spec).run()
        steps.append(int(state.step))
        deals.append(state.agreement is not None)
    return time.process_time() - started, steps, deals


def _negsim_runs(scenario: Scenario, seeds: range) -> None:
    for seed in seeds:
        run(scenario, protocol="alternating", seed=seed)


def _negsim_models(scenario: Scenario, seeds: range) -> None:
    for seed in seeds:
        NegotiationModel(scenario, "alternating", seed=seed).run_to_end().release()


def _cpu(work, *args, **kwargs) -> float:
    """CPU seconds of this process spent in ``work(*args, **kwargs)``."""
    started = time.process_time()
    work(*args, **kwargs)
    return time.process_time() - started


def peer(
    scenario: Scenario | None = None, sessions: int = 20_000, singles: int = 200, repeats: int = 4
) -> dict[str, Any]:
    """negsim's three faces against NegMAS on one session, interleaved, CPU-time rates.

    Args:
        scenario: The session (default: :func:`peer_scenario`); played with ``alternating``.
        sessions: Sessions per ``run_many`` call (one call per block).
        singles: Sessions in total for each one-at-a-time path (``sim.run``,
            the Mesa model, NegMAS), split over the blocks.
        repeats: Interleaved blocks.

    Returns:
        Sessions per CPU second of ``negsim_batched``, ``negsim_run``,
        ``negsim_model`` and ``negmas``; the ratios to NegMAS and the goals;
        rounds played and deals on both sides; context.

    Raises:
        UserError: Without NegMAS, or for a scenario it cannot express.
    """
    version = require_negmas()
    scenario = scenario or peer_scenario()
    spec = peer_spec(scenario)
    per_block = max(1, singles // repeats)
    cpu = dict.fromkeys(("negmas", "negsim_run", "negsim_model", "negsim_batched"), 0.0)
    steps: list[int] = []
    deals: list[bool] = []
    with one_blas_thread():
        _negmas_block(spec, range(1))  # warm-up: imports and caches on every path
        outcome = run(scenario, protocol="alternating")
        NegotiationModel(scenario, "alternating").run_to_end().release()
        table = run_many(scenario, protocol="alternating", seeds=np.arange(100))
        for block in range(repeats):
            seeds = range(block * per_block, (block + 1) * per_block)
            spent, got_steps, got_deals = _negmas_block(spec, seeds)
            cpu["negmas"] += spent
            steps += got_steps
            deals += got_deals
            cpu["negsim_run"] += _cpu(_negsim_runs, scenario, seeds)
            cpu["negsim_model"] += _cpu(_negsim_models, scenario, seeds)
            batch = np.arange(block * sessions, (block + 1) * sessions)
            cpu["negsim_batched"] += _cpu(run_many, scenario, protocol="alternating", seeds=batch)
    count = {"negmas": per_block * repeats, "negsim_run": per_block * repeats, "negsim_model": per_block * repeats}
    count["negsim_batched"] = sessions * repeats
    rate = {path: count[path] / cpu[path] for path in cpu}
    result: dict[str, Any] = {f"{path}_sessions_per_s": round(rate[path], 2) for path in cpu}
    for path, key in (("negsim_batched", "batched"), ("negsim_run", "run"), ("negsim_model", "model")):
        result[f"ratio_{key}"] = round(rate[path] / rate["negmas"], 2)
    result |= {
        "goal_batched": GOALS["batched"],
        "goal_run": GOALS["run"],
        "negsim_rounds": outcome.end_round,
        "negsim_agreement": outcome.agreement,
        "negsim_batched_mean_rounds": float(table["end_round"].mean()),
        "negmas_mean_steps": round(float(np.mean(steps)), 2),
        "negmas_agreement_share": round(float(np.mean(deals)), 3),
        "cpu_seconds": {path: round(value, 3) for path, value in cpu.items()},
        "scenario": scenario.name,
        "parties": len(scenario.parties),
        "issues": len(scenario.issues),
        "rounds": scenario.rounds,
        "sessions": sessions,
        "singles": per_block * repeats,
        "repeats": repeats,
        "negmas_version": version,
    }
    return result


def peer_report(result: dict[str, Any]) -> str:
    """The comparison as a table."""
    from sim.report.tables import format_table

    def ratio(key: str) -> str:
        return f"{result[f'ratio_{key}']:,.2f}x"

    negmas = f"{result['negmas_sessions_per_s']:,.2f}"
    rows = [
        [
            f"batched run_many ({result['sessions']:,} per call)",
            f"{result['negsim_batched_sessions_per_s']:,.0f}",
            negmas,
            ratio("batched"),
            f">= {result['goal_batched']:,.0f}x",
        ],
        ["one sim.run per session", f"{result['negsim_run_sessions_per_s']:,.2f}", negmas, ratio("run"), ""],
        ["Mesa model per session", f"{result['negsim_model_sessions_per_s']:,.2f}", negmas, ratio("model"), ""],
    ]
    rows[1][4] = f">= {result['goal_run']:,.0f}x"
    head = (
        f"peer comparison on {result['scenario']} ({result['parties']} parties, {result['issues']} issues, "
        f"{result['rounds']} rounds, alternating offers, linear time-based concession): sessions per CPU second, "
        f"{result['repeats']} interleaved blocks, NegMAS {result['negmas_version']}"
    )
    deal = f"deal in round {result['negsim_rounds']}" if result["negsim_agreement"] else "no deal"
    foot = (
        f"negsim: {deal}; NegMAS: {result['negmas_mean_steps']:.1f} steps on average, "
        f"deals in {result['negmas_agreement_share']:.0%} of {result['singles']} sessions"
    )
    table = format_table(["path", "negsim", "NegMAS", "ratio", "goal"], rows)
    return head + "\n\n" + table + "\n\n" + foot
