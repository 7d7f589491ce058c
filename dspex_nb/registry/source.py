"""The code of a program that lives in a notebook or script (`__main__`), captured as source
so another process can rebuild it, and rebuilt only when the caller trusts it.

What is captured: the source of each class (and helper function) defined in `__main__` that
the program is built from, and of the names that code uses, how to find each again: a module
to import, an object to import by path, a tool by name (`@dx.tool`, never its body), or a
plain JSON value. Anything else (an LM object, a lock) cannot be described and is a
SnapshotError at save, which says to save with format="pickle" instead.

Notebook cells have no file a class could be read back from; their methods' code objects
name the cell's pseudo-file, which IPython keeps in `linecache`, and the class is found there
by parsing the cell. A class without methods (a class-style signature) names no cell: it is
looked for in every cell IPython kept, the last one that defines it as it is now.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import linecache
import symtable
import sys
import textwrap
import types
from typing import Any

from dspex_nb._imports import import_object
from dspex_nb.errors import SnapshotError
from dspex_nb.modules.module import Module, _plain_json
from dspex_nb.modules.tools import MAIN_MODULES, find_tools, tool_name, tool_origin

SNAPSHOT_MODULE = "__main__"  # rebuilt classes look defined in __main__, so they save again


def defined_in_main(obj: Any) -> bool:
    return getattr(obj, "__module__", None) in MAIN_MODULES


def capture(program: Module) -> dict[str, Any] | None:
    """The code bundle of the program's `__main__` classes (None when there are none):
    `{"definitions": [{"name", "kind", "source"}...] in the order they must run,
    "globals": {name: how to find it}}`."""
    roots = [type(m) for _, m in program.named_modules() if defined_in_main(type(m))]
    if not roots:
        return None
    definitions: dict[str, dict[str, str]] = {}
    globals_: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    visiting: set[str] = set()

    def visit(obj: Any) -> None:
        name = obj.__name__
        if name in definitions or name in visiting:
            return
        if "<locals>" in obj.__qualname__ or "." in obj.__qualname__:
            raise SnapshotError(f"{obj.__qualname__} is defined inside a function or class; "
                                f"define it at the top of a cell or module to save it")
        visiting.add(name)
        source, namespace, used = _source_of(obj)
        for global_name in sorted(used):
            value = namespace[global_name]
            if defined_in_main(value) and isinstance(value, type | types.FunctionType) and (
                    tool_name(value) is None):
                visit(value)  # a base class or helper from the notebook: its source too
            else:
                globals_[global_name] = _reference(obj.__name__, global_name, value)
        visiting.discard(name)
        kind = "class" if isinstance(obj, type) else "function"
        definitions[name] = {"name": name, "kind": kind, "source": source}
        order.append(name)

    for root in roots:
        visit(root)
    return {"definitions": [definitions[n] for n in order], "globals": globals_}


def definition_source(obj: Any) -> str:
    """The source of a class or function defined in a script or a notebook cell (where
    `inspect.getsource` cannot find a cell's class); a SnapshotError if there is none."""
    return _find_source(obj, _functions_of(obj))


def _source_of(obj: Any) -> tuple[str, dict[str, Any], set[str]]:
    """(the definition's source, the namespace its code runs in, the global names it uses)."""
    functions = _functions_of(obj)
    source = _find_source(obj, functions)
    namespace: dict[str, Any] = functions[0].__globals__ if functions else vars(
        sys.modules[obj.__module__])
    used = {name for name in _global_names(symtable.symtable(source, "<source>", "exec"))
            if name != obj.__name__ and name in namespace}
    return source, namespace, {name for name in used if not (
        name in vars(builtins) and namespace[name] is vars(builtins)[name])}


def _global_names(table: symtable.SymbolTable) -> set[str]:
    """Names the code reads from its module's globals (the compiler's own scoping: a
    method's local that shares a global's name is not one)."""
    found = {s.get_name() for s in table.get_symbols()
             if s.is_referenced() and s.is_global() and not s.is_assigned()}
    for child in table.get_children():
        found |= _global_names(child)
    return found


def _functions_of(obj: Any) -> list[types.FunctionType]:
    if isinstance(obj, types.FunctionType):
        return [obj]
    found = []
    for value in vars(obj).values():
        fn = value.__func__ if isinstance(value, classmethod | staticmethod) else value
        if isinstance(fn, property):
            fn = fn.fget
        if isinstance(fn, types.FunctionType) and fn.__qualname__.startswith(obj.__qualname__):
            found.append(fn)
    return found


def _find_source(obj: Any, functions: list[types.FunctionType]) -> str:
    """The definition's source: from the file (or notebook cell) one of its functions was
    compiled from, the top-level definition of that name that contains it."""
    for fn in functions:
        first = fn.__code__.co_firstlineno
        for _, start, end, text in _definitions(linecache.getlines(fn.__code__.co_filename),
                                                obj.__name__):
            if start <= first <= end:
                return text
    if not functions and isinstance(obj, type) and (found := _source_in_cells(obj)):
        return found
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        raise SnapshotError(
            f"the source of {obj.__qualname__} cannot be found (defined with exec, or in a "
            f"console that keeps no source); save it with format='pickle', or move it to a "
            f"module") from None


def _definitions(lines: list[str], name: str) -> list[tuple[ast.stmt, int, int, str]]:
    """The top-level class and function definitions called `name` in a file's or a cell's
    lines: (node, first line with its decorators, last line, dedented source); none when
    the text does not parse."""
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return []
    found: list[tuple[ast.stmt, int, int, str]] = []
    for node in tree.body:
        if (isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and node.name == name and node.end_lineno is not None):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            found.append((node, start, node.end_lineno,
                          textwrap.dedent("".join(lines[start - 1:node.end_lineno]))))
    return found


def _source_in_cells(cls: type) -> str | None:
    """The source of a method-less class from the notebook cells IPython keeps in `linecache`
    (entries without a modification time, so `checkcache` keeps them): the last cell whose
    top-level class of that name has the class's docstring and annotated names."""
    for entry in reversed(list(linecache.cache.values())):
        if len(entry) != 4 or entry[1] is not None:
            continue  # a real file (it has an mtime) or a lazy entry: not a cell
        for node, _, _, text in reversed(_definitions(entry[2], cls.__name__)):
            if isinstance(node, ast.ClassDef) and _same_shape(node, cls):
                return text
    return None


def _same_shape(node: ast.ClassDef, cls: type) -> bool:
    """Whether a parsed class body declares what the live class holds: the same docstring
    and the same annotated names in order (an older version of the cell differs in one)."""
    declared = [item.target.id for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)]
    doc = vars(cls).get("__doc__")
    return (ast.get_docstring(node, clean=False) == doc
            and declared == list(vars(cls).get("__annotations__", {})))


