"""The classroom model: a negotiation built from flat, slider-sized parameters.

Mesa's SolaraViz machinery builds a model from keyword arguments described by
``model_params`` (one slider or select per argument) and rebuilds it the same
way on Reset. :class:`ClassroomModel` is that model for negsim: it takes a
scenario file plus flat keyword arguments, one per control, e.g.

    ClassroomModel("scenarios/geneva-2025-11.toml", ukraine__walkaway=0.7, rounds=30)

applies them with :meth:`sim.scenario.Scenario.with_values` and runs the
ordinary :class:`~sim.model.NegotiationModel`: the bargaining maths is the
kernel's, untouched. :func:`scenario_toml` writes the same state back as a
scenario file that reproduces the run ("save as scenario"), and
:class:`Snapshot` and :func:`summary` describe a run in progress for the
browser UI (``sim/app.py``).

Control names (``name`` -> scenario path):

* ``protocol``, ``rounds``, ``seed``, ``noise`` -> ``scenario.<name>``
* ``bias__<party>`` -> ``scenario.mediator_bias.<party>``
* ``<party>__ideal__<issue>``, ``<party>__salience__<issue>`` ->
  ``parties.<party>.ideal.<issue>`` (``.salience.``)
* ``<party>__walkaway``, ``<party>__walkaway_drift``, ``<party>__patience``,
  ``<party>__capability`` -> ``parties.<party>.<field>``
* ``<party>__walkaway_path__<k>`` -> ``parties.<party>.walkaway_path.<k>.1``
  (a party whose walk-away follows a path has these instead of the value and
  drift sliders, which the path would override: :func:`control_notes` says so)
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
import tomlkit

from sim.benchmarks.problem import BargainingProblem
from sim.benchmarks.solutions import Solutions, pareto_frontier, solve
from sim.core.errors import UserError
from sim.core.scenario import Party, Scenario
from sim.engine.model import NegotiationModel
from sim.engine.outcome import History, Outcome, result_of
from sim.engine.scenarios import load_scenario
from sim.experiments.explain import explain_run
from sim.experiments.explain_text import explanation_sentences
from sim.experiments.forecast import Forecast, forecast
from sim.experiments.forecast_text import context_line
from sim.protocols import ENDINGS, protocol_names
from sim.report.tables import ENDING_WORDS

__all__ = [
    "UI_FORECAST_RUNS",
    "baseline_run",
    "changed_values",
    "ClassroomModel",
    "Control",
    "control_notes",
    "controls",
    "default_scenario",
    "explanation_for",
    "forecast_for",
    "forecast_line",
    "frontier_for",
    "load_cached",
    "model_params",
    "saved_filename",
    "scenario_files",
    "scenario_toml",
    "Snapshot",
    "solutions_for",
    "summary",
    "variant_scenario",
]

SOURCE = "classroom UI"


# --------------------------------------------------------------------------
# Controls: one per slider, each bound to a path in the scenario file.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Control:
    """One slider or select of the classroom UI.

    Attributes:
        name: Keyword argument of :class:`ClassroomModel` (``ukraine__walkaway``).
        path: Dotted path of the value in the scenario file.
        label: Text shown next to the control.
        group: ``"run"``, ``"mediator"`` or a party id: where the control sits.
        kind: Mesa's input type: ``"SliderFloat"``, ``"SliderInt"`` or ``"Select"``.
        value: The value in the file as loaded.
        min: Lowest value of a slider.
        max: Highest value of a slider.
        step: Slider step; values are rounded to its decimals.
        values: Choices of a select.
    """

    name: str
    path: str
    label: str
    group: str
    kind: str
    value: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: tuple[str, ...] = field(default=())

    def clean(self, value: Any) -> Any:
        """The value as this control holds it: on its step's decimals, of its type.

        Args:
            value: A value from a slider, a select or a caller.

        Returns:
            The cleaned value (float rounded to the step's decimals, int, or str).

        Raises:
            UserError: If the value has the wrong type or a select does not offer it.
        """
        if self.kind == "Select":
            if value not in self.values:
                raise UserError.at(SOURCE, self.name, f"must be one of {', '.join(self.values)}; got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise UserError.at(SOURCE, self.name, f"must be a number; got {value!r}")
        if self.kind == "SliderInt":
            if value != int(value):
                raise UserError.at(SOURCE, self.name, f"must be an integer; got {value!r}")
            return int(value)
        cleaned = round(float(value), _decimals(self.step or 0.01) + 2)
        if cleaned == int(cleaned) and isinstance(self.value, int):
            return int(cleaned)  # keep integers of the file (85, not 85.0)
        return cleaned

    def param(self, value: Any | None = None) -> dict[str, Any]:
        """This control as an entry of Mesa's ``model_params`` (shown at ``value``).

        Sliders show their value in the label (``Ukraine: walk-away 0.60``).
        """
        shown = self.value if value is None else value
        if self.kind == "Select":
            return {"type": "Select", "label": self.label, "value": shown, "values": list(self.values)}
        return {
            "type": self.kind,
            "label": f"{self.label} {self.format(shown)}",
            "value": shown,
            "min": self.min,
            "max": self.max,
            "step": self.step,
        }

    def format(self, value: Any) -> str:
        """A value as the control shows it (with its step's decimals)."""
        if self.kind != "SliderFloat":
            return str(value)
        return f"{value:.{_decimals(self.step or 0.01)}f}"


def _decimals(step: float) -> int:
    """Number of decimals of a slider step (0.005 -> 3, 10 -> 0)."""
    exponent = Decimal(repr(float(step))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _slider(
    name: str, path: str, label: str, group: str, value: float, low: float, high: float, step: float
) -> Control:
    """A float slider over [low, high] whose grid of ``step`` passes through the file's value.

    A browser slider snaps its value to ``min + k * step`` as soon as it is
    shown, and rounds it to the step's decimals (Vuetify); putting the file's
    value on the grid, with a step as fine as the value's last decimal (a drift
    of 0.0057 gets steps of 0.0001, not 0.001), keeps the scenario as loaded.
    """
    needed = min(_decimals(value), 12)
    if needed > _decimals(step):
        step = float(f"1e-{needed}")
    digits = _decimals(step) + 2
    low, high = min(low, value), max(high, value)
    below = math.floor(round((value - low) / step, 9))
    above = math.floor(round((high - value) / step, 9))
    return Control(
        name,
        path,
        label,
        group,
        "SliderFloat",
        value,
        round(value - below * step, digits),
        round(value + above * step, digits),
        step,
    )


def controls(scenario: Scenario) -> dict[str, Control]:
    """Every control of a scenario, in display order, by name (built once per scenario content).

    Args:
        scenario: The scenario as loaded.

    Returns:
        ``{name: Control}``: run settings, mediator bias, then each party.
    """
    return dict(_cached(("controls", scenario.sha256), lambda: _controls(scenario)))


def _controls(scenario: Scenario) -> dict[str, Control]:
    out: list[Control] = [
        Control(
            "protocol",
            "scenario.protocol",
            "protocol",
            "run",
            "Select",
            scenario.protocol,
            values=tuple(protocol_names()),
        ),
        Control(
            "rounds",
            "scenario.rounds",
            "rounds (at most)",
            "run",
            "SliderInt",
            scenario.rounds,
            1,
            max(100, scenario.rounds),
            1,
        ),
        Control("seed", "scenario.seed", "seed", "run", "SliderInt", scenario.seed, 0, max(99, scenario.seed), 1),
        _slider("noise", "scenario.noise", "drafting noise", "run", scenario.noise, 0.0, 0.1, 0.005),
    ]
    for party in scenario.parties:
        bias = scenario.mediator_bias[party.id]
        out.append(
            _slider(
                f"bias__{party.id}",
                f"scenario.mediator_bias.{party.id}",
                f"bias toward {party.name}",
                "mediator",
                bias,
                0.0,
                3.0,
                0.05,
            )
        )
    for party in scenario.parties:
        pid, name = party.id, party.name
        where = f"parties.{pid}"
        for issue in scenario.issues:
            low, high = party.red_lines[issue.id]
            out.append(
                _slider(
                    f"{pid}__ideal__{issue.id}",
                    f"{where}.ideal.{issue.id}",
                    f"{name}: ideal {issue.id}",
                    pid,
                    party.ideal[issue.id],
                    max(low, issue.min),
                    min(high, issue.max),
                    issue.step or _nice_step(issue.span / 100),
                )
            )
        for issue in scenario.issues:
            out.append(
                _slider(
                    f"{pid}__salience__{issue.id}",
                    f"{where}.salience.{issue.id}",
                    f"{name}: salience {issue.id}",
                    pid,
                    party.salience[issue.id],
                    0.0,
                    1.0,
                    0.05,
                )
            )
        out += _walkaway_controls(party)
        out += [
            _slider(
                f"{pid}__patience",
                f"{where}.patience",
                f"{name}: patience",
                pid,
                party.patience,
                0.5,
                1,
                0.005,
            ),
            _slider(
                f"{pid}__capability",
                f"{where}.capability",
                f"{name}: capability",
                pid,
                party.capability,
                0.0,
                max(1.0, 2 * party.capability),
                0.01,
            ),
        ]
    out += _world_controls(scenario)
    return {c.name: c for c in out}


def _walkaway_controls(party: Party) -> list[Control]:
    """The walk-away sliders of a party: its value and drift, or the points of its path.

    A ``walkaway_path`` replaces the drift (and, from round 0, the value): sliders
    for those would do nothing, so such a party gets one slider per point of its
    path instead (and the round-0 value only when the path starts later).
    """
    pid, name, where = party.id, party.name, f"parties.{party.id}"
    if not party.walkaway_path:
        return [
            _slider(f"{pid}__walkaway", f"{where}.walkaway", f"{name}: walk-away", pid, party.walkaway, 0, 1, 0.01),
            _slider(
                f"{pid}__walkaway_drift",
                f"{where}.walkaway_drift",
                f"{name}: walk-away drift",
                pid,
                party.walkaway_drift,
                -0.02,
                0.01,
                0.0005,
            ),
        ]
    out = []
    if party.walkaway_path[0][0] > 0:  # the path starts later: round 0 is the walk-away value
        out.append(
            _slider(f"{pid}__walkaway", f"{where}.walkaway", f"{name}: walk-away", pid, party.walkaway, 0, 1, 0.01)
        )
    for k, (round_, value) in enumerate(party.walkaway_path):
        out.append(
            _slider(
                f"{pid}__walkaway_path__{k}",
                f"{where}.walkaway_path.{k}.1",
                f"{name}: walk-away in round {round_:g}",
                pid,
                value,
                0,
                1,
                0.01,
            )
        )
    return out


def control_notes(scenario: Scenario) -> dict[str, str]:
    """Why a group lacks a usual slider, by group (party id): shown above the group's sliders."""
    notes = {}
    for party in scenario.parties:
        if party.walkaway_path:
            rounds = ", ".join(f"{r:g}" for r, _ in party.walkaway_path)
            notes[party.id] = (
                f"{party.name}'s walk-away follows a path in the file (rounds {rounds}; straight lines between): "
                "move its points. A drift would not apply to it."
            )
    return notes


def _world_controls(scenario: Scenario) -> list[Control]:
    """Sliders of what can make talks fail: breakdown risk, the battlefield, the mediator's lean, walk-outs."""
    out = [
        _slider(
            "breakdown_risk",
            "scenario.breakdown_risk",
            "breakdown risk per round",
            "world",
            scenario.breakdown_risk,
            0.0,
            0.2,
            0.005,
        ),
    ]
    front = scenario.battlefield
    if front is not None:
        span = scenario.issue(front.issue).span
        out += [
            _slider(
                "front_drift",
                "battlefield.drift",
                f"front: drift per round ({front.issue})",
                "world",
                front.drift,
                -0.05 * span,
                0.05 * span,
                _nice_step(span / 1000),
            ),
            _slider(
                "front_volatility",
                "battlefield.volatility",
                f"front: volatility ({front.issue})",
                "world",
                front.volatility,
                0.0,
                0.1 * span,
                _nice_step(span / 1000),
            ),
        ]
    for party in scenario.parties:
        pid, name = party.id, party.name
        out.append(
            _slider(
                f"lean__{pid}",
                f"scenario.mediator_lean.{pid}",
                f"mediator leans toward {name}",
                "mediator",
                scenario.mediator_lean.get(pid, 0.0),
                0.0,
                0.95,
                0.05,
            )
        )
        out.append(
            Control(
                f"{pid}__walkout_after",
                f"parties.{pid}.walkout_after",
                f"{name}: walks out after (rounds; 0 = never)",
                pid,
                "SliderInt",
                party.walkout_after,
                0,
                max(20, party.walkout_after),
                1,
            )
        )
        if front is not None:
            out.append(
                _slider(
                    f"{pid}__front_sensitivity",
                    f"parties.{pid}.front_sensitivity",
                    f"{name}: walk-away per front move",
                    pid,
                    party.front_sensitivity,
                    -1.0,
                    1.0,
                    0.05,
                )
            )
    return out


def _nice_step(raw: float) -> float:
    """The largest of 1, 2, 5 x 10^k not above ``raw``."""
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (5, 2, 1):
        if factor * power <= raw:
            return float(f"{factor * power:.12g}")
    return power


def model_params(scenario: Scenario, values: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Mesa ``model_params`` of every control, showing ``values`` (default: the file's).

    Args:
        scenario: The scenario as loaded.
        values: Current control values by name.

    Returns:
        ``{name: {"type": ..., "label": ..., "value": ..., ...}}``.
    """
    values = values or {}
    return {name: c.param(values.get(name)) for name, c in controls(scenario).items()}


def _clean_values(scenario: Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    known = controls(scenario)
    out = {}
    for name, value in values.items():
        if name not in known:
            raise UserError.at(SOURCE, name, f"unknown control for scenario {scenario.name!r}")
        out[name] = known[name].clean(value)
    return out


def changed_values(scenario: Scenario, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The controls whose value differs from the file: ``{path: (file value, new value)}``.

    Args:
        scenario: The scenario as loaded.
        values: Control values by name (others keep the file's value).

    Raises:
        UserError: If a name is not a control of the scenario or a value is not allowed.
    """
    known = controls(scenario)
    cleaned = _clean_values(scenario, values)
    return {
        known[name].path: (known[name].value, value) for name, value in cleaned.items() if value != known[name].value
    }


def variant_scenario(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """The scenario with control values applied (validated again).

    Only values that differ from the file are written, so untouched ranges
    (``{low, high}``) survive and an untouched scenario is the file itself.

    Raises:
        UserError: If a value is not allowed in a scenario (e.g. every salience 0).
    """
    changes = changed_values(scenario, values)
    if not changes:
        return scenario
    return scenario.with_values({path: new for path, (_, new) in changes.items()}, source=SOURCE)


def scenario_toml(scenario: Scenario, values: Mapping[str, Any]) -> str:
    """The controls' state as a scenario file ("save as scenario"), keeping every comment of the file.

    The file as loaded is edited in place (tomlkit): its sources and
    judgements (comments) stay where they are; each changed value gets a
    comment with its old value, and the header lists the changes. When
    anything was changed, the scenario's name gets ``-variant``. The file
    reproduces the run: same protocol, seed, rounds and numbers.

    Args:
        scenario: The scenario as loaded.
        values: Control values by name.

    Returns:
        TOML text that :func:`sim.core.scenario.load_scenario` accepts.
    """
    changes = changed_values(scenario, values)
    variant_scenario(scenario, values)  # a value the scenario rules refuse stops here
    source = Path(scenario.source)
    try:
        document = tomlkit.parse(source.read_text())
    except (OSError, tomlkit.exceptions.TOMLKitError):  # no file to keep comments from: the data as it is
        document = tomlkit.parse(tomli_w.dumps(copy.deepcopy(dict(scenario.data))))
    lines = [f"# Saved by the negsim classroom UI from {source.name} ({scenario.name})."]
    if changes:
        header = document["scenario"]
        _set_with_note(header, "name", f"{scenario.name}-variant", scenario.name)
        _set_with_note(header, "title", f"{scenario.title} (classroom variant)", scenario.title)
        lines.append("# Changed from the file (each changed value below says its old value):")
        lines += [f"#   {path}: {_show(old)} -> {_show(new)}" for path, (old, new) in changes.items()]
        for path, (old, new) in changes.items():
            _set_path(document, path.split("."), new, old)
    else:
        lines.append("# Nothing changed from the file.")
    return "\n".join(lines) + "\n\n" + tomlkit.dumps(document)


def _set_path(node: Any, keys: list[str], value: Any, old: Any) -> None:
    """Set ``value`` at a dotted path of a tomlkit document (tables made as needed), noting the old value."""
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[int(key)]
            continue
        if key not in node:
            node[key] = tomlkit.inline_table() if isinstance(node, tomlkit.items.InlineTable) else tomlkit.table()
        node = node[key]
    _set_with_note(node, keys[-1], value, old)


def _set_with_note(node: Any, key: str, value: Any, old: Any) -> None:
    """``node[key] = value``, its comment saying the old value and keeping the file's own comment."""
    index = int(key) if isinstance(node, list) else key
    before = node[index] if (isinstance(node, list) or key in node) else None
    kept = ""
    if before is not None and hasattr(before, "trivia"):
        kept = before.trivia.comment.lstrip("# ").strip()
    node[index] = value
    if isinstance(node, tomlkit.items.InlineTable | tomlkit.items.Array):
        return  # a value inside an inline table or array carries no comment of its own: the header lists it
    item = node[index]
    if hasattr(item, "comment"):
        item.comment(f"classroom: was {_show(old)}" + (f"; {kept}" if kept else ""))


def saved_filename(scenario: Scenario, values: Mapping[str, Any]) -> str:
    """File name to save the controls' state under."""
    return f"{scenario.name}{'-variant' if changed_values(scenario, values) else ''}.toml"


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------
# Scenario files and caches shared by the sessions of one server.
# --------------------------------------------------------------------------
_LOCK = threading.Lock()
_LOADED: dict[tuple[str, int], Scenario] = {}
_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 64


def load_cached(path: str | Path) -> Scenario:
    """:func:`~sim.core.scenario.load_scenario`, remembered until the file changes."""
    file = Path(path)
    try:
        key = (str(file.resolve()), file.stat().st_mtime_ns)
    except OSError:
        return load_scenario(path)  # reports the missing file
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
    scenario = load_scenario(path)
    with _LOCK:
        _LOADED[key] = scenario
    return scenario


def _cached(key: tuple, compute: Callable[[], Any]) -> Any:
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = compute()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def solutions_for(scenario: Scenario) -> Solutions:
    """The benchmark solutions of a scenario (computed once per scenario content)."""
    return _cached(("solve", scenario.sha256), lambda: solve(scenario))


def frontier_for(scenario: Scenario, parties: tuple[str, str]) -> tuple:
    """The Pareto frontier of two parties (computed once per preferences and red lines, and pair).

    The frontier does not depend on walk-aways, bias, patience or the run's
    settings, so moving those sliders reuses it.
    """
    problem = BargainingProblem.from_scenario(scenario)
    arrays = (problem.ideal, problem.weight, problem.curvature, problem.red_low, problem.red_high)
    key = ("frontier", hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest())
    return _cached((*key, tuple(scenario.party_ids), *parties), lambda: pareto_frontier(scenario, parties))


UI_FORECAST_RUNS = 500
"""Draws behind the classroom's forecast band (fewer than the command line's 2,000: it follows every slider)."""


def forecast_for(scenario: Scenario) -> Forecast:
    """The forecast of the scenario as the sliders set it (computed once per scenario content)."""
    return _cached(("forecast", scenario.sha256), lambda: forecast(scenario, runs=UI_FORECAST_RUNS))


def forecast_line(scenario: Scenario) -> str:
    """The forecast in one sentence (see :func:`sim.experiments.forecast_text.context_line`)."""
    return context_line(forecast_for(scenario))


def explanation_for(run: Snapshot) -> list[str]:
    """Why a finished run ended as it did, in sentences (empty while it runs; once per run)."""
    if not run.done:
        return []
    key = ("explain", run.scenario.sha256, run.protocol, run.seed, run.t)
    return _cached(key, lambda: explanation_sentences(explain_run(run)))


def baseline_run(scenario: Scenario) -> Outcome:
    """The run of the scenario as loaded (the faint "baseline" of the UI)."""
    from sim.engine.runner import run

    return _cached(("baseline", scenario.sha256), lambda: run(scenario, solutions=solutions_for(scenario)))


def scenario_files(folder: str | Path, also: str | Path | None = None) -> dict[str, str]:
    """The scenario files of a folder, ``{file name: path}``, sorted by name.

    Args:
        folder: Folder to list (``*.toml``).
        also: A file to include even if it lies elsewhere.
    """
    out: dict[str, str] = {}
    directory = Path(folder)
    if directory.is_dir():
        for path in sorted(directory.glob("*.toml")):
            out[path.name] = str(path)
    if also is not None and str(also) not in out.values():
        name = Path(also).name
        out[name if name not in out else str(also)] = str(also)
    return dict(sorted(out.items()))


def default_scenario() -> str:
    """The scenario the UI opens: ``$NEGSIM_UI_SCENARIO``, else the first of ``scenarios/``."""
    chosen = os.environ.get("NEGSIM_UI_SCENARIO")
    if chosen:
        return chosen
    files = scenario_files(os.environ.get("NEGSIM_UI_DIR", "scenarios"))
    if not files:
        raise UserError.at("scenarios/", "", "no scenario files (*.toml) found; name one")
    return next(iter(files.values()))


# --------------------------------------------------------------------------
# The model.
# --------------------------------------------------------------------------
class ClassroomModel(NegotiationModel):
    """A :class:`~sim.model.NegotiationModel` built from a file and flat control values.

    Args:
        scenario: Scenario file (or an already loaded scenario).
        **values: Control values by name (see the module doc); the others keep
            the file's values. Protocol, rounds and seed are controls too.

    Attributes:
        base: The scenario as loaded from the file.
        values: Every control's value (the file's where not given).
        changes: ``{path: (file value, new value)}`` of the changed controls.

    Raises:
        UserError: If the file is invalid or a value is not allowed.
    """

    def __init__(self, scenario: str | Path | Scenario, **values: Any) -> None:
        base = scenario if isinstance(scenario, Scenario) else load_cached(scenario)
        self.base = base
        self.changes = changed_values(base, values)
        self.values = {name: c.value for name, c in controls(base).items()}
        self.values.update(_clean_values(base, values))
        super().__init__(variant_scenario(base, values))

    def to_toml(self) -> str:
        """This model's parameters as a scenario file that reproduces its run."""
        return scenario_toml(self.base, self.values)


# --------------------------------------------------------------------------
# A run in progress, and what it says in words.
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """A run so far, shaped like an :class:`~sim.outcome.Outcome` for the figures.

    Attributes:
        scenario: The scenario being run.
        protocol: Protocol name.
        seed: Seed of the run.
        rounds_max: Round limit.
        t: Rounds played.
        done: Whether the run has ended.
        agreement: Whether a deal was struck.
        round: Round of the deal (None without one).
        deal: The agreed text (None without a deal).
        text: The text on the table now, per issue.
        utility: Each party's utility of the text now.
        walkaway: Each party's walk-away value now.
        accepts: Whether each party accepts the text now.
        benchmarks: Benchmark solutions ``{name: {issue: value} | None}``.
        history: Round-by-round record so far.
        ended_by: How the run ended ("" while it runs; see ``sim.protocols.ENDINGS``).
    """

    scenario: Scenario
    protocol: str
    seed: int
    rounds_max: int
    t: int
    done: bool
    agreement: bool
    round: int | None
    deal: dict[str, float] | None
    text: dict[str, float]
    utility: dict[str, float]
    walkaway: dict[str, float]
    accepts: dict[str, bool]
    benchmarks: dict[str, dict[str, float] | None]
    history: History
    ended_by: str = ""

    @classmethod
    def of(cls, model: NegotiationModel, solutions: Solutions | None = None, t: int | None = None) -> Snapshot:
        """The state of a model now, or after round ``t`` of its history (benchmarks computed when not given).

        A run computed to its end can be shown round by round this way
        ("watch"): the snapshot at ``t`` is what stepping to ``t`` would show.
        """
        s = model.scenario
        t = model.state.t if t is None else max(0, min(int(t), model.state.t))
        state = model.history[t]
        history = model.history[: t + 1]
        agreement, deal, _, walkaway = result_of(s, state)
        ids = s.party_ids
        return cls(
            scenario=s,
            protocol=model.protocol.name,
            seed=model.seed_value,
            rounds_max=int(model.params.rounds[0]),
            t=int(state.t),
            done=bool(state.done[0]) or int(state.t) >= int(model.params.rounds[0]),
            agreement=agreement,
            round=int(state.round[0]) if agreement else None,
            deal=deal,
            text={i.id: float(v) for i, v in zip(s.issues, s.to_units(state.text[0], on_grid=True), strict=True)},
            utility={p: float(u) for p, u in zip(ids, state.utility[0], strict=True)},
            walkaway=walkaway,
            accepts={p: bool(a) for p, a in zip(ids, state.accepts[0], strict=True)},
            benchmarks=(solutions or solutions_for(s)).as_dict(),
            history=History.from_states(s, history),
            ended_by=ENDINGS[int(state.ended_by[0])],
        )

    def events(self) -> list[dict[str, object]]:
        """The scenario's events as :meth:`sim.engine.outcome.Outcome.events` gives them, up to the rounds played."""
        out = []
        for event, fired in zip(self.scenario.events, self.history.fired, strict=True):
            item = {"label": event.label, "round": event.round, "happened": bool(fired) and event.round <= self.t}
            if event.date is not None:
                item["date"] = event.date
            out.append(item)
        return out


def _names(scenario: Scenario, ids: list[str]) -> str:
    names = [scenario.party(pid).name for pid in ids]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _text_in_words(scenario: Scenario, text: Mapping[str, float]) -> str:
    return "; ".join(f"{i.label} {i.format(text[i.id])}" for i in scenario.issues)


def headline(run: Snapshot) -> str:
    """One sentence: the deal and its round, or where the run stands.

    A "deal" that not every party accepts (the forecast of ``bdm`` or
    ``compromise``) is called a forecast.
    """
    s = run.scenario
    if run.deal is not None:
        kind = "Deal" if all(run.accepts.values()) else "Forecast"
        return f"{kind} in round {run.round}: {_text_in_words(s, run.deal)}."
    if run.done:
        why = ENDING_WORDS.get(run.ended_by, "")
        if run.ended_by == "walkout":
            rounds, parties = np.nonzero(run.history.walked)
            party = s.parties[parties[np.argmin(rounds)]]
            why = why.format(who=party.name, n=party.walkout_after)
        because = f": {why}" if why else ""
        return f"No deal after {run.t} rounds{because}; every party falls back on its walk-away value."
    if run.t == 0:
        return f"Round 0 of at most {run.rounds_max}: the opening text is on the table."
    return f"Round {run.t} of at most {run.rounds_max}: no deal yet."


def summary(run: Snapshot, baseline: Outcome | None = None, changes: Mapping | None = None) -> list[str]:
    """What happened, in sentences, for the results panel.

    Args:
        run: The run so far.
        baseline: The run of the file as loaded, to compare with.
        changes: ``{path: (file value, new value)}`` of the changed controls.

    Returns:
        Sentences: the headline, who holds out, the comparison with the
        baseline, and what was changed from the file.
    """
    s = run.scenario
    lines = [headline(run)]
    fired = [e for e, f in zip(s.events, run.history.fired, strict=True) if f and e.round <= run.t]
    lines += [f"Round {e.round}: {e.label}." for e in fired]
    if not run.done:
        lines.append(f"On the table: {_text_in_words(s, run.text)}.")
        if run.t > 0:
            holding = [pid for pid, ok in run.accepts.items() if not ok]
            if holding:
                lines.append(
                    f"Holding out: {_names(s, holding)} (the text gives "
                    f"{'it' if len(holding) == 1 else 'them'} less than fighting on, or crosses a red line)."
                )
    elif run.deal is not None:
        refusing = [pid for pid, ok in run.accepts.items() if not ok]
        if refusing:
            lines.append(f"Would not sign it: {_names(s, refusing)} (below the walk-away value, or across a red line).")
        if run.benchmarks.get("nash"):
            from sim.engine.runner import distance_to

            dist = distance_to(s, run.deal, run.benchmarks["nash"])
            lines.append(f"Distance to the Nash solution: {dist:.3f} (0 = the Nash point, 1 = far).")
        else:
            lines.append("No Nash solution: no text gives every party more than its round-0 walk-away value.")
    if baseline is not None:
        then = {True: f"deal in round {baseline.round}", False: f"no deal after {baseline.end_round} rounds"}
        lines.append(f"The file as loaded ({baseline.scenario.name}): {then[bool(baseline.agreement)]}.")
        if run.done and run.deal is not None and baseline.deal is not None and changes:
            moved = [
                f"{i.label} {i.format(run.deal[i.id])} instead of {i.format(baseline.deal[i.id])}"
                for i in s.issues
                if not np.isclose(run.deal[i.id], baseline.deal[i.id], rtol=0, atol=1e-9 * i.span)
            ]
            if moved:
                lines.append("Compared with it: " + "; ".join(moved) + ".")
    if changes:
        shown = [f"{path} {_show(old)} -> {_show(new)}" for path, (old, new) in changes.items()]
        lines.append("Changed from the file: " + ", ".join(shown) + ".")
    else:
        lines.append("All values as in the file.")
    return lines
