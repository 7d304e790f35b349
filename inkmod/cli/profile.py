"""`inkmod profile list | show | delete`: the stored style profiles."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from inkmod.cli.common import DEFAULT_PROFILE, console, fail

profile_app = typer.Typer(help="List, show and delete style profiles.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")


@profile_app.command("list")
def profile_list() -> None:
    """List stored profiles."""
    from inkmod.style.storage import list_profiles, load_profile, profile_path

    names = list_profiles()
    if not names:
        console.print("no profiles yet: create one with `inkmod train --samples DIR`")
        return
    table = Table("name", "documents", "words", "samples folder", "file")
    for name in names:
        try:
            loaded = load_profile(name)
            table.add_row(
                name,
                str(len(loaded.documents)),
                f"{loaded.totals.n_words:,}",
                loaded.samples_dir or "—",
                str(profile_path(name)),
            )
        except Exception as exc:  # a damaged file must not hide the others
            table.add_row(name, "—", "—", f"[red]{exc}[/]", str(profile_path(name)))
    console.print(table)


@profile_app.command("show")
def profile_show(
    name: str = typer.Argument(DEFAULT_PROFILE, help="Profile name."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show a profile's figures: the five analyses and the training stats."""
    from inkmod.style.storage import load_profile

    loaded = load_profile(name)
    adapter = _adapter_state(name)
    if as_json:
        payload = {"summary": loaded.summary(), "analyses": loaded.analyses(), "adapter": adapter}
        print(json.dumps(payload, indent=2))
        return
    info = loaded.analyses()
    summary = loaded.summary()
    table = Table(title=f"Profile '{name}'", show_header=False)
    table.add_column("figure", style="bold")
    table.add_column("value")
    sent = info["sentences"]
    vocab = info["vocabulary"]
    para = info["paragraphs"]
    table.add_row("samples folder", loaded.samples_dir or "—")
    table.add_row("documents / words", f"{summary['documents']} / {summary['words']:,}")
    table.add_row("sentence length", f"{sent['mean_length']:.1f} ± {sent['sd_length']:.1f} words")
    table.add_row(
        "questions / exclamations", f"{sent['question_rate']:.1%} / {sent['exclamation_rate']:.1%}"
    )
    table.add_row("passive sentences", f"{sent['passive_rate']:.1%}")
    table.add_row(
        "vocabulary", f"{vocab['vocabulary_size']:,} words, MATTR {vocab['mattr'] or 0:.3f}"
    )
    table.add_row("sentences per paragraph", f"{para['mean_sentences']:.1f}")
    table.add_row("dominant tone", str(info["tone"]["dominant"]))
    table.add_row("common phrases", ", ".join(p for p, _ in info["phrases"][:8]) or "—")
    table.add_row("openers", ", ".join(w for w, _ in sent["top_openers"][:8]) or "—")
    table.add_row("style score", f"{summary['style_score']:.2f}")
    table.add_row("personal model", str(adapter.get("description") or adapter.get("kind")))
    console.print(table)


@profile_app.command("delete")
def profile_delete(
    name: str = typer.Argument(..., help="Profile name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a stored profile (your sample files are not touched)."""
    from inkmod.style.storage import delete_profile, profile_path

    path = profile_path(name)
    if not path.exists():
        raise fail(f"no profile named {name!r}")
    if not yes and not typer.confirm(f"delete {path}?"):
        raise typer.Exit(1)
    delete_profile(name)
    console.print(f"deleted profile {name!r}")


def _adapter_state(name: str) -> dict[str, Any]:
    """The personal adapter's state (absent / training N % / ready / stale) as a dict."""
    from inkmod.generation.personal.adapter import adapter_state

    try:
        return adapter_state(name).to_dict()
    except OSError as exc:  # an unreadable adapter folder must not hide the profile
        return {"kind": "error", "description": f"cannot read the personal model: {exc}"}
