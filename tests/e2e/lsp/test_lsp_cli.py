"""``inkmod lsp`` as a command: its options, and the TCP transport."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
from inkmod_lsp_testlib import INKMOD, cleanup, server_env, short_home

pytestmark = pytest.mark.slow


def test_help_lists_the_options() -> None:
    out = subprocess.run([INKMOD, "lsp", "--help"], capture_output=True, text=True, check=True)
    assert "--tcp" in out.stdout and "--log-file" in out.stdout


def test_tcp_transport() -> None:
    """``inkmod lsp --tcp HOST:PORT`` answers ``initialize`` over a socket."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = short_home()
    proc = subprocess.Popen(
        [INKMOD, "lsp", "--tcp", f"127.0.0.1:{port}"],
        env=server_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.1)
        with conn:
            body = json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
            ).encode()
            conn.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            data = b""
            while b'"serverInfo"' not in data:
                chunk = conn.recv(65536)
                assert chunk, data
                data += chunk
        assert b'"inkmod-lsp"' in data
    finally:
        proc.kill()
        proc.wait(10)
        cleanup(home)
