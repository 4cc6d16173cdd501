"""--serve on a port already in use says so at once: the port is bound before the default run
is recorded (torch's start took two seconds before the refusal)."""
from __future__ import annotations

import socket

import pytest

from scenes.web import serve
from training.errors import InputError


def test_a_busy_port_is_refused_before_anything_is_recorded(monkeypatch):
    warmed = []
    monkeypatch.setattr(serve, "warm", lambda app: warmed.append(app) or 0.0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"cannot serve on 127.0.0.1:{port}"):
            serve.run_server(port=port, say=lambda msg: None)
    assert warmed == []  # nothing recorded: the refusal came first
