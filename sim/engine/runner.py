"""Run one negotiation end to end: the kernel on a batch of one, plus its benchmarks.

``run`` plays the same rounds as the Mesa model (:class:`~sim.engine.model.NegotiationModel`,
for stepping and watching) without its per-step overhead and without importing Mesa;
``tests/test_model.py`` checks that both give the same rows.
"""

from __future__ import annotations

import numpy as np

from sim.benchmarks.solutions import Solutions, pareto_gain, pareto_gap, solve
from sim.core.compile import compile_params
from sim.core.scenario import Scenario
from sim.engine.kernel import play
from sim.engine.outcome import History, Outcome, result_of
from sim.protocols import ENDINGS, Protocol, resolve_protocol

__all__ = ["distance_to", "run"]


def distance_to(scenario: Scenario, deal: dict[str, float] | None, point: dict[str, float] | None) -> float | None:
    """RMS distance between two texts on normalised issues, in [0, 1].

    ``sqrt(mean_i ((x_i - y_i) / (max_i - min_i)) ** 2)``; None if either is None.
    """
    if deal is None or point is None:
        return None
    diffs = [(deal[i.id] - point[i.id]) / i.span for i in scenario.issues]
    return float(np.sqrt(np.mean(np.square(diffs))))


def run(
    scenario: Scenario,
    protocol: str | Protocol | None = None,
    seed: int | None = None,
    rounds: int | None = None,
    solutions: Solutions | None = None,
) -> Outcome:
    """Run a scenario with the stepped Mesa model and measure it against the benchmarks.

    Args:
        scenario: The validated scenario.
        protocol: Protocol name (default: the scenario's ``protocol``).
        seed: Seed (default: the scenario's ``seed``).
        rounds: Round limit (default: the scenario's ``rounds``).
        solutions: Precomputed benchmarks (computed when None).

    Returns:
        The outcome.
    """
    from sim.version import __version__

    proto = resolve_protocol(scenario, protocol)
    seed_value = scenario.seed if seed is None else int(seed)
    params = compile_params(scenario, 1, rounds)
    history = list(play(proto, params, np.array([seed_value], dtype=np.int64)))
    state = history[-1]
    agreement, deal, utility, walk = result_of(scenario, state)
    ids = scenario.party_ids
    solutions = solutions or solve(scenario)
    return Outcome(
        scenario=scenario,
        protocol=proto.name,
        seed=seed_value,
        rounds_max=int(params.rounds[0]),
        agreement=agreement,
        round=int(state.round[0]) if agreement else None,
        end_round=int(state.t),
        deal=deal,
        utilities=utility,
        walkaways=walk,
        benchmarks=solutions.as_dict(),
        distance_to_nash=distance_to(scenario, deal, solutions.nash),
        distance_to_ks=distance_to(scenario, deal, solutions.kalai_smorodinsky),
        pareto_gap=None if deal is None else pareto_gap(scenario, deal),
        pareto_gain=None if deal is None else pareto_gain(scenario, deal),
        accepts={pid: bool(a) for pid, a in zip(ids, state.accepts[0], strict=True)},
        forecast=proto.forecast,
        history=History.from_states(scenario, history),
        version=__version__,
        ended_by=ENDINGS[int(state.ended_by[0])] or "round_limit",
        raw_deal=_raw_forecast(scenario, state) if agreement and proto.forecast else None,
    )


def _raw_forecast(scenario: Scenario, state) -> dict[str, float] | None:
    """A forecasting protocol's forecast before it was put on a grid or an option (its memory's ``raw``)."""
    raw = getattr(state.memory, "raw", None)
    if raw is None:
        return None
    values = scenario.to_units(raw[0])
    return {i.id: float(v) for i, v in zip(scenario.issues, values, strict=True)}
