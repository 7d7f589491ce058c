"""`dx.dashboard(source=url)` watching another process's metrics endpoint: its calls arrive,
it is "disconnected" when that process dies and "live" again when it comes back. The other
process is a real one serving `dx.telemetry.serve`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import dspex_nb as dx
from dspex_nb.telemetry.remote import RemoteMetrics, combined
from dspex_nb.views.widgets.dashboard import Dashboard
from tests.support.metrics_app import MetricsApp
from tests.support.processes import free_port


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[list[MetricsApp]]:
    started: list[MetricsApp] = []
    yield started
    for app in started:
        app.stop()


def _until(check: Callable[[], bool], refresh: Callable[[], object]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        refresh()
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the dashboard did not get there within 30 s")


def test_a_dashboard_follows_a_process_that_dies_and_comes_back(
        tmp_path: Path, apps: list[MetricsApp]) -> None:
    port = free_port()
    apps.append(MetricsApp(tmp_path, port, calls=3))
    board = Dashboard(source=apps[0].url, interval=3600)  # refreshed by hand here
    try:
        _until(lambda: board.stats["totals"]["calls"] == 3, board.refresh)
        assert [s["state"] for s in board.sources] == ["live"]
        assert len(board.latency_points) == 3

        apps[0].stop()
        _until(lambda: board.sources[0]["state"] == "disconnected", board.refresh)
        assert board.sources[0]["retry_in_s"] > 0 and board.sources[0]["error"]
        assert board.stats["totals"]["calls"] == 3  # the last figures stay on screen

        apps.append(MetricsApp(tmp_path, port, calls=5))  # restarted: a new process, same port
        _until(lambda: board.sources[0]["state"] == "live", board.refresh)
        assert board.stats["totals"]["calls"] == 5
        assert len(board.latency_points) == 5
    finally:
        board.close()


def test_several_processes_are_summed_with_a_row_each(
        tmp_path: Path, apps: list[MetricsApp]) -> None:
    apps += [MetricsApp(tmp_path, free_port(), calls=2, model="a"),
             MetricsApp(tmp_path, free_port(), calls=4, model="b")]
    board = Dashboard(source=[a.url for a in apps], interval=3600)
    try:
        _until(lambda: board.stats["totals"]["calls"] == 6, board.refresh)
        rows = {m["model"]: m["calls"] for m in board.stats["models"]}
        assert rows == {f"a ({apps[0].url[7:]})": 2, f"b ({apps[1].url[7:]})": 4}
        assert len({p["seq"] for p in board.latency_points}) == 6
    finally:
        board.close()


def test_a_source_must_be_an_http_url() -> None:
    with pytest.raises(dx.ArgumentError, match="http"):
        dx.dashboard(source="127.0.0.1:9464")
    with pytest.raises(dx.ArgumentError, match="non-empty list"):
        dx.dashboard(source=[])


def test_an_endpoint_that_is_not_ours_is_disconnected_not_an_error(
        tmp_path: Path) -> None:
    remote = RemoteMetrics(f"http://127.0.0.1:{free_port()}")
    assert remote.poll() is True
    assert remote.state == "disconnected" and remote.retry_in_s == 0.5
    assert remote.poll() is False  # backing off: not asked again yet
    assert combined([remote])["totals"]["calls"] == 0
    remote.close()