def _reference(owner: str, name: str, value: Any) -> dict[str, Any]:
    """How to find a global the code uses again, or a SnapshotError saying it cannot be."""
    if isinstance(value, types.ModuleType):
        return {"module": value.__name__}
    if (found := tool_name(value)) is not None:
        return {"tool": found, "origin": tool_origin(value)}
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if (isinstance(value, type | types.FunctionType | types.BuiltinFunctionType)
            and isinstance(module, str) and isinstance(qualname, str)
            and module not in MAIN_MODULES and "<" not in qualname):
        try:
            same = import_object(f"{module}:{qualname}") is value
        except (ImportError, AttributeError):
            same = False
        if same:
            return {"import": f"{module}:{qualname}"}
    if _plain_json(value):
        return {"value": value}
    raise SnapshotError(
        f"{owner} uses the global {name!r} ({type(value).__name__}), which a JSON snapshot "
        f"cannot describe: make it a @dx.tool, import it from a module, pass it as a "
        f"constructor argument of plain JSON, or save with format='pickle'")


def describe(bundle: dict[str, Any]) -> str:
    """What rebuilding would run, for the message that asks for trust=True."""
    parts = []
    for d in bundle["definitions"]:
        lines = d["source"].splitlines()
        head = "\n".join(f"    {line}" for line in lines[:6])
        more = f"\n    ... ({len(lines) - 6} more lines)" if len(lines) > 6 else ""
        parts.append(f"  {d['kind']} {d['name']} ({len(lines)} lines):\n{head}{more}")
    return "\n".join(parts)


def already_defined(bundle: dict[str, Any]) -> dict[str, type] | None:
    """The classes, when `__main__` here defines every one with the very same source (the
    notebook that saved the program, re-run): nothing needs to run. None otherwise."""
    main = sys.modules.get("__main__")
    if main is None:
        return None
    found: dict[str, type] = {}
    for d in bundle["definitions"]:
        obj = getattr(main, d["name"], None)
        if obj is None or not defined_in_main(obj):
            return None
        try:
            if definition_source(obj) != d["source"]:
                return None
        except SnapshotError:
            return None
        if isinstance(obj, type):
            found[f"{obj.__module__}:{obj.__qualname__}"] = obj
    return found


def rebuild(bundle: dict[str, Any], label: str) -> dict[str, type]:
    """Run the saved definitions in a fresh namespace (never the caller's): the classes by
    the path a program document names them with. Tools must be registered first."""
    references = bundle["globals"]
    wanted = {r["tool"]: r.get("origin") for r in references.values() if "tool" in r}
    tools = find_tools(wanted)  # every missing tool named at once, before anything runs
    namespace: dict[str, Any] = {"__name__": SNAPSHOT_MODULE, "__builtins__": builtins}
    for name, ref in references.items():
        if "module" in ref:
            namespace[name] = importlib.import_module(ref["module"])
        elif "import" in ref:
            namespace[name] = import_object(ref["import"])
        elif "tool" in ref:
            namespace[name] = tools[ref["tool"]]
        else:
            namespace[name] = ref["value"]
    classes: dict[str, type] = {}
    for d in bundle["definitions"]:
        filename = f"<dspex_nb snapshot {label}: {d['name']}>"
        linecache.cache[filename] = (len(d["source"]), None, d["source"].splitlines(True),
                                     filename)  # so it can be read back, and saved again
        exec(compile(d["source"], filename, "exec"), namespace)
        obj = namespace[d["name"]]
        if isinstance(obj, type):
            classes[f"{SNAPSHOT_MODULE}:{d['name']}"] = obj
    return classes
