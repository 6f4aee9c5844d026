"""Scoring a forecast against what happened (a record file).

For a scenario and its record (:mod:`sim.experiments.records`),
:func:`score` runs the forecast (:func:`sim.experiments.forecast.forecast`)
out to the latest observation and compares:

* each ``deal`` observation with the forecast's P(deal by that date): the
  Brier score ``(p - o)^2`` (o = 1 for a deal, 0 for none; 0 is perfect, a
  coin's 0.5 scores 0.25), averaged over the observations;
* each issue observation with the forecast's 80% band in the round of its
  date: a value held by one party against that party's stated position across
  the runs, a value held by several (agreed) or by nobody named against the
  text on the table; whether it lies inside the band, and the share of runs
  below it (a mid-rank probability integral transform);
* with at least :data:`CALIBRATION_MIN` deal observations, a calibration
  table: forecasts binned by probability against the observed share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.scenario import Scenario
from sim.experiments.forecast import Forecast, forecast, percentiles
from sim.experiments.records import Record

__all__ = ["CALIBRATION_MIN", "Score", "score", "score_report"]

CALIBRATION_MIN = 10
"""Deal observations needed before a calibration table means anything."""
BINS = np.linspace(0.0, 1.0, 11)


def _clean(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.12g}")


@dataclass(frozen=True)
class Score:
    """A forecast scored against a record.

    Attributes:
        forecast: The forecast (run out to the latest observation).
        record: The record.
        deals: One entry per deal observation.
        issues: One entry per issue observation.
    """

    forecast: Forecast
    record: Record
    deals: list[dict[str, Any]]
    issues: list[dict[str, Any]]

    @property
    def brier(self) -> float | None:
        """The mean Brier score of the deal observations (None without any)."""
        return float(np.mean([d["brier"] for d in self.deals])) if self.deals else None

    def coverage(self) -> dict[str, Any]:
        """How many issue observations fall inside the 80% band (nominally 80%)."""
        inside = sum(1 for i in self.issues if i["inside"])
        n = len(self.issues)
        return {"inside": inside, "n": n, "share": _clean(inside / n) if n else None}

    def calibration(self) -> list[dict[str, Any]] | None:
        """Forecast probability bins against observed frequency (None with too few observations)."""
        if len(self.deals) < CALIBRATION_MIN:
            return None
        p = np.array([d["p_deal_by"] for d in self.deals])
        o = np.array([1.0 if d["observed"] else 0.0 for d in self.deals])
        which = np.clip(np.digitize(p, BINS[1:-1]), 0, len(BINS) - 2)
        out = []
        for b in range(len(BINS) - 1):
            mask = which == b
            if mask.any():
                out.append(
                    {
                        "bin": [_clean(BINS[b]), _clean(BINS[b + 1])],
                        "n": int(mask.sum()),
                        "forecast": _clean(float(p[mask].mean())),
                        "observed": _clean(float(o[mask].mean())),
                    }
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON data: ``brier``, ``deals``, ``issues``, ``coverage``, ``calibration`` and context."""
        cal = self.record.calendar
        return {
            "brier": _clean(self.brier),
            "deals": self.deals,
            "issues": self.issues,
            "coverage": self.coverage(),
            "calibration": self.calibration(),
            "scenario": self.forecast.scenario.name,
            "scenario_sha256": self.forecast.scenario.sha256,
            "record": self.record.source,
            "runs": self.forecast.runs,
            "protocol": self.forecast.protocol,
            "seed": self.forecast.seed,
            "calendar": {"start_date": cal.start.isoformat(), "round_days": cal.round_days},
            "sources": list(self.record.sources),
            "note": self.record.note,
        }


