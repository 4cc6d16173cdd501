"""All or nothing: every output of one run is staged, then moved into place together.

A run writes its files (videos, GIF, posters, the frames folder, captions, deck, pages,
``trace.json``, ``config.toml``) into a hidden staging folder inside the output folder,
``.sgd-anim-staging.XXXXXXXX``. Only when the whole run has succeeded does :meth:`Staging.commit`
rename them onto their names; until then every earlier output stays as it was. A run that
fails or is stopped by a signal removes its staging folder, and the output folder (and its
parents, if the run made them) is left exactly as it was: no partial file, no new file.

What "together" means on POSIX: one ``rename`` is atomic, several are not. The commit is a
loop of renames inside one file system (the staging folder is in the output folder), with
nothing else in it. Each earlier file about to be replaced first gets a second name in the
staging folder, so a rename in the loop frees no disk blocks (that happens afterwards, when
the staging folder is removed): measured on ext4, the loop for eight files and a frames
folder took 0.2-0.5 ms, against 1.5-30 ms (with the machine's load) when each rename freed
the file it replaced.
During that window:

- a stop signal is held back until the loop has ended (:func:`scenes.stopping.signals_held`),
  so a signal never leaves a mix of two runs: the run ends complete and exits with the
  signal's code;
- two runs committing into one folder take turns (an exclusive ``flock`` on the folder,
  where the platform has it), so the folder ends with the complete set of the last run to
  finish, never files of both;
- every name always holds a whole file, the old one or the new one (each is one rename). A
  frames folder is replaced whole: the old one is renamed aside, the new one renamed in,
  the old one deleted, so for a moment between those two renames it is absent;
- only ``SIGKILL`` or a power cut inside the window can leave some files of the new run and
  some of the old (and a staging folder, which can be deleted).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from scenes.stopping import signals_held
from training.errors import InputError

__all__ = ["STAGING_PREFIX", "Staging", "create_folder", "shown_name"]

STAGING_PREFIX = ".sgd-anim-staging."


def create_folder(out: Path) -> list[Path]:
    """Create ``out`` and its missing parents; the folders created, outermost first (so that
    a run that fails can remove what it made, and nothing else)."""
    missing = []
    p = Path(out)
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    created = []
    try:
        for folder in reversed(missing):
            try:
                folder.mkdir()
                created.append(folder)
            except FileExistsError:  # another run made it at the same moment: not ours to remove
                if not folder.is_dir():
                    raise
    except OSError as e:
        _remove_empty(created)
        raise InputError(f"cannot create output folder {out}: {e.strerror}") from None
    return created


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):  # innermost first; a folder another run has filled stays
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def _turn(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` while a run commits into it (no lock file: the folder
    itself is locked). Where ``flock`` is missing or refused, commits run unserialised."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _keep_aside(target: Path, attic: Path, n: int) -> None:
    """A second name in the staging folder for an earlier file about to be replaced, so the
    rename in the window only unlinks a name; the file's blocks are freed afterwards, with
    the staging folder (measured on ext4: a rename that frees a file costs milliseconds)."""
    try:
        attic.mkdir(exist_ok=True)
        os.link(target, attic / f"{n}")
    except OSError:  # no such file yet, or no hard links here: the rename frees it
        pass


class Staging:
    """The staging folder of one run into ``out``, used as a context manager.

    Write every output under :attr:`path`; :meth:`commit` moves them onto the same names under
    ``out``. Leaving the block without an exception commits (if not done already); with one,
    nothing is moved. Either way the staging folder is removed, and after a failure the
    folders the run created for ``out`` too (if still empty).

    Staged files are committed one by one, sub-folders merged file by file; a top-level
    folder named in ``whole`` (the frames folder) replaces the folder of that name whole.
    """

    def __init__(self, out: str | Path, *, whole: Iterable[str] = ()) -> None:
        self.out = Path(out)
        self.whole = frozenset(whole)
        self.path = self.out
        self.committed = False
        self._created: list[Path] = []

    def __enter__(self) -> "Staging":
        try:
            with signals_held():  # a signal is delivered after: then the except below cleans up
                self._created = create_folder(self.out)
                # Private (0700); the files and the frames folder in it get the usual modes.
                self.path = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))
        except BaseException:
            self._clean()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Held: a signal must not break off the commit or the cleanup (it is delivered after).
        with signals_held():
            try:
                if exc_type is None and not self.committed:
                    self.commit()
            finally:
                self._clean()

    def _clean(self) -> None:
        """Remove the staging folder, and after a failure the folders this run created."""
        if self.path != self.out:
            shutil.rmtree(self.path, ignore_errors=True)
        if not self.committed:
            _remove_empty(self._created)

    def target(self, staged: str | Path) -> Path:
        """Where a staged path goes (a path outside the staging folder is returned unchanged)."""
        try:
            return self.out / Path(staged).relative_to(self.path)
        except ValueError:
            return Path(staged)

    def staged(self) -> list[tuple[Path, bool]]:
        """(staged path, replaced whole) of everything to commit, in a fixed order: the files
        of the top level and of sub-folders in name order, then the whole folders."""
        files, folders = [], []
        for root, dirs, names in os.walk(self.path):
            here = Path(root)
            if here == self.path:
                folders = sorted(self.path / d for d in dirs if d in self.whole)
                dirs[:] = [d for d in dirs if d not in self.whole]
            dirs.sort()
            files += [here / n for n in sorted(names)]
        return [(f, False) for f in files] + [(d, True) for d in folders]

    def commit(self) -> None:
        """Move every staged output onto its name under ``out``, as one step as far as POSIX
        allows (see the module's notes): signals held, other runs' commits waiting."""
        entries = self.staged()
        attic = self.path / ".replaced"  # earlier files and folders, deleted with the staging folder
        with signals_held(), _turn(self.out):
            for n, (staged, whole) in enumerate(entries):
                if not whole:
                    _keep_aside(self.target(staged), attic, n)
            for staged, whole in entries:  # the window: from the first rename to the last
                target = self.target(staged)
                if target.parent != self.out:
                    target.parent.mkdir(parents=True, exist_ok=True)
                if whole:
                    if os.path.lexists(target):
                        attic.mkdir(exist_ok=True)
                        os.replace(target, attic / staged.name)
                    os.replace(staged, target)
                else:
                    os.replace(staged, target)
            self.committed = True


# A temporary name of ours inside an error message: ".../.sgd-anim-staging.ab12/.sgd.x1y2.part.mp4"
# is shown as ".../sgd.mp4", the file the user asked for.
_STAGING_PART = re.compile(re.escape(STAGING_PREFIX) + r"[^/\\]+[/\\]")
_TEMP_FILE = re.compile(r"\.([^/\\]+)\.[^./\\]+\.part(\.[^/\\]*)?$")


def shown_name(name: str) -> str:
    """The name the user knows for a path that may be one of our temporary ones."""
    return _TEMP_FILE.sub(r"\1\2", _STAGING_PART.sub("", name))
