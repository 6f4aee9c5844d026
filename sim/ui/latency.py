"""How long a slider change takes the server: the run, the benchmarks and the charts' data (``negsim bench --ui``).

The browser test (``tests/test_ui_browser.py``) measures the same change end to
end in Chromium (key press to the new deal in the results and to the changed
charts) and prints it; this measures the server's share without a browser,
so it can be run on any machine. Speed goals live here, never in a timed test.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from sim.ui.app import compute
from sim.ui.charts import plane_data, positions_data, utilities_data
from sim.ui.classroom import (
    Snapshot,
    baseline_run,
    controls,
    explanation_for,
    forecast_for,
    frontier_for,
    load_cached,
)

__all__ = ["TARGET_S", "slider_latency", "slider_latency_report"]

TARGET_S = 0.5
"""Issue #18's target: a slider change shows the new deal and figures within 0.5 s on an idle core."""


def slider_latency(path: str | Path, control: str = "", steps: int = 10) -> dict[str, Any]:
    """Time ``steps`` changes of one slider, each computed as the page computes it.

    Each change: the whole run for the new value (:func:`sim.ui.app.compute`'s work: the model to its
    end and the benchmark solutions), the snapshot, and the data of the three charts. The forecast
    band and the explanation follow in background tasks and are timed apart.

    Args:
        path: The scenario file.
        control: The slider (default: the second main party's walk-away).
        steps: Number of changes (the slider moved one step each time, away from the file's value).

    Returns:
        ``{"scenario", "control", "steps", "seconds": [...], "median_s", "max_s", "target_s",
        "forecast_s", "explain_s"}``.
    """
    base = load_cached(path)
    known = controls(base)
    name = control or f"{base.main_parties[1]}__walkaway"
    if name not in known:
        name = next(n for n, c in known.items() if c.kind == "SliderFloat")
    slider = known[name]
    params = {"scenario": str(path), **{n: c.value for n, c in known.items()}}
    compute(params)  # warm: imports, the file's own solutions
    pair = tuple(base.main_parties)
    baseline = baseline_run(base)
    seconds, forecast_s, explain_s = [], [], []
    direction = -1.0 if slider.value + steps * slider.step > slider.max else 1.0
    for k in range(1, steps + 1):
        value = slider.clean(slider.value + direction * k * slider.step)
        start = time.perf_counter()
        current = compute({**params, name: value})
        model = current.model
        snapshot = Snapshot.of(model, current.solutions)
        frontier, _ = frontier_for(model.scenario, pair)
        plane_data(
            model.scenario,
            snapshot.history,
            pair,
            frontier,
            snapshot.benchmarks,
            snapshot.deal,
            snapshot.done,
            baseline.history,
            baseline.deal,
        )
        positions_data(model.scenario, snapshot.history, model.scenario.issue_ids[0])
        utilities_data(model.scenario, snapshot.history)
        seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        forecast_for(model.scenario)
        forecast_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        explanation_for(snapshot)
        explain_s.append(time.perf_counter() - start)
    return {
        "scenario": base.name,
        "control": name,
        "steps": steps,
        "seconds": [round(s, 4) for s in seconds],
        "median_s": round(statistics.median(seconds), 4),
        "max_s": round(max(seconds), 4),
        "target_s": TARGET_S,
        "forecast_s": round(statistics.median(forecast_s), 4),
        "explain_s": round(statistics.median(explain_s), 4),
    }


def slider_latency_report(result: dict[str, Any]) -> str:
    """The measurement in a few lines."""
    verdict = "within" if result["max_s"] <= result["target_s"] else "over"
    return "\n".join(
        [
            f"classroom slider latency: {result['scenario']}, {result['steps']} changes of {result['control']}",
            f"  run + benchmarks + chart data: median {result['median_s'] * 1000:.0f} ms, "
            f"max {result['max_s'] * 1000:.0f} ms ({verdict} the {result['target_s']:.1f} s target)",
            f"  then, in the background: forecast band {result['forecast_s'] * 1000:.0f} ms, "
            f"explanation {result['explain_s'] * 1000:.0f} ms (median)",
        ]
    )
