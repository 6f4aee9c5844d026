"""The Mesa model: a negotiation you can step and watch.

:class:`NegotiationModel` drives a protocol kernel on a batch of one and keeps
one :class:`~sim.agents.PartyAgent` per party, a DataCollector and the full
history of kernel states. The batched engine calls the same kernel on many
rows at once, so both faces give the same deal for the same seed.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.core.compile import compile_params
from sim.core.params import KernelParams
from sim.core.scenario import Scenario
from sim.core.streams import RunStreams
from sim.engine.agents import PartyAgent
from sim.protocols import Protocol, Seat, State, play_round, resolve_protocol

__all__ = ["NegotiationModel"]


class NegotiationModel(mesa.Model):
    """A negotiation stepped round by round (one Mesa step = one round).

    Args:
        scenario: The validated scenario.
        protocol: Protocol name or instance (default: the scenario's).
        seed: Seed of the run's random stream (default: the scenario's).
        rounds: Round limit (default: the scenario's).
        params: Kernel parameters of one row to use instead of the scenario's
            own numbers (the batched engine's rows, for equality tests).

    Attributes:
        state: The current kernel state (batch of one).
        history: Every state from round 0 on.
        datacollector: Model and agent reporters per round.
    """

    def __init__(
        self,
        scenario: Scenario,
        protocol: str | Protocol | None = None,
        seed: int | None = None,
        rounds: int | None = None,
        params: KernelParams | None = None,
    ) -> None:
        self.seed_value = scenario.seed if seed is None else int(seed)
        super().__init__(seed=self.seed_value)
        self.scenario = scenario
        self.protocol = resolve_protocol(scenario, protocol)
        self.params = params if params is not None else compile_params(scenario, 1, rounds)
        self.streams = RunStreams.from_seeds([self.seed_value])
        self.state: State = self.protocol.start(self.params, self.streams)
        self.history: list[State] = [self.state]
        for index, party in enumerate(scenario.parties):
            PartyAgent(self, party, index)
        issue_reporters = {
            f"text.{issue.id}": (lambda m, i=k: float(m.text[i])) for k, issue in enumerate(scenario.issues)
        }
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": lambda m: m.state.t,
                "agreement": lambda m: bool(m.state.agreement[0]),
                **issue_reporters,
            },
            agent_reporters={
                "party": lambda a: a.party.id,
                "utility": "utility",
                "walkaway": "walkaway",
                "aspiration": "aspiration",
                "accepts": "accepts",
            },
        )
        self.datacollector.collect(self)

    @property
    def done(self) -> bool:
        """Whether the negotiation has ended (deal or round limit)."""
        return bool(self.state.done[0])

    def step(self, seat: Seat | None = None) -> None:
        """Play one round.

        Args:
            seat: One party's move this round supplied from outside (a person
                at the table; see :class:`~sim.protocols.seat.Seat`).
        """
        if self.done:
            self.running = False
            return
        self.state = play_round(self.protocol, self.params, self.state, self.streams, seat)
        self.history.append(self.state)
        self.agents.do("observe")
        self.datacollector.collect(self)
        if self.done:
            self.running = False

    def run_to_end(self) -> NegotiationModel:
        """Step until a deal or the round limit; returns self."""
        limit = int(self.params.rounds[0])
        while not self.done and self.state.t < limit:
            self.step()
        self.running = False
        return self

    def release(self) -> None:
        """Forget this model in Mesa's global agent-id registry (for long sweeps)."""
        mesa.Agent._ids.pop(self, None)

    @property
    def text(self) -> np.ndarray:
        """The current text in issue units."""
        return self.scenario.to_units(self.state.text[0], on_grid=True)
