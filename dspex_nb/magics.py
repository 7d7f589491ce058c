"""IPython magics: `%load_ext dspex_nb`, then `%%predict`, `%%signature` and `%dx`.

    %%predict "review -> sentiment: Literal['positive', 'negative']" -o pred
    A warm, funny and moving film.

    %%signature Extract
    Pull the people named in the text.
    text: str -> people: list[str]

    %dx lm local                      (or: %dx lm gpt-4o-mini --base-url URL --api-key-env VAR)
    %dx trace | dashboard | experiments | programs | cache [stats|clear]

IPython's conventions: arguments parsed by `magic_arguments` (`-h`/`--help` on each), a
`UsageError` for bad arguments, no `{}`/`$` expansion (prompt text is taken as typed), and
results returned as values, so `_` and `-o name` keep them. A dspex_nb error (a malformed
signature, no LM) shows as one line in the cell, never a traceback wall.
"""

from __future__ import annotations

import functools
import json
import keyword
import os
from collections.abc import Callable
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import (
    MagicArgumentParser,
    argument,
    magic_arguments,
    parse_argstring,
)

from dspex_nb.errors import DspexError
from dspex_nb.signatures.signature import Signature, SignatureMeta


class MagicError(Exception):
    """A dspex_nb error raised inside a magic: shown as its one line (IPython calls
    `_render_traceback_` instead of printing the traceback), still an error for the cell."""

    def __init__(self, error: DspexError):
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def _fail(error: DspexError) -> NoReturn:
    raise MagicError(error) from None


def _help_or(parser: MagicArgumentParser, args: Any) -> bool:
    if getattr(args, "help", False):
        print(parser.format_help())
        return True
    return False


