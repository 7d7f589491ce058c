"""`dspex-nb serve name@version`: load a registered program and serve it (uvicorn, one
process) with its metrics, until stopped."""

from __future__ import annotations

import argparse
from typing import Any

from dspex_nb.registry import load
from dspex_nb.serving.app import program_app
from dspex_nb.settings import configure


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", help="a registered program: name, name@version or id")
    parser.add_argument("--host", default="127.0.0.1", help="address (default loopback)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--store", default=".dspex/programs", help="the program store folder")
    parser.add_argument("--trust", action="store_true",
                        help="run code saved with the program (classes from a notebook)")
    parser.add_argument("--allow-pickle", action="store_true", help="load a pickle snapshot")
    parser.add_argument("--model", help="serve on this model of an OpenAI-compatible server "
                        "(key from OPENAI_API_KEY) instead of the program's own LMs")
    parser.add_argument("--base-url", help="that server's URL (default OPENAI_BASE_URL)")
    parser.add_argument("--no-cache", action="store_true", help="do not cache LM calls")
    parser.add_argument("--no-metrics", action="store_true", help="no /metrics, /snapshot")


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    lm: Any = None
    if args.model:
        from dspex_nb.lm.openai import LM

        lm = LM(args.model, base_url=args.base_url)
    if args.no_cache:
        configure(cache=False)
    program = load(args.program, trust=args.trust, allow_pickle=args.allow_pickle, lm=lm,
                   store=args.store)
    snapshot = program.__dict__.get("_snapshot", {})
    app = program_app(program, name=snapshot.get("ref"), metrics=not args.no_metrics)
    print(f"serving {snapshot.get('ref', args.program)} on http://{args.host}:{args.port} "
          f"(POST /predict{'' if args.no_metrics else '; GET /metrics, /snapshot'})",
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
