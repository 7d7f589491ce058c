"""Programs whose classes live in a script or notebook (`__main__`): saved with their source,
rebuilt in another process only when trusted, tools re-attached by name. Each side runs as
its own Python process, as a restarted kernel would."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = textwrap.dedent('''
    import re
    import dspex_nb as dx

    PREFIX = "A: "

    def shout(text):
        return text.upper()

    class Counter(dx.Module):
        def __init__(self, style: str = "plain"):
            self.style = style
            self.qa = dx.Predict("question -> answer")

        def forward(self, question: str):
            answer = self.qa(question=question).answer
            return dx.Prediction(answer=PREFIX + shout(answer), words=word_count(question))
''')

TOOL = textwrap.dedent('''
    @dx.tool
    def word_count(text: str) -> int:
        return len(re.findall(r"\\w+", text))
''')

LM = ('dx.configure(lm=dx.ScriptedLM(lambda r: {"answer": "paris"}), cache=False)\n')


def _run(tmp_path: Path, code: str) -> str:
    script = tmp_path / "main.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT),
                                                       "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _save(tmp_path: Path, extra: str = "") -> None:
    code = PROGRAM + TOOL + LM + extra + textwrap.dedent('''
        program = Counter(style="fancy")
        print(json.dumps({"ref": dx.save(program, "counter"),
                          "out": dict(program(question="capital of France?"))}))
    ''')
    assert json.loads(_run(tmp_path, "import json\n" + code))["ref"] == "counter@1"


def _load(tmp_path: Path, before: str, call: str) -> dict[str, object]:
    code = "import json, re\nimport dspex_nb as dx\n" + LM + before + textwrap.dedent(f'''
        try:
            program = {call}
            result = {{"out": dict(program(question="capital of France?")),
                       "style": getattr(program, "style", None)}}
        except dx.DspexError as exc:
            result = {{"error": type(exc).__name__, "message": str(exc)}}
        print(json.dumps(result))
    ''')
    found: dict[str, object] = json.loads(_run(tmp_path, code))
    return found


def test_a_notebook_class_is_not_rebuilt_without_trust(tmp_path: Path) -> None:
    _save(tmp_path)
    result = _load(tmp_path, TOOL, 'dx.load("counter")')
    assert result["error"] == "TrustError"
    message = str(result["message"])
    assert "class Counter" in message and "function shout" in message
    assert "trust=True" in message


def test_with_trust_it_is_rebuilt_and_answers_the_same(tmp_path: Path) -> None:
    _save(tmp_path)
    result = _load(tmp_path, TOOL, 'dx.load("counter@1", trust=True)')
    assert result == {"out": {"answer": "A: PARIS", "words": 3}, "style": "fancy"}


def test_a_missing_tool_is_named_before_any_code_runs(tmp_path: Path) -> None:
    _save(tmp_path)
    result = _load(tmp_path, "", 'dx.load("counter", trust=True)')
    assert result["error"] == "MissingToolError"
    assert "word_count" in str(result["message"]) and "@dx.tool" in str(result["message"])


def test_the_same_classes_defined_here_need_no_trust(tmp_path: Path) -> None:
    _save(tmp_path)
    result = _load(tmp_path, PROGRAM + TOOL, 'dx.load("counter")')
    assert result == {"out": {"answer": "A: PARIS", "words": 3}, "style": "fancy"}


def test_a_rebuilt_program_can_be_saved_again(tmp_path: Path) -> None:
    _save(tmp_path)
    result = _load(tmp_path, TOOL, textwrap.dedent('''
        dx.load(dx.save(dx.load("counter", trust=True), "again"), trust=True)
    ''').strip())
    assert result["out"] == {"answer": "A: PARIS", "words": 3}


def test_a_global_json_cannot_describe_is_refused_at_save(tmp_path: Path) -> None:
    code = "import json\n" + PROGRAM + TOOL + LM + textwrap.dedent('''
        import threading
        LOCK = threading.Lock()
        class Locked(dx.Module):
            def __init__(self):
                self.qa = dx.Predict("question -> answer")
            def forward(self, question):
                with LOCK:
                    return self.qa(question=question)
        try:
            dx.save(Locked(), "locked")
            print(json.dumps({"saved": True}))
        except dx.SnapshotError as exc:
            print(json.dumps({"error": str(exc)}))
    ''')
    result = json.loads(_run(tmp_path, code))
    assert "'LOCK' (lock)" in result["error"] and "format='pickle'" in result["error"]


def test_a_tool_given_to_the_constructor_is_saved_by_name(tmp_path: Path) -> None:
    code = "import json\nimport re\nimport dspex_nb as dx\n" + TOOL + LM + textwrap.dedent('''
        class WithTool(dx.Module):
            def __init__(self, counter):
                self.counter = counter
                self.qa = dx.Predict("question -> answer")
            def forward(self, question):
                return dx.Prediction(answer=self.qa(question=question).answer,
                                     words=self.counter(question))
        print(json.dumps({"ref": dx.save(WithTool(word_count), "tooled")}))
    ''')
    _run(tmp_path, code)
    document = json.loads((tmp_path / ".dspex/programs/tooled/1/program.json").read_text())
    assert document["program"]["init"]["counter"]["$dspex_tool"] == "word_count"
    result = _load(tmp_path, TOOL, 'dx.load("tooled", trust=True)')
    assert result == {"out": {"answer": "paris", "words": 3}, "style": None}


def test_a_method_local_named_like_a_global_is_not_taken_for_it(tmp_path: Path) -> None:
    _save(tmp_path, extra="answer = object()  # a notebook variable no snapshot could hold\n")
    result = _load(tmp_path, TOOL, 'dx.load("counter", trust=True)')
    assert result["out"] == {"answer": "A: PARIS", "words": 3}


NOTEBOOK = textwrap.dedent('''
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    for cell in json.loads(sys.argv[1]):
        outcome = shell.run_cell(cell)
        if not outcome.success:
            raise SystemExit(f"cell failed: {outcome.error_in_exec or outcome.error_before_exec!r}")
''')

SIGNATURE_CELL = '''
class Answer(dx.Signature):
    """Answer in one word."""

    question: str = dx.InputField()
    {fields}
'''

MODULE_CELL = '''
class Short(dx.Module):
    def __init__(self):
        self.answer = dx.Predict(Answer)

    def forward(self, question: str):
        return self.answer(question=question)
'''


def _run_cells(tmp_path: Path, cells: list[str]) -> str:
    """Run `cells` one by one in an IPython shell, as a notebook kernel would (each cell's
    source kept only in IPython's cache, no file behind it)."""
    script = tmp_path / "kernel.py"
    script.write_text(NOTEBOOK)
    done = subprocess.run([sys.executable, str(script), json.dumps(cells)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_a_class_signature_defined_in_a_notebook_cell_is_saved_with_its_source(
        tmp_path: Path) -> None:
    _run_cells(tmp_path, ["import dspex_nb as dx\n" + LM,
                          SIGNATURE_CELL.format(fields="answer: str = dx.OutputField()"),
                          MODULE_CELL, 'print(dx.save(Short(), "short"))'])
    result = _load(tmp_path, "", 'dx.load("short", trust=True)')
    assert result["out"] == {"answer": "paris"}


def test_a_signature_cell_edited_and_run_again_is_saved_as_it_is_now(tmp_path: Path) -> None:
    old = SIGNATURE_CELL.format(fields="answer: str = dx.OutputField()")
    new = SIGNATURE_CELL.format(fields="answer: str = dx.OutputField()\n    "
                                       "sure: bool = dx.OutputField()")
    _run_cells(tmp_path, ["import dspex_nb as dx\n" + LM, new, old, new, MODULE_CELL,
                          'print(dx.save(Short(), "short"))'])
    saved = json.loads((tmp_path / ".dspex/programs/short/1/program.json").read_text())
    [answer] = [d["source"] for d in saved["code"]["definitions"] if d["name"] == "Answer"]
    assert "sure: bool" in answer
