"""``workspace/executeCommand``: the ``inkmod.*`` commands (``inkmod.rewrite`` lives with the
rewrite, in :mod:`.rewrite`; the names are in :mod:`inkmod_lsp.constants`).

Arguments are a single object (named fields grow without breaking callers); the documented
positional forms are accepted too, because that is what a user types in Neovim's
``:lua vim.lsp.buf.execute_command{...}``. Every command returns a JSON object describing what
it did, and says it in a ``window/showMessage`` as well: VS Code shows return values nowhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from inkmod.style.document import block_at

from ..constants import INVALID_PARAMS, REQUEST_FAILED
from ..convert import RewriteRequest
from ..convert import command_arguments as _object
from ..documents import state_positions
from ..progress import Progress
from ..runtime import TrainingError
from ..server import InkmodLanguageServer

log = logging.getLogger(__name__)

HEAVY_MODULES = (
    "llama_cpp",
    "torch",
    "gpt4all",
    "transformers",
    "inkmod.backends",
    "inkmod.generation",
)
"""Modules this process must never import (the model lives in the daemon); ``inkmod.status``
lists any that are loaded, so a test can prove the absence."""


def _fail(message: str, code: int = REQUEST_FAILED) -> JsonRpcException:
    return JsonRpcException(message, code=code)


async def train(ls: InkmodLanguageServer, *args: Any) -> dict[str, Any]:
    """``inkmod.train [{samplesFolder}]``: rebuild the profile from the samples folder (the
    setting, else the folder the profile was trained from), with progress and Cancel."""
    options = _object(args, ("samplesFolder",))
    await ls.runtime.wait_ready()
    folder = options.get("samplesFolder") or ls.settings.samplesFolder
    samples = Path(folder).expanduser() if folder else None
    if samples is not None and not samples.is_absolute() and ls.workspace_root is not None:
        samples = ls.workspace_root / samples
    if samples is not None and not samples.is_dir():
        raise _fail(f"samples folder not found: {samples}", INVALID_PARAMS)
    result = await _with_progress(
        ls,
        f"InkMod: training profile '{ls.settings.profile}'",
        lambda progress: ls.runtime.train(samples, progress),
        "cancelled",
    )
    summary = result.get("summary") or {}
    documents = summary.get("documents", "?")
    words = summary.get("words", "?")
    ls.show(
        f"InkMod: profile '{ls.settings.profile}' trained on {documents} documents ({words} words)."
    )
    return {"profile": ls.settings.profile, **result}


async def _with_progress(
    ls: InkmodLanguageServer,
    title: str,
    work: Callable[[Progress], Awaitable[dict[str, Any]]],
    cancelled: str,
) -> dict[str, Any]:
    """Run a training ``work`` under cancellable work-done progress; its failure is one error
    message and one JSON-RPC error."""
    progress = await Progress.open(ls, title)
    ending = cancelled
    try:
        result = await work(progress)
        ending = "done" if result.get("status", "trained") == "trained" else cancelled
        return result
    except TrainingError as exc:
        ending = str(exc)
        ls.show(f"InkMod: {exc}", "error")
        raise _fail(str(exc)) from exc
    finally:
        progress.end(ending)


async def tune(ls: InkmodLanguageServer, *args: Any) -> dict[str, Any]:
    """``inkmod.tune [{maxMinutes}]``: train the writer's personal model (a LoRA adapter of the
    embedded model) in the daemon, with progress and Cancel (which keeps the checkpoint: the
    next run resumes). Rewrites use the new model as soon as it is complete."""
    options = _object(args, ("maxMinutes",))
    minutes = options.get("maxMinutes", 15.0)
    if not isinstance(minutes, (int, float)) or isinstance(minutes, bool) or minutes <= 0:
        raise _fail("maxMinutes must be a positive number", INVALID_PARAMS)
    await ls.runtime.wait_ready()
    result = await _with_progress(
        ls,
        f"InkMod: training your model ('{ls.settings.profile}')",
        lambda progress: ls.runtime.tune(progress, float(minutes)),
        "cancelled: the checkpoint is kept, run it again to resume",
    )
    adapter = result.get("adapter") or {}
    if result.get("status") == "trained":
        loss = result.get("validation_loss")
        shown = f", validation loss {loss:.3f}" if isinstance(loss, (int, float)) else ""
        ls.show(
            f"InkMod: your model is trained ({result.get('steps')} steps{shown}); "
            f"rewrites now use it. {adapter.get('description', '')}".strip()
        )
    else:
        ls.show("InkMod: training stopped; run it again to resume from the checkpoint.")
    return {"profile": ls.settings.profile, **result}


async def status(ls: InkmodLanguageServer, *args: Any) -> dict[str, Any]:
    """``inkmod.status [{quiet}]``: settings, daemon, profile and documents, as one object
    (and a one-line summary as a message, unless ``quiet``)."""
    options = _object(args, ("quiet",))
    runtime = ls.runtime
    link = runtime.link
    daemon: dict[str, Any] = {"state": link.state.value, "reason": link.reason}
    if link.ready:
        try:
            info = await ls.in_io(link.status)
            daemon.update(
                {
                    k: info.get(k)
                    for k in (
                        "pid",
                        "version",
                        "profile",
                        "samples_dir",
                        "samples_status",
                        "backend",
                        "adapter",
                        "profile_state",
                        "revision",
                        "documents",
                        "clients",
                        "memory_rss",
                        "requests",
                        "log",
                    )
                }
            )
        except Exception as exc:
            daemon["error"] = str(exc)
    result = {
        "server": {"version": ls.version, "pid": _pid(), "memory_rss": _rss()},
        "settings": runtime.settings.to_json(),
        "settingsFrom": ls.loaded.origins,
        "profile": runtime.settings.profile,
        "profileLoaded": runtime.profile is not None,
        "problem": runtime.problem,
        "scorer": runtime.scorer.name if runtime.scorer is not None else None,
        "rewrite": link.unavailable_reason() or "available",
        "daemon": daemon,
        "ignoredFile": str(runtime.ignored.path),
        "documents": [
            {
                "uri": s.uri,
                "languageId": s.language_id,
                "version": s.version,
                "paragraphs": len(s.blocks),
                "drifting": sum(1 for p in s.scored if p.drifting),
                "lastAnalysisMs": round(s.analysis_seconds * 1000, 2),
                "rescored": s.rescored,
            }
            for s in ls.documents.all()
        ],
        "cachedScores": len(runtime.cache),
        "timings": ls.timing_summary(),
        "loadedModules": sorted(m for m in HEAVY_MODULES if m in sys.modules),
    }
    backend = daemon.get("backend") or {}
    model = backend.get("name") if isinstance(backend, dict) else None
    loaded = "loaded" if isinstance(backend, dict) and backend.get("loaded") else "not loaded yet"
    summary = (
        f"InkMod: profile '{runtime.settings.profile}', daemon {link.state.value}"
        + (f", model {model} ({loaded})" if model else "")
        + f"; rewrite {result['rewrite']}."
    )
    if not options.get("quiet"):
        ls.show(summary)
    return result


def _pid() -> int:
    import os

    return os.getpid()


def _rss() -> int | None:
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:
        return None


LIST_MODELS_MODULE = "inkmod.backends.listing"
"""Run as ``python -m``: it imports the backend registry, which this process never does."""


async def _list_models() -> list[dict[str, Any]]:
    """Registered models, listed by a short-lived subprocess: asking the registry imports
    backend plugins, which this process never does."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        LIST_MODELS_MODULE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    if proc.returncode != 0:
        raise RuntimeError(err.decode(errors="replace").strip().splitlines()[-1:] or "failed")
    models: list[dict[str, Any]] = json.loads(out.decode())
    return models


