"""Hostile input and faults, round two (issue 23), for the backtest half of the CLI: sweep pools
capped and dying with their parent, `--scheduler` at addresses where no Dask scheduler answers
(loopback listeners only), damaged metrics, NaN results, repeated parameters.

Processes killed here are real subprocesses and are reaped; listeners bind 127.0.0.1 only.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from feeds.errors import DataError
from tests.unwind.test_hostile_cli import (EPISODE, ROOT, UNWIND, _children, _running,  # noqa: F401
                                           demo, finished_run, leftovers, no_default_store,
                                           one_error_line, store)
from unwind import cluster, scorecard

# 3 trials (the default added) over a fortnight
SWEEP = ["hsi_short_yen_vol", "--grid", "high_volatility=0.08,0.14", "--start", "2024-08-01",
         "--end", "2024-08-15"]


def no_partial(out: Path) -> bool:
    return not out.exists() or not list(out.rglob("*.partial"))


# ------------------------------------------------------------------------------ sweep pools
def test_sweep_jobs_are_capped_like_scores_with_a_note(store, tmp_path, run_cli):
    """`sweep --jobs 24` started 24 processes for 3 trials (score capped the same at 2)."""
    out = tmp_path / "out"
    result = run_cli("sweep", *SWEEP, "--jobs", "24", "--out", str(out))
    assert result.code == 0, result.err
    jobs, note = scorecard.worker_count(24, 3)
    assert f"note: {note}" in result.err.splitlines()
    assert f"3 trials on screen, {jobs} job(s)" in result.out
    assert no_partial(out)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill -9", "SIGTERM"])
def test_sweep_workers_die_with_their_parent(how, demo, tmp_path):
    """kill -9 or SIGTERM of `sweep --jobs 2` left both workers alive in 5 of 7 trials."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("worker processes are found through /proc")
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        [*UNWIND, "sweep", "hsi_short_yen_vol", "--grid", "high_volatility=0.06:0.2:0.01",
         "--jobs", "2", "--store", str(demo), "--out", str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=os.environ | {"XDG_DATA_HOME": str(tmp_path / "data-home")})
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and sweep.poll() is None:
            workers = [pid for pid in _children(sweep.pid) if _running(pid)]
            time.sleep(0.02)
        assert len(workers) == 2, "the pool did not start"
        sweep.send_signal(how)
        sweep.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_running(pid) for pid in workers), "orphaned sweep workers"
    finally:
        sweep.kill()
        sweep.wait()
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


# ------------------------------------------------------------------ --scheduler, loopback only
class _Listener:
    """A loopback TCP listener that answers each connection with `reply(connection)`."""

    def __init__(self, reply):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(4)
        self.address = f"tcp://127.0.0.1:{self.socket.getsockname()[1]}"
        self.reply = reply
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                self.reply(connection)

    def close(self) -> None:
        self.socket.close()


def _silent(connection) -> None:
    time.sleep(1.0)


def _random_bytes(connection) -> None:
    connection.sendall(b"\xff" * 8 + os.urandom(64))   # a frame length of 18 EB
    time.sleep(0.5)


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("reply, message", [
    (_silent, "not a Dask scheduler (it sent nothing in 0.6 s)"),
    (_random_bytes, "not a Dask scheduler (it answered b'\\xff\\xff"),
], ids=["a silent listener", "a listener sending random bytes"])
def test_a_scheduler_address_that_is_not_dask_is_one_line_within_seconds(reply, message,
                                                                          monkeypatch):
    monkeypatch.setattr(cluster, "HANDSHAKE_SECONDS", 0.3)
    listener = _Listener(reply)
    try:
        started = time.monotonic()
        with pytest.raises(DataError, match="not a Dask scheduler") as raised:
            cluster.check_scheduler(listener.address)
        assert message in str(raised.value) and time.monotonic() - started < 3
    finally:
        listener.close()


