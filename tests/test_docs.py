"""Executable documentation: what README.md and docs/*.md show is what the commands print now.

* Every example in ``docs/examples/`` prints its committed ``.out`` (run as a
  reader would, from a scratch folder, with this checkout's ``negsim``).
* Every marked region of a document holds its file's text byte for byte.
* Every code block written by hand says why it is not run.
* Every number in the prose is an input (a scenario or experiment file), an
  output (a committed ``.out``, or an expected file another test checks:
  ``tests/expected/backtest-train.json``, the gallery's tables), or listed with its reason in
  ``docs/examples/prose-numbers.toml``; "round N" must be a round some
  committed output names as "round N" (or be listed): the stale "Deal in round
  14" of old would pass as a number that appears in some input.

After a change that moves an output, ``python tests/docs_update.py`` rewrites
the ``.out`` files and the regions; review the diff and give the reasons in
the commit message. See ``tests/docs_examples.py`` for the format.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor

import pytest
from docs_examples import (
    DOCUMENTS,
    EXAMPLES,
    NOT_RUN,
    ROOT,
    code_blocks,
    examples,
    expected_output,
    outside_regions,
    regions,
    render,
    run_example,
)

ALLOWED = EXAMPLES / "prose-numbers.toml"
NUMBER = re.compile(r"(?<![\w.-])-?\d[\d,]*(?:\.\d+)?(?![\w.]*\w)")
ROUND = re.compile(r"\b[Rr]ounds? (\d+)\b")


def _name(path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def printed() -> dict[str, str]:
    """What every example prints now, by file name (run side by side: each is mostly interpreter start-up)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip((e.name for e in examples()), pool.map(run_example, examples()), strict=True))


@pytest.mark.parametrize("example", examples(), ids=lambda p: p.name)
def test_each_example_prints_its_committed_output(example, printed):
    expected = expected_output(example)
    assert expected.exists(), f"{_name(expected)} is missing: run python tests/docs_update.py {example.stem}"
    got = printed[example.name]
    if got != expected.read_text():
        diff = "".join(
            difflib.unified_diff(
                expected.read_text().splitlines(keepends=True),
                got.splitlines(keepends=True),
                f"{_name(expected)} (committed)",
                f"{example.name} (now)",
            )
        )
        pytest.fail(
            f"{example.name} prints something else than {_name(expected)}; if intended, run "
            f"python tests/docs_update.py {example.stem} and commit the diff with its reason:\n{diff}"
        )


def test_every_output_has_its_example_and_every_example_is_used():
    outputs = {p.stem for p in EXAMPLES.glob("*.out")}
    assert outputs == {e.stem for e in examples()}
    used = " ".join(d.read_text() for d in DOCUMENTS)
    unused = [e.name for e in examples() if e.stem not in used]
    assert not unused, f"examples no document shows or links: {unused}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_regions_hold_what_their_files_hold(document):
    text = document.read_text()
    assert text.count("<!-- include:") == len(regions(text)), f"{document.name}: an include without its end"
    for region in regions(text):
        assert (ROOT / region.path).exists(), f"{document.name}: {region.path} does not exist"
        assert set(region.options) <= {"fence", "lines"}, f"{document.name}: {region.path}: {region.options}"
        if region.body != render(region):
            diff = "".join(
                difflib.unified_diff(
                    region.body.splitlines(keepends=True),
                    render(region).splitlines(keepends=True),
                    f"{document.name} (region)",
                    region.path,
                )
            )
            pytest.fail(
                f"{document.name}: the region of {region.path} is stale; run python tests/docs_update.py\n{diff}"
            )


EQUATIONS = {"MODEL.md"}
"""Documents whose indented blocks are equations, not code (fenced blocks there are still checked)."""


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_code_written_by_hand_says_why_it_is_not_run(document):
    text = outside_regions(document.read_text())
    text = re.sub(r"<!-- limits: generated.*?<!-- end of generated limits -->", "", text, flags=re.DOTALL)
    blocks = code_blocks(text, indented=document.name not in EQUATIONS)
    missing = [f"line {n}: {line}" for n, line, reason in blocks if reason is None]
    assert not missing, (
        f"{document.name}: code blocks neither generated from docs/examples/ nor marked "
        f"<!-- not run: REASON --> (indented blocks: fence them): {missing}"
    )


