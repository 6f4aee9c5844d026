"""Dotted paths into a scenario's tables: ``parties.russia.walkaway``, ``issues.x.no_deal_path.1.1``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.core import schema
from sim.core.errors import UserError
from sim.core.schema import Domain

__all__ = ["KernelTarget", "canonical_sha256", "get_path", "kernel_target", "set_path"]


def set_path(data: dict, path: str, value: Any, source: str = "") -> None:
    """Set ``value`` at dotted ``path`` in nested tables ``data``.

    A numeric key indexes a list (``issues.territory.no_deal_path.1.1``).
    Missing leaf keys (and missing tables under ``scenario``, e.g.
    ``mediator_bias``) are created; a missing party or issue is an error.
    """
    keys = path.split(".")
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            node = _list_item(node, key, path, source)
            continue
        if not isinstance(node, dict):
            raise UserError.at(source, path, f"{'.'.join(keys[:depth])} is not a table")
        if key not in node:
            if depth <= 1 and keys[0] in ("parties", "issues"):
                known = ", ".join(node) or "none"
                raise UserError.at(source, path, f"no such entry {key!r}; known: {known}")
            node[key] = {}
        node = node[key]
    if isinstance(node, list):
        index = int(keys[-1]) if keys[-1].isdigit() else -1
        _list_item(node, keys[-1], path, source)
        node[index] = value
    elif isinstance(node, dict):
        node[keys[-1]] = value
    else:
        raise UserError.at(source, path, "parent is not a table")


def _list_item(node: list, key: str, path: str, source: str) -> Any:
    if not key.isdigit() or int(key) >= len(node):
        raise UserError.at(source, path, f"{key!r} is not an index of a list of {len(node)}")
    return node[int(key)]


def get_path(data: Mapping, path: str) -> Any:
    """Value at dotted ``path`` in nested tables (numeric keys index lists); KeyError if absent."""
    node: Any = data
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def canonical_sha256(data: Mapping[str, Any]) -> str:
    """SHA-256 of the scenario's data in canonical JSON (comments don't count)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class KernelTarget:
    """Where a scenario path lives in the kernel arrays (see :mod:`sim.core.slots`).

    Attributes:
        field: The KernelParams field, dotted (``"prefs.ideal"``).
        index: Index into the field's non-batch axes.
        domain: The allowed values.
        unit: ``"number"``, ``"position"`` (on issue ``issue``: offset by its
            min, scaled by its span) or ``"distance"`` (scaled by the span).
        issue: The issue index for positions and distances, else -1.
        category: Allowed names for a categorical value (strategy), else None.
    """

    field: str
    index: tuple[int, ...]
    domain: Domain = schema.REAL
    unit: str = "number"
    issue: int = -1
    category: tuple[str, ...] | None = None


def kernel_target(path: str, parties: list[str], issues: list[str], battlefield_issue: str | None = None):
    """The kernel target of a dotted scenario path, or a message saying why it has none (a string).

    Known party and issue ids are needed to index the arrays; an unknown id is
    reported by name.
    """
    keys = path.split(".")
    if keys[0] == "parties" and len(keys) >= 3:
        if keys[1] not in parties:
            return f"unknown party {keys[1]!r}; parties: {', '.join(parties)}"
        a = parties.index(keys[1])
        if len(keys) == 3 and keys[2] in schema.PARTY_NUMBERS:
            field, domain = schema.PARTY_NUMBERS[keys[2]]
            return KernelTarget(field, (a,), domain)
        if len(keys) == 3 and keys[2] == "strategy":
            return KernelTarget("strategy", (a,), category=schema.STRATEGIES)
        per_issue = len(keys) == 4 and keys[2] in ("ideal", *schema.PARTY_ISSUE_NUMBERS)
        red_line = len(keys) == 5 and keys[2] == "red_lines" and keys[4] in ("min", "max")
        if per_issue or red_line:
            if keys[3] not in issues:
                return f"unknown issue {keys[3]!r}; issues: {', '.join(issues)}"
            i = issues.index(keys[3])
            if keys[2] == "ideal":
                return KernelTarget("prefs.ideal", (a, i), unit="position", issue=i)
            if red_line:
                field = "red_lines.low" if keys[4] == "min" else "red_lines.high"
                return KernelTarget(field, (a, i), unit="position", issue=i)
            field, domain = schema.PARTY_ISSUE_NUMBERS[keys[2]]
            return KernelTarget(field, (a, i), domain)
    if keys[0] == "scenario":
        if len(keys) == 3 and keys[1] in schema.HEADER_PARTY_NUMBERS:
            if keys[2] not in parties:
                return f"unknown party {keys[2]!r}; parties: {', '.join(parties)}"
            field, domain = schema.HEADER_PARTY_NUMBERS[keys[1]]
            return KernelTarget(field, (parties.index(keys[2]),), domain)
        if len(keys) == 2 and keys[1] in schema.HEADER_NUMBERS:
            field, domain = schema.HEADER_NUMBERS[keys[1]]
            return KernelTarget(field, (), domain)
    if keys[0] == "battlefield" and len(keys) == 2 and keys[1] in schema.BATTLEFIELD_NUMBERS:
        if battlefield_issue is None or battlefield_issue not in issues:
            return "the scenario has no [battlefield]"
        field, domain, unit = schema.BATTLEFIELD_NUMBERS[keys[1]]
        return KernelTarget(field, (), domain, unit, issues.index(battlefield_issue))
    return "no kernel slot"