def test_a_closed_scheduler_port_is_one_line():
    with pytest.raises(DataError, match="cannot reach a Dask scheduler"):
        cluster.check_scheduler(_closed_port())


def test_sweep_and_score_against_an_http_server_fail_fast(store, tmp_path, run_cli, monkeypatch):
    """`python3 -m http.server` at the address hung score and sweep past 120 s."""
    monkeypatch.setattr(cluster, "HANDSHAKE_SECONDS", 0.5)

    class Server(http.server.HTTPServer):
        def handle_error(self, request, client_address) -> None:
            pass   # the check hangs up after the status line

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = Server(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"tcp://127.0.0.1:{server.server_address[1]}"
    try:
        for command in (["sweep", *SWEEP], ["score", "--playbook", "gold_asia_dip", *EPISODE]):
            started = time.monotonic()
            result = run_cli(*command, "--scheduler", address, "--out", str(tmp_path / "out"))
            assert result.code == 1, command
            line = one_error_line(result)
            assert f"--scheduler {address}: not a Dask scheduler (it answered HTTP)" in line
            assert time.monotonic() - started < 5
            assert no_partial(tmp_path / "out")
    finally:
        server.shutdown()
        server.server_close()


def test_a_scheduler_address_without_a_port_is_refused_before_any_work():
    with pytest.raises(DataError, match="expected an address such as tcp://HOST:8786"):
        cluster.check_address("tcp://127.0.0.1")


# ---------------------------------------------------------------------- damaged metrics, NaN
@pytest.mark.parametrize("text, message", [
    ('"annual_return": "12%"', "holds annual_return = '\"12%\"', not a finite number or null"),
    ('"total_return": NaN', "holds total_return = 'NaN', not a finite number or null"),
], ids=["a string metric", "a NaN metric"])
def test_report_refuses_a_metric_that_is_not_a_number(text, message, finished_run, tmp_path,
                                                      run_cli):
    import json

    copy = tmp_path / finished_run.name
    shutil.copytree(finished_run, copy)
    metrics = json.loads((copy / "metrics.json").read_text())
    key, value = text.split(": ")
    metrics[json.loads(key)] = "__VALUE__"
    (copy / "metrics.json").write_text(json.dumps(metrics).replace('"__VALUE__"', value))
    result = run_cli("report", str(copy))
    assert result.code == 1
    line = one_error_line(result)
    assert "is damaged: metrics.json " + message in line, line


def test_report_refuses_an_empty_metrics_json(finished_run, tmp_path, run_cli):
    copy = tmp_path / finished_run.name
    shutil.copytree(finished_run, copy)
    (copy / "metrics.json").write_text("{}")
    result = run_cli("report", str(copy))
    assert result.code == 1
    assert "is damaged: metrics.json has no " in one_error_line(result)


def test_a_nan_result_is_an_error_never_printed_with_exit_0():
    """A GC store with one close of 1e308 printed benchmark `+nan%` and `nan USD`, exit 0."""
    from unwind.rundir import check_finite

    check_finite({"total_return": 0.01, "sharpe_ratio": None, "trades": 2}, "gold_haven_turn")
    with pytest.raises(DataError, match="came out nan for total_return, pnl_usd"):
        check_finite({"total_return": float("nan"), "pnl_usd": float("nan")}, "its benchmark")


# -------------------------------------------------------------------- repeated parameters
@pytest.mark.parametrize("command", [["run", "gold_asia_dip"], ["sweep", *SWEEP]],
                         ids=["run", "sweep"])
def test_a_parameter_given_twice_is_refused(command, store, tmp_path, run_cli):
    """`-p dip=0.01 -p dip=0.02` used 0.02."""
    result = run_cli(*command, "-p", "dip=0.01", "-p", "dip=0.02", "--out", str(tmp_path / "o"))
    assert result.code == 1
    assert "-p 'dip' is given twice; give each once" in one_error_line(result)
    assert not (tmp_path / "o").exists()