async def select_backend(ls: InkmodLanguageServer, *args: Any) -> dict[str, Any]:
    """``inkmod.selectBackend [name]``: rewrite with another model (restarts the daemon).
    Without a name the user picks from the installed models."""
    options = _object(args, ("backend",))
    name = options.get("backend") or options.get("name")
    if not name:
        try:
            models = await _list_models()
        except Exception as exc:
            raise _fail(f"cannot list the models: {exc}") from exc
        usable = [m["name"] for m in models if m.get("installed") and m.get("weights") is not False]
        if not usable:
            raise _fail("no installed model found (see `inkmod backends --list`)")
        choice = await ls.window_show_message_request_async(
            lsp.ShowMessageRequestParams(
                type=lsp.MessageType.Info,
                message="InkMod: rewrite with which model? "
                f"(now: {ls.settings.backend or 'default'})",
                actions=[lsp.MessageActionItem(title=n) for n in usable[:12]],
            )
        )
        if choice is None:
            return {"backend": ls.settings.backend, "changed": False}
        name = choice.title
    if not isinstance(name, str) or not name.strip():
        raise _fail("inkmod.selectBackend: expected a model name", INVALID_PARAMS)
    ls.backend_choice = name.strip()
    ls.apply_settings(await ls.read_settings())
    await ls.runtime.wait_ready()
    state = ls.runtime.link.state.value
    ls.show(f"InkMod: rewriting with {name} (daemon {state}).")
    return {"backend": name, "changed": True, "daemon": state}