def score(
    scenario: Scenario, record: Record, runs: int = 2000, protocol: str | None = None, seed: int | None = None
) -> Score:
    """Score the scenario's forecast against a record (see the module doc)."""
    dates = sorted({o.date for o in record.observations})
    f = forecast(
        scenario,
        runs=runs,
        protocol=protocol,
        seed=seed,
        by=dates,
        source=record.source,
        calendar=record.calendar,
        positions=True,
    )
    deals, issues = [], []
    for obs in record.observations:
        r = record.calendar.last_round_by(obs.date)
        if obs.deal is not None:
            p = f.p_deal_by(obs.date)
            o = 1.0 if obs.deal else 0.0
            deals.append(
                {
                    "date": obs.date.isoformat(),
                    "round": r,
                    "observed": obs.deal,
                    "p_deal_by": _clean(p),
                    "brier": _clean((p - o) ** 2),
                    "source": obs.source,
                }
            )
            continue
        k = scenario.issue_ids.index(obs.issue)
        issue = scenario.issue(obs.issue)
        if len(obs.held_by) == 1:
            a = scenario.party_ids.index(obs.held_by[0])
            sample = f.rows.positions[r, :, a, k]
            compared = f"position of {obs.held_by[0]}"
        else:
            sample = f.rows.text[r, :, k]
            compared = "text"
        band = percentiles(sample)
        tol = 1e-9 * issue.span
        inside = band["p10"] - tol <= obs.value <= band["p90"] + tol
        below = float(np.mean(sample < obs.value - tol) + 0.5 * np.mean(np.abs(sample - obs.value) <= tol))
        issues.append(
            {
                "date": obs.date.isoformat(),
                "round": r,
                "issue": obs.issue,
                "value": _clean(obs.value),
                "held_by": list(obs.held_by),
                "compared_with": compared,
                "band": {key: _clean(v) for key, v in band.items()},
                "inside": bool(inside),
                "share_below": _clean(below),
                "source": obs.source,
            }
        )
    return Score(f, record, deals, issues)


def score_report(result: Score) -> str:
    """The score as readable tables."""
    from sim.report.tables import format_table

    f = result.forecast
    s = f.scenario
    lines = [
        f"{s.title} scored against {result.record.source}: {f.runs:,} draws, protocol {f.protocol}, seed {f.seed}",
    ]
    if result.deals:
        rows = [
            [d["date"], str(d["round"]), "yes" if d["observed"] else "no", f"{d['p_deal_by']:.3f}", f"{d['brier']:.3f}"]
            for d in result.deals
        ]
        lines += ["", format_table(["by", "round", "deal observed", "P(deal by)", "Brier"], rows)]
        lines.append(
            f"Brier score: {result.brier:.3f} over {len(result.deals)} deal observations "
            "(0 is perfect; always saying 50% scores 0.250)."
        )
    if result.issues:
        rows = []
        for i in result.issues:
            issue = s.issue(i["issue"])
            b = i["band"]
            rows.append(
                [
                    i["date"],
                    issue.label,
                    issue.format(i["value"]),
                    i["compared_with"],
                    issue.format(b["p10"])
                    if b["p10"] == b["p90"]
                    else f"{issue.format(b['p10'])} .. {issue.format(b['p90'])}",
                    "yes" if i["inside"] else "no",
                ]
            )
        lines += ["", format_table(["date", "issue", "observed", "against", "80% band", "inside"], rows)]
        cov = result.coverage()
        lines.append(f"Inside the 80% band: {cov['inside']} of {cov['n']} (a calibrated forecast: about 80%).")
    calibration = result.calibration()
    if calibration is None:
        lines.append(
            f"No calibration table: {len(result.deals)} deal observations (it needs at least {CALIBRATION_MIN})."
        )
    else:
        rows = [
            [f"{c['bin'][0]:.1f}-{c['bin'][1]:.1f}", str(c["n"]), f"{c['forecast']:.2f}", f"{c['observed']:.2f}"]
            for c in calibration
        ]
        lines += ["", format_table(["P(deal) bin", "n", "mean forecast", "observed share"], rows)]
    if result.record.note:
        lines += ["", "Note: " + result.record.note]
    return "\n".join(lines)
