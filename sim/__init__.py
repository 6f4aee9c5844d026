"""negsim: a negotiation position simulator for the Russia-Ukraine peace talks.

The public API::

    from sim import load_scenario, run, solve
    scenario = load_scenario("scenarios/geneva-2025-11.toml")
    outcome = run(scenario, protocol="mediated", seed=7)
    print(outcome.deal, outcome.utilities)
    print(forecast(scenario).to_dict()["p_deal"])       # 2,000 draws of its ranges
    print(explain_run(outcome).to_dict()["binding"])     # why this outcome

``import sim`` is light (numpy and the standard library): every name below is
imported from its subpackage on first use (PEP 562).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sim.version import __version__

__all__ = [
    "Experiment",
    "History",
    "Issue",
    "KernelParams",
    "NegotiationModel",
    "Outcome",
    "Party",
    "Protocol",
    "Scenario",
    "Solutions",
    "UserError",
    "__version__",
    "explain_run",
    "forecast",
    "get_protocol",
    "load_experiment",
    "load_scenario",
    "protocol_names",
    "read_results",
    "run",
    "run_many",
    "scenario_from_dict",
    "solve",
    "write_outcome",
]

_HOMES = {
    "Experiment": "sim.experiments.spec",
    "load_experiment": "sim.experiments.spec",
    "read_results": "sim.experiments.sweep",
    "forecast": "sim.experiments.forecast",
    "explain_run": "sim.experiments.explain",
    "History": "sim.engine.outcome",
    "Outcome": "sim.engine.outcome",
    "NegotiationModel": "sim.engine.model",
    "run": "sim.engine.runner",
    "run_many": "sim.engine.batch",
    "KernelParams": "sim.core.params",
    "Issue": "sim.core.scenario",
    "Party": "sim.core.scenario",
    "Scenario": "sim.core.scenario",
    "load_scenario": "sim.engine.scenarios",
    "scenario_from_dict": "sim.engine.scenarios",
    "UserError": "sim.core.errors",
    "Protocol": "sim.protocols",
    "get_protocol": "sim.protocols",
    "protocol_names": "sim.protocols",
    "Solutions": "sim.benchmarks",
    "solve": "sim.benchmarks",
    "write_outcome": "sim.report.files",
}

if TYPE_CHECKING:  # for type checkers and IDEs only; at run time names load on first use
    from sim.benchmarks import Solutions, solve
    from sim.core.errors import UserError
    from sim.core.params import KernelParams
    from sim.core.scenario import Issue, Party, Scenario
    from sim.engine.batch import run_many
    from sim.engine.model import NegotiationModel
    from sim.engine.outcome import History, Outcome
    from sim.engine.runner import run
    from sim.engine.scenarios import load_scenario, scenario_from_dict
    from sim.experiments.explain import explain_run
    from sim.experiments.forecast import forecast
    from sim.experiments.spec import Experiment, load_experiment
    from sim.experiments.sweep import read_results
    from sim.protocols import Protocol, get_protocol, protocol_names
    from sim.report.files import write_outcome


def __getattr__(name: str) -> Any:
    """Import a public name from its home on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
