"""`dspex-nb jupyter enable|disable`: the kernel config block, and real kernels that load the
magics with no `%load_ext` after enabling, and not after disabling."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from dspex_nb import jupyter_config
from dspex_nb.errors import ArgumentError
from tests.support.jupyter_lab import jupyter_cli

ROOT = Path(__file__).resolve().parent.parent



@pytest.fixture
def ipython_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return tmp_path / "ipython"


def test_enable_writes_the_block_to_the_user_profile(ipython_dir: Path) -> None:
    path = jupyter_config.enable("user")
    assert path == ipython_dir / "profile_default" / "ipython_kernel_config.py"
    assert path.read_text() == jupyter_config.BLOCK
    assert jupyter_config.is_enabled("user")


def test_enable_twice_adds_one_block(ipython_dir: Path) -> None:
    jupyter_config.enable("user")
    path = jupyter_config.enable("user")
    assert path.read_text().count("extensions.append") == 1


def test_enable_keeps_what_the_file_held(ipython_dir: Path) -> None:
    path = ipython_dir / "profile_default" / "ipython_kernel_config.py"
    path.parent.mkdir(parents=True)
    path.write_text("c.InteractiveShellApp.exec_lines = ['x = 1']")
    jupyter_config.enable("user")
    assert path.read_text().startswith("c.InteractiveShellApp.exec_lines = ['x = 1']\n# >>>")


def test_disable_removes_only_the_block(ipython_dir: Path) -> None:
    path = ipython_dir / "profile_default" / "ipython_kernel_config.py"
    path.parent.mkdir(parents=True)
    path.write_text("before = 1\n")
    jupyter_config.enable("user")
    path.write_text(path.read_text() + "after = 2\n")
    jupyter_config.disable("user")
    assert path.read_text() == "before = 1\nafter = 2\n"
    assert not jupyter_config.is_enabled("user")


def test_disable_deletes_a_file_left_empty(ipython_dir: Path) -> None:
    path = jupyter_config.enable("user")
    jupyter_config.disable("user")
    assert not path.exists()


def test_unknown_scope_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="scope is one of user, sys-prefix"):
        jupyter_config.config_file("global")


def test_repository_file_is_the_block_enable_writes() -> None:
    shipped = ROOT / "jupyter-config" / "ipython_kernel_config.py"
    assert shipped.read_text() == jupyter_config.BLOCK


def test_cli_status_names_both_scopes(ipython_dir: Path) -> None:
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
    jupyter_cli(env, "enable", "--user")
    out = jupyter_cli(env, "status")
    assert out.splitlines()[0].split()[:2] == ["user", "enabled"]
    assert out.splitlines()[1].startswith("sys-prefix")


# -- real kernels ----------------------------------------------------------------------------
PREDICT = '%%predict "question -> answer"\nWhat is {x}?'


def _run_in_kernel(env: dict[str, str], cells: list[str]) -> list[dict[str, Any]]:
    """Start a python3 kernel with `env`, run the cells, return each cell's reply content
    with the text it showed (`shown`)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=env, startup_timeout=120)
    try:
        replies = []
        for cell in cells:
            shown: list[str] = []

            def hook(msg: dict[str, Any], shown: list[str] = shown) -> None:
                content = msg["content"]
                if msg["msg_type"] == "stream":
                    shown.append(content["text"])
                elif msg["msg_type"] in ("execute_result", "display_data"):
                    shown.append(content["data"].get("text/plain", ""))
                elif msg["msg_type"] == "error":
                    shown.extend(content["traceback"])

            reply = kc.execute_interactive(cell, timeout=120, output_hook=hook)
            replies.append({**reply["content"], "shown": "".join(shown)})
        return replies
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.integration
def test_enabled_kernels_have_the_magics_and_disabled_ones_do_not(ipython_dir: Path,
                                                                   tmp_path: Path) -> None:
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir), "DSPEX_CACHE_DIR": str(tmp_path)}
    if jupyter_config.is_enabled("sys-prefix"):
        pytest.fail("this environment enables dspex_nb for every kernel (dspex-nb jupyter "
                    "disable --sys-prefix): the disabled case cannot be tested")
    setup = "import dspex_nb as dx\ndx.configure(lm=dx.ScriptedLM([{'answer': 'forty-two'}]))"
    jupyter_cli(env, "enable", "--user")
    enabled = _run_in_kernel(env, [setup, PREDICT, "%%signature Bad\nno arrow here"])
    assert enabled[1]["status"] == "ok", enabled[1]["shown"]
    assert "forty-two" in enabled[1]["shown"]
    assert enabled[2]["status"] == "error"  # the cell fails, shown as the error's text alone
    assert enabled[2]["traceback"][0].startswith("SignatureError: a signature needs '->'")
    assert "Traceback" not in enabled[2]["shown"]

    jupyter_cli(env, "disable", "--user")
    disabled = _run_in_kernel(env, [setup, PREDICT])
    assert disabled[1]["status"] == "error"
    assert "Cell magic `%%predict` not found" in disabled[1]["evalue"]
