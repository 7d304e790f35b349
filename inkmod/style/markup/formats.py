"""Which markup a document is in: from a file suffix (the CLI) or an editor's language id.

This is the one language-id mapping of InkMod: the CLI, the daemon, the rewrite engine and the
language server all go through :func:`canonical_language` / :func:`format_for_language_id` (or
:func:`inkmod.style.document.format_for`, which adds the ``gitcommit``/``asciidoc`` dialects).
"""

from __future__ import annotations

import os

from .core import Format

_SUFFIX_FORMATS: dict[str, Format] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".rst": "restructuredtext",
    ".rest": "restructuredtext",
    ".tex": "latex",
    ".latex": "latex",
}

_LANGUAGE_FORMATS: dict[str, Format] = {
    "markdown": "markdown",
    "mdx": "markdown",
    "restructuredtext": "restructuredtext",
    "rst": "restructuredtext",
    "latex": "latex",
    "tex": "latex",
    "plaintext": "plaintext",
    "asciidoc": "plaintext",
    "gitcommit": "plaintext",
}


LANGUAGE_ALIASES: dict[str, str] = {
    "text": "plaintext",
    "txt": "plaintext",
    "md": "markdown",
    "rst": "restructuredtext",
    "tex": "latex",
    "plaintex": "latex",
    "mdx": "markdown",
    "asciidoctor": "asciidoc",
}
"""Editors' names for the same languages: Neovim sends its filetype (``text``, ``rst``,
``tex``) where VS Code sends the LSP language id (``plaintext``, ``restructuredtext``,
``latex``)."""


def canonical_language(language_id: str | None) -> str:
    """The LSP language id for an editor's name of it (``rst`` -> ``restructuredtext``);
    unknown ids are returned lower-cased, ``None`` or empty is ``plaintext``."""
    lid = (language_id or "plaintext").strip().lower()
    return LANGUAGE_ALIASES.get(lid, lid)


def format_for_path(path: str | os.PathLike[str]) -> Format:
    """Guess the markup of a file from its suffix.

    The CLI reads files from disk with no other hint; unknown suffixes are treated as plain text,
    which is always safe (nothing is dropped that could be prose).
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    return _SUFFIX_FORMATS.get(suffix, "plaintext")


def format_for_language_id(language_id: str) -> Format:
    """Map an LSP ``languageId`` to a :data:`Format`.

    ``asciidoc`` and ``gitcommit`` map to ``"plaintext"``: their markup is light enough that the
    plain-text extractor handles them, given the matching keyword of :func:`extract_prose`, e.g.
    ``extract_prose(text, format_for_language_id(lid), gitcommit=lid == "gitcommit",
    asciidoc=lid == "asciidoc")``. Keeping :data:`Format` to four values means every consumer that
    switches on it stays exhaustive.
    """
    return _LANGUAGE_FORMATS.get(canonical_language(language_id), "plaintext")
