"""A sweep's cost (sim/experiments/budget.py): estimated from a pilot, refused past the limits."""

from __future__ import annotations

import pytest
from conftest import GENEVA

from sim.core.errors import UserError
from sim.core.streams import spawn_seeds
from sim.experiments import budget
from sim.experiments.spec import experiment_from_dict
from sim.experiments.sweep import chunk_task, run_chunk


def _experiment(runs: int = 40) -> object:
    return experiment_from_dict(
        {
            "experiment": {"name": "b", "scenario": str(GENEVA), "design": "lhs", "runs": runs, "seed": 1},
            "uncertainties": {"parties.russia.walkaway": {"low": 0.4, "high": 0.6}},
            "outcomes": {"names": ["agreement"]},
        },
        "b.toml",
    )


def test_estimate_scales_a_pilot():
    e = _experiment()
    design = e.build_design()
    cost = budget.estimate(e, design, spawn_seeds(1, design.rows), design.rows, 2, 2, run_chunk, chunk_task)
    assert cost.rows == 40 and cost.parallel == 2
    assert 0 < cost.seconds < 60 and cost.chunk_mb > 0 and cost.memory_mb > 2 * budget.WORKER_MB
    assert "on 2 workers" in cost.describe()


@pytest.mark.parametrize(
    ("limits", "flag"),
    [({"runs": 10}, "--max-runs"), ({"minutes": 1e-9}, "--max-minutes"), ({"memory": 1}, "--max-memory")],
)
def test_limits_refuse_naming_the_flag(limits, flag):
    e = _experiment()
    cost = budget.Estimate(rows=40, seconds=1.0, memory_mb=300.0, chunk_mb=5.0, parallel=1)
    with pytest.raises(UserError, match=f"raise it with {flag}") as info:
        budget.check(e, cost, budget.limits_with_defaults(limits))
    assert str(info.value).startswith("b.toml: experiment: ")


def test_defaults_pass_a_small_sweep():
    budget.check(_experiment(), budget.before_design(_experiment()), budget.limits_with_defaults(None))
