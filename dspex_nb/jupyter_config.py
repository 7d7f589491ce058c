"""Which Jupyter kernels load the magics at start: `dspex-nb jupyter enable|disable|status`.

An IPython kernel reads `ipython_kernel_config.py` from the user's profile
(`~/.ipython/profile_default/`, or `$IPYTHONDIR`) and from `<sys.prefix>/etc/ipython/`.
`enable` adds one marked block to that file (made if missing), which *appends* dspex_nb to the
kernel's extensions, so it composes with extensions configured elsewhere; `disable` removes
exactly that block. `jupyter-config/ipython_kernel_config.py` in the repository is the same
block, for images that copy config files instead of running a command.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dspex_nb._atomic import write_atomic
from dspex_nb.errors import ArgumentError

FILE = "ipython_kernel_config.py"
BEGIN = "# >>> dspex_nb >>> (added by `dspex-nb jupyter enable`; `disable` removes it)"
END = "# <<< dspex_nb <<<"
BLOCK = f'{BEGIN}\nc.InteractiveShellApp.extensions.append("dspex_nb")\n{END}\n'
SCOPES = ("user", "sys-prefix")


def default_scope() -> str:
    """This environment's own config when Python runs in a virtualenv or conda environment
    (what `jupyter lab` started from it reads), else the user's."""
    in_env = sys.prefix != sys.base_prefix or (Path(sys.prefix) / "conda-meta").is_dir()
    return "sys-prefix" if in_env else "user"


def config_file(scope: str | None = None) -> Path:
    scope = scope or default_scope()
    if scope == "user":
        from IPython.paths import get_ipython_dir

        return Path(get_ipython_dir()) / "profile_default" / FILE
    if scope == "sys-prefix":
        return Path(sys.prefix) / "etc" / "ipython" / FILE
    raise ArgumentError(f"scope is one of {', '.join(SCOPES)}, not {scope!r}")


def _text(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def is_enabled(scope: str | None = None) -> bool:
    return BEGIN in _text(config_file(scope))


def enable(scope: str | None = None) -> Path:
    """Add the block (once) to the scope's kernel config; the file it is in."""
    path = config_file(scope)
    text = _text(path)
    if BEGIN in text:
        return path
    if text and not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (text + BLOCK).encode())
    return path


def disable(scope: str | None = None) -> Path:
    """Remove the block; the file is deleted when nothing else is left in it."""
    path = config_file(scope)
    text = _text(path)
    if BEGIN not in text:
        return path
    start = text.index(BEGIN)
    end = text.index(END, start) + len(END)
    rest = (text[:start] + text[end:].removeprefix("\n")).strip()
    if rest:
        write_atomic(path, (rest + "\n").encode())
    else:
        path.unlink()
    return path
