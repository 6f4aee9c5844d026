"""``negsim ui`` in a real browser: Debian's Chromium driven by Playwright.

The server is started as a user would (``negsim ui SCENARIO --port N``) on a
free loopback port, in its own process group, and always stopped (the whole
group) at the end. The test moves a slider, presses Step, and checks that
the results text and the plots change; it saves a screenshot under
``results/test-artifacts/`` (git-ignored) and prints its path. ``.ci/run``
installs ``chromium`` when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import GENEVA, ROOT, two_party_data, write_scenario

from sim.cli import main
from sim.engine.scenarios import load_scenario
from sim.ui.classroom import ClassroomModel

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "results" / "test-artifacts"
START_TIMEOUT_S = 90
WAIT_MS = 60_000

if os.environ.get("CI") and not CHROMIUM.exists():  # CI must really run the browser test
    raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs chromium before the tests")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing (apt-get install chromium)")


def free_port() -> int:
    """A port nobody listens on at 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def negsim_command() -> list[str]:
    """``negsim`` from this environment (the console script, else ``python -m sim.cli``)."""
    script = Path(sys.executable).parent / "negsim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim.cli"]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it dies or times out."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"negsim ui exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"negsim ui did not answer at {url} within {START_TIMEOUT_S} s:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``negsim ui --class`` on a free loopback port; yields its URL and stops it afterwards."""
    folder = tmp_path_factory.mktemp("ui")
    scenarios = folder / "scenarios"
    scenarios.mkdir()
    # Geneva with seed 3, a run that ends in a deal in round 14 (the file's own seed 7 breaks down in round 11)
    text, n = re.subn(r"^seed = 7\b", "seed = 3", GENEVA.read_text(), count=1, flags=re.MULTILINE)
    assert n == 1
    (scenarios / GENEVA.name).write_text(text)
    port = free_port()
    log = folder / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*negsim_command(), "ui", f"scenarios/{GENEVA.name}", "--port", str(port), "--class"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(url, proc, log)
        yield url
    finally:
        stop(proc)
    lines = log.read_text().splitlines()
    assert f"at {url}" in lines[0]  # the URL is printed
    assert f"the class at {url}class" in lines[1] and (folder / "results" / "classroom.sqlite").exists()


def test_server_answers_only_to_its_own_host_names(server):
    """DNS rebinding: a request under another site's name is refused, the server's own names served."""
    import http.client

    port = int(server.rstrip("/").rsplit(":", 1)[1])
    for host, status in (("evil.example", 400), (f"evil.example:{port}", 400), (f"127.0.0.1:{port}", 200)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/", headers={"Host": host})
        assert connection.getresponse().status == status, host
        connection.close()


@pytest.fixture(scope="module")
def playwright():
    """One Playwright driver for the module (a second one in the same thread is refused)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    """A fresh headless Chromium (own user-data dir)."""
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": 2400},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


def open_page(browser, url: str):
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.locator(".negsim-results").wait_for()
    return page


@pytest.fixture(scope="module")
def browser_page(server, browser):
    """The classroom page in a tab."""
    return open_page(browser, server)


def results_text(page) -> str:
    return page.locator(".negsim-results").inner_text()


def chart_svg(page, css_class: str) -> str:
    """The drawn chart (its SVG layers: axes, marks, legend), once drawn."""
    page.locator(f".{css_class} svg").first.wait_for()
    return page.locator(f".{css_class}").inner_html()


def wait_for_new_chart(page, css_class: str, before: str) -> str:
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        now = chart_svg(page, css_class)
        if now != before:
            return now
        time.sleep(0.02)
    pytest.fail(f"the chart .{css_class} did not change")


def slider(page, label: str):
    """The thumb of the slider whose label starts with ``label``."""
    box = page.locator(".v-input__slider", has_text=label)
    return box.locator("[role=slider]")


@needs_chromium
def test_slider_change_shows_the_new_deal_and_figures_at_once(browser_page):
    """A slider change computes the whole run: the deal and the charts follow, without pressing play."""
    from playwright.sync_api import expect

    page = browser_page
    results = page.locator(".negsim-results")
    expect(results).to_contain_text("Deal in round 14")
    expect(results).to_contain_text("All values as in the file.")
    expect(page.locator(".negsim-forecast")).to_contain_text("The forecast: Across 500 draws")
    plane0 = chart_svg(page, "negsim-plane")
    utilities0 = chart_svg(page, "negsim-utilities")
    text0 = results_text(page)

    thumb = slider(page, "Ukraine: walk-away 0.60")
    thumb.focus()
    start = time.perf_counter()
    page.keyboard.press("ArrowUp")  # 0.60 -> 0.61
    expect(results).to_contain_text("Changed from the file: parties.ukraine.walkaway 0.6 -> 0.61.", timeout=WAIT_MS)
    shown_text = time.perf_counter() - start
    wait_for_new_chart(page, "negsim-plane", plane0)  # Ukraine's walk-away line and the deal moved
    wait_for_new_chart(page, "negsim-utilities", utilities0)
    shown_figures = time.perf_counter() - start
    print(f"slider to results: {shown_text:.3f} s; slider to figures: {shown_figures:.3f} s")
    assert results_text(page) != text0
    assert "Round 0 of" not in results_text(page)  # the whole run, not round 0
    expect(page.locator(".negsim-updating")).to_have_count(0)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "ui-browser.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


@needs_chromium
def test_ten_fast_slider_steps_end_on_the_last_value(browser_page):
    """Ten steps pressed as fast as the keyboard goes: the run shown is the last value's (#19)."""
    from playwright.sync_api import expect

    page = browser_page
    thumb = slider(page, "Ukraine: walk-away 0.")
    thumb.focus()
    page.keyboard.press("Home")
    expect(page.locator(".v-input__slider", has_text="Ukraine: walk-away 0.00")).to_have_count(1)
    for _ in range(10):
        page.keyboard.press("ArrowUp", delay=0)
    expect(page.locator(".v-input__slider", has_text="Ukraine: walk-away 0.10")).to_have_count(1)
    expect(page.locator(".negsim-results")).to_contain_text("parties.ukraine.walkaway 0.6 -> 0.1.")
    expect(page.locator(".negsim-updating")).to_have_count(0)
    assert "parties.ukraine.walkaway 0.6 -> 0.1." in results_text(page)
    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".negsim-results")).to_contain_text("All values as in the file.")


