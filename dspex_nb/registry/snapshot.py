"""A program snapshot: what `dx.save` writes and `dx.load` reads, as bytes.

Two files per snapshot: the payload (`program.json`, or `program.pkl` when asked for) and
`manifest.json`, which says what the payload is (kind, format version, its SHA-256, the
package versions it was saved with) and what the listing shows, so listing never opens a
payload. A payload whose hash is not the manifest's was changed after saving and is refused.

JSON (the default) is safe to read: the program document (`Module.to_document`), and the
source of the classes it was built from when they live in a notebook or script, which runs
only when the caller trusts it. Pickle (cloudpickle) describes any program, and runs code
when read: it is refused unless the caller allows it. In both, LMs are kept as their
settings (never a key) and retrievers not at all.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import sys
import warnings
from collections.abc import Callable
from typing import Any

import cloudpickle
import orjson

from dspex_nb._formats import check
from dspex_nb._version import __version__
from dspex_nb.errors import (
    DspexError,
    FormatError,
    SnapshotError,
    SnapshotVersionWarning,
    TrustError,
)
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.resolve import lm_from_state
from dspex_nb.modules.module import Module
from dspex_nb.registry import source
from dspex_nb.retrieve.base import Retriever
from dspex_nb.signatures import Signature

MANIFEST = "dspex_nb.snapshot"
MANIFEST_VERSION = 1
PAYLOAD = "dspex_nb.snapshot-program"
PAYLOAD_VERSION = 1
KINDS = {"json": "program.json", "pickle": "program.pkl"}

# Upgrades of older manifests: version -> function(manifest) -> manifest of version + 1.
# Version 1 is the first format, so there is none yet; a new version adds its step here.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def packages(kind: str) -> dict[str, str]:
    found = {"dspex_nb": __version__, "python": ".".join(map(str, sys.version_info[:2]))}
    if kind == "pickle":
        found["cloudpickle"] = cloudpickle.__version__
    return found


# -- writing ---------------------------------------------------------------------------------
def encode(program: Module, kind: str, *, name: str, version: int) -> tuple[bytes, list[str]]:
    """(the payload's bytes, the names of classes whose source it carries)."""
    if kind == "pickle":
        return _pickled(program), []
    document = program.to_document()
    if document.get("init_unsaved"):
        raise SnapshotError(
            f"{type(program).__name__} was built with arguments that are not JSON "
            f"({', '.join(document['init_unsaved'])}), so a JSON snapshot cannot rebuild it: "
            f"make them tools (@dx.tool) or plain values, or save with format='pickle'")
    bundle = source.capture(program)
    payload = {"format": PAYLOAD, "version": PAYLOAD_VERSION, "name": name,
               "program_version": version, "program": document, "code": bundle}
    names = [d["name"] for d in bundle["definitions"]] if bundle else []
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2), names


class _Pickler(cloudpickle.Pickler):  # type: ignore[misc]
    """LMs by their settings (a key never enters the bytes), retrievers not at all, and
    signatures made from strings by their dump (their class body is not code to pickle)."""

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, BaseLM):
            return ("lm", obj.dump_state())
        if isinstance(obj, Retriever):
            return ("retriever", type(obj).__name__)
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type) and issubclass(obj, Signature) and obj is not Signature:
            return signature_from_dump, (obj.dump(),)
        return super().reducer_override(obj)


def signature_from_dump(data: dict[str, Any]) -> type[Signature]:
    """How a pickled snapshot rebuilds a signature class (named by import path in it)."""
    return Signature.from_dump(data)


def _pickled(program: Module) -> bytes:
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(program)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise SnapshotError(f"{type(program).__name__} cannot be pickled: {exc}") from None
    return buffer.getvalue()


def summary(program: Module) -> dict[str, Any]:
    """What the listing shows of a program."""
    predictors = program.named_predictors()
    lms = sorted({p.lm.label for _, p in predictors if p.lm is not None})
    return {"class": type(program).__qualname__, "predictors": len(predictors),
            "demos": sum(len(p.demos) for _, p in predictors), "lm": ", ".join(lms) or None}


