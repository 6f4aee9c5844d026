"""The briefing: report.html self-contained (figures as data URIs, nothing fetched), report.md, comparison."""

from __future__ import annotations

import re

import pytest
from conftest import two_party_data, write_scenario

from sim.cli import main

SRC = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def two_scenarios(tmp_path):
    one = two_party_data()
    one["scenario"]["sources"] = ["Report of 2025-03-01 on the split", "An undated note"]
    one["parties"]["a"]["walkaway"] = {"low": 0.1, "high": 0.4}
    two = two_party_data()
    two["scenario"]["name"] = "split-b"
    two["issues"]["y"] = {"min": 0, "max": 10, "label": "other"}
    for p in "ab":
        two["parties"][p]["ideal"]["y"] = 5
        two["parties"][p]["salience"]["y"] = 0.5
    two["issues"]["x"]["max"] = 200  # a different scale: flagged, not compared
    for p, v in (("a", 0), ("b", 200)):
        two["parties"][p]["ideal"]["x"] = v
    return write_scenario(tmp_path / "one.toml", one), write_scenario(tmp_path / "two.toml", two)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("briefing")
    one, two = two_scenarios(tmp)
    out = tmp / "out"
    args = ["report", str(one), str(two), "--runs", "100", "--driver-runs", "10", "--out", str(out)]
    assert main(args) == 0
    return out


def test_html_is_self_contained(report):
    text = (report / "report.html").read_text()
    links = SRC.findall(text)
    assert links and all(link.startswith("data:image/png;base64,") for link in links)
    assert len(links) == 10  # five figures per scenario; no comparison figure without a common issue
    assert "http://" not in text and "https://" not in text and "<script" not in text


def test_markdown_has_the_same_sections_and_figure_files(report):
    md = (report / "report.md").read_text()
    for heading in ("## One issue split", "### The deal per issue", "### Why", "### What drives it"):
        assert heading in md
    figures = re.findall(r"!\[[^]]*\]\((figures/[^)]+)\)", md)
    assert len(figures) == 10 and all((report / f).stat().st_size > 1000 for f in figures)


def test_comparison_flags_issues_on_different_scales(report):
    md = (report / "report.md").read_text()
    assert "## Comparison on common scales" in md
    assert "- x: not compared, scales differ (split: 0-100 %; split-b: 0-200 %)" in md
    assert "- y: not compared, not in split" in md


def test_appendix_lists_judgements_and_dated_sources_and_a_stamp(report):
    md = (report / "report.md").read_text()
    assert "| 2025-03-01 | Report of 2025-03-01 on the split |" in md
    assert "| undated | An undated note |" in md
    assert "| A: walk-away | parties.a.walkaway | 0.25 | 0.1 to 0.4 | range in the file |" in md
    assert "| split: scenario sha256 |" in md and "| negsim version |" in md and "| command | negsim report " in md


def test_same_inputs_same_bytes(report, tmp_path):
    one, two = two_scenarios(tmp_path)
    again = tmp_path / "again"
    assert main(["report", str(one), str(two), "--runs", "100", "--driver-runs", "10", "--out", str(again)]) == 0
    first = (report / "report.md").read_text().replace(str(report), "OUT").replace(str(report.parent), "")
    second = (again / "report.md").read_text().replace(str(again), "OUT").replace(str(tmp_path), "")
    assert first == second
    figures = sorted(p.name for p in (report / "figures").iterdir())
    assert all((report / "figures" / f).read_bytes() == (again / "figures" / f).read_bytes() for f in figures)
