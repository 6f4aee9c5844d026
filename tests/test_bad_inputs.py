"""The bad-input corpus (tests/bad_inputs.py): every case exits 0 with a valid result or 2 with one clean line each.

A small random corpus runs by default; the large one is opt-in:
``NEGSIM_CORPUS=1000 pytest -q tests/test_bad_inputs.py`` (about 20 minutes on 2 cores).
Every hand-written case of issue 16 runs once, deterministically.
"""

from __future__ import annotations

import os

import pytest
from bad_inputs import CaseRunner, bad_input_cases, issue_cases, problems_of
from hypothesis import HealthCheck, given, settings

CORPUS = int(os.environ.get("NEGSIM_CORPUS", "20"))


@pytest.fixture(scope="module")
def runner():
    """A clean process that runs the cases (this one has threads: it must not fork)."""
    runner = CaseRunner()
    yield runner
    runner.close()


def _check(case, runner, tmp_path_factory):
    folder = tmp_path_factory.mktemp("case")
    result = runner.run(case, folder)
    found = problems_of(case, result, folder)
    assert not found, f"{case}\n{found}\nstderr: {result.stderr[-2000:]}"


@settings(
    max_examples=CORPUS,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=bad_input_cases())
def test_every_bad_input_ends_cleanly(case, runner, tmp_path_factory):
    _check(case, runner, tmp_path_factory)


@pytest.mark.parametrize("case", issue_cases(), ids=lambda case: case.what[:50])
def test_each_issue_case_ends_cleanly(case, runner, tmp_path_factory):
    _check(case, runner, tmp_path_factory)
