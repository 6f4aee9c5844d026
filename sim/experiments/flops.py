"""Floating-point work of the mediated and alternating kernels, and the rate the batched engine reaches.

The count is analytic: the arithmetic of one round's equations for one run
(row), from the array shapes of the scenario - P parties, I issues - and the
features it switches on. Counting rule: one elementary operation on one
float is one flop (+, -, x, /, abs, a power, a rounding, a comparison; a
clip is two; a sum of n terms is n - 1). Each equation is counted once, as
the model needs it: copies, temporaries, masks, index arithmetic and work
the code repeats are not counted, nor are random draws and rare work (the
ratification draws of a round where the table agrees, coalition moves, the
mediator's lean and the improvement phase, Newton steps for curved value
functions in the alternating offer). The figure is therefore a lower bound
of the work done, and the achieved rate computed from it a lower bound of
the rate the machine delivers.

The hardware counters (``perf stat -e fp_arith_inst_retired...``) are not
available on this machine (``perf stat -e instructions true`` reports "not
supported"), hence the count.

Terms (per run and round; G gridded or discrete issues, K curved
(party, issue) pairs, J guarantors, S softening red lines, F issues with a
no-deal line, C red lines with an audience cost):

========================== ============================================= ==========================
term                       equation                                      flops
========================== ============================================= ==========================
walk-aways                 ``w(t) = clip(w0 + drift t, 0, 1)``           4P
red lines in force         softening, no-deal lines                      5S + 3PF
utilities                  ``U_a = sum_i w_ai (1 - |z_i - p_ai|)^k``     5PI - P + K
guarantors                 ``U^G_a = sum_G w v / sum_G w``               2IJ
audience costs             crossed original line: ``- cost``             5C + P
red-line test              ``z < low - tol``, ``z > high + tol``         4PI
walk-away test             ``U >= w(t)``                                 P
snap to grid               ``round(z / step) step``, clipped             5G
========================== ============================================= ==========================

mediated (Raiffa's single negotiating text; :mod:`sim.protocols.mediated`):
the draft clipped into the common red lines (max and min over parties,
overlap test, clip: ``2(P - 1)I + 3I``), aspiration ``w + (1 - w) delta^t``
(4P), demands ``clip_red(x + lam (p - x))`` with ``lam = clip((A - U) / (1 -
U), 0, 1)`` (5PI + 5P), pull weights ``mu = b c s v / sum_k b c s v`` (3PI +
(P - 1)I + P), the revision ``y + sum_a mu (d - y)`` over objectors (4PI),
drafting noise ``clip(y + sigma eps)`` where sigma > 0 (4I).

alternating (:mod:`sim.protocols.alternating`): the time-dependent targets
``w + (1 - (t/T)^(1/beta)) (1 - w)`` (6P + 3), the proposer's closed-form
concession ``lam = clip((1 - tau) / sum_i w_i |r_i - p_i|, 0, 1)``, ``x = p +
lam (r - p)`` (6I + 3), clipped into its red lines (2I), and the responders'
AC_next test against next round's walk-aways and targets, discounted:
``delta ((1 - p) tau(t + 1) + p w(t + 1))`` (4P + 6P + 3 + 4P + 1 + 2P).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from sim.core.compile import compile_params
from sim.core.params import KernelParams
from sim.core.scenario import Scenario
from sim.core.streams import spawn_seeds
from sim.engine.kernel import run_kernel
from sim.protocols import resolve_protocol

__all__ = ["FLOP_LIMIT", "KERNELS", "flop_rates", "flops_per_round", "round_terms", "shape_of"]

FLOP_LIMIT = 1e9
"""The reference rate, flop/s per core (the goal of issue #17: within 3x of it)."""

KERNELS = ("mediated", "alternating")
"""The kernels whose flops are counted."""


def shape_of(params: KernelParams) -> dict[str, int]:
    """The sizes and feature counts of row 0 that the flop count depends on.

    Returns:
        ``P``, ``I``, ``G`` (gridded or discrete issues), ``K`` (curved party-issue
        pairs), ``J`` (guarantors), ``S`` (softening red lines), ``F`` (issues
        with a no-deal line), ``C`` (red lines with an audience cost), ``noise``
        (1 if the mediator drafts with noise).
    """
    red = params.red_lines
    gridded = (params.step > 0) | np.array([len(options) > 0 for options in params.levels], dtype=bool)
    return {
        "P": params.n_parties,
        "I": params.n_issues,
        "G": int(gridded.sum()),
        "K": int(np.sum(params.prefs.curvature[0] != 1.0)),
        "J": int(np.sum(~np.all(params.prefs.consent[0] == 1.0, axis=-1))),
        "S": int(np.sum(red.soften[0] != 0.0)),
        "F": int(np.sum(np.any(params.floor_table[0] != 0.0, axis=0))),
        "C": int(np.sum(red.cost[0] != 0.0)),
        "noise": int(params.mediation.noise[0] > 0),
    }


def _answers(s: dict[str, int]) -> dict[str, int]:
    """Terms every consent round has: what is in force, the utilities, the answers."""
    p, i = s["P"], s["I"]
    return {
        "walk-aways": 4 * p,
        "red lines in force": 5 * s["S"] + 3 * p * s["F"],
        "utilities": 5 * p * i - p + s["K"],
        "guarantors": 2 * i * s["J"],
        "audience costs": 5 * s["C"] + (p if s["C"] else 0),
        "red-line test": 4 * p * i,
        "walk-away test": p,
        "snap to grid": 5 * s["G"],
    }


def round_terms(protocol: str, shape: dict[str, int]) -> dict[str, int]:
    """Flops of one round of one run, term by term (see the module docstring).

    Args:
        protocol: ``"mediated"`` or ``"alternating"``.
        shape: Sizes and feature counts (:func:`shape_of`).

    Returns:
        ``{term: flops}``.
    """
    if protocol not in KERNELS:
        raise ValueError(f"flops are counted for {', '.join(KERNELS)}; got {protocol!r}")
    p, i = shape["P"], shape["I"]
    terms = _answers(shape)
    if protocol == "mediated":
        terms |= {
            "common red lines": 2 * (p - 1) * i + 3 * i,
            "aspiration": 4 * p,
            "demands": 5 * p * i + 5 * p,
            "pull weights": 3 * p * i + (p - 1) * i + p,
            "revision": 4 * p * i,
            "drafting noise": 4 * i * shape["noise"],
        }
    else:
        terms |= {
            "targets": 6 * p + 3,
            "concession": 6 * i + 3,
            "offer in red lines": 2 * i,
            "next-round test": 4 * p + (6 * p + 3) + (4 * p + 1) + 2 * p,
        }
    return terms


def flops_per_round(scenario: Scenario, protocol: str) -> int:
    """Flops per run and round of ``protocol`` on ``scenario`` (analytic; see the module docstring)."""
    return sum(round_terms(protocol, shape_of(compile_params(scenario, 1))).values())


def _run_rounds(scenario: Scenario, protocol: str, seeds: np.ndarray) -> tuple[int, float]:
    """Rounds played by all rows of one batched run, and its CPU seconds."""
    params = compile_params(scenario, len(seeds))
    proto = resolve_protocol(scenario, protocol)
    started = time.process_time()
    state = run_kernel(proto, params, seeds)
    cpu = time.process_time() - started
    played = np.where(state.round > 0, state.round, state.t)
    return int(played.sum()), cpu


def flop_rates(scenario: Scenario, runs: int = 20_000) -> dict[str, Any]:
    """Flops per run-round and the rate the batched engine reaches, per kernel, on one core.

    Each kernel plays ``runs`` rows in one batch (after a warm-up of 100);
    the rate is the counted flops of the rounds actually played (a row stops
    at its deal) over the process's CPU time.

    Args:
        scenario: The scenario.
        runs: Rows per batch.

    Returns:
        ``{kernel: {flops_per_run_round, run_rounds_per_s, flop_per_s, limit_ratio}}``
        with ``limit_ratio = FLOP_LIMIT / flop_per_s`` (goal: at most 3).
    """
    out: dict[str, Any] = {}
    for name in KERNELS:
        per_round = flops_per_round(scenario, name)
        _run_rounds(scenario, name, spawn_seeds(0, 100))  # warm-up
        rounds, cpu = _run_rounds(scenario, name, spawn_seeds(1, runs))
        rate = per_round * rounds / cpu
        out[name] = {
            "flops_per_run_round": per_round,
            "run_rounds_per_s": round(rounds / cpu, 1),
            "flop_per_s": round(rate, 1),
            "limit_ratio": round(FLOP_LIMIT / rate, 2),
        }
    return out
