"""`ProgramStore`: registered programs on local disk, `<root>/<name>/<version>/`, beside the
experiments (`.dspex/programs/` by default).

Versions only grow: a save writes its files into a hidden temporary folder and renames it to
the next version number, which fails if another save took that number first (then it takes
the next); nothing is ever overwritten, and a crash leaves no half-written version.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from dspex_nb._atomic import write_atomic
from dspex_nb.errors import ArgumentError, DspexError, SnapshotError, UnreadableRecordWarning
from dspex_nb.lm.base import BaseLM
from dspex_nb.modules.module import Module
from dspex_nb.registry import snapshot

if TYPE_CHECKING:
    import pandas as pd

MANIFEST_FILE = "manifest.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_REF = re.compile(r"^(?P<name>[^@]+)(@(?P<version>\d+))?$")
_ID = re.compile(r"^[0-9a-f]{6,64}$")
COLUMNS = ["ref", "name", "version", "id", "created", "class", "predictors", "demos", "lm",
           "experiment", "score", "format", "tags", "description"]


@dataclass(frozen=True)
class Saved:
    """Where a snapshot is: `ref` ("name@version") and `id` each load it."""

    name: str
    version: int
    id: str
    path: Path

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


class ProgramStore:
    """A folder of programs saved by name and version (`path`, default `.dspex/programs`);
    `dx.save` / `dx.load` / `dx.programs` use it through `store=`."""

    def __init__(self, path: str | os.PathLike[str] = ".dspex/programs"):
        if not isinstance(path, str | os.PathLike):
            raise ArgumentError(f"store must be a folder path, not {type(path).__name__}")
        self.root = Path(path)

    # -- saving ------------------------------------------------------------------------------
    def save(self, program: Module, name: str, *, tags: list[str] | str | None = None,
             description: str = "", format: str = "json",
             experiment: dict[str, Any] | None = None) -> Saved:
        _check_name(name)
        if not isinstance(program, Module):
            raise ArgumentError(f"dx.save saves a dx.Module, not {type(program).__name__}")
        if format not in snapshot.KINDS:
            raise ArgumentError(f"format is 'json' (safe, the default) or 'pickle', not "
                                f"{format!r:.40}")
        tags = _checked_tags(tags)
        if not isinstance(description, str):
            raise ArgumentError(f"description is text, not {type(description).__name__}")
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            version = max(self.versions(name), default=0) + 1
            payload, code = snapshot.encode(program, format, name=name, version=version)
            digest = snapshot.sha256(payload)
            manifest = {
                "format": snapshot.MANIFEST, "version": snapshot.MANIFEST_VERSION,
                "name": name, "program_version": version, "id": digest[:12],
                "created_at": time.time(), "kind": format, "sha256": digest,
                "tags": tags, "description": description, **snapshot.summary(program),
                "code": code, "experiment": experiment,
                "packages": snapshot.packages(format)}
            staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=folder))
            try:
                write_atomic(staging / snapshot.KINDS[format], payload)
                write_atomic(staging / MANIFEST_FILE,
                             orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
                os.rename(staging, folder / str(version))  # fails if the version exists
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
                if (folder / str(version)).exists():
                    continue  # another save took this version: take the next
                raise
            return Saved(name, version, digest[:12], folder / str(version))

    # -- finding -----------------------------------------------------------------------------
    def versions(self, name: str) -> list[int]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit() and p.is_dir())

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name)
                      and self.versions(p.name))

    def resolve(self, ref: str) -> Path:
        """The folder of "name@3", "name" (its latest version) or an id (or a prefix of one,
        6 characters or more, that only one snapshot has)."""
        if not isinstance(ref, str) or not ref:
            raise ArgumentError(f"load a program by 'name', 'name@version' or id, not "
                                f"{ref!r:.60}")
        match = _REF.match(ref)
        versions = self.versions(match["name"]) if match and _NAME.match(match["name"]) else []
        if match and versions:
            version = int(match["version"]) if match["version"] else versions[-1]
            if version not in versions:
                raise DspexError(f"no version {version} of {match['name']!r} in {self.root}; "
                                 f"there are {', '.join(map(str, versions))}")
            return self.root / match["name"] / str(version)
        if _ID.match(ref):
            found = [path for path, manifest in self._manifests()
                     if str(manifest.get("id", "")).startswith(ref)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise ArgumentError(f"{ref!r} is the start of {len(found)} snapshot ids; give "
                                    f"more of it")
        known = ", ".join(self.names()[:10]) or "none"
        raise DspexError(f"no program {ref!r} in {self.root} (programs: {known})")

    def _manifests(self) -> list[tuple[Path, dict[str, Any]]]:
        found = []
        for name in self.names():
            for version in self.versions(name):
                path = self.root / name / str(version)
                try:
                    found.append((path, self._manifest(path)))
                except SnapshotError:
                    continue
        return found

    def _manifest(self, path: Path) -> dict[str, Any]:
        where = self._label(path)
        try:
            data = (path / MANIFEST_FILE).read_bytes()
        except FileNotFoundError:
            raise SnapshotError(f"{where}: manifest.json is missing") from None
        return snapshot.read_manifest(data, where)

    def _label(self, path: Path) -> str:
        return f"{path.parent.name}@{path.name}"

    # -- loading -----------------------------------------------------------------------------
    def load(self, ref: str, *, trust: bool = False, allow_pickle: bool = False,
             lm: BaseLM | None = None) -> Module:
        for flag, value in (("trust", trust), ("allow_pickle", allow_pickle)):
            if not isinstance(value, bool):
                raise ArgumentError(f"{flag} must be True or False, not {value!r:.40}")
        if lm is not None and not isinstance(lm, BaseLM):
            raise ArgumentError(f"lm must be a dx.LM / dx.LocalLM, not {type(lm).__name__}")
        path = self.resolve(ref)
        where = self._label(path)
        manifest = self._manifest(path)
        try:
            payload: bytes | None = (path / snapshot.KINDS[manifest["kind"]]).read_bytes()
        except FileNotFoundError:
            payload = None
        payload = snapshot.verify(manifest, payload, where)
        snapshot.warn_versions(manifest, where)
        program = snapshot.decode(manifest, payload, where, trust=trust,
                                  allow_pickle=allow_pickle, lm=lm)
        program.__dict__["_snapshot"] = {"ref": where, "id": manifest["id"]}
        return program

    def manifest(self, ref: str) -> dict[str, Any]:
        """A snapshot's manifest (what the listing shows of it), checked."""
        return self._manifest(self.resolve(ref))

    # -- listing -----------------------------------------------------------------------------
    def list(self, name: str | None = None) -> pd.DataFrame:
        """One row per snapshot, newest first. One that cannot be read is left out and named
        in a warning and in `frame.attrs["unreadable"]`."""
        import pandas as pd

        rows, unreadable = [], {}
        for each in [name] if name is not None else self.names():
            for version in self.versions(each):
                path = self.root / each / str(version)
                try:
                    m = self._manifest(path)
                except SnapshotError as exc:
                    unreadable[str(path)] = str(exc)
                    continue
                experiment = m.get("experiment") or {}
                rows.append({
                    "ref": f"{each}@{version}", "name": each, "version": version,
                    "id": m.get("id"), "created": m.get("created_at"), "class": m.get("class"),
                    "predictors": m.get("predictors"), "demos": m.get("demos"),
                    "lm": m.get("lm"), "experiment": experiment.get("id"),
                    "score": experiment.get("score"), "format": m.get("kind"),
                    "tags": m.get("tags") or [], "description": m.get("description", "")})
        frame = pd.DataFrame(rows, columns=COLUMNS)
        if not frame.empty:
            frame["created"] = pd.to_datetime(frame["created"], unit="s")
            frame = frame.sort_values(["created", "version"], ascending=False
                                      ).reset_index(drop=True)
        frame.attrs["unreadable"] = unreadable
        if unreadable:
            warnings.warn(f"{len(unreadable)} program snapshot(s) in {self.root} cannot be "
                          f"read and are not listed: {', '.join(unreadable)}",
                          UnreadableRecordWarning, stacklevel=3)
        return frame

    def __repr__(self) -> str:
        return f"ProgramStore({str(self.root)!r}, {len(self.names())} programs)"


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or name.isdigit():
        raise ArgumentError(f"a program's name is letters, digits, '_', '.' and '-' (not only "
                            f"digits, no '@'), not {name!r:.60}")


def _checked_tags(tags: Any) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        return [tags]
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise ArgumentError(f"tags is a list of strings, not {tags!r:.60}")
    return list(tags)