# -- reading ---------------------------------------------------------------------------------
def read_manifest(data: bytes, where: str) -> dict[str, Any]:
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SnapshotError(f"{where}: the manifest is not valid JSON (truncated or edited?): "
                            f"{exc}") from None
    if isinstance(raw, dict) and raw.get("format") == MANIFEST:
        version = raw.get("version", 0)
        if isinstance(version, int) and not isinstance(version, bool):
            while version < MANIFEST_VERSION and version in UPGRADES:
                raw = UPGRADES[version](raw)
                version += 1
                raw["version"] = version
    try:
        fields = check(raw, MANIFEST, MANIFEST_VERSION, "program snapshot")
    except FormatError as exc:
        raise SnapshotError(f"{where}: {exc}") from None
    if raw.get("version") != MANIFEST_VERSION:
        raise SnapshotError(f"{where}: manifest version {raw.get('version')} cannot be "
                            f"upgraded by this dspex_nb (it reads {MANIFEST_VERSION})")
    if fields.get("kind") not in KINDS or not isinstance(fields.get("sha256"), str):
        raise SnapshotError(f"{where}: the manifest names no payload kind and hash")
    return fields


def verify(manifest: dict[str, Any], payload: bytes | None, where: str) -> bytes:
    if payload is None:
        raise SnapshotError(f"{where}: the payload {KINDS[manifest['kind']]} is missing")
    if sha256(payload) != manifest["sha256"]:
        raise SnapshotError(f"{where}: {KINDS[manifest['kind']]} was changed after it was "
                            f"saved (its SHA-256 is not the manifest's); nothing was loaded")
    return payload


_warned: set[tuple[str, str, str]] = set()


def warn_versions(manifest: dict[str, Any], where: str) -> None:
    """Once per package and version pair: saved with other versions than these."""
    saved = manifest.get("packages") or {}
    here = packages(manifest["kind"])
    for name, version in sorted(saved.items()):
        if name in here and here[name] != version and (name, version, here[name]) not in _warned:
            _warned.add((name, version, here[name]))
            warnings.warn(f"{where} was saved with {name} {version}; this is {here[name]}. "
                          f"It was loaded; check its outputs", SnapshotVersionWarning,
                          stacklevel=4)


def decode(manifest: dict[str, Any], payload: bytes, where: str, *, trust: bool,
           allow_pickle: bool, lm: BaseLM | None) -> Module:
    if manifest["kind"] == "pickle":
        if not allow_pickle:
            raise TrustError(f"{where} is a pickle snapshot: reading a pickle runs code it "
                             f"names, so it is refused unless you trust where it came from "
                             f"and pass allow_pickle=True")
        program = _unpickled(payload, where)
        if lm is not None:
            for p in program.predictors():
                p.lm = lm
        return program
    try:
        data = check(orjson.loads(payload), PAYLOAD, PAYLOAD_VERSION, "program snapshot")
    except (orjson.JSONDecodeError, FormatError) as exc:
        raise SnapshotError(f"{where}: {exc}") from None
    document, bundle = data.get("program"), data.get("code")
    if not isinstance(document, dict):
        raise SnapshotError(f"{where}: the payload holds no program document")
    classes: dict[str, type] | None = None
    if bundle:
        classes = source.already_defined(bundle)
        if classes is None:
            if not trust:
                raise TrustError(
                    f"{where} was built from code defined in a notebook or script; loading "
                    f"it runs that code:\n{source.describe(bundle)}\nPass trust=True if you "
                    f"trust it, or define these classes here (the same source) first")
            classes = source.rebuild(bundle, where)
    try:
        return Module.from_document(document, source=where, lm=lm, classes=classes)
    except FormatError as exc:
        raise SnapshotError(str(exc)) from None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        kind, value = pid
        if kind == "lm":
            return lm_from_state(value)
        if kind == "retriever":
            return None  # not saved: `Retrieve` uses dx.configure(retriever=...)
        raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")


def _unpickled(payload: bytes, where: str) -> Module:
    try:
        program = _Unpickler(io.BytesIO(payload)).load()
    except DspexError:
        raise
    except Exception as exc:
        raise SnapshotError(f"{where}: the pickle cannot be loaded here "
                            f"({type(exc).__name__}: {exc})") from None
    if not isinstance(program, Module):
        raise SnapshotError(f"{where} holds a {type(program).__name__}, not a program")
    return program

