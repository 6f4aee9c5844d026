"""Bargaining protocols, one module each, chosen by name.

Every module in this folder is imported on first use of the package, and every
:class:`~sim.protocols.base.Protocol` subclass it defines is registered under
its ``name``: adding a protocol is adding a file (see ``docs/ARCHITECTURE.md``).
Use :func:`get_protocol` to build one from its name and :func:`protocol_names`
to list them.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

from sim.core.errors import Problem, UserError
from sim.core.scenario import RULES, Rule, RuleContext, Scenario
from sim.protocols.base import (
    ENDINGS,
    REGISTRY,
    ConsentRound,
    Memory,
    Protocol,
    State,
    consent_round,
    next_text,
    play_round,
)
from sim.protocols.seat import Seat

__all__ = [
    "ENDINGS",
    "PROTOCOLS",
    "ConsentRound",
    "Memory",
    "Protocol",
    "Seat",
    "State",
    "consent_round",
    "get_protocol",
    "next_text",
    "play_round",
    "playable_protocols",
    "protocol_names",
    "resolve_protocol",
    "scenario_rules",
]

for _module in pkgutil.iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")

PROTOCOLS: dict[str, type[Protocol]] = {
    cls.name: cls for cls in sorted(REGISTRY.values(), key=lambda cls: (cls.listing_order, cls.name))
}
"""The protocols by name, in listing order."""


def protocol_names() -> list[str]:
    """Names of the available protocols."""
    return list(PROTOCOLS)


def playable_protocols() -> list[str]:
    """Names of the protocols in which a person can take a party's seat."""
    return [name for name, cls in PROTOCOLS.items() if cls.playable]


def get_protocol(name: str, **params: Any) -> Protocol:
    """A protocol instance by name, with constructor ``params``.

    Raises:
        KeyError: If no protocol has that name.
    """
    return PROTOCOLS[name](**params)


def resolve_protocol(scenario: Scenario, protocol: str | Protocol | None) -> Protocol:
    """The protocol to run: given by name or instance, else the scenario's default."""
    if isinstance(protocol, Protocol):
        return protocol
    name = protocol or scenario.protocol
    if name not in protocol_names():
        raise UserError.at("--protocol", "", f"unknown protocol {name!r}; choose one of {', '.join(protocol_names())}")
    return get_protocol(name)


def protocol_rule(ctx: RuleContext) -> list[Problem]:
    """The scenario's default protocol is one of the registered protocols."""
    protocol = ctx.header.get("protocol")
    if isinstance(protocol, str) and protocol not in PROTOCOLS:
        ctx.bad("scenario.protocol", f"must be one of {', '.join(PROTOCOLS)}; got {protocol!r}")
    return ctx.take()


def scenario_rules() -> tuple[Rule, ...]:
    """The rules of the file format, the protocol name, and every protocol's own rules."""
    own = tuple(cls.check for cls in PROTOCOLS.values() if cls.check.__func__ is not Protocol.check.__func__)
    return (*RULES, protocol_rule, *own)
