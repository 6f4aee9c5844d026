"""The DEU backtest: the published anchor, the methods, the scores, the command and its expected file.

Sources of the expected numbers:
* Anchor: ``../shared/data/README.md`` (published with the data file): the
  compromise model (Achen 2006, in Thomson et al. (eds), *The European Union
  Decides*) has MAE 23.31, median absolute error 19.56 and 33% of the 155
  issues within 10 points on ``deu3-train.tsv``.
* ``tests/expected/backtest-train.json`` is the output of
  ``negsim backtest ../shared/data/deu3-train.tsv --json`` (every method). The
  rows of the benchmarks and of the fast protocols are recomputed here on
  every run; the whole file is recomputed when ``NEGSIM_FULL_BACKTEST=1``
  (about a minute on two cores). docs/MODEL.md section 8 quotes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from sim.cli import main
from sim.experiments.backtest import (
    BOOTSTRAP_SEED,
    PINNED_KEYS,
    backtest_protocols,
    benchmark_predictions,
    protocol_predictions,
    run_backtest,
    score,
    scores_json,
)
from sim.experiments.deu import DeuIssue, read_deu
from sim.protocols import protocol_names
from sim.report.folders import MARKER

DEU = Path(os.environ.get("NEGSIM_DEU_TRAIN", ROOT.parent / "shared" / "data" / "deu3-train.tsv"))
EXPECTED = ROOT / "tests" / "expected" / "backtest-train.json"
FAST = ["compromise", "mediated", "exchange", "bdm.literature"]
"""Protocols cheap enough to rerun on the whole file in every test run (a few seconds)."""


@pytest.fixture(scope="module")
def deu():
    if not DEU.exists():
        pytest.skip(f"{DEU} not available")
    return read_deu(DEU)


@pytest.fixture(scope="module")
def expected():
    return json.loads(EXPECTED.read_text())


# --------------------------------------------------------------------------
# The anchor and the expected file
# --------------------------------------------------------------------------
def test_compromise_anchor_matches_the_published_numbers(deu):
    # ../shared/data/README.md: MAE 23.31, median 19.56, 33% within 10 points, 155 issues
    outcomes = np.array([issue.outcome for issue in deu.issues])
    forecast = np.array([issue.compromise for issue in deu.issues])
    row = score({"compromise": forecast}, outcomes)["compromise"]
    assert row["n"] == 155
    assert row["mae"] == pytest.approx(23.31, abs=0.01)
    assert row["median_ae"] == pytest.approx(19.56, abs=0.01)
    assert 100 * row["within10"] == pytest.approx(33, abs=0.5)
    assert row["mae_diff"] == 0.0 and row["mae_diff_ci"] == (0.0, 0.0)


def test_expected_file_has_every_method_with_the_pinned_keys_first(expected):
    assert set(expected) == set(benchmark_predictions([])) | {f"protocol.{p}" for p in backtest_protocols()}
    for row in expected.values():
        assert tuple(row)[:4] == PINNED_KEYS
    assert expected["compromise"]["mae"] == pytest.approx(23.31, abs=0.01)


def test_benchmarks_and_fast_protocols_reproduce_the_expected_file(deu, expected):
    predictions = benchmark_predictions(deu.issues)
    forecasts, at_limit, _ = protocol_predictions(deu.issues, FAST, workers=1)
    predictions.update(forecasts)
    outcomes = np.array([issue.outcome for issue in deu.issues])
    scores = score(predictions, outcomes, [issue.proposal for issue in deu.issues])
    table = json.loads(scores_json(scores, at_limit))
    for method, row in table.items():
        assert row == expected[method], method


@pytest.mark.skipif(os.environ.get("NEGSIM_FULL_BACKTEST") != "1", reason="set NEGSIM_FULL_BACKTEST=1 (about a minute)")
def test_the_command_reproduces_the_expected_file(deu, capsys, tmp_path):
    assert main(["backtest", str(DEU), "--json", "--out", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(EXPECTED.read_text())


def test_docs_quote_the_expected_file(expected):
    # every row of the table in docs/MODEL.md section 8 is a row of the expected file, every column
    text = (ROOT / "docs" / "MODEL.md").read_text()
    section = text[text.index("## 8. Checked against data") :]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) == len(expected)
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        method = cells[0].strip("`")
        row = expected[method]
        low, high = row["mae_diff_ci"]
        p_low, p_high = row["mae_diff_ci_proposals"]
        assert cells[1:] == [
            str(row["n"]),
            f"{row['mae']:.2f}",
            f"{row['median_ae']:.2f}",
            f"{round(100 * row['within10'])}%",
            f"{row['mae_diff']:+.2f} [{low:+.2f}, {high:+.2f}]",
            f"[{p_low:+.2f}, {p_high:+.2f}]",
            str(row.get("at_round_limit", "")),
        ], method


def test_docs_bdm_fixed_points_are_the_expected_files(expected):
    # docs/MODEL.md 3.3 counts the issues on which each BDM variant settles before the round limit
    text = " ".join((ROOT / "docs" / "MODEL.md").read_text().split())
    at_limit = expected["protocol.bdm"]["at_round_limit"]
    literature_at_limit = expected["protocol.bdm.literature"]["at_round_limit"]
    assert f"reaches a fixed point within 400 rounds on {155 - at_limit} of 155 issues" in text
    assert f"literature variant reaches an exact fixed point on {155 - literature_at_limit} of 155 issues" in text
    assert f"ends at the round limit on {at_limit} of 155 issues" in text  # section 8
    assert f"The literature variant reaches a fixed point on all but {literature_at_limit}." in text


# --------------------------------------------------------------------------
# Methods on the file
# --------------------------------------------------------------------------
def test_benchmarks_on_the_file_are_defined_and_inside_the_scale(deu):
    predictions = benchmark_predictions(deu.issues)
    for method in ("compromise", "weighted_median", "nash", "kalai_smorodinsky", "nash_power", "blend"):
        assert np.all(np.isfinite(predictions[method])), method
        assert np.all((predictions[method] >= 0) & (predictions[method] <= 100)), method
    np.testing.assert_allclose(predictions["compromise"], [issue.compromise for issue in deu.issues])
    # nash_reference only where a reference point is recorded and some text beats it for everyone
    assert np.sum(np.isfinite(predictions["nash_reference"])) <= np.sum([np.isfinite(i.reference) for i in deu.issues])


def test_fast_benchmarks_match_solve_on_a_real_issue(deu):
    from sim.benchmarks import solve
    from sim.engine.scenarios import scenario_from_dict
    from sim.experiments.deu import issue_scenario

    smallest = min(deu.issues, key=lambda issue: issue.parties.sum())
    predictions = benchmark_predictions([smallest])
    solutions = solve(scenario_from_dict(issue_scenario(smallest)))
    assert predictions["nash"][0] == pytest.approx(solutions.nash["issue"], abs=1e-4)
    assert predictions["kalai_smorodinsky"][0] == pytest.approx(solutions.kalai_smorodinsky["issue"], abs=1e-4)
    assert predictions["weighted_median"][0] == pytest.approx(solutions.weighted_median["issue"], abs=1e-12)
    assert predictions["compromise"][0] == pytest.approx(solutions.compromise["issue"], abs=1e-9)


def test_every_protocol_on_a_few_issues(deu):
    issues = deu.issues[:3]
    forecasts, at_limit, cpu = protocol_predictions(issues, workers=1)
    assert set(forecasts) == {f"protocol.{name}" for name in backtest_protocols()}
    assert set(backtest_protocols()) >= set(protocol_names())
    assert cpu > 0 and all(0 <= n <= 3 for n in at_limit.values())
    anchor = [issue.compromise for issue in issues]
    np.testing.assert_allclose(forecasts["protocol.compromise"], anchor, atol=1e-9)
    # walk-away 0: every party accepts the mediator's opening draft (the compromise) in round 1
    np.testing.assert_allclose(forecasts["protocol.mediated"], anchor, atol=1e-9)
    for name, values in forecasts.items():
        assert np.all(np.isfinite(values)), name


def test_exchange_runs_on_the_proposal(deu):
    # a proposal with several issues: the exchange protocol forecasts them together, and moves some away
    # from the compromise (on one issue alone it could not trade)
    proposals = {}
    for issue in deu.issues:
        proposals.setdefault(issue.proposal, []).append(issue)
    group = max(proposals.values(), key=len)
    forecasts, _, _ = protocol_predictions(group, ["exchange"], workers=1)
    moved = np.abs(forecasts["protocol.exchange"] - [issue.compromise for issue in group])
    assert np.all(np.isfinite(forecasts["protocol.exchange"])) and moved.max() > 1e-6


# --------------------------------------------------------------------------
# Scores and the bootstrap
# --------------------------------------------------------------------------
def test_score_keys_and_closed_forms():
    outcomes = np.array([0.0, 50.0, 100.0, 20.0])
    predictions = {"compromise": np.array([10.0, 50.0, 70.0, 20.0]), "other": np.array([5.0, np.nan, 95.0, 45.0])}
    table = score(predictions, outcomes, proposals=["a", "a", "b", "c"])
    base = table["compromise"]
    assert tuple(base)[:4] == PINNED_KEYS
    # errors 10, 0, 30, 0: mean 10, median 5, 3 of 4 within 10
    assert base["n"] == 4 and base["mae"] == pytest.approx(10.0) and base["median_ae"] == pytest.approx(5.0)
    assert base["within10"] == pytest.approx(0.75)
    other = table["other"]
    assert other["n"] == 3 and other["n_paired"] == 3
    assert other["mae"] == pytest.approx(35 / 3)  # errors 5, 5, 25
    assert other["mae_diff"] == pytest.approx(35 / 3 - 40 / 3)  # paired on the issues both forecast


def test_bootstrap_is_deterministic_with_the_seed():
    rng = np.random.default_rng(0)
    outcomes = rng.uniform(0, 100, 60)
    predictions = {"compromise": outcomes + rng.normal(0, 20, 60), "other": outcomes + rng.normal(0, 25, 60)}
    proposals = [f"p{k // 3}" for k in range(60)]
    first = score(predictions, outcomes, proposals, seed=BOOTSTRAP_SEED)["other"]
    again = score(predictions, outcomes, proposals, seed=BOOTSTRAP_SEED)["other"]
    other_seed = score(predictions, outcomes, proposals, seed=BOOTSTRAP_SEED + 1)["other"]
    assert first["mae_diff_ci"] == again["mae_diff_ci"]
    assert first["mae_diff_ci_proposals"] == again["mae_diff_ci_proposals"]
    assert first["mae_diff_ci"] != other_seed["mae_diff_ci"]
    low, high = first["mae_diff_ci"]
    assert low < first["mae_diff"] < high


def test_bootstrap_of_a_constant_difference_is_that_constant():
    outcomes = np.zeros(20)
    predictions = {"compromise": np.full(20, 10.0), "other": np.full(20, 13.0)}
    row = score(predictions, outcomes, [f"p{k % 4}" for k in range(20)])["other"]
    assert row["mae_diff_ci"] == pytest.approx((3.0, 3.0))
    assert row["mae_diff_ci_proposals"] == pytest.approx((3.0, 3.0))


# --------------------------------------------------------------------------
# The command on a small file
# --------------------------------------------------------------------------
def _small_file(tmp_path: Path) -> Path:
    meta = ["prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "type", "council", "proc", "counvte", "proccde"]
    actors = [f"a{k:02d}" for k in range(30)]
    header = meta + ["issues", "intro", "finact"] + [f"p{a}" for a in actors] + [f"s{a}" for a in actors]
    header += ["rp", "out"]

    def row(prnr, isnr, positions, saliences, out):
        cells = ["1", "1", prnr, "name", isnr, "Reg", "General", "COD", "QMV", "3", "1", "", ""]
        cells += [positions.get(k, "") for k in range(30)] + [saliences.get(k, "") for k in range(30)]
        return cells + ["", out]

    rows = [
        row("P1", "x1", {0: "0", 1: "100", 2: "40"}, {0: "50", 1: "50", 2: "100"}, "40"),
        row("P1", "x2", {0: "100", 1: "0", 2: "60"}, {0: "90", 1: "10", 2: "50"}, "80"),
        row("P2", "y1", {0: "0", 1: "100"}, {0: "50", 1: "50"}, ""),  # no outcome: skipped
        row("P2", "y2", {}, {0: "50"}, "20"),  # no positions: skipped
    ]
    caps = [""] * 13 + ["1"] * 30 + [""] * 32
    path = tmp_path / "small.tsv"
    path.write_text("\n".join("\t".join(r) for r in [header, caps, *rows]) + "\n")
    return path


def test_command_prints_pinned_json_and_writes_its_files(tmp_path, capsys):
    data = _small_file(tmp_path)
    out = tmp_path / "out"
    assert main(["backtest", str(data), "--protocols", "compromise", "exchange", "--json", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    table = json.loads(captured.out)
    assert "skipped lines: 1 missing outcome, 1 no positions" in captured.err
    assert set(table) == set(benchmark_predictions([])) | {"protocol.compromise", "protocol.exchange"}
    # x1: compromise (0*50 + 100*50 + 40*100) / 200 = 45, outcome 40; x2: (9000 + 0 + 3000) / 150 = 80, outcome 80
    assert table["compromise"] == {
        "n": 2,
        "mae": 2.5,
        "median_ae": 2.5,
        "within10": 1.0,
        "mae_diff": 0.0,
        "mae_diff_ci": [0.0, 0.0],
        "mae_diff_ci_proposals": [0.0, 0.0],
        "n_paired": 2,
    }
    assert table["protocol.compromise"]["at_round_limit"] == 0
    assert {p.name for p in out.iterdir()} - {MARKER} == {"scores.json", "forecasts.csv", "forecasts.png"}
    assert (out / "forecasts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "forecasts.csv").read_text().splitlines()[1].startswith("P1,x1,40.0,")


def test_command_table_and_errors(tmp_path, capsys):
    data = _small_file(tmp_path)
    assert main(["backtest", str(data), "--protocols", "--out", str(tmp_path / "o")]) == 0
    text = capsys.readouterr().out
    assert "2 issues scored; skipped lines: 1 missing outcome, 1 no positions" in text and "compromise" in text
    assert main(["backtest", str(tmp_path / "missing.tsv")]) == 2
    assert "missing.tsv: file not found" in capsys.readouterr().err
    assert not (Path("results") / "backtest" / "missing").exists()  # nothing made for a bad file
    with pytest.raises(SystemExit) as caught:
        main(["backtest", str(data), "--protocols", "haggling"])
    assert caught.value.code == 2
    assert "--protocols: must be one of" in capsys.readouterr().err


def test_run_backtest_without_protocols(tmp_path):
    result = run_backtest(_small_file(tmp_path), protocols=[])
    assert result.data.n_skipped == 2 and set(result.seconds) == {"benchmarks"}
    assert result.scores["compromise"]["mae"] == pytest.approx(2.5)


def test_exchange_forecast_of_a_single_issue_proposal_is_the_compromise():
    issue = DeuIssue(
        proposal="p1",
        issue="i1",
        line=3,
        actors=("a", "b", "c"),
        positions=np.array([20.0, 70.0, 10.0]),
        saliences=np.array([50.0, 20.0, 40.0]),
        capabilities=np.ones(3),
        reference=float("nan"),
        outcome=50.0,
    )
    forecasts, _, _ = protocol_predictions([issue], ["exchange"], workers=1)
    assert forecasts["protocol.exchange"][0] == pytest.approx(issue.compromise)
