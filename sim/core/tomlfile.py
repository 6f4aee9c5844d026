"""Reading a user's TOML file: size, encoding, syntax and nesting checked before anything else.

Scenario and experiment files are read here, so that a huge file, a file in
another encoding, broken TOML or tables nested a thousand deep all end with
the same one-line problem naming the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.core.errors import UserError
from sim.core.schema import limit

__all__ = ["depth_of", "read_toml"]


def depth_of(node: Any, stop: int) -> int:
    """Nesting depth of tables and lists in ``node`` (counted up to ``stop + 1``, no deeper)."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > stop:
                return depth
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_toml(path: str | Path) -> dict[str, Any]:
    """The tables of a TOML file.

    Raises:
        UserError: If the file is missing, unreadable, larger than the bound,
            not UTF-8, not TOML, or nested deeper than the bound.
    """
    source = str(path)
    size, depth = limit("file_bytes"), limit("depth")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(size.value + 1)
    except FileNotFoundError:
        raise UserError.at(source, "", "file not found") from None
    except IsADirectoryError:
        raise UserError.at(source, "", "is a folder, not a file") from None
    except OSError as exc:
        raise UserError.at(source, "", f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > size.value:
        raise UserError.at(source, "", f"file too large: {size.message('more')}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError.at(source, "", "not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError.at(source, "", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise UserError.at(source, "", f"nested too deeply: {depth.message('more')}") from None
    if depth_of(data, depth.value) > depth.value:
        raise UserError.at(source, "", f"nested too deeply: {depth.message('more')}")
    return data
