""" "InkMod: Train my model" (``inkmod.tune``) through the real server, daemon and model.

The server asks the daemon to train the personal adapter on Maya's samples (real peft on the
real embedded SmolLM2, capped at a few seconds of training so CI stays short), reports work-done
progress with steps and loss, and the daemon then applies the adapter: ``inkmod.status`` says so
and the next rewrite is written by the personal model. Slow: loading the base model for training
takes ~20 s, the export and the llama.cpp reload a few more.
"""

from __future__ import annotations

import pytest
from inkmod_lsp_testlib import (
    FOREIGN,
    MIXED,
    cleanup,
    command,
    open_document,
    paragraphs,
    session,
    short_home,
    startup_finished,
    wait_until,
    workspace,
)
from lsprotocol import types as lsp

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

TEXT = MIXED.read_text(encoding="utf-8")
LINE = paragraphs(TEXT)[FOREIGN[0] - 1][0]


def _progress_messages(client: object) -> list[str]:
    out = []
    for reports in client.progress_reports.values():  # type: ignore[attr-defined]
        for report in reports:
            message = getattr(report, "message", None)
            if message:
                out.append(str(message))
    return out


async def test_train_my_model_then_rewrite_with_it() -> None:
    home = short_home()
    root = workspace(home)
    settings = {"profile": "maya", "samplesFolder": "samples", "candidates": 1}
    try:
        async with session("visual-studio-code", home, root, settings, fake=False) as client:
            await wait_until(lambda: startup_finished(client), 120, "start-up")
            before = await command(client, "inkmod.status")
            assert before["daemon"]["adapter"]["kind"] == "absent", before

            result = await command(client, "inkmod.tune", {"maxMinutes": 0.2})
            assert result["status"] == "trained", result
            assert result["steps"] >= 1
            assert result["adapter"]["kind"] == "ready"
            messages = _progress_messages(client)
            assert any(m.startswith("step ") and "loss" in m for m in messages), messages

            status = await command(client, "inkmod.status")
            adapter = status["daemon"]["adapter"]
            assert adapter["usable"] and adapter["in_use"], adapter

            uri = (root / "mixed.md").as_uri()
            open_document(client, uri, TEXT)
            await wait_until(lambda: client.diagnostics.get(uri), 60, "diagnostics")
            cursor = lsp.Range(lsp.Position(LINE, 0), lsp.Position(LINE, 0))
            actions = await client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=cursor,
                    context=lsp.CodeActionContext(diagnostics=[]),
                )
            )
            rewrite = next(a for a in actions or [] if "Rewrite" in a.title)
            try:
                resolved = await client.code_action_resolve_async(rewrite)
            except Exception as exc:  # a 1-step adapter may write nothing faithful: kept is fine
                assert "nothing was changed" in str(exc) or "kept" in str(exc), exc
            else:
                assert resolved.data["result"]["model"] == "personal model", resolved.data
    finally:
        cleanup(home)