def _value(token: str) -> float:
    """A number token's size (the sign does not matter: ``exp(-12 ...)`` quotes a steepness of 12)."""
    return abs(float(token.replace(",", "")))


def _numbers(text: str) -> set[float]:
    return {_value(m.group()) for m in NUMBER.finditer(text)}


def _prose(document) -> str:
    """The hand-written prose, without what cannot be a model output.

    No regions, fenced code, comments, link targets, web addresses or versions
    (127.0.0.1), section numbers (### 3.1, §3.5), years (1900-2099: dates and
    citations) or a citation's volume, issue and pages (50:97-109, 23(4)).
    """
    text = outside_regions(document.read_text())
    text = re.sub(r"<!-- limits: generated.*?<!-- end of generated limits -->", "", text, flags=re.DOTALL)
    text = re.sub(r"^(```|~~~).*?^(```|~~~)$", "", text, flags=re.MULTILINE | re.DOTALL)
    text = NOT_RUN.sub("", text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\b(?:https?|tcp)://\S+", "", text)
    text = re.sub(r"\b\d+(?:\.\d+){2,}\b", "", text)
    text = re.sub(r"^#+ [\d.]+", "", text, flags=re.MULTILINE)
    text = re.sub(r"§[\d.]+", "", text)
    text = re.sub(r"\b\d+(?:\(\d+\))?:\d+(?:[–-]\d+)?", "", text)
    text = re.sub(r"\b\d+\(\d+\)", "", text)
    return re.sub(r"(?<![\d.])(?:19|20)\d\d(?![\d.])", "", text)


def _inputs() -> set[float]:
    files = [*(ROOT / "scenarios").glob("*.toml"), *(ROOT / "experiments").glob("*.toml")]
    return set().union(*(_numbers(p.read_text()) for p in files))


CHECKED_OUTPUTS = [
    ROOT / "tests" / "expected" / "backtest-train.json",  # tests/test_backtest.py compares it with the backtest
    ROOT / "tests" / "expected" / "forecasts-doc.json",  # tests/test_docs_forecasts.py: docs/forecasts.md's numbers
    *sorted((ROOT / "results" / "gallery").glob("*.csv")),  # tests/test_gallery.py compares them with the code
    *sorted((ROOT / "results" / "gallery").glob("*.json")),
]
"""Committed outputs that other tests check against the code; numbers quoted from them count as outputs."""


ROUNDED_OUTPUTS = CHECKED_OUTPUTS[:2]
"""Expected files that hold full-precision numbers which the documents quote rounded (0.50812 as 0.508)."""


def _outputs() -> set[float]:
    files = [*EXAMPLES.glob("*.out"), *(p for p in CHECKED_OUTPUTS if p.exists())]
    exact = set().union(*(_numbers(p.read_text()) for p in files))
    full = set().union(*(_numbers(p.read_text()) for p in ROUNDED_OUTPUTS if p.exists()))
    rounded = {round(v, d) for v in full for d in range(5)} | {round(100 * v, d) for v in full for d in range(3)}
    return exact | rounded


NUMBERS_CHECKED_ELSEWHERE = {
    "MODEL.md": "the theory's worked examples are tests of their own (tests/test_bdm.py, test_alternating.py, "
    "test_solutions.py, ...) and section 8's table is read row by row by tests/test_backtest.py; the rest of "
    "its prose is issue #14's to move into generated regions",
}
"""Documents whose numbers other tests check, with how (the number rule below skips them)."""

RECORD = "sources.md"
"""The dated public record: its numbers are reported facts (scenario files cite them), never model outputs.

tests/test_docs.py checks instead that every fact in it names a defined source and the date it was reported.
"""


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_numbers_in_prose_are_inputs_outputs_or_listed(document):
    if document.name in NUMBERS_CHECKED_ELSEWHERE:
        pytest.skip(NUMBERS_CHECKED_ELSEWHERE[document.name])
    if document.name == RECORD:
        pytest.skip("the public record: test_every_fact_of_the_record_names_its_source_and_date checks it")
    allowed = tomllib.loads(ALLOWED.read_text()).get(document.name, {})
    listed = {_value(str(v)) for v in allowed.get("numbers", [])}
    listed_rounds = {int(v) for v in allowed.get("rounds", [])}
    inputs, outputs = _inputs(), _outputs()
    prose = _prose(document)
    stray = sorted(
        {m.group() for m in NUMBER.finditer(prose)}
        - {m.group() for m in NUMBER.finditer(prose) if _value(m.group()) in inputs | outputs | listed}
    )
    assert not stray, (
        f"{document.name}: numbers in the prose that no scenario, experiment or committed output holds: {stray}. "
        "Put a model output in a region generated from docs/examples/, or list the number with its reason in "
        "docs/examples/prose-numbers.toml"
    )
    output_rounds = {int(m[1]) for p in EXAMPLES.glob("*.out") for m in ROUND.finditer(p.read_text())}
    rounds = sorted({int(m[1]) for m in ROUND.finditer(prose)} - output_rounds - listed_rounds)
    assert not rounds, (
        f"{document.name}: round numbers in the prose that no committed output holds: {rounds}. "
        "A round a run reaches belongs in a generated region (or, if it is no output, in prose-numbers.toml)"
    )


SOURCE_KEY = re.compile(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`")
UNPINNED = "named no single source"
"""What a fact says when the record it came from named no source (it is to be pinned, and says so)."""


def _record_tables() -> dict[str, list[list[str]]]:
    """The rows of every table in docs/sources.md, by section name (the cells of each row)."""
    tables: dict[str, list[list[str]]] = {}
    section = ""
    for line in (ROOT / "docs" / RECORD).read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
            tables.setdefault(section, []).append([c.strip() for c in line.strip("|").split("|")])
    return tables


def test_every_fact_of_the_record_names_its_source_and_date():
    tables = _record_tables()
    defined = {SOURCE_KEY.fullmatch(row[0])[1] for row in tables["Sources"][1:]}
    assert len(defined) == len(tables["Sources"]) - 1, "every source has one key, written `like-this`"
    for section, rows in tables.items():
        if section == "Sources":
            continue
        header, *facts = rows
        dated = [i for i, name in enumerate(header) if name in {"reported", "when"}]
        assert header[-1] == "source" and dated, f"{RECORD}, {section}: a table without its source and date: {header}"
        for row in facts:
            where = f"{RECORD}, {section}: {row[0]}"
            date = row[dated[0]]
            assert re.search(r"\d{4}|standing", date), f"{where}: no date it was reported ({date!r})"
            cited = set(SOURCE_KEY.findall(row[-1]))
            assert cited <= defined, f"{where}: sources not in the Sources table: {cited - defined}"
            assert cited or UNPINNED in row[-1], f"{where}: names no source (nor says it is to be pinned)"


def test_scenario_files_cite_the_record_by_its_section_names():
    sections = set(_record_tables()) | {
        line[3:].strip() for line in (ROOT / "docs" / RECORD).read_text().splitlines() if line.startswith("## ")
    }
    keys = {SOURCE_KEY.fullmatch(row[0])[1] for row in _record_tables()["Sources"][1:]}
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for cited in re.findall(r"docs/sources\.md, ([A-Z][\w' ]*[\w'])", line):
                assert cited in sections, f"{path.name}:{n}: cites docs/sources.md, {cited!r}: no such section"
            for key in re.findall(r"docs/sources\.md#?([a-z0-9-]*)", line):
                assert not key or key in keys | {s.lower().replace(" ", "-") for s in sections}, (
                    f"{path.name}:{n}: docs/sources.md#{key} names no section or source"
                )


def test_scenario_files_cite_the_repository_record_not_the_old_working_notes():
    """Issue #19: the working notes (positions-2025-11.md) are outside the repository; docs/sources.md replaces them.

    No scenario or record file cites the notes, and each Russia-Ukraine file (a scenario with both parties, or
    the record of one) cites docs/sources.md at least once.
    """
    files = sorted((ROOT / "scenarios").rglob("*.toml"))
    russia_ukraine = {
        data["scenario"]["name"]
        for data in map(tomllib.loads, (p.read_text() for p in files))
        if "scenario" in data and {"russia", "ukraine"} <= set(data.get("parties", {}))
    }
    assert russia_ukraine, "no Russia-Ukraine scenario found"
    for path in files:
        text = path.read_text()
        assert "positions-2025-11" not in text, f"{_name(path)} cites the working notes: cite docs/sources.md"
        data = tomllib.loads(text)
        name = data["scenario"]["name"] if "scenario" in data else data.get("record", {}).get("scenario")
        if name in russia_ukraine:
            assert "docs/sources.md" in text, f"{_name(path)}: a Russia-Ukraine file that never cites docs/sources.md"
