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

__all__ = ["main"]

EXIT_USER_ERROR = 2
PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = "scenarios/geneva-2025-11.toml"


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is reported on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _integer(domain_name: str, flag: str):
    """An argparse type: an integer inside the schema's domain of that name (same message as in files)."""

    def parse(text: str) -> int:
        from sim.core import schema

        domain = getattr(schema, domain_name)
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(domain.message(repr(text))) from None
        if not domain.contains(value):
            raise argparse.ArgumentTypeError(domain.message(value))
        return value

    parse.__name__ = flag
    return parse


def _protocol_name(text: str) -> str:
    from sim.protocols import protocol_names

    if text not in protocol_names():
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(protocol_names())}; got {text!r}")
    return text


def _out_dir(path: Path) -> Path:
    """Make the output directory now, before any work (never over an existing file)."""
    if path.exists() and not path.is_dir():
        raise UserError.at("--out", "", f"{path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError.at("--out", "", f"cannot create {path}: {exc.strerror}") from None
    return path


SEED = _integer("SEED", "seed")


def cmd_run(args: argparse.Namespace) -> int:
    from sim.engine.runner import run
    from sim.engine.scenarios import load_scenario
    from sim.experiments.explain import explain_run
    from sim.experiments.explain_text import explanation_sentences
    from sim.report.files import write_outcome
    from sim.report.tables import outcome_report

    scenario = load_scenario(args.scenario)
    protocol = args.protocol or scenario.protocol
    seed = scenario.seed if args.seed is None else args.seed
    out = _out_dir(Path(args.out or Path("results") / scenario.name / f"{protocol}-seed{seed}"))
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
    print(outcome_report(outcome))
    if context:
        print(f"\n{context}")
    print("\nWhy:")
    for line in explanation_sentences(explanation, ratification=False):  # the story above has printed them
        print(f"  {line}")
    print(f"\nWrote {out}/: {', '.join(p.name for p in written)}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import json

    from sim.benchmarks.solutions import Solutions
    from sim.engine.runner import run
    from sim.engine.scenarios import load_scenario
    from sim.experiments.drivers import drivers
    from sim.experiments.explain import explain_run
    from sim.experiments.explain_text import explanation_sentences

    scenario = load_scenario(args.scenario)
    protocol = args.protocol or scenario.protocol
    seed = scenario.seed if args.seed is None else args.seed
    out = _out_dir(Path(args.out or Path("results") / scenario.name / f"explain-{protocol}-seed{seed}"))
    outcome = run(scenario, protocol=protocol, seed=seed, solutions=Solutions(None, None, {}, {}))
    driven = drivers(scenario, protocol, seed, runs=args.runs)
    explanation = explain_run(outcome, drivers=driven)
    data = explanation.to_dict()
    data["sentences"] = explanation_sentences(explanation)
    written = [_write_json(out / "explain.json", data)]
    if not args.no_figures:
        from sim.experiments.drivers import tornado_figure
        from sim.report.plots import save

        written.append(save(tornado_figure(scenario, driven), out / "tornado.png"))
    wrote = f"Wrote {out}/: {', '.join(p.name for p in written)}"
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

    from sim.engine.scenarios import load_scenario
    from sim.experiments.forecast import forecast
    from sim.experiments.forecast_text import forecast_report

    scenario = load_scenario(args.scenario)
    protocol = args.protocol or scenario.protocol
    seed = scenario.seed if args.seed is None else args.seed
    result = forecast(scenario, runs=args.runs, protocol=protocol, seed=seed, by=args.by or ())
    out = _out_dir(Path(args.out or Path("results") / scenario.name / f"forecast-{protocol}-seed{seed}"))
    data = result.to_dict()
    written = [_write_json(out / "forecast.json", data)]
    if not args.no_figures:
        from sim.experiments.forecast_figures import forecast_figures

        written += forecast_figures(result, out)
    wrote = f"Wrote {out}/: {', '.join(p.name for p in written)}"
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
    out = _out_dir(Path(args.out or default))
    result = briefing(
        scenarios,
        args.protocol,
        args.seed,
        runs=args.runs,
        driver_runs=args.driver_runs,
        command=["negsim", *args.argv],
    )
    written = write_briefing(result, out)
    print(f"Wrote {written[0]} (self-contained) and {written[1]} with {len(written) - 2} figures in {out / 'figures'}")
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
    out = _out_dir(Path(args.out or Path("results") / scenario.name / "protocols"))
    comparison = compare_protocols(scenario, args.protocols, args.seed)
    written = write_comparison(comparison, out)
    print(comparison.report())
    print(f"\nWrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import hashlib

    from sim.engine.scenarios import load_scenario
    from sim.report.compare import compare_scenarios, write_scenario_comparison

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
    out = _out_dir(Path(args.out or Path("results") / "compare" / key))
    comparison = compare_scenarios(scenarios, args.protocol, args.seed)
    written = write_scenario_comparison(comparison, out)
    print(comparison.report())
    print(f"\nWrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    from sim.experiments.gallery import GALLERY, build_gallery

    unknown = [name for name in args.only or [] if name not in GALLERY]
    if unknown:
        raise UserError.at("--only", "", f"unknown item {unknown[0]!r}; items: {', '.join(GALLERY)}")
    for path in build_gallery(only=args.only):
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
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no phoning home from class
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"negsim ui: {args.scenario} at http://{shown}:{port}/ (Ctrl-C stops it)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"negsim ui: listening on {args.host}: other machines can open the page", flush=True)
    import contextlib
    import warnings

    import click

    # plain http on one machine: solara's advice about https cookies does not apply
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import cli as solara_cli

    with contextlib.suppress(click.exceptions.Abort, KeyboardInterrupt):  # Ctrl-C stops the server
        solara_cli.main(
            ["run", "sim.ui.app", "--host", args.host, "--port", str(port), "--production", "--no-open"]
            + ["--no-check-version"],
            prog_name="negsim ui",
            standalone_mode=False,
        )
    print("negsim ui: stopped", flush=True)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.analysis import analyze
    from sim.experiments.spec import load_experiment
    from sim.experiments.sweep import sweep

    experiment = load_experiment(args.experiment)
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise UserError.at(
            "--scheduler",
            "",
            f"must be a Dask scheduler address like tcp://host:8786; got {args.scheduler!r}",
        )
    out_root = _out_dir(Path(args.out) if args.out else Path("results"))
    print(
        f"{experiment.name}: {experiment.rows} runs of {experiment.protocol} ({experiment.design} design), "
        f"chunks of {experiment.chunk_size}"
    )
    try:
        directory = sweep(
            experiment,
            out_root,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            command=["negsim", *sys.argv[1:]],
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
    if args.startup:
        result = startup(str(path))
        print(json.dumps(result) if args.json else startup_report(result))
        return 0
    result = bench(
        scenario, args.protocol, runs=args.runs, stepped_runs=args.stepped_runs, forecast_runs=args.forecast_runs
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
    out = _out_dir(Path(args.out or Path("results") / "backtest" / Path(args.data).stem))
    result = run_backtest(args.data, protocols=args.protocols)
    written = write_backtest(result, out)
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
    print(f"\nWrote {out}/: {', '.join(p.name for p in written)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``negsim`` and its subcommands."""
    from sim.version import __version__

    parser = _Parser(prog="negsim", description="Negotiation position simulator for the Russia-Ukraine peace talks.")
    parser.add_argument("--version", action="version", version=f"negsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("run", help="run a scenario and write outcome.json, rounds.csv and figures")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--protocol", type=_protocol_name, help="protocol (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed (default: the scenario's)")
    p.add_argument("--rounds", type=_integer("ROUNDS", "rounds"), help="round limit (default: the scenario's)")
    p.add_argument("--out", type=Path, help="output directory (default: results/<scenario>/<protocol>-seed<N>/)")
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
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("explain", help="why this outcome: binding constraints, concessions, drivers, ratification")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--protocol", type=_protocol_name, help="protocol (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed (default: the scenario's)")
    p.add_argument(
        "--runs", type=_integer("COUNT", "runs"), default=200, help="draws per swing end for the drivers (default 200)"
    )
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.add_argument(
        "--out", type=Path, help="output directory (default: results/<scenario>/explain-<protocol>-seed<N>/)"
    )
    p.add_argument("--no-figures", action="store_true", help="skip the tornado figure")
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
    p.add_argument("--protocol", type=_protocol_name, help="protocol (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed of the draws (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print the forecast as JSON")
    p.add_argument(
        "--out", type=Path, help="output directory (default: results/<scenario>/forecast-<protocol>-seed<N>/)"
    )
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("score", help="score the scenario's forecast against a record of what happened")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("record", help="record TOML file (e.g. scenarios/records/<scenario>.toml)")
    p.add_argument("--runs", type=_integer("COUNT", "runs"), default=2000, help="draws (default 2000)")
    p.add_argument("--protocol", type=_protocol_name, help="protocol (default: the scenario's)")
    p.add_argument("--seed", type=SEED, help="seed of the draws (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print the score as JSON")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("report", help="a briefing: report.html (self-contained) and report.md of one or more scenarios")
    p.add_argument("scenarios", nargs="+", help="scenario TOML files")
    p.add_argument("--protocol", type=_protocol_name, help="one protocol for all (default: each scenario's own)")
    p.add_argument("--seed", type=SEED, help="one seed for all (default: each scenario's)")
    p.add_argument("--runs", type=_integer("COUNT", "runs"), default=2000, help="draws per scenario (default 2000)")
    p.add_argument(
        "--driver-runs",
        type=_integer("COUNT", "driver-runs"),
        default=200,
        help="draws per swing end for the drivers (default 200)",
    )
    p.add_argument("--out", type=Path, help="output directory (default: results/<scenario>/report/)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("solve", help="print the benchmark solutions (Nash, Kalai-Smorodinsky, ...)")
    p.add_argument("scenario", help="scenario TOML file")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("protocols", help="list the protocols with a one-line summary and reference")
    p.set_defaults(func=cmd_protocols)

    p = sub.add_parser("compare-protocols", help="run every protocol on one scenario: one figure, one table")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--protocols", nargs="+", type=_protocol_name, metavar="P", help="protocols (default: all)")
    p.add_argument("--seed", type=SEED, help="seed (default: the scenario's)")
    p.add_argument("--out", type=Path, help="output directory (default: results/<scenario>/protocols/)")
    p.set_defaults(func=cmd_compare_protocols)

    p = sub.add_parser("compare", help="run several scenarios: one briefing figure and one table")
    p.add_argument("scenarios", nargs="+", help="scenario TOML files")
    p.add_argument("--protocol", type=_protocol_name, help="one protocol for all (default: each scenario's own)")
    p.add_argument("--seed", type=SEED, help="one seed for all (default: each scenario's)")
    p.add_argument("--out", type=Path, help="output directory (default: results/compare/<hash8>/)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("gallery", help="regenerate the committed figures in results/gallery/")
    p.add_argument("--only", nargs="+", metavar="ITEM", help="regenerate only these items")
    p.set_defaults(func=cmd_gallery)

    p = sub.add_parser("ui", help="the classroom UI in the browser: sliders, live plots, save as scenario")
    p.add_argument(
        "scenario",
        nargs="?",
        help="scenario TOML file (default: the first of scenarios/); picker: its folder",
    )
    p.add_argument("--port", type=_port, default=8765, help="port (default: 8765; 0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("sweep", help="run an experiment (grid, lhs, sobol, morris, montecarlo) into Parquet")
    p.add_argument("experiment", help="experiment TOML file (experiments/*.toml)")
    p.add_argument("--workers", type=_integer("COUNT", "workers"), help="local processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--out", type=Path, help="root folder (default: results/); writes <root>/<experiment>/<hash8>/")
    p.add_argument("--no-analyze", action="store_true", help="skip the figures at the end")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("analyze", help="figures of a sweep: heatmap, deal distribution, sensitivity, PRIM")
    p.add_argument("directory", help="a sweep's results folder, results/<experiment>/<hash8>/")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("bench", help="runs per second: stepped Mesa model vs batched engine (1 core, all cores)")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="scenario TOML file")
    p.add_argument("--protocol", type=_protocol_name, help="protocol (default: the scenario's)")
    p.add_argument("--runs", type=_integer("COUNT", "runs"), default=20_000, help="batched runs (default 20000)")
    p.add_argument(
        "--stepped-runs",
        type=_integer("COUNT", "stepped-runs"),
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
    p.add_argument("--out", type=Path, help="output directory (default: results/backtest/<file name>/)")
    p.add_argument("--json", action="store_true", help="print {method: {n, mae, median_ae, within10, ...}} as JSON")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", help="scenario TOML files")
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
