"""The sweep on a real Dask cluster (issue 11, "Sweeps"): a scheduler and two workers started
here as subprocesses on 127.0.0.1; the traces they record are the local pool's, byte for byte."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import render
from tests.helpers import ROOT

pytest.importorskip("distributed")


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """tcp://127.0.0.1:PORT of a scheduler with two single-threaded workers; torn down always.
    The scheduler unpickles the tasks too (it needs the package), so all run from the repository."""
    tmp = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    sched_file = tmp / "scheduler.json"
    common = dict(cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)], **common)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for i in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                           "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1",
                                           "--memory-limit", "0", "--local-directory", str(tmp / f"w{i}")], **common))
        from distributed import Client
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        _stop(procs[::-1])  # workers first, then the scheduler


@pytest.mark.slow
@pytest.mark.subprocess
def test_dask_traces_equal_local_ones_byte_for_byte(cluster, tmp_path, capsys):
    sweep = ["--compare", "lr=0.1,1.5", "--compare", "batch_size=1,2", "--epochs", "5", "--record-only", "--no-cache"]
    assert render.main([*sweep, "--out", str(tmp_path / "local"), "--jobs", "2"]) == 0
    assert render.main([*sweep, "--out", str(tmp_path / "dask"), "--scheduler", cluster]) == 0
    err = capsys.readouterr().err
    assert f"4 runs on the Dask cluster at {cluster}" in err and "runs 4/4" in err
    local = sorted((tmp_path / "local/runs").glob("*/trace.json"))
    assert len(local) == 4
    for path in local:
        assert (tmp_path / "dask/runs" / path.parent.name / "trace.json").read_bytes() == path.read_bytes(), path
    assert (tmp_path / "dask/runs.csv").read_bytes() == (tmp_path / "local/runs.csv").read_bytes()
