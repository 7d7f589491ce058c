"""An application process for the remote-dashboard tests: it serves its metrics
(`dx.telemetry.serve`) on a given port and makes scripted LM calls, as a service answering
requests would. Killed by the test, as a crashed service would be."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent('''
    import pathlib, sys, time
    import dspex_nb as dx
    port, calls, model, delay, go = sys.argv[1:6]
    server = dx.telemetry.serve(port=int(port))
    qa = dx.Predict("question -> answer", lm=dx.ScriptedLM(lambda r: {"answer": "a"},
                                                           model=model))
    if go != "-":  # calls once the test says its dashboard is watching
        print("ready", flush=True)
        while not pathlib.Path(go).exists():
            time.sleep(0.05)
    for i in range(int(calls)):
        time.sleep(float(delay))
        qa(question=f"q{i}")
    if go == "-":  # calls made before the test looks
        print("ready", flush=True)
    time.sleep(3600)
''')


class MetricsApp:
    """`calls` LM calls `delay` seconds apart, made before it says "ready", or, with
    `wait_for_go`, once `go` (a file) exists."""

    def __init__(self, folder: Path, port: int, calls: int, *, model: str = "scripted",
                 delay: float = 0.0, wait_for_go: bool = False) -> None:
        script = folder / "metrics_app.py"
        script.write_text(SCRIPT)
        self.go = folder / f"go-{time.monotonic_ns()}"
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(port), str(calls), model, str(delay),
             str(self.go) if wait_for_go else "-"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
