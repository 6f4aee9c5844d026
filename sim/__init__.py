"""negsim: a negotiation position simulator for the Russia-Ukraine peace talks.

The public API::

    from sim import load_scenario, run, solve
    scenario = load_scenario("scenarios/geneva-2025-11.toml")
    outcome = run(scenario, protocol="mediated", seed=7)
    print(outcome.deal, outcome.utilities)
"""

__version__ = "0.1.0"

from sim.batch import run_many  # noqa: E402
from sim.errors import UserError  # noqa: E402
from sim.experiment import Experiment, load_experiment  # noqa: E402
from sim.model import NegotiationModel  # noqa: E402
from sim.outcome import History, Outcome  # noqa: E402
from sim.params import KernelParams  # noqa: E402
from sim.protocols import Protocol, get_protocol, protocol_names  # noqa: E402
from sim.runner import run  # noqa: E402
from sim.scenario import Issue, Party, Scenario, load_scenario, scenario_from_dict  # noqa: E402
from sim.solutions import Solutions, solve  # noqa: E402
from sim.sweep import read_results  # noqa: E402

__all__ = [
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
    "Experiment",
    "load_experiment",
    "read_results",
    "get_protocol",
    "load_scenario",
    "protocol_names",
    "run",
    "run_many",
    "scenario_from_dict",
    "solve",
]
