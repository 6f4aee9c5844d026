"""Every protocol is a plug: one interface, chosen by name, same pinned outputs."""

from __future__ import annotations

import ast
import json

import pytest
from conftest import GENEVA, ROOT

from sim.cli import main
from sim.engine.runner import run
from sim.engine.scenarios import load_scenario
from sim.protocols import PROTOCOLS, Protocol, get_protocol, protocol_names
from sim.report.files import write_outcome

ALL = protocol_names()


def _names_defined_in_files() -> set[str]:
    """The ``name = "..."`` of every class in sim/protocols/*.py, read from the source."""
    names = set()
    for path in (ROOT / "sim" / "protocols").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    target = item.targets[0] if isinstance(item, ast.Assign) and len(item.targets) == 1 else None
                    if isinstance(target, ast.Name) and target.id == "name" and isinstance(item.value, ast.Constant):
                        names.add(item.value.value)
    return names


def test_registry_lists_every_protocol_with_summary_and_reference():
    assert set(protocol_names()) == _names_defined_in_files()  # a new file is found, no list to edit
    assert protocol_names()[:5] == ["mediated", "alternating", "zeuthen", "bdm", "compromise"]
    for name, cls in PROTOCOLS.items():
        proto = get_protocol(name)
        assert isinstance(proto, Protocol) and proto.name == name
        assert cls.summary and cls.reference
        assert cls.__module__ == f"sim.protocols.{name}"  # one module each


def test_negsim_protocols_prints_each(capsys):
    assert main(["protocols"]) == 0
    out = capsys.readouterr().out
    for name, cls in PROTOCOLS.items():
        assert name in out and cls.reference in out


@pytest.fixture(scope="module")
def geneva():
    return load_scenario(GENEVA)


@pytest.mark.parametrize("name", ALL)
def test_each_protocol_writes_the_pinned_outputs(geneva, name, tmp_path):
    out = run(geneva, protocol=name)
    write_outcome(out, tmp_path, figures=False)
    data = json.loads((tmp_path / "outcome.json").read_text())
    assert data["protocol"] == name
    for key in (
        "agreement",
        "round",
        "deal",
        "utilities",
        "seed",
        "scenario_sha256",
        "version",
        "benchmarks",
    ):
        assert key in data
    for key in ("distance_to_nash", "distance_to_kalai_smorodinsky", "pareto_gap", "pareto_efficient"):
        assert key in data
    header = (tmp_path / "rounds.csv").read_text().splitlines()[0]
    assert header.startswith("round,party,issue,position")


@pytest.mark.parametrize("name", ALL)
def test_protocol_chosen_by_scenario_key(geneva, name):
    variant = geneva.with_values({"scenario.protocol": name})
    assert run(variant).protocol == name


@pytest.mark.parametrize("name", ALL)
def test_each_protocol_is_deterministic(geneva, name):
    first, second = run(geneva, protocol=name), run(geneva, protocol=name)
    assert first.to_json() == second.to_json()
    assert first.rounds_csv() == second.rounds_csv()
