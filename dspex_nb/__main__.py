"""Command line: `python -m dspex_nb demo` runs the headless demo on the embedded model;
`dspex-nb serve name@version` serves a registered program over HTTP."""

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
    demo = sub.add_parser("demo", help="evaluate and optimize an SST-2 classifier offline")
    demo.add_argument("-n", type=int, default=100, help="how many dev examples (max 200)")
    demo.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    demo.add_argument("--steps", type=int, default=2, help="SIMBA steps")
    demo.add_argument("--train", type=int, default=32, help="train examples for SIMBA (max 64)")
    demo.add_argument("--store", default=".dspex/experiments",
                      help="the experiment store folder (default .dspex/experiments)")
    serving = sub.add_parser("serve", help="serve a registered program over HTTP: POST "
                             "/predict, with /metrics")
    add_arguments(serving)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "demo":
        start = time.perf_counter()
        code = run_demo(n=args.n, use_cache=not args.no_cache, steps=args.steps,
                        train=args.train, store=args.store)
        print(f"demo finished in {time.perf_counter() - start:.1f} s")
        return code
    return 2


if __name__ == "__main__":
    sys.exit(main())
