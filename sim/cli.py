"""The ``negsim`` command line.

Every user mistake ends with one line per problem on stderr naming the file
(or flag), the field and what is allowed, and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.errors import UserError

__all__ = ["main"]

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is reported on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low: int, flag: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {value}")
        return value

    parse.__name__ = flag
    return parse


def _protocol_name(text: str) -> str:
    from sim.protocols import protocol_names

    if text not in protocol_names():
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(protocol_names())}; got {text!r}")
    return text


def _out_dir(path: Path) -> Path:
    """An output directory we may write into (never an existing file)."""
    if path.exists() and not path.is_dir():
        raise UserError.at("--out", "", f"{path} exists and is not a directory")
    return path


def cmd_run(args: argparse.Namespace) -> int:
    from sim.report import outcome_report
    from sim.runner import run
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    outcome = run(scenario, protocol=args.protocol, seed=args.seed, rounds=args.rounds)
    out = args.out or Path("results") / scenario.name / f"{outcome.protocol}-seed{outcome.seed}"
    out = _out_dir(Path(out))
    written = outcome.write(out, figures=not args.no_figures)
    print(outcome_report(outcome))
    print(f"\nWrote {out}/: {', '.join(p.name for p in written)}")
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    from sim.report import solutions_report
    from sim.scenario import load_scenario
    from sim.solutions import solve

    scenario = load_scenario(args.scenario)
    print(solutions_report(scenario, solve(scenario)))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    problems = []
    for path in args.scenarios:
        try:
            scenario = load_scenario(path)
        except UserError as exc:
            problems += exc.problems
            continue
        print(f"ok: {path} ({scenario.name}: {len(scenario.issues)} issues, {len(scenario.parties)} parties)")
    if problems:
        raise UserError(problems)
    return 0


def cmd_protocols(args: argparse.Namespace) -> int:
    from sim.protocols import PROTOCOLS
    from sim.report import format_table

    rows = [[name, cls.summary, cls.reference] for name, cls in PROTOCOLS.items()]
    print(format_table(["protocol", "what it does", "reference"], rows))
    return 0


def cmd_compare_protocols(args: argparse.Namespace) -> int:
    from sim.compare import compare_protocols, write_comparison
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    comparison = compare_protocols(scenario, args.protocols, args.seed)
    out = _out_dir(Path(args.out or Path("results") / scenario.name / "protocols"))
    written = write_comparison(comparison, out)
    print(comparison.report())
    print(f"\nWrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    from sim.gallery import GALLERY, build_gallery

    unknown = [name for name in args.only or [] if name not in GALLERY]
    if unknown:
        raise UserError.at("--only", "", f"unknown item {unknown[0]!r}; items: {', '.join(GALLERY)}")
    for path in build_gallery(only=args.only):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``negsim`` and its subcommands."""
    from sim import __version__

    parser = _Parser(
        prog="negsim", description="Negotiation position simulator for the Russia-Ukraine peace talks."
    )
    parser.add_argument("--version", action="version", version=f"negsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("run", help="run a scenario and write outcome.json, rounds.csv and figures")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--protocol", type=_protocol_name, help="protocol (default: the scenario's)")
    p.add_argument("--seed", type=_int_at_least(0, "seed"), help="seed (default: the scenario's)")
    p.add_argument("--rounds", type=_int_at_least(1, "rounds"), help="round limit (default: the scenario's)")
    p.add_argument(
        "--out", type=Path, help="output directory (default: results/<scenario>/<protocol>-seed<N>/)"
    )
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("solve", help="print the benchmark solutions (Nash, Kalai-Smorodinsky, ...)")
    p.add_argument("scenario", help="scenario TOML file")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("protocols", help="list the protocols with a one-line summary and reference")
    p.set_defaults(func=cmd_protocols)

    p = sub.add_parser("compare-protocols", help="run every protocol on one scenario: one figure, one table")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument(
        "--protocols", nargs="+", type=_protocol_name, metavar="P", help="protocols (default: all)"
    )
    p.add_argument("--seed", type=_int_at_least(0, "seed"), help="seed (default: the scenario's)")
    p.add_argument("--out", type=Path, help="output directory (default: results/<scenario>/protocols/)")
    p.set_defaults(func=cmd_compare_protocols)

    p = sub.add_parser("gallery", help="regenerate the committed figures in results/gallery/")
    p.add_argument("--only", nargs="+", metavar="ITEM", help="regenerate only these items")
    p.set_defaults(func=cmd_gallery)

    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", help="scenario TOML files")
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``negsim`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        for problem in exc.problems:
            print(f"negsim: error: {problem}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("negsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
