"""Parties as Mesa agents: what each party holds and shows, round by round."""

from __future__ import annotations

import mesa

from sim.core.scenario import Party

__all__ = ["PartyAgent"]


class PartyAgent(mesa.Agent):
    """One party at the table.

    ``model`` is the :class:`~sim.engine.model.NegotiationModel` (typed as a
    Mesa model: the agent reads its ``state`` and ``scenario``). The
    bargaining maths is in the protocol kernel; after each round the agent
    reads its own slice of the kernel state, so the DataCollector (and the
    browser UI) can report and draw it.

    Attributes:
        party: The scenario's description of the party.
        index: The party's position in the scenario (kernel axis P).
        position: Its stated position per issue, in issue units.
        utility: Its utility of the text on the table.
        walkaway: Its current walk-away value.
        aspiration: Its current aspiration level.
        accepts: Whether it accepts the text on the table.
    """

    def __init__(self, model: mesa.Model, party: Party, index: int) -> None:
        super().__init__(model)
        self.party = party
        self.index = index
        self.position: dict[str, float] = {}
        self.utility = 0.0
        self.walkaway = party.walkaway
        self.aspiration = 1.0
        self.accepts = False
        self.observe()

    def observe(self) -> None:
        """Copy this party's row of the model's current kernel state."""
        state = self.model.state
        z = state.demands[0, self.index]
        self.position = {
            issue.id: float(issue.min + zi * issue.span)
            for issue, zi in zip(self.model.scenario.issues, z, strict=True)
        }
        self.utility = float(state.utility[0, self.index])
        self.walkaway = float(state.walkaway[0, self.index])
        self.aspiration = float(state.aspiration[0, self.index])
        self.accepts = bool(state.accepts[0, self.index])
