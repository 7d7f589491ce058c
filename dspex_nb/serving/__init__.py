"""A program served over HTTP, the smallest real "running application": `program_app`, and
`dspex-nb serve name@version` on the command line."""

from dspex_nb.serving.app import input_names, program_app

__all__ = ["input_names", "program_app"]
