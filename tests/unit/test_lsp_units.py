"""Pure logic of the language server, without a server process: settings, conversions,
paragraphs, the ignore list, the "closer to your style" rule, and the docs staying complete."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from inkmod_lsp_testlib import MIXED, REPO
from lsprotocol import types as lsp

from inkmod.style.document import block_at, parse
from inkmod_lsp import config, convert
from inkmod_lsp.constants import COMMANDS
from inkmod_lsp.convert import RewriteRequest
from inkmod_lsp.ignored import IgnoreList, ignore_file
from inkmod_lsp.paragraphs import Score, judge

# -- settings -------------------------------------------------------------------------------------


def test_settings_layers_in_order(tmp_path: Path) -> None:
    user = tmp_path / "user" / "config.toml"
    user.parent.mkdir()
    user.write_text('profile = "from-user"\nseverity = "hint"\ndebounce_ms = 10\n')
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".inkmod.toml").write_text('[inkmod]\nprofile = "maya"\nsamplesFolder = "notes"\n')
    client = config.client_source("initializationOptions", {"inkmod": {"threshold": 0.8}}, root)
    assert client is not None
    served = config.client_source("workspace/configuration", {"candidates": 5, "bogus": 1}, root)
    assert served is not None
    loaded = config.load_settings(root, [client, served], user_file=user)
    s = loaded.settings
    assert (s.profile, s.severity, s.debounceMs, s.threshold, s.candidates) == (
        "maya",
        "hint",
        10,
        0.8,
        5,
    )
    assert s.samplesFolder == str(root / "notes")  # relative to the file that set it
    assert loaded.origins["profile"] == ".inkmod.toml"
    assert loaded.origins["candidates"] == "workspace/configuration"
    assert loaded.problems == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("threshold", 2),
        ("threshold", "high"),
        ("candidates", 0),
        ("severity", "loud"),
        ("languages", "markdown"),
        ("daemon", "yes"),
        ("samplesFolder", 3),
    ],
)
def test_bad_values_are_reported_and_ignored(key: str, value: object) -> None:
    loaded = config.merge([config.SettingsSource("test", {key: value})])
    assert loaded.settings == config.Settings()
    assert len(loaded.problems) == 1 and key in loaded.problems[0]


def test_broken_toml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".inkmod.toml").write_text("profile = [unclosed\n")
    loaded = config.load_settings(tmp_path, [], user_file=tmp_path / "missing.toml")
    assert loaded.settings == config.Settings()
    assert "cannot read settings" in loaded.problems[0]


# -- positions and edits --------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "expected"), [("utf-16", 4), ("utf-32", 3), ("utf-8", 6)])
def test_positions_in_every_encoding(encoding: str, expected: int) -> None:
    text = "first\r\nab😀c\n"
    positions = convert.Positions(text, encoding)
    offset = text.index("c")
    assert positions.position(offset) == lsp.Position(1, expected)
    assert positions.offset(lsp.Position(1, expected)) == offset


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("The cat sat on the mat.", "The cat lay on the mat!"),
        ("Entirely one thing.", "Something else altogether, with more words."),
        ("same", "same"),
        ("", "new"),
        ("gone", ""),
        ("a  b\tc", "a b c"),
    ],
)
def test_minimal_replacements_reproduce_the_new_text(old: str, new: str) -> None:
    replacements = convert.minimal_replacements(old, new, base=10)
    text = "x" * 10 + old
    for r in sorted(replacements, key=lambda r: -r.start):
        text = text[: r.start] + r.new + text[r.end :]
    assert text == "x" * 10 + new


def test_similar_text_gets_word_sized_edits() -> None:
    old = "Honestly, the tomatoes split again after all that rain last week."
    new = "Honestly, the tomatoes cracked again after all that rain last week."
    (only,) = convert.minimal_replacements(old, new)
    assert (old[only.start : only.end], only.new) == ("split", "cracked")


def test_workspace_edit_is_pinned_to_the_version() -> None:
    edit = convert.workspace_edit("file:///d.md", 7, [], document_changes=True)
    assert edit.document_changes is not None
    change = edit.document_changes[0]
    assert isinstance(change, lsp.TextDocumentEdit) and change.text_document.version == 7
    plain = convert.workspace_edit("file:///d.md", 7, [], document_changes=False)
    assert plain.changes == {"file:///d.md": []}


# -- paragraphs -----------------------------------------------------------------------------------


def test_blocks_have_source_ranges_and_hashes() -> None:
    text = MIXED.read_text(encoding="utf-8")
    blocks = parse(text, "markdown")
    assert len(blocks) == 12  # the title and the HTML comment are not prose
    for block in blocks:
        assert text[block.start : block.end].startswith(block.text[:20])
    assert block_at(blocks, blocks[2].start + 3) is blocks[2]
    assert block_at(blocks, 0) is None  # the title


def test_gitcommit_comments_are_not_prose() -> None:
    message = (
        "Fix the watering schedule\n\n"
        "The queue at the spigot was getting long, so now everybody signs up for a slot.\n\n"
        "# Please enter the commit message for your changes. Lines starting\n"
        "# with '#' will be ignored, and an empty message aborts the commit.\n"
    )
    texts = [b.text for b in parse(message, "gitcommit")]
    assert texts == [
        "The queue at the spigot was getting long, so now everybody signs up for a slot."
    ]


def test_judge_applies_threshold_and_ignores() -> None:
    blocks = parse("One paragraph here.\n\nAnother one there.\n", "markdown")
    scores = {blocks[0].hash: Score(0.99, 30, ("r",)), blocks[1].hash: Score(0.99, 30, ("r",))}
    judged = judge(blocks, scores, 0.95, frozenset({blocks[1].hash}))
    assert [j.drifting for j in judged] == [True, False]
    assert judged[1].ignored


def test_the_server_applies_the_daemons_verdict_and_nothing_else() -> None:
    """Bug 1: a candidate the daemon rejected (``changed: False``) is never applied, however
    close to the writer it is."""
    from inkmod.rpc.protocol import BlockVerdict, CandidateReport, RewriteResult
    from inkmod_lsp.features.rewrite import apply_verdicts

    original = "First item here.\n- Second item here."
    unrelated = CandidateReport("My cat again!", 0.1, 0.0, 0.9, 4, 0.1, "stop", -2.0)
    kept = BlockVerdict(
        False,
        "First item here.",
        "First item here.",
        0,
        16,
        1.0,
        1.0,
        1.0,
        5.0,
        5.0,
        "none of the 1 rewrites was faithful",
        [unrelated],
    )
    changed = BlockVerdict(
        True, "Second one!", "Second item here.", 19, 36, 1.0, 0.5, 0.6, 5.0, 1.0, None, []
    )
    text, report = apply_verdicts(original, RewriteResult(original, [kept, changed]))
    assert text == "First item here.\n- Second one!"
    assert [r["changed"] for r in report] == [False, True]
    assert report[1]["rewrite"] == {"score": 0.5, "surprise": 1.0}


def test_rewrite_request_round_trip() -> None:
    request = RewriteRequest(
        "file:///d.md", lsp.Range(lsp.Position(1, 2), lsp.Position(3, 4)), 9, "selection"
    )
    assert RewriteRequest.from_data(json.loads(json.dumps(request.to_data()))) == request
    with pytest.raises(ValueError):
        RewriteRequest.from_data({"uri": "file:///d.md", "range": {"start": {}}})


# -- ignore list ----------------------------------------------------------------------------------


def test_ignore_list_persists(tmp_path: Path) -> None:
    path = ignore_file(tmp_path)
    assert path == tmp_path / ".inkmod" / "ignored.json"
    first = IgnoreList(path)
    assert first.add("abc", "An excerpt", "file:///d.md")
    assert not first.add("abc")
    assert IgnoreList(path).hashes() == frozenset({"abc"})
    path.write_text("{ not json")
    damaged = IgnoreList(path)
    assert damaged.hashes() == frozenset() and damaged.problem


# -- docs -----------------------------------------------------------------------------------------


def test_docs_cover_every_setting_and_command() -> None:
    docs = (REPO / "docs" / "lsp.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(config.Settings):
        assert re.search(rf"`{field.name}`", docs), f"docs/lsp.md does not document {field.name}"
    for name in COMMANDS:
        assert f"`{name}`" in docs, f"docs/lsp.md does not document {name}"


def test_editor_language_names_are_aliases() -> None:
    from inkmod.style.document import canonical_language, format_for, markup_format

    assert [canonical_language(x) for x in ("text", "rst", "tex", "Markdown")] == [
        "plaintext",
        "restructuredtext",
        "latex",
        "markdown",
    ]
    assert format_for("rst") == "restructuredtext"
    assert format_for("gitcommit") == "gitcommit"
    assert markup_format("gitcommit") == "plaintext"
    assert format_for("md") == format_for("mdx") == "markdown"
