"""Drive a protocol kernel on a batch: the loop the batched engine and forecasts share.

Light on purpose (numpy and the protocols only, no Mesa, no pandas): a
forecast of a few thousand runs is mostly import time, so what it imports
matters.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.core.errors import UserError
from sim.core.params import KernelParams
from sim.core.scenario import Scenario
from sim.core.streams import RunStreams
from sim.protocols import Protocol, State, get_protocol, protocol_names

__all__ = ["resolve_protocol", "run_kernel"]


def resolve_protocol(scenario: Scenario, protocol: str | Protocol | None) -> Protocol:
    """The protocol to run: given by name or instance, else the scenario's default."""
    if isinstance(protocol, Protocol):
        return protocol
    name = protocol or scenario.protocol
    if name not in protocol_names():
        raise UserError.at("--protocol", "", f"unknown protocol {name!r}; choose one of {', '.join(protocol_names())}")
    return get_protocol(name)


def run_kernel(
    protocol: Protocol,
    params: KernelParams,
    seeds: np.ndarray,
    observe: Callable[[State], None] | None = None,
) -> State:
    """Drive a protocol on a batch until every row has finished.

    Finished rows are left as they are by the kernel (masked); the loop ends
    when every row has a deal or reached its round limit.

    Args:
        protocol: The protocol.
        params: The rows' parameters.
        seeds: One seed per row.
        observe: Called with the state of round 0 and after every round (a
            forecast records the text round by round this way).
    """
    streams = RunStreams.from_seeds(seeds)
    state = protocol.start(params, streams)
    if observe is not None:
        observe(state)
    limit = int(params.rounds.max()) if params.batch else 0
    while not state.done.all() and state.t < limit:
        state = protocol.step(params, state, streams)
        if observe is not None:
            observe(state)
    return state
