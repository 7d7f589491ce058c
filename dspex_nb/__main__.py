"""Command line: `python -m dspex_nb demo` runs the headless demo on the embedded model;
`dspex-nb serve name@version` serves a registered program over HTTP; `dspex-nb jupyter
enable` makes every new Jupyter kernel load the magics."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from dspex_nb.cli_demo import run_demo
from dspex_nb.serving.cli import add_arguments, serve


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dspex_nb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="evaluate and optimize a Banking77 intent classifier "
                          "offline, as a stored experiment")
    demo.add_argument("-n", type=int, default=60, help="how many dev messages (max 60)")
    demo.add_argument("--cache", action="store_true",
                      help="read and write the LM cache (faster reruns; latency then "
                      "measures the cache)")
    demo.add_argument("--steps", type=int, default=3, help="SIMBA steps")
    demo.add_argument("--train", type=int, default=48, help="train messages for SIMBA (max 48)")
    demo.add_argument("--val", type=int, default=48,
                      help="validation messages SIMBA chooses on (max 48)")
    demo.add_argument("--store", default=".dspex/experiments",
                      help="the experiment store folder (default .dspex/experiments)")
    serving = sub.add_parser("serve", help="serve a registered program over HTTP: POST "
                             "/predict, with /metrics")
    add_arguments(serving)
    jupyter = sub.add_parser("jupyter", help="make new Jupyter kernels load the magics "
                             "(%%predict, %%signature, %dx) without %load_ext, or stop")
    jupyter.add_argument("action", choices=["enable", "disable", "status"])
    scope = jupyter.add_mutually_exclusive_group()
    scope.add_argument("--user", dest="scope", action="store_const", const="user",
                       help="your IPython profile (every environment's kernels)")
    scope.add_argument("--sys-prefix", dest="scope", action="store_const", const="sys-prefix",
                       help="this Python environment only (the default inside a venv)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "jupyter":
        return jupyter_command(args.action, args.scope)
    if args.command == "demo":
        start = time.perf_counter()
        code = run_demo(n=args.n, use_cache=args.cache, steps=args.steps,
                        train=args.train, val=args.val, store=args.store)
        print(f"demo finished in {time.perf_counter() - start:.1f} s")
        return code
    return 2


def jupyter_command(action: str, scope: str | None) -> int:
    from dspex_nb import jupyter_config

    if action == "status":
        for name in jupyter_config.SCOPES:
            state = "enabled" if jupyter_config.is_enabled(name) else "not enabled"
            print(f"{name:<10} {state:<12} {jupyter_config.config_file(name)}")
        return 0
    path = getattr(jupyter_config, action)(scope)
    verb = "load" if action == "enable" else "no longer load"
    print(f"new kernels {verb} dspex_nb's magics ({path}); running kernels are unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
