"""Run one negotiation end to end: the stepped model plus its benchmarks."""

from __future__ import annotations

import numpy as np

from sim.benchmarks.solutions import Solutions, pareto_gain, pareto_gap, solve
from sim.core.scenario import Scenario
from sim.engine.model import NegotiationModel
from sim.engine.outcome import History, Outcome, result_of
from sim.protocols import ENDINGS, Protocol

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

    model = NegotiationModel(scenario, protocol, seed, rounds).run_to_end()
    model.release()
    state = model.state
    agreement, deal, utility, walk = result_of(scenario, state)
    ids = scenario.party_ids
    solutions = solutions or solve(scenario)
    return Outcome(
        scenario=scenario,
        protocol=model.protocol.name,
        seed=model.seed_value,
        rounds_max=int(model.params.rounds[0]),
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
        forecast=model.protocol.forecast,
        history=History.from_states(scenario, model.history),
        version=__version__,
        ended_by=ENDINGS[int(state.ended_by[0])] or "round_limit",
        raw_deal=_raw_forecast(scenario, state) if agreement and model.protocol.forecast else None,
    )


def _raw_forecast(scenario: Scenario, state) -> dict[str, float] | None:
    """A forecasting protocol's forecast before it was put on a grid or an option (its memory's ``raw``)."""
    raw = getattr(state.memory, "raw", None)
    if raw is None:
        return None
    values = scenario.to_units(raw[0])
    return {i.id: float(v) for i, v in zip(scenario.issues, values, strict=True)}
