"""`inkmod rewrite`: rewrite a file (or standard input) in your style with a local model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from inkmod.cli.common import DEFAULT_PROFILE, fail
from inkmod.cli.common import err_console as err
from inkmod.generation.rewrite import DEFAULT_K, Candidate, ParagraphRewrite


def register(app: typer.Typer) -> None:
    app.command("rewrite")(rewrite)


def rewrite(
    source: str = typer.Argument("-", help="File to rewrite, or '-' for standard input."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", "-p", help="Style profile name."),
    backend: str | None = typer.Option(
        None, "--backend", "-b", help="Model name (see `inkmod backends --list`)."
    ),
    k: int = typer.Option(DEFAULT_K, "-k", min=1, max=16, help="Candidates per paragraph."),
    stream: bool = typer.Option(False, "--stream", help="Show tokens as they are generated."),
    only_drifting: bool = typer.Option(
        False, "--only-drifting", help="Rewrite only paragraphs whose drift is above the threshold."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the result here instead of standard output."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print candidates and scores as JSON."),
) -> None:
    """Rewrite text in your style: best-of-k candidates per paragraph, re-ranked by drift."""
    from inkmod.backends.registry import DEFAULT_MODEL, create_backend
    from inkmod.generation.personal.serving import personal_setup
    from inkmod.generation.rewrite import rewrite_text
    from inkmod.style.ingest import SkipSample, read_sample
    from inkmod.style.markup import format_for_path
    from inkmod.style.storage import load_profile

    loaded = load_profile(profile)
    if source == "-":
        text, fmt = sys.stdin.read(), "markdown"
    else:
        try:
            sample = read_sample(Path(source))
        except SkipSample as skip:
            raise fail(f"{skip.path}: {skip.reason}") from None
        text, fmt = sample.text, format_for_path(source)
    name = backend or DEFAULT_MODEL
    setup = personal_setup(profile, name)
    err.print(setup.note, highlight=False)
    model = create_backend(name, **setup.options)
    with err.status(f"loading {name}…"):
        model.load()

    def on_token(index: int, piece: str) -> None:
        # The candidates are sampled together, their tokens interleaved: show the first one's.
        if stream and index == 0:
            err.print(piece, end="", style="dim", highlight=False, markup=False)

    def on_candidate(index: int, candidate: Candidate) -> None:
        if stream and index == 0:
            err.print()
        drift = "—" if candidate.drift is None else f"{candidate.drift:.2f}"
        err.print(
            f"  candidate {index + 1}: drift {drift}, content kept {candidate.preservation:.0%}",
            highlight=False,
        )

    def on_paragraph(index: int, total: int, done: ParagraphRewrite) -> None:
        if not done.changed:
            err.print(
                f"paragraph {index + 1}/{total}: kept as it was (drift {done.drift_change}): "
                "no candidate "
                "was both closer to your style and faithful to the original",
                highlight=False,
            )
            return
        err.print(f"paragraph {index + 1}/{total}: drift {done.drift_change}", highlight=False)

    try:
        result = rewrite_text(
            text,
            loaded,
            model,
            fmt=fmt,
            k=k,
            only_drifting=only_drifting,
            on_token=on_token,
            on_candidate=on_candidate,
            on_paragraph=on_paragraph,
            personal=setup.style,
        )
    finally:
        model.close()
    if as_json:
        payload = json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
        if output:
            output.write_text(payload, encoding="utf-8")
        else:
            print(payload)
        return
    if output:
        output.write_text(result.text, encoding="utf-8")
        err.print(f"written to {output}")
    else:
        sys.stdout.write(result.text)
