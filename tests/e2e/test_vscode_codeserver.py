"""The VS Code extension inside a real VS Code: code-server (VS Code 1.99 for the browser) driven
by headless Chromium through playwright-core.

``make code-server`` installs both from npm into ``.cache/code-server/<version>`` (once; see
``scripts/install-code-server.sh``) and ``make vscode`` builds the ``.vsix``; ``make test`` runs
both before pytest and sets ``INKMOD_REQUIRE_E2E=1`` so that a missing install fails instead of
skipping. The workspace holds Maya's samples and ``mixed.md`` (three paragraphs in another
writer's voice); the model is the deterministic ``lspfake`` plugin loaded into the real daemon
(see ``tests/support/fake_backend.py``), so the extension, the language client, the
server, the daemon and the rewrite engine are all real and the run takes about a minute.

On failure the screenshot is ``<tmp>/shots/failure.png`` (the path is in the message). With
``INKMOD_DOCS_SCREENSHOTS=1`` (``make docs-images``) a passing run refreshes
``docs/images/vscode-diagnostics.png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inkmod_editors_testlib import chromium, missing_tool

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CODE_SERVER_VERSION = os.environ.get("CODE_SERVER_VERSION", "4.99.4")
CACHE = REPO / ".cache" / "code-server" / CODE_SERVER_VERSION
CODE_SERVER = CACHE / "node_modules" / "code-server" / "out" / "node" / "entry.js"
PLAYWRIGHT = CACHE / "node_modules" / "playwright-core"
VSIX = REPO / "editors" / "vscode" / "inkmod-0.1.0.vsix"
DRIVER = Path(__file__).with_name("codeserver_driver.mjs")
FAKE_PLUGIN_DIR = REPO / "tests" / "support"
DOCS_SHOT = REPO / "docs" / "images" / "vscode-diagnostics.png"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

USER_SETTINGS = {
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "extensions.ignoreRecommendations": True,
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "chat.commandCenter.enabled": False,
    "git.enabled": False,
    "editor.minimap.enabled": False,
    "editor.wordWrap": "on",
    "files.autoSave": "off",
}


def _missing() -> str | None:
    if not CODE_SERVER.exists() or not (CACHE / ".installed").exists():
        return f"code-server {CODE_SERVER_VERSION} is not installed (make code-server)"
    if chromium() is None:
        return "no Chromium (make code-server installs chromium-headless-shell)"
    if not VSIX.exists():
        return "the extension is not packaged (make vscode)"
    if shutil.which("node") is None:
        return "no node"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _inkmod() -> str:
    return str(Path(sys.executable).with_name("inkmod"))


@pytest.fixture
def home() -> Iterator[Path]:
    # Short: the daemon's unix socket lives under it.
    path = Path(tempfile.mkdtemp(prefix="inkcs", dir="/tmp"))
    try:
        yield path
    finally:
        env = {**os.environ, "INKMOD_HOME": str(path)}
        env.pop("XDG_RUNTIME_DIR", None)
        for profile in ("maya", "default"):
            subprocess.run(
                [_inkmod(), "daemon", "stop", "--profile", profile],
                env=env,
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def code_server(home: Path, workspace: Path, env: dict[str, str]) -> Iterator[str]:
    """A running code-server on 127.0.0.1 with the extension installed; yields its URL."""
    user_data = home / "cs-user"
    extensions = home / "cs-extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2))
    config = home / "cs-config.yaml"
    config.write_text("bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n")
    common = [
        "node",
        str(CODE_SERVER),
        "--config",
        str(config),
        "--user-data-dir",
        str(user_data),
        "--extensions-dir",
        str(extensions),
    ]
    subprocess.run(
        [*common, "--install-extension", str(VSIX)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    log = (home / "code-server.log").open("w")
    proc = subprocess.Popen(
        [
            *common,
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            "--disable-file-downloads",
            str(workspace),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (home / "code-server.log").read_text()[-3000:]
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert time.monotonic() < deadline, "code-server did not listen within 60 s"
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/?folder={workspace}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        log.close()


def _steps(stdout: str) -> dict[str, dict[str, Any]]:
    steps: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "step" in record:
                steps[record["step"]] = record
    return steps


def test_diagnostics_rewrite_and_train_in_code_server(home: Path) -> None:
    missing = _missing()
    if missing:
        missing_tool(missing)
    workspace = home / "ws"
    workspace.mkdir()
    shutil.copytree(EXAMPLES / "samples" / "maya", workspace / "samples")
    shutil.copy(EXAMPLES / "mixed.md", workspace / "mixed.md")
    (workspace / ".vscode").mkdir()
    (workspace / ".vscode" / "settings.json").write_text(
        json.dumps(
            {
                "inkmod.samplesFolder": "samples",
                "inkmod.profile": "maya",
                "inkmod.backend": "lspfake",
                "inkmod.candidates": 2,
            },
            indent=2,
        )
    )
    # No server setting: the extension must find InkMod in the workspace's .venv (the way it
    # finds a project's own install), with no `inkmod` on PATH.
    venv_bin = workspace / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "inkmod").write_text(f'#!/bin/sh\nexec {_inkmod()} "$@"\n')
    (venv_bin / "inkmod").chmod(0o755)
    before = (workspace / "mixed.md").read_text()
    env = dict(os.environ)
    env.pop("XDG_RUNTIME_DIR", None)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not (Path(p) / "inkmod").exists()
    )
    env.update(
        INKMOD_HOME=str(home),
        INKMOD_DAEMON_PLUGINS="fake_backend",
        PYTHONPATH=os.pathsep.join(filter(None, [str(FAKE_PLUGIN_DIR), env.get("PYTHONPATH")])),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        XDG_DATA_HOME=str(home / "xdg-data"),
        XDG_CACHE_HOME=str(home / "xdg-cache"),
    )
    shots = home / "shots"
    shots.mkdir()
    docs_shot = ""
    if os.environ.get("INKMOD_DOCS_SCREENSHOTS") == "1":
        DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
        docs_shot = str(DOCS_SHOT)
    else:
        docs_shot = str(shots / "diagnostics.png")
    kept = REPO / ".cache" / "e2e-artifacts"
    with code_server(home, workspace, env) as url:
        options = {
            "url": url,
            "chromium": chromium(),
            "playwright": str(PLAYWRIGHT),
            "file": "mixed.md",
            "shots": str(shots),
            "docsShot": docs_shot,
            "userDataDir": str(home / "chromium"),
        }
        started = time.monotonic()
        run = subprocess.run(
            ["node", str(DRIVER), json.dumps(options)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        elapsed = time.monotonic() - started
    steps = _steps(run.stdout)
    if run.returncode != 0:
        # Keep what explains the failure: the temporary home is removed afterwards.
        kept.mkdir(parents=True, exist_ok=True)
        for name in ("failure.png", "diagnostics.png"):
            if (shots / name).exists():
                shutil.copy(shots / name, kept / name)
        shutil.copy(home / "code-server.log", kept / "code-server.log")
        pytest.fail(
            f"code-server run failed after {elapsed:.0f} s: "
            f"{steps.get('error', {}).get('message', run.stderr[-2000:])}\n"
            f"steps: {list(steps)}\nscreenshot and log: {kept}\nstdout: {run.stdout[-3000:]}"
        )
    print(f"code-server driver: {elapsed:.0f} s; steps: {json.dumps(steps, indent=1)}")
    diagnostics = steps["diagnostics"]
    assert diagnostics["count"] >= 2, diagnostics
    actions = steps["code-actions"]["actions"]
    # One action per intent (headings such as "Quick Fix" aside), the paragraph's rewrite first.
    offered = [
        a for a in actions if a in {"Rewrite paragraph in my style", "Ignore this paragraph"}
    ]
    assert offered == ["Rewrite paragraph in my style", "Ignore this paragraph"], actions
    assert "Rewrite in my style" not in actions, actions
    after = (workspace / "mixed.md").read_text()
    assert after != before
    # Only the flagged paragraph changed (the fake model moves it towards Maya's voice).
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False) if a != b
    ]
    assert changed and changed[0][0].startswith("The community garden, it is worth noting"), changed
    logs = "\n".join(
        p.read_text(errors="replace") for p in (home / "cs-user" / "logs").rglob("*InkMod*.log")
    )
    assert "starting the server: " in logs, logs[-2000:]
    assert f"inkmod lsp (the workspace's .venv ({venv_bin / 'inkmod'}))" in logs, logs[-2000:]
    assert "training profile" in steps["train-progress"]["text"]
    assert "trained on" in steps["train-done"]["text"]
