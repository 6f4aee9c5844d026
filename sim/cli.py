"""The ``negsim`` command line.

Every user mistake ends with one line per problem on stderr naming the file
(or flag), the field and what is allowed, and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.core.errors import UserError

__all__ = ["listed_protocols", "main"]

EXIT_USER_ERROR = 2
PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = "scenarios/geneva-2025-11.toml"


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is reported on one line, and help names the protocols and gallery items.

    ``{protocols}`` and ``{gallery}`` in a help text or epilog become the
    registered names when help is printed (imported then, not at every start).
    """

    def format_help(self) -> str:
        text = super().format_help()
        if "{protocols}" in text:
            text = text.replace("{protocols}", ", ".join(listed_protocols()))
        if "{gallery}" in text:
            from sim.experiments.gallery import GALLERY

            text = text.replace("{gallery}", ", ".join(GALLERY))
        return text

    def error(self, message: str) -> None:  # type: ignore[override]
        from sim.core.errors import printable

        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {printable(message)} (see {self.prog} --help)\n")


def listed_protocols() -> list[str]:
    """The protocol names in listing order, read from the protocol files' source (help must not import them:
    importing the protocols loads scipy; ``tests/test_cli.py`` checks the list is ``protocol_names()``)."""
    import ast

    found = []
    for path in sorted((Path(__file__).parent / "protocols").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.ClassDef):
                continue
            values = {
                t.id: stmt.value.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                for t in stmt.targets
                if isinstance(t, ast.Name)
            }
            if isinstance(values.get("name"), str) and any(
                isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases
            ):
                found.append((values.get("listing_order", 100), values["name"]))
    return [name for _, name in sorted(found)]


def _integer(domain_name: str, flag: str):
    """An argparse type: an integer inside the schema's domain of that name (same message as in files)."""

    def parse(text: str) -> int:
        from sim.core import schema

        try:  # ASCII digits only: not " 7 ", "1_000" or other scripts' digits, which int() takes
            return schema.parse_integer(text, getattr(schema, domain_name))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = flag
    return parse


def _protocol_name(text: str) -> str:
    from sim.core.schema import shown
    from sim.protocols import protocol_names

    if text not in protocol_names():
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(protocol_names())}; got {shown(text)}")
    return text


def _text(what: str, chars: str = "source_chars"):
    """An argparse type: a non-empty string without control characters, at most the bound ``chars``."""

    def parse(text: str) -> str:
        from sim.core.schema import control_characters, limit, shown

        bound = limit(chars)
        if not text.strip():
            raise argparse.ArgumentTypeError(f"must name {what}; got {shown(text)}")
        if len(text) > bound.value:
            raise argparse.ArgumentTypeError(bound.message(f"{len(text):,} characters"))
        if control_characters(text):
            raise argparse.ArgumentTypeError(f"must not hold control characters; got {shown(text)}")
        return text

    parse.__name__ = what
    return parse


_folder = _text("a folder")
_file = _text("a file")


def _scheduler(text: str) -> str:
    """A Dask scheduler address ``tcp://host:port`` or ``tls://host:port`` (IPv6 hosts in brackets)."""
    from urllib.parse import urlsplit

    from sim.core.schema import shown

    text = _text("a scheduler address", "text_chars")(text)
    allowed = f"a Dask scheduler address like tcp://127.0.0.1:8786 (tcp or tls; IPv6 as [::1]); got {shown(text)}"
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}") from None
    if parts.scheme not in ("tcp", "tls") or not host or port is None or parts.path or parts.query or parts.username:
        raise argparse.ArgumentTypeError(f"must be {allowed}")
    return text


