"""docs/editors.md: its configuration snippets parse, and name only settings the server knows.

The snippets for editors the tests cannot run (Helix, Emacs, Zed, Sublime Text) are at least
checked this far; VS Code and Neovim are exercised for real elsewhere in this directory.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from inkmod_editors_testlib import REPO

from inkmod_lsp.config import KEYS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with tomli
    import tomli as tomllib

DOC = REPO / "docs" / "editors.md"
CLIENT_ONLY = {"server.command", "server.pythonPath", "server.args", "trace.server"}


def blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


SETTINGS_PATHS = (
    ("language-server", "inkmod", "config", "inkmod"),  # Helix
    ("lsp", "inkmod", "settings", "inkmod"),  # Zed
    ("clients", "inkmod", "initializationOptions"),  # Sublime Text
    ("clients", "inkmod", "settings", "inkmod"),
)
"""Where each editor's configuration holds the InkMod settings object."""


def setting_objects(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path in SETTINGS_PATHS:
        value: Any = data
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dict):
            found.append(value)
    return found


def check_keys(objects: list[dict[str, Any]]) -> int:
    for obj in objects:
        unknown = set(obj) - set(KEYS)
        assert not unknown, f"not server settings: {sorted(unknown)}"
    return len(objects)


def test_every_editor_has_a_section_saying_what_was_tested() -> None:
    text = DOC.read_text(encoding="utf-8")
    for editor in ("VS Code", "Neovim", "Helix", "Emacs", "Zed", "Sublime Text"):
        assert re.search(rf"^## {editor}", text, flags=re.M), editor
        assert re.search(rf"^\| {editor} \| .+ \| .+ \|$", text, flags=re.M), editor


def test_toml_snippets_parse_and_use_server_settings() -> None:
    snippets = blocks("toml")
    assert len(snippets) >= 2  # Helix, Zed
    checked = sum(check_keys(setting_objects(tomllib.loads(s))) for s in snippets)
    assert checked >= 1


def test_json_snippets_parse_and_use_server_settings() -> None:
    snippets = blocks("json")
    assert len(snippets) >= 3  # VS Code, Zed, Sublime Text
    checked = 0
    for snippet in snippets:
        data = json.loads(snippet)
        checked += check_keys(setting_objects(data))
        for key in data:
            if key.startswith("inkmod."):
                name = key.removeprefix("inkmod.")
                assert name in KEYS or name in CLIENT_ONLY, key
                checked += 1
    assert checked >= 4  # VS Code's keys, Zed's object, Sublime Text's two


def test_elisp_snippet_is_balanced_and_uses_server_settings() -> None:
    (snippet,) = blocks("elisp")
    code = re.sub(r'"(?:\\.|[^"\\])*"', '""', snippet)  # strings cannot unbalance
    code = re.sub(r";.*", "", code)
    depth = 0
    for char in code:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    plist = re.search(r":inkmod \((.*?)\)", snippet)
    assert plist
    keys = re.findall(r":(\w+)", plist.group(1))
    assert keys and set(keys) <= set(KEYS)


def test_lua_snippets_compile(tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.fail("Neovim is required (make tools)")
    snippets = blocks("lua")
    assert len(snippets) >= 2
    files = []
    for index, snippet in enumerate(snippets):
        path = tmp_path / f"snippet{index}.lua"
        path.write_text(snippet, encoding="utf-8")
        files.append(str(path))
    script = tmp_path / "check.lua"
    out = tmp_path / "out.json"
    script.write_text(
        "local errors = {}\n"
        f"for _, f in ipairs(vim.fn.json_decode('{json.dumps(files)}')) do\n"
        "  local _, err = loadfile(f)\n"
        "  if err then table.insert(errors, err) end\n"
        "end\n"
        f"vim.fn.writefile({{vim.fn.json_encode(errors)}}, '{out}')\n"
        "vim.cmd('qa!')\n",
        encoding="utf-8",
    )
    subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"luafile {script}"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert json.loads(out.read_text(encoding="utf-8")) == []
