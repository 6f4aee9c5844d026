"""The flop count of a round (sim/experiments/flops.py) against counts made by hand."""

from __future__ import annotations

import pytest
from conftest import two_party_data

from sim.engine.scenarios import scenario_from_dict
from sim.experiments.bench import bench_report
from sim.experiments.flops import FLOP_LIMIT, flop_rates, flops_per_round, round_terms


def test_two_parties_one_issue_mediated_by_hand():
    """P = 2, I = 1, continuous, linear, no red lines, no noise: every equation of a mediated round, counted."""
    by_hand = (
        2 * 4  # walk-aways: w0 + drift t (2), clip (2), per party
        + 2 * 4  # utilities: z - p, abs, 1 - |.|, times w; one issue, no sum
        + 2 * 4  # red-line test: low - tol, <, high + tol, >
        + 2  # walk-away test: U >= w
        + 5  # common red lines: max and min over the 2 parties, overlap test, clip (2)
        + 2 * 4  # aspiration: delta ** t, 1 - w, times, plus
        + 2 * 10  # demands: A - U, 1 - U, divide, clip (2); p - x, times lam, plus x, clip into red lines (2)
        + 9  # pull weights: b c (2), times s (2), times voice (2), sum over parties (1), divide (2)
        + 8  # revision: d - y (2), times mu (2), times objecting (2), sum (1), plus y (1)
    )
    assert by_hand == 76
    assert flops_per_round(scenario_from_dict(two_party_data()), "mediated") == by_hand


def test_two_parties_one_issue_alternating_by_hand():
    by_hand = (
        2 * 4  # walk-aways
        + 2 * 4  # utilities
        + 2 * 4  # red-line test
        + 2  # walk-away test
        + 3
        + 2 * 6  # targets: t / T and its clip (3); per party 1 / beta, power, 1 - alpha, 1 - w, times, plus
        + 9  # concession: r - p, abs, w d, 1 - tau, divide, clip (2), lam (r - p), plus p
        + 2  # the offer clipped into the proposer's red lines
        + 2 * 4  # next round's walk-aways
        + 3
        + 2 * 6  # next round's targets
        + 1
        + 2 * 4  # wait value: 1 - risk once; per party times tau, risk times w, plus, times delta
        + 2 * 2  # threshold - tolerance, compare
    )
    assert by_hand == 88
    assert flops_per_round(scenario_from_dict(two_party_data()), "alternating") == by_hand


def test_features_add_their_terms():
    data = two_party_data()
    data["issues"]["x"]["step"] = 5  # a grid: round(z / step) step, clipped
    data["parties"]["a"]["curvature"] = {"x": 2.0}  # one curved value: one power
    base = flops_per_round(scenario_from_dict(two_party_data()), "mediated")
    assert flops_per_round(scenario_from_dict(data), "mediated") == base + 5 + 1


def test_counts_grow_with_parties_and_issues():
    small = round_terms("alternating", {"P": 2, "I": 1, "G": 0, "K": 0, "J": 0, "S": 0, "F": 0, "C": 0, "noise": 0})
    large = round_terms("alternating", {"P": 4, "I": 7, "G": 0, "K": 0, "J": 0, "S": 0, "F": 0, "C": 0, "noise": 0})
    assert large["utilities"] == 5 * 4 * 7 - 4 and small["utilities"] == 8
    with pytest.raises(ValueError, match="mediated, alternating"):
        round_terms("zeuthen", {"P": 2, "I": 1})


def test_rates_and_bench_table():
    rates = flop_rates(scenario_from_dict(two_party_data(protocol="alternating")), runs=200)
    for name in ("mediated", "alternating"):
        k = rates[name]
        assert k["flop_per_s"] == pytest.approx(k["flops_per_run_round"] * k["run_rounds_per_s"], rel=1e-3)
        assert k["limit_ratio"] == pytest.approx(FLOP_LIMIT / k["flop_per_s"], rel=1e-2)
    table = bench_report(_bench_result(flops=rates))
    rows = {line.split()[0]: line.split()[1] for line in table.splitlines() if line.startswith(("mediated", "altern"))}
    assert "flops/run-round" in table and rows == {"mediated": "76", "alternating": "88"}


def test_bench_report_lists_every_protocols_rate_against_the_goal():
    from sim.experiments.bench import PROTOCOL_GOAL

    result = _bench_result(protocols={"mediated": 2.0 * PROTOCOL_GOAL, "zeuthen": PROTOCOL_GOAL / 4})
    lines = {line.split()[0]: line.split()[1:] for line in bench_report(result).splitlines() if line.strip()}
    assert lines["mediated"] == ["10,000", "2.00x"] and lines["zeuthen"] == ["1,250", "0.25x"]


def _bench_result(**measured) -> dict:
    """A ``bench()`` result with made-up rates, plus ``measured`` (flops, protocols)."""
    return {
        "scenario": "split",
        "protocol": "mediated",
        "peak_rss_mb": 1.0,
        "runs": 200,
        "stepped_runs": 2,
        "cores": 1,
        "stepped_runs_per_s": 1.0,
        "batched_runs_per_s": 2.0,
        "batched_parallel_runs_per_s": 3.0,
        **measured,
    }
