"""Dotted paths into a scenario's tables: ``parties.russia.walkaway``, ``issues.x.no_deal_path.1.1``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sim.core.errors import UserError

__all__ = ["canonical_sha256", "get_path", "set_path"]


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