@magics_class
class DspexMagics(Magics):
    """The magics `load_ipython_extension` registers."""

    @property
    def namespace(self) -> dict[str, Any]:
        """The notebook's variables (where `-o` and `%%signature` put their results)."""
        assert self.shell is not None
        user_ns: dict[str, Any] = self.shell.user_ns
        return user_ns

    # -- %%predict ---------------------------------------------------------------------------
    @no_var_expand
    @magic_arguments()
    @argument("signature", nargs="?", help="a signature string in quotes, or the name of a "
              "Signature class in the notebook")
    @argument("-o", "--output", metavar="NAME", help="also store the prediction in NAME")
    @argument("--cot", action="store_true", help="think step by step first (ChainOfThought)")
    @argument("-h", "--help", action="store_true", help="show this help")
    @cell_magic
    def predict(self, line: str, cell: str) -> Any:
        """Run one prediction with the cell as input: the whole cell for a signature with one
        input, else `field: value` lines (a line without a known `field:` continues the
        previous value). Values of non-text fields are read as JSON when they parse."""
        args = parse_argstring(self.predict, line)
        if _help_or(self.predict.parser, args):
            return None
        if not args.signature:
            raise UsageError('%%predict needs a signature: %%predict "question -> answer"')
        if args.output is not None and not args.output.isidentifier():
            raise UsageError(f"-o needs a Python name, not {args.output!r}")
        import dspex_nb as dx

        try:
            signature = self._signature(args.signature)
            module = (dx.ChainOfThought if args.cot else dx.Predict)(signature)
            prediction = module(**inputs_from_cell(signature, cell))
        except DspexError as exc:
            _fail(exc)
        if args.output:
            self.namespace[args.output] = prediction
        return prediction

    def _signature(self, text: str) -> Any:
        import dspex_nb as dx

        text = unquoted(text)
        named = self.namespace.get(text) if text.isidentifier() else None
        if isinstance(named, type) and issubclass(named, dx.Signature):
            return named
        return make_signature(text, types=self._types())

    def _types(self) -> dict[str, Any]:
        """Classes defined in the notebook (a pydantic model, an Enum) that a signature's
        field types may name."""
        return {name: value for name, value in self.namespace.items()
                if isinstance(value, type) and not name.startswith("_")}

    # -- %%signature -------------------------------------------------------------------------
    @no_var_expand
    @magic_arguments()
    @argument("name", nargs="?", help="the class name the signature gets in the notebook")
    @argument("-h", "--help", action="store_true", help="show this help")
    @cell_magic
    def signature(self, line: str, cell: str) -> None:
        """Define a signature from the cell: the lines before the one with `->` are its
        instructions (the docstring), the rest its fields, `field: type -> field: type`."""
        args = parse_argstring(self.signature, line)
        if _help_or(self.signature.parser, args):
            return
        if not args.name or not args.name.isidentifier() or keyword.iskeyword(args.name):
            raise UsageError(f"%%signature needs a class name: %%signature Name "
                             f"(got {args.name or 'nothing'!r})")

        instructions, fields = split_signature_cell(cell)
        try:
            sig = make_signature(fields, instructions, types=self._types(), name=args.name)
        except DspexError as exc:
            _fail(exc)
        self.namespace[args.name] = sig

    # -- %dx ---------------------------------------------------------------------------------
    @no_var_expand
    @line_magic
    def dx(self, line: str) -> Any:
        """%dx lm | trace | dashboard | experiments | programs | cache — `%dx --help`."""
        parser, commands = dx_parser()
        args = parser.parse_argstring(line)
        if args.help or args.command is None:
            print(parser.format_help())
            return None
        if args.sub_help:
            print(commands[args.command].format_help())
            return None
        handler: Callable[[Any], Any] = getattr(self, f"_dx_{args.command}")
        try:
            return handler(args)
        except DspexError as exc:
            _fail(exc)

    def _dx_lm(self, args: Any) -> Any:
        import dspex_nb as dx
        from dspex_nb import settings

        if args.model is None:
            return settings.get("lm")
        if args.model == "local":
            if args.base_url or args.api_key_env:
                raise UsageError("%dx lm local runs the embedded model: it takes no "
                                 "--base-url or --api-key-env")
            lm: Any = dx.LocalLM()
        else:
            key = None
            if args.api_key_env:
                key = os.environ.get(args.api_key_env)
                if not key:
                    raise UsageError(f"the environment variable {args.api_key_env} is not "
                                     f"set (the key is read from there, never typed in a cell)")
            lm = dx.LM(args.model, base_url=args.base_url, api_key=key)
        dx.configure(lm=lm)
        return lm

    def _dx_trace(self, args: Any) -> Any:
        import dspex_nb as dx

        trace = dx.last_trace()
        if trace is None:
            print("no program call traced yet in this kernel")
        return trace

    def _dx_dashboard(self, args: Any) -> Any:
        import dspex_nb as dx

        return dx.dashboard(source=args.source)

    def _dx_experiments(self, args: Any) -> Any:
        import dspex_nb as dx

        store = dx.ExperimentStore(args.store) if args.store else dx.ExperimentStore()
        return store.list()

    def _dx_programs(self, args: Any) -> Any:
        import dspex_nb as dx

        return dx.programs(args.name, store=args.store)

    def _dx_cache(self, args: Any) -> Any:
        from dspex_nb.caching import current_cache

        cache = current_cache()
        if cache is None:
            print("the LM cache is off (dx.configure(cache=False))")
            return None
        if args.action == "clear":
            cache.clear()
            print(f"cleared {cache!r}")
            return None
        return cache_stats(cache)


@functools.cache
def dx_parser() -> tuple[MagicArgumentParser, dict[str, MagicArgumentParser]]:
    """`%dx`'s arguments and its subcommands' (each with its own `--help`); built once."""
    parser = MagicArgumentParser(prog="dx", description="dspex_nb in the notebook: the LM, "
                                 "the live views and what is stored")
    parser.add_argument("-h", "--help", action="store_true", help="show this help")
    sub = parser.add_subparsers(dest="command", parser_class=MagicArgumentParser)
    commands = {
        "lm": "configure the LM: `local` (embedded) or a model on an OpenAI-compatible server; "
              "with no model, show the configured one",
        "trace": "the span tree of the last program call",
        "dashboard": "the live telemetry dashboard",
        "experiments": "the stored experiments, as a table",
        "programs": "the registered programs, as a table",
        "cache": "the LM cache: stats (default) or clear",
    }
    subs: dict[str, MagicArgumentParser] = {}
    for name, text in commands.items():
        subs[name] = sub.add_parser(name, help=text, description=text)
        subs[name].add_argument("-h", "--help", action="store_true", dest="sub_help",
                                help="show this help")
    subs["lm"].add_argument("model", nargs="?", help="`local`, or the server's model name")
    subs["lm"].add_argument("--base-url", help="the server's URL, e.g. http://127.0.0.1:8080/v1")
    subs["lm"].add_argument("--api-key-env", metavar="VAR",
                            help="the environment variable holding the API key")
    subs["dashboard"].add_argument("--source", action="append",
                                   help="watch a process serving dx.telemetry.serve() at "
                                        "this URL (repeat for several)")
    subs["experiments"].add_argument("--store", help="the store folder (default: the "
                                                     "project's .dspex/experiments)")
    subs["programs"].add_argument("name", nargs="?", help="one program's versions")
    subs["programs"].add_argument("--store", help="the registry folder or URL")
    subs["cache"].add_argument("action", nargs="?", default="stats", choices=["stats", "clear"])
    parser.set_defaults(sub_help=False)
    return parser, subs


