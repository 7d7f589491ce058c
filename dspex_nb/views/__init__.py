"""The presentation layer: how results and long runs show themselves, in a terminal and in a
notebook. Nothing below imports from here except `registry` (stdlib only), the seam through
which a running evaluation, optimization or experiment asks for its live view.

- `registry.py`: `open_view(kind, run, display)` for lifecycle code; factories registered here.
- `_protocols.py`: what a live view may read of the run it shows.
- `live.py`: the base of every live view (terminal and notebook): attach to events, filter.
- `terminal.py`: progress bar and step logs on stderr.
- `notebook.py`: in IPython, results display as widgets and runs open live widgets.
- `widgets/`: the anywidget classes; their JS is built from `js/` into `widgets/static/`.
"""
