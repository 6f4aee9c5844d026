"""The kernel loop: setting finished rows aside (compaction) changes no result, and every round is observed."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

import numpy as np
import pytest
from conftest import GENEVA, four_party_data

from sim.core.compile import compile_params
from sim.core.slots import apply_values
from sim.core.streams import spawn_seeds
from sim.engine import kernel
from sim.engine.kernel import run_kernel
from sim.engine.scenarios import load_scenario, scenario_from_dict
from sim.protocols import protocol_names, resolve_protocol


def flat(value, prefix=""):
    """Every array of a state, by dotted name."""
    if is_dataclass(value):
        out = {}
        for f in fields(value):
            out.update(flat(getattr(value, f.name), f"{prefix}{f.name}."))
        return out
    return {prefix.rstrip("."): value}


def batch(scenario, n, seed):
    rng = np.random.default_rng(seed)
    values = {
        "parties." + scenario.party_ids[0] + ".walkaway": rng.uniform(0.2, 0.7, n),
        "parties." + scenario.party_ids[1] + ".walkaway": rng.uniform(0.2, 0.7, n),
        "scenario.noise": rng.uniform(0.0, 0.05, n),
    }
    return apply_values(compile_params(scenario, n), scenario, values), spawn_seeds(seed, n)


@pytest.mark.parametrize("protocol", protocol_names())
@pytest.mark.parametrize("which", ["geneva", "four"])
def test_compaction_changes_no_result(protocol, which, monkeypatch):
    scenario = load_scenario(GENEVA) if which == "geneva" else scenario_from_dict(four_party_data())
    monkeypatch.setattr(kernel, "COMPACT_MIN_ROWS", 4)  # small batches: zeuthen takes about a second a row
    params, seeds = batch(scenario, 12, 4)
    proto = resolve_protocol(scenario, protocol)
    seen_compact, seen_plain = [], []
    compact = run_kernel(proto, params, seeds, observe=lambda s: seen_compact.append(s.text))
    monkeypatch.setattr(kernel, "COMPACT_MIN_ROWS", 10**9)
    plain = run_kernel(proto, params, seeds, observe=lambda s: seen_plain.append(s.text))
    a, b = flat(compact), flat(plain)
    assert a.keys() == b.keys()
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
    assert len(seen_compact) == len(seen_plain)
    assert all(np.array_equal(x, y, equal_nan=True) for x, y in zip(seen_compact, seen_plain, strict=True))


def test_compaction_happens_when_most_rows_are_done(monkeypatch):
    scenario = load_scenario(GENEVA)
    params, seeds = batch(scenario, 600, 5)
    sizes = []
    original = kernel.RunStreams.from_seeds
    monkeypatch.setattr(kernel.RunStreams, "from_seeds", lambda s: (sizes.append(len(s)), original(s))[1])
    run_kernel(resolve_protocol(scenario, None), params, seeds)
    assert sizes[0] == 600 and len(sizes) > 1 and sizes[-1] < 300
