"""Analysis of a sweep: the figures a person would rather look at than a table.

``analyze(directory)`` reads the stored chunks (only the columns it needs) and
writes, next to them:

* ``agreement_heatmap.png`` — probability of a deal over two parameters;
* ``outcome_heatmaps.png`` — the mean of each other outcome over the same two;
* ``deal_distribution.png`` — distribution of the deal on each issue;
* ``outcomes_vs_parameters.png`` — each outcome's mean (95% interval) against
  each parameter;
* ``sensitivity.png`` — for ``sobol`` and ``morris`` designs, SALib's indices
  with confidence intervals (Sobol' S1 and ST; Morris mu* and sigma);
* ``prim.png`` and the box in ``summary.json`` — PRIM (Friedman & Fisher 1999)
  on the agreement outcome: "a deal happens when ...", found with the EMA
  Workbench's maintained implementation (``ema_workbench.analysis.prim``,
  Kwakkel 2017) rather than a hand-written peeler;
* ``summary.json`` — rows, agreement rate, indices and the PRIM box.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.core.errors import UserError
from sim.engine.scenarios import scenario_from_dict
from sim.experiments.samplers import Parameter, salib_problem
from sim.experiments.sweep import ANALYSIS_FILES, MANIFEST, read_results
from sim.report.plots import DPI, finish_panels, party_colour, plain_text

__all__ = ["analyze"]

MAX_CATEGORIES = 25
PRIM_ROWS = 100_000
"""PRIM runs on at most this many runs (a fixed-seed sample of larger sweeps)."""
BINS = 10


def _short(path: str) -> str:
    parts = path.split(".")
    return ".".join(parts[1:]) if parts[0] in ("parties", "scenario") else path


def _binned(values: pd.Series) -> tuple[pd.Series, list[str], list[float]]:
    """Group a parameter into categories (few distinct values) or equal-width bins."""
    if values.dtype == object or values.nunique() <= MAX_CATEGORIES:
        levels = sorted(values.unique(), key=lambda v: (isinstance(v, str), v))
        codes = values.map({v: k for k, v in enumerate(levels)})
        labels = [str(v) if isinstance(v, str) else f"{v:.3g}" for v in levels]
        centres = [k if isinstance(v, str) else float(v) for k, v in enumerate(levels)]
        return codes, labels, centres
    edges = np.linspace(values.min(), values.max(), BINS + 1)
    codes = pd.Series(np.clip(np.digitize(values, edges[1:-1]), 0, BINS - 1), index=values.index)
    centres = list((edges[:-1] + edges[1:]) / 2)
    return codes, [f"{c:.3g}" for c in centres], centres


def _cell_means(table: pd.DataFrame, x: str, y: str, outcome: str):
    xc, xl, _ = _binned(table[x])
    yc, yl, _ = _binned(table[y])
    grid = np.full((len(yl), len(xl)), np.nan)
    frame = pd.DataFrame({"x": xc, "y": yc, "v": table[outcome].astype(float)}).dropna()
    for (j, i), value in frame.groupby(["y", "x"])["v"].mean().items():
        grid[int(j), int(i)] = value
    return grid, xl, yl


def _heatmap_axes(ax, grid, xl, yl, x, y, cmap, vmin, vmax, fmt):
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    for j in range(len(yl)):
        for i in range(len(xl)):
            if not np.isnan(grid[j, i]):
                ax.text(i, j, fmt(grid[j, i]), ha="center", va="center", fontsize=6)
    ax.set_xticks(range(len(xl)), xl, rotation=90, fontsize=7)
    ax.set_yticks(range(len(yl)), yl, fontsize=7)
    ax.set_xlabel(_short(x), fontsize=8)
    ax.set_ylabel(_short(y), fontsize=8)
    return image


def agreement_heatmap(table: pd.DataFrame, x: str, y: str, title: str) -> Figure:
    """Share of runs with a deal in each (x, y) cell."""
    grid, xl, yl = _cell_means(table, x, y, "agreement")
    fig = Figure(figsize=(1.6 + 0.55 * len(xl), 1.6 + 0.42 * len(yl)), dpi=DPI)
    ax = fig.subplots()
    image = _heatmap_axes(ax, grid, xl, yl, x, y, "RdYlGn", 0, 1, lambda v: f"{100 * v:.0f}")
    fig.colorbar(image, ax=ax, label="probability of a deal")
    ax.set_title(f"{title}\nshare of runs ending in a deal (%)", fontsize=9)
    plain_text(fig).tight_layout()
    return fig


def outcome_heatmaps(table: pd.DataFrame, x: str, y: str, outcomes: list[str], title: str) -> Figure:
    """Mean of each outcome (over runs with a deal, for deal outcomes) in each (x, y) cell."""
    cols = min(2, len(outcomes))
    rows = -(-len(outcomes) // cols)
    xl_len = table[x].nunique() if table[x].nunique() <= MAX_CATEGORIES else BINS
    fig = Figure(figsize=(cols * (1.8 + 0.5 * xl_len), rows * 3.6 + 0.5), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, outcome in zip(axes, outcomes, strict=False):
        grid, xl, yl = _cell_means(table, x, y, outcome)
        finite = grid[np.isfinite(grid)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0, 1)
        image = _heatmap_axes(ax, grid, xl, yl, x, y, "viridis", lo, hi, lambda v: f"{v:.3g}")
        fig.colorbar(image, ax=ax)
        ax.set_title(f"mean {outcome}" + (" (runs with a deal)" if outcome.startswith("deal.") else ""), fontsize=9)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    fig.suptitle(f"{title}: outcomes over {_short(x)} and {_short(y)} (blank: no deal)", fontsize=9)
    plain_text(fig).tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def deal_distribution(table: pd.DataFrame, scenario, title: str) -> Figure:
    """Histogram of the deal on each issue, with each party's ideal."""
    issues = [i for i in scenario.issues if f"deal.{i.id}" in table]
    fig = Figure(figsize=(5 * max(1, min(2, len(issues))), 2.8 * (-(-len(issues) // 2)) + 0.6), dpi=DPI)
    axes = fig.subplots(-(-len(issues) // 2), min(2, len(issues)), squeeze=False).ravel()
    rate = table["agreement"].mean() if "agreement" in table else float("nan")
    for ax, issue in zip(axes, issues, strict=False):
        values = table[f"deal.{issue.id}"].dropna()
        ax.hist(values, bins=30, range=(issue.min, issue.max), color="#555555")
        for a, party in enumerate(scenario.parties):
            ax.axvline(party.ideal[issue.id], color=party_colour(a), ls=":", lw=1.5, label=party.name)
        ax.set_title(f"{issue.label} ({len(values)} deals)", fontsize=9)
        ax.set_xlabel(issue.unit or "value", fontsize=8)
        ax.tick_params(labelsize=7)
    headline = f"{title}: where the deal lands (agreement in {100 * rate:.1f}% of runs)"
    return finish_panels(fig, axes, len(issues), headline, 0.95, 0.06)


def outcomes_vs_parameters(table: pd.DataFrame, parameters: list[str], outcomes: list[str], title: str) -> Figure:
    """Mean of each outcome (with a 95% normal interval) against each parameter, binned."""
    fig = Figure(figsize=(2.9 * len(parameters) + 0.8, 2.1 * len(outcomes) + 0.8), dpi=DPI)
    axes = fig.subplots(len(outcomes), len(parameters), squeeze=False)
    for c, param in enumerate(parameters):
        codes, labels, centres = _binned(table[param])
        for r, outcome in enumerate(outcomes):
            ax = axes[r, c]
            y = table[outcome].astype(float)
            grouped = pd.DataFrame({"k": codes, "y": y}).dropna().groupby("k")["y"]
            mean, sem = grouped.mean(), grouped.sem().fillna(0.0)
            xs = [centres[int(k)] for k in mean.index]
            ax.errorbar(xs, mean.values, yerr=1.96 * sem.values, marker="o", ms=3, lw=1, capsize=2, color="#333333")
            if isinstance(table[param].iloc[0], str):
                ax.set_xticks(range(len(labels)), labels, fontsize=6)
            if r == len(outcomes) - 1:
                ax.set_xlabel(_short(param), fontsize=7)
            if c == 0:
                ax.set_ylabel(outcome, fontsize=7)
            ax.tick_params(labelsize=6)
    fig.suptitle(f"{title}: outcomes against each parameter (mean, 95% interval)", fontsize=10)
    plain_text(fig).tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def sensitivity(
    table: pd.DataFrame, design: str, parameters: list[Parameter], outcomes: list[str], seed: int
) -> tuple[Figure, dict[str, Any]]:
    """SALib indices with confidence intervals for every outcome without missing values."""
    from SALib.analyze import morris, sobol

    problem = salib_problem(parameters)
    names = problem["names"]
    usable = [o for o in outcomes if table[o].notna().all() and table[o].astype(float).std() > 0]
    results: dict[str, Any] = {}
    fig = Figure(figsize=(0.9 * len(names) + 3.5, 2.4 * max(1, len(usable)) + 0.8), dpi=DPI)
    axes = fig.subplots(max(1, len(usable)), 1, squeeze=False)[:, 0]
    x = np.arange(len(names))
    for ax, outcome in zip(axes, usable, strict=False):
        y = table[outcome].astype(float).to_numpy()
        if design == "sobol":
            res = sobol.analyze(problem, y, calc_second_order=True, seed=seed)
            first, first_ci, total, total_ci = res["S1"], res["S1_conf"], res["ST"], res["ST_conf"]
            labels = ("first order S1", "total ST")
        else:
            matrix = table[names].to_numpy(dtype=float)
            res = morris.analyze(problem, matrix, y, num_levels=4, seed=seed)
            first, first_ci = res["mu_star"], res["mu_star_conf"]
            total, total_ci = res["sigma"], np.zeros(len(names))
            labels = ("mu* (mean |effect|)", "sigma (interactions)")
        results[outcome] = {
            "names": names,
            labels[0]: [float(v) for v in first],
            labels[0] + " conf": [float(v) for v in first_ci],
            labels[1]: [float(v) for v in total],
            labels[1] + " conf": [float(v) for v in total_ci],
        }
        ax.bar(x - 0.2, first, 0.4, yerr=first_ci, capsize=2, label=labels[0], color="#2471a3")
        ax.bar(x + 0.2, total, 0.4, yerr=total_ci, capsize=2, label=labels[1], color="#c0392b")
        ax.set_ylabel(outcome, fontsize=8)
        ax.set_xticks(x, [_short(n) for n in names], fontsize=7, rotation=20, ha="right")
        ax.axhline(0, color="#999999", lw=0.6)
        ax.legend(fontsize=7)
    skipped = [o for o in outcomes if o not in usable]
    note = f" (skipped, missing or constant values: {', '.join(skipped)})" if skipped else ""
    intervals = "95% intervals" if design == "sobol" else "95% intervals on mu*"
    fig.suptitle(f"{'Sobol' if design == 'sobol' else 'Morris'} sensitivity indices, {intervals}{note}", fontsize=9)
    plain_text(fig).tight_layout(rect=(0, 0, 1, 0.96))
    return fig, results


def _prim_box(x: pd.DataFrame, y: np.ndarray, threshold: float, what: str) -> dict[str, Any]:
    """Run PRIM and describe the box of largest coverage whose density reaches ``threshold``."""
    from ema_workbench.analysis import prim

    # Peel the whole trajectory (a threshold at the base rate never stops PRIM early),
    # then pick the box ourselves: largest coverage among those dense enough.
    finder = prim.Prim(x, y, threshold=float(np.mean(y)))
    box = finder.find_box()
    trajectory = box.peeling_trajectory
    ok = trajectory[trajectory["density"] >= threshold]
    reached = len(ok) > 0
    if reached:
        best = ok.sort_values(["coverage", "density"], ascending=False).index[0]
    else:
        best = trajectory["density"].idxmax()
    box.select(int(best))
    limits = box.box_lim
    restricted = []
    for column in x.columns:
        low, high = limits[column].iloc[0], limits[column].iloc[1]
        if isinstance(low, set):
            if len(low) < x[column].nunique():
                restricted.append({"parameter": column, "values": sorted(str(v) for v in low)})
            continue
        if low > x[column].min() or high < x[column].max():
            restricted.append({"parameter": column, "low": float(low), "high": float(high)})
    sentence = (
        " and ".join(
            f"{_short(r['parameter'])} in {{{', '.join(r['values'])}}}"
            if "values" in r
            else f"{r['low']:.3g} <= {_short(r['parameter'])} <= {r['high']:.3g}"
            for r in restricted
        )
        or "anywhere in the sampled space"
    )
    caveat = "" if reached else f" (no box reached the {100 * threshold:.0f}% density threshold: the densest is shown)"
    return {
        "statement": f"{what} in {100 * box.density:.0f}% of runs (covering {100 * box.coverage:.0f}% of them) "
        f"when {sentence}.{caveat}",
        "density": float(box.density),
        "coverage": float(box.coverage),
        "mass": float(box.mass),
        "threshold": threshold,
        "restricted": restricted,
        "trajectory": {
            "coverage": trajectory["coverage"].tolist(),
            "density": trajectory["density"].tolist(),
        },
    }


def prim_box(table: pd.DataFrame, parameters: list[str], threshold: float) -> tuple[Figure | None, dict[str, Any]]:
    """PRIM on ``agreement``: where deals concentrate, and where no deal does.

    The density threshold is the experiment's ``prim_threshold`` or, when the
    base rate already exceeds it, halfway between the base rate and 1, so the
    box says something the base rate does not.
    """
    if len(table) > PRIM_ROWS:  # PRIM copies its data per peel: a fixed-seed sample keeps it light
        table = table.sample(PRIM_ROWS, random_state=0)
    y = table["agreement"].to_numpy(dtype=bool)
    if y.all() or not y.any():
        return None, {"note": "agreement does not vary; no PRIM box"}
    x = table[parameters].copy()
    for column in x:
        if x[column].dtype == object:
            x[column] = x[column].astype("category")
    boxes = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("EMA").setLevel(logging.ERROR)
        for key, target, what in ((True, y, "A deal happens"), (False, ~y, "No deal happens")):
            base = target.mean()
            boxes["deal" if key else "no_deal"] = _prim_box(x, target, max(threshold, (1 + base) / 2), what)
    fig = Figure(figsize=(9.5, 6.2), dpi=DPI)
    axes = fig.subplots(2, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    for row, (key, summary) in enumerate(boxes.items()):
        left, right = axes[row]
        left.plot(
            summary["trajectory"]["coverage"],
            summary["trajectory"]["density"],
            marker="o",
            ms=2,
            color="#333333",
        )
        left.plot([summary["coverage"]], [summary["density"]], marker="*", ms=12, color="gold", mec="#111111")
        left.axhline(summary["threshold"], color="#999999", ls="--", lw=0.8)
        left.set_xlabel("coverage", fontsize=8)
        left.set_ylabel("density", fontsize=8)
        left.set_title(f"PRIM peeling ({'deal' if key == 'deal' else 'no deal'})", fontsize=9)
        numeric = [r for r in summary["restricted"] if "low" in r]
        for k, r in enumerate(numeric):
            col = table[r["parameter"]]
            span = (col.max() - col.min()) or 1.0
            lo, hi = (r["low"] - col.min()) / span, (r["high"] - col.min()) / span
            right.barh(k, hi - lo, left=lo, color="#1e8449" if key == "deal" else "#c0392b", alpha=0.7)
            right.text(1.01, k, f"{r['low']:.3g} .. {r['high']:.3g}", va="center", fontsize=7)
        right.set_yticks(range(len(numeric)), [_short(r["parameter"]) for r in numeric], fontsize=7)
        right.set_xlim(0, 1.3)
        right.set_xlabel("share of the sampled range", fontsize=8)
        right.set_title("\n".join(_wrap(summary["statement"], 80)), fontsize=7)
    plain_text(fig).tight_layout()
    for summary in boxes.values():
        del summary["trajectory"]
    return fig, boxes


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def analyze(directory: Path | str) -> list[Path]:
    """Write the figures and ``summary.json`` of a sweep's results folder.

    Args:
        directory: ``results/<experiment>/<hash8>/`` of a sweep.

    Returns:
        The files written.

    Raises:
        UserError: If the folder holds no sweep.
    """
    directory = Path(directory)
    manifest, spec, scenario, parameters = _read_manifest(directory)
    paths = [p.path for p in parameters]
    table = read_results(directory, columns=[*paths, *[o for o in spec["outcomes"]]])
    if table.empty:
        raise UserError.at(str(directory), "", "no finished chunks yet; run the sweep first")
    expected = manifest["rows"]
    title = spec.get("title") or spec["name"]
    outcomes = [o for o in spec["outcomes"] if o in table]
    numeric_outcomes = [o for o in outcomes if o != "agreement"] + (["agreement"] if "agreement" in outcomes else [])
    written: list[Path] = []
    summary: dict[str, Any] = {
        "rows": int(len(table)),
        "expected_rows": expected,
        "complete": len(table) == expected,
    }

    def save(fig: Figure, name: str) -> None:
        assert name in ANALYSIS_FILES
        path = directory / name
        tmp = path.with_name(name + ".tmp")
        plain_text(fig).savefig(tmp, format="png")
        os.replace(tmp, path)
        written.append(path)

    if "agreement" in table:
        summary["agreement_rate"] = float(table["agreement"].mean())
        pair = spec.get("heatmap") or paths[:2]
        if len(pair) == 2:
            save(agreement_heatmap(table, pair[0], pair[1], title), "agreement_heatmap.png")
    pair = spec.get("heatmap") or paths[:2]
    mapped = [o for o in outcomes if o not in ("agreement", "distance_to_nash")][:6]
    if len(pair) == 2 and mapped:
        save(outcome_heatmaps(table, pair[0], pair[1], mapped, title), "outcome_heatmaps.png")
    if any(o.startswith("deal.") for o in outcomes):
        save(deal_distribution(table, scenario, title), "deal_distribution.png")
    save(outcomes_vs_parameters(table, paths, numeric_outcomes, title), "outcomes_vs_parameters.png")
    if spec["design"] in ("sobol", "morris") and summary["complete"]:
        fig, indices = sensitivity(table, spec["design"], parameters, numeric_outcomes, spec["seed"])
        save(fig, "sensitivity.png")
        summary["sensitivity"] = indices
    if "agreement" in table:
        fig, box = prim_box(table, paths, spec.get("prim_threshold", 0.8))
        if fig is not None:
            save(fig, "prim.png")
        summary["prim"] = box
    path = directory / "summary.json"
    tmp = path.with_name("summary.json.tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    os.replace(tmp, path)
    written.append(path)
    for name in ANALYSIS_FILES:  # figures of an earlier analysis this one did not draw
        if directory / name not in written:
            (directory / name).unlink(missing_ok=True)
    return written


def _read_manifest(directory: Path) -> tuple[dict, dict, Any, list[Parameter]]:
    """The manifest of a sweep's folder, its experiment, scenario and parameters.

    Raises:
        UserError: If the folder holds no manifest, or one that is not a sweep's.
    """
    path = directory / MANIFEST
    if not directory.is_dir():
        raise UserError.at(str(directory), "", "no such folder")
    if not path.exists():
        raise UserError.at(str(directory), "", f"no {MANIFEST}: not a sweep results folder")
    try:
        manifest = json.loads(path.read_text())
        spec = manifest["experiment"]
        parameters = [
            Parameter(
                str(p["path"]),
                str(p["kind"]),
                p["low"],
                p["high"],
                None if p["values"] is None else tuple(p["values"]),
                int(p["points"]),
            )
            for p in spec["parameters"]
        ]
        for key in ("outcomes", "design", "name", "seed"):
            spec[key]  # noqa: B018 (present)
        int(manifest["rows"])
        data = spec["scenario"]["data"]
        canonical = json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()
        if hashlib.sha256(canonical).hexdigest() != manifest["sha256"]:
            raise ValueError("its experiment does not match its sha256: edited or damaged")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        what = f"{type(exc).__name__}: {exc}" if not isinstance(exc, KeyError) else f"no {exc}"
        raise UserError.at(str(path), "", f"is not a sweep manifest ({what})") from None
    scenario = scenario_from_dict(data, f"{path}: experiment.scenario")
    return manifest, spec, scenario, parameters