@needs_chromium
def test_watch_and_step_replay_the_computed_run(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".negsim-results")).to_contain_text("All values as in the file.")
    slider(page, "play: ms per round").focus()
    page.keyboard.press("Home")  # 50 ms per round: the label shows the value
    expect(page.locator(".v-input__slider", has_text="play: ms per round 50")).to_have_count(1)
    page.get_by_role("button", name="Watch").click()
    expect(page.get_by_role("button", name="Pause")).to_have_count(1)
    expect(page.get_by_role("button", name="Watch")).to_have_count(1, timeout=WAIT_MS)  # not "pause" at the end
    expect(page.get_by_text("round 14 of 14 (the end)")).to_have_count(1)
    page.get_by_role("button", name="Watch").click()
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Step").click()
    expect(page.locator(".negsim-results")).to_contain_text(re.compile(r"Round \d+ of at most 40"))


@needs_chromium
def test_save_as_scenario_keeps_comments_and_reproduces_the_run(browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    thumb = slider(page, "Ukraine: walk-away 0.")
    thumb.focus()
    page.keyboard.press("Home")
    expect(page.locator(".v-input__slider", has_text="Ukraine: walk-away 0.00")).to_have_count(1)
    expect(page.locator(".negsim-results")).to_contain_text(re.compile(r"parties\.ukraine\.walkaway 0\.6 -> 0\.(\s|$)"))
    with page.expect_download() as info:
        page.get_by_role("button", name="Save as scenario").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == "geneva-2025-11-variant.toml"
    text = saved.read_text()
    for line in GENEVA.read_text().splitlines():  # every comment of the file is kept
        if line.lstrip().startswith("#"):
            assert line in text, line
    assert re.search(r"^walkaway = 0(\.0)? # classroom: was 0\.6; judgement: ", text, re.MULTILINE)
    scenario = load_scenario(saved)
    assert scenario.party("ukraine").walkaway == 0
    ui_run = ClassroomModel(GENEVA, ukraine__walkaway=0, seed=3).run_to_end()  # the page's copy has seed 3
    file_run = ClassroomModel(saved).run_to_end()
    assert file_run.state.t == ui_run.state.t
    page.get_by_role("button", name="Restore").click()


@needs_chromium
def test_play_as_a_party_to_the_end_save_and_replay(browser_page, tmp_path):
    """A student takes Ukraine's seat, accepts every text, saves the session, and replays it to the same deal."""
    from playwright.sync_api import expect

    page = browser_page
    table = accept_every_text_as_ukraine(page)
    over = table.inner_text()
    assert "The model's own agent in Ukraine's seat" in over
    with page.expect_download() as info:
        page.get_by_role("button", name="Save session").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    session = load_session_from(saved)
    assert session.seat == "ukraine" and all(m.answer == "accept" for m in session.moves)
    you = re.search(r"You: (deal in round \d+|no deal[^;]*);", over).group(1)

    box = page.locator(".negsim-replay-box textarea")
    box.fill(saved.read_text())
    page.get_by_role("button", name="Replay").click()
    replayed = page.locator(".negsim-replay")
    if you.startswith("deal"):
        expect(replayed).to_contain_text(f"Replayed Ukraine's session ({len(session.moves)} moves): {you}")
    else:
        expect(replayed).to_contain_text("no deal")

    box.fill(saved.read_text().replace('seat = "ukraine"', 'seat = "kyiv"'))
    page.get_by_role("button", name="Replay").click()
    expect(replayed).to_have_text(re.compile(r"^session file: session\.seat: must be a party of geneva-2025-11: "))
    assert len(replayed.inner_text().strip().splitlines()) == 1
    page.get_by_role("button", name="Leave the seat").click()
    page.get_by_role("button", name="Explore").click()


def accept_every_text_as_ukraine(page):
    """Take Ukraine's seat and accept every text to the end of the talks; the seat's panel."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Play as a party").click()
    page.get_by_role("button", name="Take the seat").click()
    table = page.locator(".negsim-table")
    expect(table).to_contain_text("Round 1: you are Ukraine")
    expect(table).to_contain_text("Your utility of this text")
    for t in range(1, 41):
        expect(table).to_contain_text(re.compile(rf"Round {t}: you are Ukraine|The talks are over\."))
        if "The talks are over." in table.inner_text():
            break
        page.get_by_role("button", name="Accept").click()
        expect(table).not_to_contain_text(f"Round {t}: you are Ukraine")  # the next round, or the end
    expect(table).to_contain_text("The talks are over.")
    return table


def load_session_from(path):
    from sim.engine.session import load_session

    return load_session(path)


@needs_chromium
def test_two_tabs_send_runs_a_third_a_session_and_the_teacher_sees_all(server, browser):
    from playwright.sync_api import expect

    names = ["Ana", "Ben"]
    for k, name in enumerate(names):
        page = open_page(browser, server)
        page.locator(".negsim-name input").fill(name)
        if k == 1:
            thumb = slider(page, "Ukraine: walk-away 0.60")
            thumb.focus()
            page.keyboard.press("ArrowUp")
            expect(page.locator(".negsim-results")).to_contain_text("parties.ukraine.walkaway 0.6 -> 0.61.")
        page.get_by_role("button", name="Send this run to the class").click()
        expect(page.get_by_text(f"Sent to the class as {name}.")).to_have_count(1)
        page.close()
    page = open_page(browser, server)  # a third student plays Ukraine's seat and sends the session
    page.locator(".negsim-name input").fill("Cleo")
    accept_every_text_as_ukraine(page)
    page.get_by_role("button", name="Send this session to the class").click()
    expect(page.get_by_text("Sent to the class as Cleo.")).to_have_count(1)
    page.close()
    teacher = browser.new_page()
    teacher.set_default_timeout(WAIT_MS)
    teacher.goto(server + "class")
    table = teacher.locator(".negsim-class")
    expect(table).to_contain_text("Ana")
    expect(table).to_contain_text("Ben")
    expect(table).to_contain_text("parties.ukraine.walkaway = 0.61")
    expect(table).to_contain_text("Cleo")
    expect(table).to_contain_text("played ukraine")
    expect(teacher.locator(".negsim-class-plane svg").first).to_be_visible()
    shot = ARTIFACTS / "ui-class.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    teacher.screenshot(path=str(shot), full_page=True)
    teacher.get_by_role("button", name="New class (archive this one)").click()
    expect(table).not_to_contain_text("Ana")
    teacher.close()


@needs_chromium
def test_report_html_opens_offline_with_every_image_and_no_console_error(tmp_path, playwright):
    """``negsim report`` writes one file that Chromium opens with no network: no errors, every image drawn."""
    data = two_party_data()
    data["parties"]["a"]["walkaway"] = {"low": 0.1, "high": 0.4}
    path = write_scenario(tmp_path / "split.toml", data)
    out = tmp_path / "report"
    assert main(["report", str(path), str(GENEVA), "--runs", "100", "--driver-runs", "10", "--out", str(out)]) == 0
    html_file = out / "report.html"
    for other in out.iterdir():  # only the one file: it must not need its neighbours
        if other != html_file:
            shutil.rmtree(other) if other.is_dir() else other.unlink()
    requests, errors = [], []
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context.route("http*://**", lambda route: (requests.append(route.request.url), route.abort()))
            page = context.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(html_file.as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
            title = page.title()
        finally:
            context.close()
    assert not requests and not errors
    assert len(images) == 10 and all(done and width > 0 for done, width, _ in images), images
    assert title == "negsim briefing: split, geneva-2025-11"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["ui", "--port", "70000"], "argument --port: must be an integer in 0..65535; got 70000"),
        (["ui", "--port", "x"], "argument --port: must be an integer in 0..65535; got 'x'"),
        (["ui", "S", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_ui_bad_flags_one_line_exit_2(capsys, args, fragment):
    args = [str(GENEVA) if a == "S" else a for a in args]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and fragment in err


def test_ui_bad_scenario_or_busy_port_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["ui", "missing.toml"]) == 2
    assert "negsim: error: missing.toml: file not found" in capsys.readouterr().err
    from sim.cli import PROJECT, default_ui_scenario

    assert default_ui_scenario().parent == PROJECT / "scenarios"  # none here: the project's own
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ui", str(GENEVA), "--port", str(port)]) == 2
    assert f"--port: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
