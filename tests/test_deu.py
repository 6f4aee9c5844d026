"""Reading DEU files and turning issues into scenarios (sim/experiments/deu.py).

The train file is half of DEU III (Arregui & Perarnaud 2021, doi:10.34810/data53),
described in ../shared/data/README.md: 155 issues with a recorded outcome (11
lines without one), 30 actors, capabilities = GDP with the Commission and the
Parliament at the maximum 4.1.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from sim.core.errors import UserError
from sim.engine.scenarios import scenario_from_dict
from sim.experiments.deu import DeuIssue, issue_scenario, proposal_scenario, read_deu

DEU = Path(os.environ.get("NEGSIM_DEU_TRAIN", ROOT.parent / "shared" / "data" / "deu3-train.tsv"))
needs_data = pytest.mark.skipif(not DEU.exists(), reason=f"{DEU} not available")


@pytest.fixture(scope="module")
def deu():
    if not DEU.exists():
        pytest.skip(f"{DEU} not available")
    return read_deu(DEU)


@needs_data
def test_reads_the_train_file(deu):
    assert len(deu.issues) == 155
    assert deu.skipped == {"missing outcome": 11}
    assert deu.actors[:3] == ("com", "ep", "at") and len(deu.actors) == 30
    assert deu.capabilities[0] == 4.1 and deu.capabilities[deu.actors.index("uk")] == 2.64
    assert len({issue.proposal for issue in deu.issues}) == 64  # docs/MODEL.md section 8


@needs_data
def test_scenarios_of_real_issues_validate(deu):
    issue = deu.issues[0]
    data = issue_scenario(issue)
    scenario = scenario_from_dict(data)
    kept = [issue.actors[a] for a in np.flatnonzero(issue.parties)]
    assert scenario.party_ids == kept
    assert all(p.walkaway == 0.0 and p.patience == 0.95 for p in scenario.parties)
    com = scenario.party("com")
    assert com.ideal["issue"] == issue.positions[0] and com.salience["issue"] == issue.saliences[0] / 100
    assert com.capability == 4.1
    members = [i for i in deu.issues if i.proposal == issue.proposal]
    multi = scenario_from_dict(proposal_scenario(members))
    assert len(multi.issues) == len(members)


def test_reference_walkaway_is_the_utility_of_the_reference_point():
    issue = _issue([20.0, 70.0, np.nan], [50.0, 50.0, 50.0], reference=40.0)
    data = issue_scenario(issue, walkaway="reference")
    assert data["parties"]["a"]["walkaway"] == pytest.approx(1 - 20 / 100)  # U = 1 - |40 - 20| / 100
    assert data["parties"]["b"]["walkaway"] == pytest.approx(1 - 30 / 100)
    assert "c" not in data["parties"]  # no position: left out


def test_actors_without_salience_are_left_out_of_the_scenario():
    issue = _issue([20.0, 70.0, 10.0], [50.0, 0.0, np.nan])
    with pytest.raises(UserError):  # one party is not a negotiation
        scenario_from_dict(issue_scenario(issue))
    issue = _issue([20.0, 70.0, 10.0, 90.0], [50.0, 0.0, np.nan, 10.0])
    assert list(issue_scenario(issue)["parties"]) == ["a", "d"]
    assert issue.compromise == pytest.approx((20 * 50 + 90 * 10) / 60)  # missing salience counts 0


def test_proposal_scenario_gives_placeholders_where_an_actor_takes_no_part():
    first = _issue([20.0, 70.0], [50.0, 50.0], issue="x1")
    second = _issue([np.nan, 30.0], [np.nan, 80.0], issue="x2")
    data = proposal_scenario([first, second])
    assert data["parties"]["a"]["salience"] == {"x1": 0.5, "x2": 0.0}
    assert data["parties"]["a"]["ideal"]["x2"] == second.compromise == 30.0
    assert scenario_from_dict(data).issue_ids == ["x1", "x2"]


def _header() -> list[str]:
    ids = ["prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "type", "council", "proc", "counvte", "proccde"]
    ids += ["issues", "intro", "finact"]
    actors = [f"a{k:02d}" for k in range(30)]
    return ids + [f"p{a}" for a in actors] + [f"s{a}" for a in actors] + ["rp", "out"]


def _row(positions: dict[int, str], saliences: dict[int, str], rp: str = "", out: str = "50", prnr="P1", isnr="I1"):
    meta = ["1", "1", prnr, "name", isnr, "Reg", "General", "COD", "QMV", "3", "1", "", ""]
    return meta + [positions.get(k, "") for k in range(30)] + [saliences.get(k, "") for k in range(30)] + [rp, out]


def _write(path: Path, rows: list[list[str]], header: list[str] | None = None, capabilities=None) -> Path:
    caps = capabilities if capabilities is not None else [""] * 13 + ["1"] * 30 + [""] * 32
    lines = ["\t".join(header or _header()), "\t".join(caps)] + ["\t".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_rows_are_skipped_and_counted(tmp_path):
    good = _row({0: "0", 1: "100"}, {0: "50", 1: "50"}, rp="20", out="40")
    rows = [
        good,
        _row({0: "0", 1: "100"}, {0: "50", 1: "50"}, out=""),  # missing outcome
        _row({}, {0: "50"}, out="30"),  # no positions
        good[:-1],  # a column short
        _row({0: "zero", 1: "100"}, {0: "50"}),  # not a number
        _row({0: "0", 1: "140"}, {0: "50"}),  # outside 0-100
        _row({0: "0"}, {0: "50"}, prnr=""),  # no proposal id
        [""] * 75,  # blank line: ignored, not counted
    ]
    data = read_deu(_write(tmp_path / "deu.tsv", rows))
    assert len(data.issues) == 1
    assert data.skipped == {
        "missing outcome": 1,
        "no positions": 1,
        "wrong number of columns": 1,
        "value not a number": 1,
        "value outside 0-100": 1,
        "missing proposal or issue id": 1,
    }
    assert data.n_skipped == 6
    issue = data.issues[0]
    assert issue.line == 3 and issue.reference == 20.0 and issue.outcome == 40.0
    assert issue.positions[0] == 0.0 and math.isnan(issue.positions[2]) and math.isnan(issue.saliences[2])
    assert issue.compromise == pytest.approx(50.0)


def _one_line_error(exc: UserError, *parts: str) -> None:
    message = str(exc)
    assert "\n" not in message
    for part in parts:
        assert part in message


def test_missing_file_is_a_user_error(tmp_path):
    path = tmp_path / "nope.tsv"
    with pytest.raises(UserError) as caught:
        read_deu(path)
    _one_line_error(caught.value, str(path), "file not found")


def test_wrong_layout_is_a_user_error_naming_the_column(tmp_path):
    header = _header()
    header[13 + 30 + 4] = "sxx"
    with pytest.raises(UserError) as caught:
        read_deu(_write(tmp_path / "a.tsv", [], header=header))
    _one_line_error(caught.value, "a.tsv", "header column 47", "'sa04'")
    with pytest.raises(UserError) as caught:
        read_deu(_write(tmp_path / "b.tsv", [], header=_header()[:-1]))
    _one_line_error(caught.value, "b.tsv", "header", "75 tab-separated columns")
    caps = [""] * 13 + ["1"] * 29 + ["lots"] + [""] * 32
    with pytest.raises(UserError) as caught:
        read_deu(_write(tmp_path / "c.tsv", [], capabilities=caps))
    _one_line_error(caught.value, "c.tsv", "capabilities", "pa29", "a number >= 0")
    (tmp_path / "d.tsv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UserError) as caught:
        read_deu(tmp_path / "d.tsv")
    _one_line_error(caught.value, "d.tsv", "not UTF-8")


# --------------------------------------------------------------------------
def _issue(positions, saliences, reference=math.nan, issue="i1", proposal="p1") -> DeuIssue:
    n = len(positions)
    return DeuIssue(
        proposal=proposal,
        issue=issue,
        line=3,
        actors=tuple("abcdefghij"[:n]),
        positions=np.array(positions, dtype=float),
        saliences=np.array(saliences, dtype=float),
        capabilities=np.ones(n),
        reference=reference,
        outcome=50.0,
    )
