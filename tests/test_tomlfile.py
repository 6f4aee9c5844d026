"""Reading a user's TOML file (sim/core/tomlfile.py): size, encoding, syntax and nesting, one line each."""

from __future__ import annotations

import pytest

from sim.core.errors import UserError
from sim.core.schema import limit
from sim.core.tomlfile import depth_of, read_toml


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a = 1\n# " + b"x" * 1_100_000 + b"\n", "file too large: must have at most 1,048,576 bytes"),
        ("a = 'été'".encode("latin-1"), "not UTF-8 text"),
        (b"a = [1, 2", "not valid TOML"),
        (b"a = " + b"[" * 5000 + b"1" + b"]" * 5000, "nested too deeply"),
        (b"a = " + b"{b = " * 50 + b"1" + b"}" * 50, "nested too deeply: must have at most 10 levels"),
    ],
)
def test_bad_files_one_line(tmp_path, content, message):
    path = tmp_path / "f.toml"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        read_toml(path)
    assert len(info.value.problems) == 1 and message in str(info.value)
    assert str(info.value).startswith(f"{path}: ")


def test_missing_and_folder(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        read_toml(tmp_path / "nope.toml")
    with pytest.raises(UserError, match="is a folder"):
        read_toml(tmp_path)


def test_depth_counts_tables_and_lists_and_stops_early():
    assert depth_of({"a": {"b": [1, [2]]}}, 10) == 4
    deep: list = []
    node = deep
    for _ in range(100_000):  # deeper than the interpreter's recursion limit: counted without recursion
        node.append([])
        node = node[0]
    assert depth_of(deep, limit("depth").value) == limit("depth").value + 1
