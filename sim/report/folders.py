"""Output folders written all or nothing, never over files negsim did not write.

A command's files (``outcome.json``, ``rounds.csv``, the figures, ...) are
written into a hidden staging folder beside the target and moved into place
at the end: the target holds either the previous run's files or the new
run's, never a mixture, and a run killed half-way leaves the target as it
was. The target may be missing, empty, or hold only files negsim wrote there
earlier (listed with their SHA-256 in :data:`MARKER`, unchanged since);
anything else is the user's, and the command refuses to write there unless
given ``force`` (then it writes beside the user's files, replacing only
same-named ones and the files of negsim's previous run there).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from sim.core.errors import UserError, printable

__all__ = ["MARKER", "OutputFolder", "foreign_files"]

MARKER = ".negsim-files.json"
"""The file listing what negsim wrote in a folder, with each file's SHA-256."""
_STAGING = re.compile(r"^\.(?P<name>.+)\.negsim-(?P<pid>\d+)-(?P<start>\d+)-\w+$")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ours(folder: Path) -> dict[str, str]:
    """The files negsim wrote in ``folder`` (name -> SHA-256), from its marker."""
    try:
        listed = json.loads((folder / MARKER).read_text()).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in listed.items()} if isinstance(listed, dict) else {}


def foreign_files(folder: Path) -> list[str]:
    """Entries of ``folder`` negsim did not write there (or that changed since), sorted."""
    if not folder.is_dir():
        return []
    ours = _ours(folder)
    out = []
    for entry in folder.iterdir():
        if entry.name == MARKER or _written_here(folder, entry, ours):
            continue
        out.append(entry.name)
    return sorted(out)


def _written_here(folder: Path, entry: Path, ours: dict[str, str]) -> bool:
    """Whether ``entry`` is a file negsim wrote (unchanged), or a folder holding only such files."""
    if entry.is_symlink():
        return False
    if entry.is_dir():
        inside = list(entry.iterdir())
        return bool(inside) and all(_written_here(folder, item, ours) for item in inside)
    name = entry.relative_to(folder).as_posix()
    return entry.is_file() and name in ours and _sha256(entry) == ours[name]


def _process_start(pid: int) -> int | None:
    """When process ``pid`` started (whole seconds since the epoch), or None if there is none."""
    try:
        import psutil

        return int(psutil.Process(pid).create_time())
    except Exception:  # no such process, or no psutil: treat as gone
        return None


def _remove_stale_staging(parent: Path, name: str) -> None:
    """Delete staging folders of ``name`` left by negsim processes that are gone (kill -9)."""
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            match = _STAGING.match(entry.name)
            if not match or match["name"] != name or not entry.is_dir():
                continue
            if _process_start(int(match["pid"])) != int(match["start"]):
                shutil.rmtree(entry, ignore_errors=True)


class OutputFolder:
    """A folder a command writes all or nothing.

    Build it before the work (it checks the target and that it can write
    there, so a bad ``--out`` fails before a long run); then :meth:`write`.

    Args:
        target: The folder.
        force: Write even where the folder holds files negsim did not write.
        flag: How the user named the folder, for messages (``"--out"``).
    """

    def __init__(self, target: str | Path, force: bool = False, flag: str = "--out") -> None:
        self.target = Path(target)
        self.force = force
        self.flag = flag
        self._stage: Path | None = None
        self._check()

    def _fail(self, message: str) -> UserError:
        return UserError.at(self.flag, "", f"{self.target}: {message}")

    def _check(self) -> None:
        target = self.target
        if str(target) in ("", ".") and not self.force:
            raise self._fail("is the current folder; name a folder for the results (or pass --force)")
        if target.exists() and not target.is_dir():
            raise self._fail("exists and is not a folder")
        foreign = foreign_files(target)
        if foreign and not self.force:
            listed = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise self._fail(
                f"holds files negsim did not write there ({printable(listed, 120)}); "
                "name another folder, move them away, or pass --force to write beside them"
            )
        parent = target.resolve().parent if str(target) not in ("", ".") else target.resolve()
        try:
            parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_staging(parent, target.name)
            token = f"{os.getpid()}-{_process_start(os.getpid()) or 0}-"
            self._stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.negsim-{token}", dir=parent))
            if self.force and target.is_dir():
                with tempfile.NamedTemporaryFile(dir=target, prefix=".negsim-probe-"):
                    pass
        except OSError as exc:
            self.discard()
            raise self._fail(f"cannot write there: {exc.strerror or exc}") from None

    @property
    def staging(self) -> Path:
        """The hidden folder the files are written to before they move into place."""
        assert self._stage is not None
        return self._stage

    def discard(self) -> None:
        """Delete the staging folder (nothing moves into place)."""
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None

    def write(self, make: Callable[[Path], Iterable[Path]]) -> list[Path]:
        """Let ``make`` write files into the staging folder, then move them all into the target.

        Args:
            make: Writes the files into the folder it is given (subfolders allowed);
                returns their paths.

        Returns:
            The files' paths in the target.
        """
        try:
            names = [Path(p).relative_to(self.staging).as_posix() for p in make(self.staging)]
            marker = {"written_by": "negsim", "files": {n: _sha256(self.staging / n) for n in names}}
            (self.staging / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
            self._commit(names)
        except BaseException:
            self.discard()
            raise
        return [self.target / name for name in names]

    def _commit(self, names: list[str]) -> None:
        target, stage = self.target, self.staging
        if not target.exists():
            os.rename(stage, target)
        elif not foreign_files(target) and str(target) not in ("", "."):
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.negsim-old-", dir=stage.parent))
            os.rename(target, old / "previous")
            try:
                os.rename(stage, target)
            except OSError:
                os.rename(old / "previous", target)  # put the previous run back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:  # --force beside the user's files: file by file, each atomic
            previous = _ours(target)
            for name in names:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / name, target / name)
            for name, digest in previous.items():  # the previous run's files this one did not write (figures)
                path = target / name
                if name not in names and path.is_file() and _sha256(path) == digest:
                    path.unlink()
                    if path.parent != target:
                        with contextlib.suppress(OSError):  # a subfolder left empty
                            path.parent.rmdir()
            os.replace(stage / MARKER, target / MARKER)
            shutil.rmtree(stage, ignore_errors=True)
        self._stage = None
