"""User-facing errors: one line naming the file, the field and what is allowed.

Every mistake a user can make in a scenario, an experiment spec or on the
command line is raised as a :class:`UserError`. The command-line interface
prints each of its lines and exits with status 2, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "UserError"]


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
        parts = [p for p in (self.source, self.field) if p]
        return ": ".join([*parts, self.message])


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
