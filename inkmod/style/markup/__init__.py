"""Markup-aware prose extraction that keeps a map back to the original text.

Why this module exists: the style engine should measure only what the author wrote as prose -- not
code, URLs, front matter or LaTeX math -- but the language server must put its diagnostics on exact
ranges of the *original* document. So every extractor here returns :class:`ProseBlock` objects whose
``char_map`` ties each extracted character to its offset in the source, and :class:`LineIndex` turns
those offsets into LSP ``(line, character)`` positions.

Shared design rules (each one exists so that a diagnostic can always be mapped back):

* Characters copied from the source map to their own offset. A *synthesised* character (the one
  space a run of whitespace or a line break collapses to, ``~`` in LaTeX, ``---`` turned into ``—``,
  an HTML entity) maps to the source offset of the first character it replaces, so ``char_map`` is
  monotonically non-decreasing within a block.
* Markup that is not prose is dropped together with its content: code (fenced, indented, inline),
  math, tables, HTML blocks, directives, front matter, URLs, citations and cross-references.
* Footnote bodies are prose the author wrote but not part of the sentence that references them, so
  in every format a footnote becomes its *own* ``"paragraph"`` block (Markdown ``[^x]: text``, rST
  ``.. [1] text``, LaTeX ``\\footnote{text}``). The reference marker itself is removed. A LaTeX
  footnote's range lies inside the range of the block that contains the ``\\footnote``; blocks are
  always returned ordered by ``source_start``.
* Every extractor is total (nothing raises; an editor sends half-typed documents on every
  keystroke: an unterminated fence is code until the end of the document, unterminated LaTeX math
  or arguments end at the next blank line) and linear in time (``python -m benchmarks markup``
  prints t(4n)/t(n); ``tests/robustness/test_linear_markup.py`` bounds it). As a last line of
  defence :func:`extract_prose` falls back to plain-text paragraphs if a parser ever fails,
  because a crashing language server is worse than a coarse diagnostic.
* Libraries where they keep exact offsets, hand-written code where they measurably cannot (each
  module's docstring says which and why): Markdown's block structure is markdown-it-py's
  (CommonMark 0.31.2, with mdit-py-plugins for footnotes and front matter), its inline markup is
  parsed here because markdown-it-py's inline tokens carry no positions.

Per-format decisions:

* Markdown: link text is kept, URLs, autolinks, images (alt text included) and footnote references
  are dropped; ``<br>`` becomes a space; entities are decoded; a whole contiguous list is one
  ``"list"`` block (a new bullet character starts a new list, as in CommonMark); everything inside
  a block quote is ``"quote"``.
* reStructuredText: every explicit markup block (directives, admonitions included, comments,
  targets, substitution definitions) is skipped -- one simple rule -- except footnotes/citations.
  Roles keep their text (``:ref:`Title <x>``` -> ``Title``, ``:meth:`~a.b``` -> ``b``) except the
  code and math roles (``math code literal samp kbd raw eq``). Field lists are ``"list"`` blocks of
  their bodies (field names are metadata). A definition list gives its term and its definition as
  separate blocks.
* LaTeX: only the ``document`` body, if there is one. ``\\texttt`` and ``\\verb`` are code, so they
  are dropped like citations, references, labels, URLs and graphics; ``\\href`` keeps its text;
  ``\\emph``, ``\\textbf`` and unknown commands are dropped but the text of their ``{..}`` groups is
  kept. Math, floats (with their captions), tabulars and verbatim-like environments are dropped;
  ``quote``/``quotation``/``verse`` give ``"quote"`` blocks, ``itemize``/``enumerate``/
  ``description`` one ``"list"`` block (an ``\\item[label]`` keeps its label). Typography becomes
  the characters it prints (`` `` `` -> “, ``''`` -> ”, ``--`` -> –, ``---`` -> —, ``~`` -> space,
  accents composed); a lone ``'`` stays an apostrophe. Unlike TeX, a space after a control word is
  kept: ``\\LaTeX is`` means "LaTeX is" to its author.
* Plain text: paragraphs split at blank lines; the ``gitcommit`` and ``asciidoc`` keywords of
  :func:`extract_prose` add those dialects.

Layout: :mod:`.core` (the result type, the block builder, line and offset helpers,
:class:`LineIndex`), :mod:`.formats` (file suffixes and editors' language ids), one module per
grammar (:mod:`.markdown` with its inline parser :mod:`.markdown_inline`, :mod:`.rst`,
:mod:`.latex`, :mod:`.plain` with :mod:`.gitcommit` and :mod:`.asciidoc`), and :mod:`.extract`
(the entry point with its safety net).
"""

from __future__ import annotations

from .core import Format, LineIndex, ProseBlock
from .extract import _extract_strict, extract_prose
from .formats import canonical_language, format_for_language_id, format_for_path
from .latex import _Latex
from .markdown import _Markdown
from .rst import _Rst

__all__ = [
    "Format",
    "LineIndex",
    "ProseBlock",
    "_Latex",
    "_Markdown",
    "_Rst",
    "_extract_strict",
    "canonical_language",
    "extract_prose",
    "format_for_language_id",
    "format_for_path",
]
