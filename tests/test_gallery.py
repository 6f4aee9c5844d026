"""The committed gallery: what must hold whatever the numbers, and the bytes `negsim gallery` writes.

The checks of content (every registered protocol present, deals on each issue's
scale and grid, the columns and their scales, utilities in [0, 1]) hold for any
calibration; the byte comparisons then say that the committed files are what the
code writes now. The test builds into a scratch folder and never writes to
``results/gallery/``: a changed number is regenerated on purpose with
``negsim gallery`` and shows as a reviewed diff.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import ROOT

from sim.engine.scenarios import load_scenario
from sim.experiments.gallery import GALLERY, SCENARIOS_COMPARED, build_gallery
from sim.experiments.spec import load_experiment
from sim.protocols import protocol_names
from sim.report.compare import scale_text

COMMITTED = ROOT / "results" / "gallery"
GENEVA = ROOT / "scenarios" / "geneva-2025-11.toml"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _check_deal(issue, cell: str) -> None:
    value = float(cell)
    assert issue.min - 1e-9 <= value <= issue.max + 1e-9, (issue.id, value)
    if issue.step:
        steps = (value - issue.min) / issue.step
        assert steps == pytest.approx(round(steps), abs=1e-6) or value == issue.max, (issue.id, value)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fast gallery items built into a scratch folder (the Sobol' study takes half a minute: not here)."""
    out = tmp_path_factory.mktemp("gallery")
    before = {p.name: p.stat().st_mtime_ns for p in COMMITTED.iterdir()}
    written = build_gallery(out, only=["protocols-geneva", "scenarios-compared", "experiment-grid"])
    assert {p.name: p.stat().st_mtime_ns for p in COMMITTED.iterdir()} == before  # nothing regenerated here
    return out, {p.name for p in written}


def check_protocol_table(text: str) -> None:
    """Every protocol on Geneva: one row each, in listing order, deals on the issues' scales."""
    s = load_scenario(GENEVA)
    rows = _rows(text)
    assert [r["protocol"] for r in rows] == protocol_names()
    columns = ["protocol", "agreement", "round"] + [f"deal.{i}" for i in s.issue_ids]
    columns += [f"utility.{p}" for p in s.party_ids]
    columns += ["distance_to_nash", "distance_to_kalai_smorodinsky", "pareto_gap", "accepted_by_all"]
    assert list(rows[0]) == columns
    for row in rows:
        assert row["agreement"] in ("True", "False")
        for pid in s.party_ids:
            assert 0.0 <= float(row[f"utility.{pid}"]) <= 1.0
        if row["agreement"] == "False":
            assert all(row[f"deal.{i}"] == "" for i in s.issue_ids) and row["round"] == ""
            continue
        assert 1 <= int(row["round"]) <= s.rounds
        for issue in s.issues:  # in the issue's own units: the army cap in thousands, not 0..1
            _check_deal(issue, row[f"deal.{issue.id}"])
        for key in ("distance_to_nash", "distance_to_kalai_smorodinsky", "pareto_gap"):
            assert row[key] == "" or 0.0 <= float(row[key]) <= 1.0


def check_scenario_table(text: str) -> None:
    """The scenarios compared: each row says each issue's scale in that scenario, deals on those scales."""
    scenarios = {name: load_scenario(ROOT / "scenarios" / f"{name}.toml") for name in SCENARIOS_COMPARED}
    rows = _rows(text)
    assert [r["scenario"] for r in rows] == list(SCENARIOS_COMPARED)
    issue_ids = list(dict.fromkeys(i for s in scenarios.values() for i in s.issue_ids))
    for row in rows:
        s = scenarios[row["scenario"]]
        assert row["protocol"] == s.protocol
        for iid in issue_ids:
            if iid not in s.issue_ids:
                assert row[f"deal.{iid}"] == row[f"scale.{iid}"] == ""
                continue
            issue = s.issue(iid)
            assert row[f"scale.{iid}"] == scale_text(issue)
            if row["agreement"] == "True":
                _check_deal(issue, row[f"deal.{iid}"])
            else:
                assert row[f"deal.{iid}"] == ""
        for pid in s.party_ids:
            assert 0.0 <= float(row[f"utility.{pid}"]) <= 1.0


def check_grid_summary(text: str) -> None:
    """The grid experiment's summary: every run counted, shares are shares."""
    summary = json.loads(text)
    e = load_experiment(ROOT / "experiments" / "army-cap-vs-pressure.toml")
    assert summary["rows"] == e.rows and summary["complete"]
    assert 0.0 <= summary["agreement_rate"] <= 1.0


CHECKS = {
    "geneva-2025-11-protocols.csv": check_protocol_table,
    "scenarios-compared.csv": check_scenario_table,
    "army-cap-vs-pressure-summary.json": check_grid_summary,
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_committed_and_fresh_tables_hold_what_must_hold(built, name):
    out, written = built
    assert name in written
    CHECKS[name]((COMMITTED / name).read_text())
    CHECKS[name]((out / name).read_text())


@pytest.mark.parametrize("name", list(CHECKS))
def test_committed_tables_are_what_the_code_writes(built, name):
    out, _ = built
    assert (out / name).read_text() == (COMMITTED / name).read_text(), (
        f"results/gallery/{name} is not what the code writes now: if the change is intended, run "
        "`negsim gallery` and commit the diff with its reason"
    )


def test_every_file_built_is_committed(built):
    _, written = built
    assert written <= {p.name for p in COMMITTED.iterdir()}
    for name in written:
        if name.endswith(".png"):
            assert (COMMITTED / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gallery_items_are_documented():
    for item in GALLERY.values():
        assert item.__doc__
