"""User-facing errors: one line naming the file, the field and what is allowed.

Every mistake a user can make in a scenario, an experiment spec or on the
command line is raised as a :class:`UserError`. The command-line interface
prints each of its lines and exits with status 2, without a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CONTROL_CHARACTERS", "Problem", "UserError", "printable"]

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Characters that would act on a terminal instead of showing: C0/C1 controls, line separators, bidi overrides."""
PART_CHARS = 200
MESSAGE_CHARS = 1_000


def printable(text: str, width: int = MESSAGE_CHARS) -> str:
    """``text`` safe for a terminal line: control characters escaped (``\\x1b``), cut to ``width`` characters."""
    text = CONTROL_CHARACTERS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one input.

    Attributes:
        source: The file (or other input) the field comes from.
        field: Dotted path of the field, e.g. ``parties.russia.patience``.
        message: What is allowed, and what was found.
    """

    source: str
    field: str
    message: str

    def __str__(self) -> str:
        parts = [printable(p, PART_CHARS) for p in (self.source, self.field) if p]
        return ": ".join([*parts, printable(self.message)])


class UserError(Exception):
    """Bad input from the user; carries every problem found, one per line."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, source: str, field: str, message: str) -> UserError:
        """Build an error about a single field."""
        return cls(Problem(source, field, message))