async def restart_daemon(ls: InkmodLanguageServer, *args: Any) -> dict[str, Any]:
    """``inkmod.restartDaemon``: stop the profile's daemon and start a fresh one (also the way
    back after it could not start)."""
    settings = (await ls.read_settings()).settings
    if not settings.daemon:
        raise _fail("the daemon is turned off (setting inkmod.daemon)")
    await ls.runtime.wait_ready()
    await ls.in_io(ls.runtime.link.close)  # first: its stopping is no "lost daemon" to recover
    await ls.in_io(_stop_daemon, settings.profile)
    ls.runtime.start(settings, ls.workspace_root)
    await ls.runtime.wait_ready()
    link = ls.runtime.link
    if link.ready and link.client is not None:
        ls.show(f"InkMod: daemon restarted (pid {link.client.pid}).")
    else:
        ls.show(f"InkMod: {link.unavailable_reason()}", "warning")
    return {
        "state": link.state.value,
        "reason": link.reason,
        "pid": link.client.pid if link.client else None,
    }


def _stop_daemon(profile: str) -> None:
    from inkmod.rpc.client import stop_daemon

    try:
        stop_daemon(profile)
    except Exception as exc:  # not running, or not stoppable: the restart will say
        log.info("stopping the daemon: %s", exc)


async def ignore_paragraph(ls: InkmodLanguageServer, *args: Any) -> dict[str, Any]:
    """``inkmod.ignoreParagraph {uri, hash}`` (or ``{uri, range}``): stop flagging a paragraph.
    Persisted (see ``docs/lsp.md``); editing the paragraph makes it count again."""
    options = _object(args, ("uri", "hash"))
    uri = options.get("uri")
    digest = options.get("hash")
    state = ls.documents.get(uri) if isinstance(uri, str) else None
    if digest is None and state is not None and state.text is not None and "range" in options:
        try:
            request = RewriteRequest.from_data({"uri": uri, "range": options["range"]})
        except ValueError as exc:
            raise _fail(str(exc), INVALID_PARAMS) from exc
        offset = state_positions(ls, state).offset(request.range.start)
        found = block_at(state.blocks, offset)
        digest = found.hash if found is not None else None
    blocks = state.blocks if state is not None else []
    excerpt = next((b.text for b in blocks if b.hash == digest), "")
    if not isinstance(digest, str) or not digest:
        raise _fail("inkmod.ignoreParagraph: expected {uri, hash} or {uri, range}", INVALID_PARAMS)
    try:
        added = await ls.in_io(ls.runtime.ignored.add, digest, excerpt, uri or "")
    except OSError as exc:
        raise _fail(f"cannot save the ignore list: {exc}") from exc
    ls.runtime.bump()
    ls.refresh_all()
    return {"hash": digest, "added": added, "file": str(ls.runtime.ignored.path)}
