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
    """``negsim ui`` on a free loopback port; yields its URL and stops it afterwards."""
    folder = tmp_path_factory.mktemp("ui")
    scenarios = folder / "scenarios"
    scenarios.mkdir()
    shutil.copy(GENEVA, scenarios / GENEVA.name)
    port = free_port()
    log = folder / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*negsim_command(), "ui", f"scenarios/{GENEVA.name}", "--port", str(port)],
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
    assert f"at {url}" in log.read_text().splitlines()[0]  # the URL is printed


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
def browser_page(server, playwright):
    """A fresh headless Chromium (own user-data dir) on the classroom page."""
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
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(server)
            page.locator(".negsim-results").wait_for()
            yield page
        finally:
            context.close()


def results_text(page) -> str:
    return page.locator(".negsim-results").inner_text()


def plot_pixels(page, css_class: str) -> bytes:
    """A screenshot of one figure (waits until it is drawn)."""
    image = page.locator(f".{css_class} img")
    image.wait_for()
    return image.screenshot()


def wait_for_new_plot(page, css_class: str, before: bytes) -> bytes:
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        now = plot_pixels(page, css_class)
        if now != before:
            return now
        time.sleep(0.2)
    pytest.fail(f"the figure .{css_class} did not change")


def slider(page, label: str):
    """The thumb of the slider whose label starts with ``label``."""
    box = page.locator(".v-input__slider", has_text=label)
    return box.locator("[role=slider]")


@needs_chromium
def test_slider_and_step_change_plots_and_results(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    expect(page.locator(".negsim-results")).to_contain_text("Round 0 of at most 40")
    expect(page.locator(".negsim-results")).to_contain_text("All values as in the file.")
    expect(page.locator(".negsim-forecast")).to_contain_text("The forecast: Across 500 draws")
    forecast0 = page.locator(".negsim-forecast").inner_text()
    plane0 = plot_pixels(page, "negsim-plane")
    trajectories0 = plot_pixels(page, "negsim-trajectories")
    text0 = results_text(page)

    # move Ukraine's walk-away slider (0.60) up by one page: the run restarts with it
    thumb = slider(page, "Ukraine: walk-away 0.60")
    thumb.focus()
    page.keyboard.press("PageUp")
    expect(page.locator(".negsim-results")).to_contain_text("Changed from the file: parties.ukraine.walkaway 0.6 ->")
    expect(page.locator(".v-input__slider", has_text="Ukraine: walk-away 0.60")).to_have_count(0)
    plane1 = wait_for_new_plot(page, "negsim-plane", plane0)  # Ukraine's walk-away line moved
    assert results_text(page) != text0
    expect(page.locator(".negsim-forecast")).not_to_have_text(forecast0)  # the forecast follows the slider

    # one round
    page.get_by_role("button", name="Step").click()
    expect(page.locator(".negsim-results")).to_contain_text("Round 1 of at most 40")
    wait_for_new_plot(page, "negsim-trajectories", trajectories0)
    wait_for_new_plot(page, "negsim-plane", plane1)
    assert "Round 1" in results_text(page)

    expect(page.locator(".negsim-utilities img")).to_be_visible()  # every figure drawn
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "ui-browser.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000


@needs_chromium
def test_save_as_scenario_downloads_a_file_that_reproduces_the_run(browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    # move Ukraine's walk-away to the slider's low end here: wherever an earlier test left it, the
    # value is then 0 (the test must not rely on another test's slider)
    thumb = slider(page, "Ukraine: walk-away 0.")
    thumb.focus()
    page.keyboard.press("Home")
    expect(page.locator(".v-input__slider", has_text="Ukraine: walk-away 0.00")).to_have_count(1)
    expect(page.locator(".negsim-results")).to_contain_text(re.compile(r"parties\.ukraine\.walkaway 0\.6 -> 0\.(\s|$)"))
    label = page.locator(".v-input__slider", has_text="Ukraine: walk-away 0.").inner_text()
    with page.expect_download() as info:
        page.get_by_role("button", name="Save as scenario").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == "geneva-2025-11-variant.toml"
    scenario = load_scenario(saved)
    walkaway = scenario.party("ukraine").walkaway
    assert f"{walkaway:.2f}" in label and walkaway != 0.6
    ui_run = ClassroomModel(GENEVA, ukraine__walkaway=walkaway).run_to_end()
    file_run = ClassroomModel(saved).run_to_end()
    assert file_run.state.t == ui_run.state.t
    assert bool(file_run.state.agreement[0]) == bool(ui_run.state.agreement[0])
    assert (file_run.state.deal == ui_run.state.deal).all() or not ui_run.state.agreement[0]


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