def unquoted(text: str) -> str:
    """IPython splits magic arguments keeping their quotes: `"a -> b"` is `a -> b`."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def make_signature(text: str, instructions: str | None = None, **options: Any
                   ) -> type[Signature]:
    """`dx.Signature(text, instructions, types=, name=)`, spelled so a type checker sees the
    metaclass call."""
    return SignatureMeta.__call__(Signature, text, instructions, **options)


def split_signature_cell(cell: str) -> tuple[str | None, str]:
    """A `%%signature` cell's instructions (the lines before the first with `->`, or None)
    and its field text (the rest, joined into one line)."""
    lines = [line.strip() for line in cell.strip().splitlines()]
    arrow = next((i for i, line in enumerate(lines) if "->" in line), None)
    if arrow is None:
        return None, " ".join(line for line in lines if line)  # the parser says what is wrong
    doc = "\n".join(lines[:arrow]).strip() or None
    return doc, " ".join(line for line in lines[arrow:] if line)


def inputs_from_cell(signature: Any, cell: str) -> dict[str, Any]:
    """The inputs a `%%predict` cell gives: the whole cell for one input field, else
    `field: value` lines; a UsageError names what is missing or unknown."""
    fields = signature.input_fields
    text = cell.strip()
    if len(fields) == 1:
        (name, field), = fields.items()
        if not text:
            raise UsageError(f"the cell is the input {name!r}, and it is empty")
        return {name: _value(field, text)}
    values: dict[str, list[str]] = {}
    current: str | None = None
    for line in cell.splitlines():
        head, colon, rest = line.partition(":")
        if colon and head.strip() in fields and head == head.lstrip():
            current = head.strip()
            if current in values:
                raise UsageError(f"the input {current!r} is given twice")
            values[current] = [rest.strip()]
        elif current is not None:
            values[current].append(line)
        elif line.strip():
            raise UsageError(f"a cell for {len(fields)} inputs is `field: value` lines "
                             f"({', '.join(fields)}); this line names none: {line.strip()!r}")
    missing = [name for name in fields if name not in values]
    if missing:
        raise UsageError(f"missing input(s) {', '.join(missing)}: add `{missing[0]}: ...` "
                         f"lines (the signature's inputs are {', '.join(fields)})")
    return {name: _value(fields[name], "\n".join(parts).strip())
            for name, parts in values.items()}


def _value(field: Any, text: str) -> Any:
    """Text for a text field; for another type, the JSON the text holds, when it is JSON (the
    signature's validation then checks it)."""
    if field.annotation is str:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def cache_stats(cache: Any) -> Any:
    """The cache's counts as a one-row-per-layer DataFrame."""
    import pandas as pd

    rows = [{"layer": layer.name, "hits": cache.layer_hits.get(layer.name, 0)}
            for layer in cache.layers]
    frame = pd.DataFrame(rows, columns=["layer", "hits"])
    frame.attrs["summary"] = {"hits": cache.hits, "misses": cache.misses,
                              "errors": cache.errors}
    total = cache.hits + cache.misses
    rate = f"{cache.hits / total:.0%}" if total else "no lookups yet"
    print(f"{cache!r}: {cache.hits} hits, {cache.misses} misses ({rate}), "
          f"{cache.errors} layer errors")
    return frame


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(DspexMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magics again (`%unload_ext dspex_nb`)."""
    table = ipython.magics_manager.magics
    for kind, names in (("cell", ("predict", "signature")), ("line", ("dx",))):
        for name in names:
            table[kind].pop(name, None)