def _out_dir(path: Path) -> Path:
    """Make a results root folder now, before any work (never over an existing file), and check it is writable."""
    import tempfile

    if path.exists() and not path.is_dir():
        raise UserError.at("--out", "", f"{path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".negsim-probe-"):
            pass
    except OSError as exc:
        raise UserError.at("--out", "", f"cannot write in {path}: {exc.strerror or exc}") from None
    return path


def _output(args: argparse.Namespace, default: Path):
    """The run's output folder, checked before any work (see :class:`sim.report.folders.OutputFolder`)."""
    from sim.report.folders import OutputFolder

    return OutputFolder(Path(args.out) if args.out is not None else default, force=args.force)


SEED = _integer("SEED", "seed")
FORCE_HELP = "write into the folder even if it holds files negsim did not write there (replacing same-named ones)"


def _scenario_protocol_seed(args: argparse.Namespace):
    """The scenario of ``args.scenario``, and the protocol and seed: the flags', else the file's."""
    from sim.engine.scenarios import load_scenario

    scenario = load_scenario(args.scenario)
    protocol = args.protocol or scenario.protocol
    return scenario, protocol, scenario.seed if args.seed is None else args.seed


def cmd_run(args: argparse.Namespace) -> int:
    from sim.engine.runner import run
    from sim.experiments.explain import explain_run
    from sim.experiments.explain_text import explanation_sentences
    from sim.report.files import write_outcome
    from sim.report.tables import outcome_report

    scenario, protocol, seed = _scenario_protocol_seed(args)
    out = _output(args, Path("results") / scenario.name / f"{protocol}-seed{seed}")
    try:
        outcome = run(scenario, protocol=protocol, seed=seed, rounds=args.rounds)
        extra: dict = {}
        context = None
        driven = None
        if not args.no_forecast:
            from sim.experiments.drivers import drivers
            from sim.experiments.forecast import forecast
            from sim.experiments.forecast_text import context_line

            drawn = scenario if args.rounds is None else scenario.with_values({"scenario.rounds": args.rounds})
            result = forecast(drawn, runs=args.draws, protocol=protocol, seed=seed)
            extra["distribution"] = result.to_dict()
            context = context_line(result)
            driven = drivers(drawn, protocol, seed, runs=min(args.draws, 200))
        explanation = explain_run(outcome, drivers=driven)
        extra["explain"] = explanation.to_dict()
        written = write_outcome(outcome, out, figures=not args.no_figures, extra=extra)
    finally:
        out.discard()
    print(outcome_report(outcome))
    if context:
        print(f"\n{context}")
    print("\nWhy:")
    for line in explanation_sentences(explanation, ratification=False):  # the story above has printed them
        print(f"  {line}")
    print(f"\nWrote {out.target}/: {', '.join(p.name for p in written)}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import json

    from sim.benchmarks.solutions import Solutions
    from sim.engine.runner import run
    from sim.experiments.drivers import drivers
    from sim.experiments.explain import explain_run
    from sim.experiments.explain_text import explanation_sentences

    scenario, protocol, seed = _scenario_protocol_seed(args)
    out = _output(args, Path("results") / scenario.name / f"explain-{protocol}-seed{seed}")
    try:
        outcome = run(scenario, protocol=protocol, seed=seed, solutions=Solutions(None, None, {}, {}))
        driven = drivers(scenario, protocol, seed, runs=args.runs)
        explanation = explain_run(outcome, drivers=driven)
        data = explanation.to_dict()
        data["sentences"] = explanation_sentences(explanation)

        def make(stage: Path) -> list[Path]:
            files = [_write_json(stage / "explain.json", data)]
            if not args.no_figures:
                from sim.experiments.drivers import tornado_figure
                from sim.report.plots import save

                files.append(save(tornado_figure(scenario, driven), stage / "tornado.png"))
            return files

        written = out.write(make)
    finally:
        out.discard()
    wrote = f"Wrote {out.target}/: {', '.join(p.name for p in written)}"
    if args.json:
        print(json.dumps(data, indent=2))
        print(wrote, file=sys.stderr)
        return 0
    from sim.experiments.explain_text import explain_report

    print(explain_report(explanation))
    print(f"\n{wrote}")
    return 0


def _write_json(path: Path, data: dict) -> Path:
    import json

    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def cmd_forecast(args: argparse.Namespace) -> int:
    import json

    from sim.experiments.forecast import forecast, forecast_dates
    from sim.experiments.forecast_text import forecast_report

    scenario, protocol, seed = _scenario_protocol_seed(args)
    forecast_dates(scenario, args.by or ())  # a bad --by ends here, before the folder is touched
    out = _output(args, Path("results") / scenario.name / f"forecast-{protocol}-seed{seed}")
    try:
        result = forecast(scenario, runs=args.runs, protocol=protocol, seed=seed, by=args.by or ())
        data = result.to_dict()

        def make(stage: Path) -> list[Path]:
            files = [_write_json(stage / "forecast.json", data)]
            if not args.no_figures:
                from sim.experiments.forecast_figures import forecast_figures

                files += forecast_figures(result, stage)
            return files

        written = out.write(make)
    finally:
        out.discard()
    wrote = f"Wrote {out.target}/: {', '.join(p.name for p in written)}"
    if args.json:
        print(json.dumps(data, indent=2))
        print(wrote, file=sys.stderr)
    else:
        print(forecast_report(result))
        print(f"\n{wrote}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    import json

    from sim.engine.scenarios import load_scenario
    from sim.experiments.records import load_record
    from sim.experiments.score import score, score_report

    scenario = load_scenario(args.scenario)
    record = load_record(args.record, scenario)
    result = score(scenario, record, runs=args.runs, protocol=args.protocol, seed=args.seed)
    print(json.dumps(result.to_dict(), indent=2) if args.json else score_report(result))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import hashlib

    from sim.engine.scenarios import load_scenario
    from sim.experiments.briefing import briefing, write_briefing

    problems = []
    scenarios = []
    for path in args.scenarios:
        try:
            scenarios.append(load_scenario(path))
        except UserError as exc:
            problems += exc.problems
    if problems:
        raise UserError(problems)
    key = hashlib.sha256("".join(s.sha256 for s in scenarios).encode()).hexdigest()[:8]
    default = Path("results") / (scenarios[0].name if len(scenarios) == 1 else f"report-{key}") / "report"
    out = _output(args, default)
    try:
        result = briefing(
            scenarios,
            args.protocol,
            args.seed,
            runs=args.runs,
            driver_runs=args.driver_runs,
            command=["negsim", *args.argv],
        )
        written = out.write(lambda stage: write_briefing(result, stage))
    finally:
        out.discard()
    print(
        f"Wrote {written[0]} (self-contained) and {written[1]} with {len(written) - 2} figures "
        f"in {out.target / 'figures'}"
    )
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    from sim.benchmarks.solutions import solve
    from sim.engine.scenarios import load_scenario
    from sim.report.tables import solutions_report

    scenario = load_scenario(args.scenario)
    print(solutions_report(scenario, solve(scenario)))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.core.scenario import look_ahead_problems
    from sim.engine.scenarios import load_scenario

    problems = []
    for path in args.scenarios:
        try:
            scenario = load_scenario(path)
        except UserError as exc:
            problems += exc.problems
            continue
        late = look_ahead_problems(scenario.data, scenario.source)
        if late and args.strict:
            problems += late
            continue
        for problem in late:
            print(f"negsim: warning: {problem}", file=sys.stderr)
        print(f"ok: {path} ({scenario.name}: {len(scenario.issues)} issues, {len(scenario.parties)} parties)")
    if problems:
        raise UserError(problems)
    return 0


def cmd_protocols(args: argparse.Namespace) -> int:
    from sim.protocols import PROTOCOLS
    from sim.report.tables import format_table

    rows = [[name, cls.summary, cls.reference] for name, cls in PROTOCOLS.items()]
    print(format_table(["protocol", "what it does", "reference"], rows))
    return 0


def cmd_compare_protocols(args: argparse.Namespace) -> int:
    from sim.engine.scenarios import load_scenario
    from sim.report.compare import compare_protocols, write_comparison

    scenario = load_scenario(args.scenario)
    if args.protocols and len(set(args.protocols)) < len(args.protocols):
        twice = next(p for p in args.protocols if args.protocols.count(p) > 1)
        raise UserError.at("--protocols", "", f"names {twice} twice; name each protocol once")
    out = _output(args, Path("results") / scenario.name / "protocols")
    try:
        comparison = compare_protocols(scenario, args.protocols, args.seed, progress=True)
        written = out.write(lambda stage: write_comparison(comparison, stage))
    finally:
        out.discard()
    print(comparison.report())
    print(f"\nWrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import hashlib

    from sim.core.schema import limit
    from sim.engine.scenarios import load_scenario
    from sim.report.compare import compare_scenarios, write_scenario_comparison

    problems = []
    scenarios = []
    if len(args.scenarios) > limit("scenarios").value:
        raise UserError.at("SCENARIO", "", limit("scenarios").message(len(args.scenarios)))
    for path in args.scenarios:
        try:
            scenarios.append(load_scenario(path))
        except UserError as exc:
            problems += exc.problems
    if problems:
        raise UserError(problems)
    names = [s.name for s in scenarios]
    twice = [name for name in names if names.count(name) > 1]
    if twice:
        raise UserError.at("SCENARIO", "", f"two scenarios are named {twice[0]}; compare scenarios of different names")
    key = hashlib.sha256("".join(s.sha256 for s in scenarios).encode()).hexdigest()[:8]
    out = _output(args, Path("results") / "compare" / key)
    try:
        comparison = compare_scenarios(scenarios, args.protocol, args.seed)
        written = out.write(lambda stage: write_scenario_comparison(comparison, stage))
    finally:
        out.discard()
    print(comparison.report())
    print(f"\nWrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    from sim.core.schema import shown
    from sim.experiments.gallery import GALLERY, build_gallery

    unknown = [name for name in args.only or [] if name not in GALLERY]
    if unknown:
        raise UserError.at("--only", "", f"unknown item {shown(unknown[0])}; items: {', '.join(GALLERY)}")
    for path in build_gallery(only=args.only, progress=True):
        print(f"wrote {path}")
    return 0


_port = _integer("PORT", "port")


def _bind_port(host: str, port: int) -> int:
    """Check that ``host:port`` is free (port 0: pick a free one); return the port."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            return sock.getsockname()[1]
    except OSError as exc:
        flag = "--port" if exc.errno == 98 else "--host"  # EADDRINUSE
        raise UserError.at(flag, "", f"cannot listen on {host}:{port}: {exc.strerror}") from None


def default_ui_scenario() -> Path:
    """The first ``scenarios/*.toml`` here, else the first of the project's own scenarios."""
    found = sorted(Path("scenarios").glob("*.toml")) or sorted((PROJECT / "scenarios").glob("*.toml"))
    if not found:
        raise UserError.at("SCENARIO", "", "no scenario given and no scenarios/*.toml here; name a file")
    return found[0]


def cmd_ui(args: argparse.Namespace) -> int:
    import os

    from sim.engine.scenarios import load_scenario

    if args.scenario is None:
        args.scenario = str(default_ui_scenario())
    load_scenario(args.scenario)  # bad files stop here, one line per problem
    port = _bind_port(args.host, args.port)
    os.environ["NEGSIM_UI_SCENARIO"] = str(Path(args.scenario).resolve())
    os.environ["NEGSIM_UI_DIR"] = str(Path(args.scenario).resolve().parent)
    if args.class_db is not None or args.klass:
        from sim.ui.classbook import CLASS_DB, Classbook

        db = Path(args.class_db or CLASS_DB).resolve()
        try:
            Classbook(db).close()  # created on first use; a file that is not a class stops here
        except Exception as exc:  # sqlite3.DatabaseError, OSError
            raise UserError.at("--class-db", "", f"cannot open {db} as the class's database: {exc}") from None
        os.environ["NEGSIM_UI_CLASS"] = str(db)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no phoning home from class
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"negsim ui: {args.scenario} at http://{shown}:{port}/ (Ctrl-C stops it)", flush=True)
    if os.environ.get("NEGSIM_UI_CLASS"):
        where = os.environ["NEGSIM_UI_CLASS"]
        print(f"negsim ui: the class at http://{shown}:{port}/class (its runs are kept in {where})", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"negsim ui: listening on {args.host}: other machines can open the page", flush=True)
    import contextlib
    import warnings

    import click

    # plain http on one machine: solara's advice about https cookies does not apply
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import cli as solara_cli

    from sim.ui.hosts import guard_solara

    os.environ["SOLARA_APP"] = "sim.ui.app"  # as solara's run sets it, before its server module is imported
    guard_solara(args.host)  # requests under another site's name (DNS rebinding) get 400

    with contextlib.suppress(click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C stops the server
        solara_cli.main(
            ["run", "sim.ui.app", "--host", args.host, "--port", str(port), "--production", "--no-open"]
            + ["--no-check-version"],
            prog_name="negsim ui",
            standalone_mode=False,
        )
    print("negsim ui: stopped", flush=True)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from sim.engine.session import load_session
    from sim.ui.play import replay_game, replay_report

    session = load_session(args.session)
    for line in replay_report(session, replay_game(session)):
        print(line)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.analysis import analyze
    from sim.experiments.spec import load_experiment
    from sim.experiments.sweep import stored_state, sweep

    experiment = load_experiment(args.experiment)
    out_root = _out_dir(Path(args.out) if args.out is not None else Path("results"))
    print(
        f"{experiment.name}: {experiment.rows:,} runs of {experiment.protocol} ({experiment.design} design), "
        f"chunks of {experiment.chunk_size:,}",
        flush=True,
    )
    limits = {"runs": args.max_runs, "minutes": args.max_minutes, "memory": args.max_memory}
    state = stored_state(experiment, out_root)
    if state is not None:
        print(state, flush=True)
    try:
        directory = sweep(
            experiment,
            out_root,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            command=["negsim", *sys.argv[1:]],
            limits=limits,
            force=args.force,
            threads=args.blas_threads,
            log=lambda line: print(line, flush=True),
        )
    except KeyboardInterrupt:
        print("negsim: interrupted; finished chunks are kept: rerun the same command to resume", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.scheduler:
            raise UserError.at("--scheduler", "", f"cannot reach {args.scheduler}: {exc}") from None
        raise
    print(f"results: {directory}")
    if not args.no_analyze:
        for path in analyze(directory):
            print(f"wrote {path}")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from sim.experiments.analysis import analyze

    for path in analyze(Path(args.directory)):
        print(f"wrote {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from sim.engine.scenarios import load_scenario
    from sim.experiments.bench import bench, bench_report, startup, startup_report

    if args.peer:  # its own 4-party session unless a scenario is named
        from sim.experiments.peer import peer, peer_report

        scenario = None if args.scenario == DEFAULT_SCENARIO else load_scenario(args.scenario)
        result = peer(scenario, sessions=args.runs, singles=args.stepped_runs)
        print(json.dumps(result) if args.json else peer_report(result))
        return 0
    path = Path(args.scenario)
    if args.scenario == DEFAULT_SCENARIO and not path.exists():  # run from elsewhere: the project's copy
        path = PROJECT / DEFAULT_SCENARIO
    scenario = load_scenario(path)
    if args.ui:
        from sim.ui.latency import slider_latency, slider_latency_report

        result = slider_latency(path)
        print(json.dumps(result) if args.json else slider_latency_report(result))
        return 0
    if args.startup:
        result = startup(str(path))
        print(json.dumps(result) if args.json else startup_report(result))
        return 0
    result = bench(
        scenario,
        args.protocol,
        runs=args.runs,
        stepped_runs=args.stepped_runs,
        forecast_runs=args.forecast_runs,
        progress=not args.json,
    )
    print(json.dumps(result) if args.json else bench_report(result))
    return 0


def _backtest_protocol(text: str) -> str:
    from sim.experiments.backtest import backtest_protocols

    if text not in backtest_protocols():
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(backtest_protocols())}; got {text!r}")
    return text


def cmd_backtest(args: argparse.Namespace) -> int:
    from sim.experiments.backtest import format_scores, run_backtest, scores_json, write_backtest
    from sim.experiments.deu import read_deu

    read_deu(args.data)  # a bad file stops here, before any folder is made
    out = _output(args, Path("results") / "backtest" / Path(args.data).stem)
    try:
        result = run_backtest(args.data, protocols=args.protocols)
        written = out.write(lambda stage: write_backtest(result, stage))
    finally:
        out.discard()
    data = result.data
    skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(data.skipped.items())) or "none"
    summary = f"{data.source}: {len(data.issues)} issues scored; skipped lines: {skipped}"
    timing = f"benchmarks {result.seconds['benchmarks']:.1f} s" + (
        f", protocol runs {result.seconds['protocols']:.1f} s on {result.workers} workers"
        f" ({result.seconds['protocols_cpu']:.1f} s of CPU)"
        if "protocols" in result.seconds
        else ""
    )
    if args.json:
        print(scores_json(result.scores, result.at_limit), end="")
        print(f"negsim backtest: {summary}; {timing}", file=sys.stderr)
        return 0
    print(summary)
    print(format_scores(result.scores, result.at_limit))
    print(f"\n{timing}. MAE: mean absolute error (0-100 points); dMAE: minus the compromise model's, with")
    print("paired bootstrap 95% intervals resampling issues and proposals; at limit: runs ended by the round limit.")
    print(f"\nWrote {out.target}/: {', '.join(p.name for p in written)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``negsim`` and its subcommands."""
    from sim.version import __version__

    parser = _Parser(
        prog="negsim",
        description="Negotiation position simulator for the Russia-Ukraine peace talks.",
        epilog="protocols: {protocols}. gallery items: {gallery}. See negsim COMMAND --help.",
    )
    parser.add_argument("--version", action="version", version=f"negsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("run", help="run a scenario and write outcome.json, rounds.csv and figures")
    p.add_argument("scenario", type=_file, help="scenario TOML file")
    p.add_argument("--protocol", type=_protocol_name, help="protocol: one of {protocols} (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed (default: the scenario's)")
    p.add_argument("--rounds", type=_integer("ROUNDS", "rounds"), help="round limit (default: the scenario's)")
    p.add_argument("--out", type=_folder, help="output directory (default: results/<scenario>/<protocol>-seed<N>/)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument(
        "--draws",
        type=_integer("COUNT", "draws"),
        default=2000,
        help="draws of the forecast (default 2000; the drivers use at most 200 per swing end)",
    )
    p.add_argument(
        "--no-forecast",
        action="store_true",
        help="skip the draws: no distribution block, no context line, no drivers in the explanation",
    )
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("explain", help="why this outcome: binding constraints, concessions, drivers, ratification")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--protocol", type=_protocol_name, help="protocol: one of {protocols} (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed (default: the scenario's)")
    p.add_argument(
        "--runs", type=_integer("COUNT", "runs"), default=200, help="draws per swing end for the drivers (default 200)"
    )
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.add_argument(
        "--out", type=_folder, help="output directory (default: results/<scenario>/explain-<protocol>-seed<N>/)"
    )
    p.add_argument("--no-figures", action="store_true", help="skip the tornado figure")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("forecast", help="N draws of the scenario's ranges and random streams: P(deal), bands, figures")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--runs", type=_integer("COUNT", "runs"), default=2000, help="draws (default 2000)")
    p.add_argument(
        "--by",
        nargs="+",
        action="extend",
        metavar="DATE",
        help="also P(deal) by these dates, YYYY-MM-DD (needs start_date and round_days in the scenario)",
    )
    p.add_argument("--protocol", type=_protocol_name, help="protocol: one of {protocols} (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed of the draws (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print the forecast as JSON")
    p.add_argument(
        "--out", type=_folder, help="output directory (default: results/<scenario>/forecast-<protocol>-seed<N>/)"
    )
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("score", help="score the scenario's forecast against a record of what happened")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("record", help="record TOML file (e.g. scenarios/records/<scenario>.toml)")
    p.add_argument("--runs", type=_integer("COUNT", "runs"), default=2000, help="draws (default 2000)")
    p.add_argument("--protocol", type=_protocol_name, help="protocol: one of {protocols} (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed of the draws (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print the score as JSON")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("report", help="a briefing: report.html (self-contained) and report.md of one or more scenarios")
    p.add_argument("scenarios", nargs="+", help="scenario TOML files")
    p.add_argument(
        "--protocol",
        type=_protocol_name,
        help="one protocol for all, one of {protocols} (default: each scenario's own)",
    )
    p.add_argument("--seed", type=SEED, help="one seed for all (default: each scenario's)")
    p.add_argument("--runs", type=_integer("COUNT", "runs"), default=2000, help="draws per scenario (default 2000)")
    p.add_argument(
        "--driver-runs",
        type=_integer("COUNT", "driver-runs"),
        default=200,
        help="draws per swing end for the drivers (default 200)",
    )
    p.add_argument("--out", type=_folder, help="output directory (default: results/<scenario>/report/)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("solve", help="print the benchmark solutions (Nash, Kalai-Smorodinsky, ...)")
    p.add_argument("scenario", type=_file, help="scenario TOML file")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("protocols", help="list the protocols with a one-line summary and reference")
    p.set_defaults(func=cmd_protocols)

    p = sub.add_parser("compare-protocols", help="run every protocol on one scenario: one figure, one table")
    p.add_argument("scenario", type=_file, help="scenario TOML file")
    p.add_argument(
        "--protocols", nargs="+", type=_protocol_name, metavar="P", help="protocols among {protocols} (default: all)"
    )
    p.add_argument("--seed", type=SEED, help="seed (default: the scenario's)")
    p.add_argument("--out", type=_folder, help="output directory (default: results/<scenario>/protocols/)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_compare_protocols)

    p = sub.add_parser("compare", help="run several scenarios: one briefing figure and one table")
    p.add_argument("scenarios", nargs="+", type=_file, help="scenario TOML files")
    p.add_argument(
        "--protocol",
        type=_protocol_name,
        help="one protocol for all, one of {protocols} (default: each scenario's own)",
    )
    p.add_argument("--seed", type=SEED, help="one seed for all (default: each scenario's)")
    p.add_argument("--out", type=_folder, help="output directory (default: results/compare/<hash8>/)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("gallery", help="regenerate the committed figures in results/gallery/")
    p.add_argument("--only", nargs="+", metavar="ITEM", help="regenerate only these items: {gallery}")
    p.set_defaults(func=cmd_gallery)

    p = sub.add_parser("ui", help="the classroom UI in the browser: sliders, live plots, save as scenario")
    p.add_argument(
        "scenario",
        nargs="?",
        type=_file,
        help="scenario TOML file (default: the first of scenarios/); picker: its folder",
    )
    p.add_argument("--port", type=_port, default=8765, help="port (default: 8765; 0 = any free port)")
    p.add_argument(
        "--host",
        type=_text("an address", "name_chars"),
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    p.add_argument(
        "--class",
        dest="klass",
        action="store_true",
        help="a class: students send runs and sessions by name; the teacher's page is at /class",
    )
    p.add_argument("--class-db", type=_folder, help="the class's SQLite file (default: results/classroom.sqlite)")
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("replay", help="replay a saved session (a person in a seat) to its end and compare")
    p.add_argument("session", help="session TOML file saved from the classroom's 'Play as a party'")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("sweep", help="run an experiment (grid, lhs, sobol, morris, montecarlo) into Parquet")
    p.add_argument("experiment", type=_file, help="experiment TOML file (experiments/*.toml)")
    p.add_argument("--workers", type=_integer("WORKERS", "workers"), help="local processes (default: all cores)")
    p.add_argument("--scheduler", type=_scheduler, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--out", type=_folder, help="root folder (default: results/); writes <root>/<experiment>/<hash8>/")
    p.add_argument("--force", action="store_true", help="write into a results folder even if it holds other files")
    from sim.core.schema import SWEEP_LIMITS

    for key, domain in (("runs", "RUNS"), ("minutes", "MINUTES"), ("memory", "MEGABYTES")):
        item = SWEEP_LIMITS[key]
        p.add_argument(
            item.flag,
            type=_integer(domain, item.flag[2:]),
            metavar="N",
            help=f"refuse a sweep past this many {item.unit} ({item.what}; default {item.default:,})",
        )
    p.add_argument(
        "--blas-threads",
        type=_integer("WORKERS", "blas-threads"),
        default=1,
        metavar="N",
        help="numerical threads per worker (default 1; a results folder never mixes settings)",
    )
    p.add_argument("--no-analyze", action="store_true", help="skip the figures at the end")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("analyze", help="figures of a sweep: heatmap, deal distribution, sensitivity, PRIM")
    p.add_argument("directory", type=_folder, help="a sweep's results folder, results/<experiment>/<hash8>/")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("bench", help="runs per second: stepped Mesa model vs batched engine (1 core, all cores)")
    p.add_argument("scenario", nargs="?", type=_file, default=DEFAULT_SCENARIO, help="scenario TOML file")
    p.add_argument("--protocol", type=_protocol_name, help="protocol: one of {protocols} (default: the scenario's)")
    p.add_argument("--runs", type=_integer("BENCH_RUNS", "runs"), default=20_000, help="batched runs (default 20000)")
    p.add_argument(
        "--stepped-runs",
        type=_integer("STEPPED_RUNS", "stepped-runs"),
        default=200,
        help="stepped runs (default 200)",
    )
    p.add_argument(
        "--forecast-runs",
        type=_integer("COUNT", "forecast-runs"),
        default=2000,
        help="draws of the timed forecast, in a fresh process (default 2000)",
    )
    p.add_argument("--startup", action="store_true", help="measure start-up instead: --help, run, import sim")
    p.add_argument(
        "--ui",
        action="store_true",
        help="measure the classroom instead: a slider change to the new run and charts' data (target 0.5 s)",
    )
    p.add_argument(
        "--peer",
        action="store_true",
        help="compare with NegMAS on a 4-party session (NegMAS is optional: pip install negmas)",
    )
    p.add_argument("--json", action="store_true", help="print the measurements as JSON")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("backtest", help="forecast real EU decisions (a DEU file) with every protocol and score them")
    p.add_argument("data", help="DEU tab-separated file, e.g. ../shared/data/deu3-train.tsv")
    p.add_argument(
        "--protocols",
        nargs="*",
        type=_backtest_protocol,
        metavar="P",
        help="protocol runs (default: all; none: benchmarks only)",
    )
    p.add_argument("--out", type=_folder, help="output directory (default: results/backtest/<file name>/)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--json", action="store_true", help="print {method: {n, mae, median_ae, within10, ...}} as JSON")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", type=_file, help="scenario TOML files")
    p.add_argument(
        "--strict",
        action="store_true",
        help="with as_of: sources dated after it, or undated, are errors (default: warnings)",
    )
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``negsim`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the command line, for reproducibility stamps
    try:
        return args.func(args)
    except UserError as exc:
        for problem in exc.problems:
            print(f"negsim: error: {problem}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("negsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped reading: nothing to report
        sys.stderr.close()
        return 0
    except OSError as exc:  # the machine, not the user: still one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"negsim: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
