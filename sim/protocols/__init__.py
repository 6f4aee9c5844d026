"""Bargaining protocols, one module each, chosen by name.

Use :func:`get_protocol` to build one from its name and
:func:`protocol_names` to list them.
"""

from __future__ import annotations

from sim.protocols.alternating import Alternating
from sim.protocols.base import Protocol, State
from sim.protocols.bdm import Bdm
from sim.protocols.compromise import Compromise
from sim.protocols.mediated import Mediated
from sim.protocols.zeuthen import Zeuthen

__all__ = ["PROTOCOLS", "Protocol", "State", "get_protocol", "protocol_names"]

PROTOCOLS: dict[str, type[Protocol]] = {cls.name: cls for cls in (Mediated, Alternating, Zeuthen, Bdm, Compromise)}


def protocol_names() -> list[str]:
    """Names of the available protocols."""
    return list(PROTOCOLS)


def get_protocol(name: str) -> Protocol:
    """A protocol instance by name.

    Raises:
        KeyError: If no protocol has that name.
    """
    return PROTOCOLS[name]()
