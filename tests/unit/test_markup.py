"""Tests for inkmod.style.markup: prose extraction that maps every character back to the source.

The language server puts diagnostics on source ranges computed from ``ProseBlock.char_map``, so
besides the extracted text every example also checks the mapping itself (``assert_maps``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkmod.style import markup
from inkmod.style.markup import (
    LineIndex,
    ProseBlock,
    extract_prose,
    format_for_language_id,
    format_for_path,
)

# Synthesised characters and the source text they stand for (they map to its first character).
LATEX_SYNTHETIC = {
    "–": "--",
    "—": "---",
    "“": "``",
    "”": "''",
    "‘": "`",
    "…": "\\",
    "é": "\\'",
    "ï": '\\"',
    "ç": "\\c",
}
# Besides whitespace, a space in LaTeX output may come from ~, \\, \item, \, or an item label's "]".
LATEX_SPACES = "~\\]"


def assert_maps(
    source: str,
    block: ProseBlock,
    *,
    synthetic: dict[str, str] | None = None,
    spaces_from: str = "",
) -> None:
    """Every character of ``block.text`` must come from ``source[char_map[i]]``.

    Exceptions are synthesised characters: a space (a collapsed whitespace run, which must map to
    whitespace or to one of ``spaces_from``) and the replacements in ``synthetic``, whose source
    text must start at ``char_map[i]``.
    """
    text, cmap = block.text, block.char_map
    assert text, "empty blocks are dropped"
    assert text == text.strip() and "  " not in text
    assert len(cmap) == len(text) + 1
    assert list(cmap) == sorted(cmap), "char_map must be non-decreasing"
    assert cmap[0] >= 0 and cmap[-1] <= len(source)
    assert cmap[-1] > cmap[-2]
    for i, ch in enumerate(text):
        origin = source[cmap[i]]
        if ch == " ":
            assert origin.isspace() or origin in spaces_from, (i, origin, text)
        elif synthetic is not None and ch in synthetic:
            assert source.startswith(synthetic[ch], cmap[i]), (i, ch, text)
        else:
            assert origin == ch, (i, ch, origin, text)


def extract(
    source: str,
    fmt: str,
    *,
    synthetic: dict[str, str] | None = None,
    spaces_from: str = "",
    **options: bool,
) -> list[tuple[str, str]]:
    """(kind, text) of every block, after checking every block's mapping.

    Uses the parser without the plain-text safety net, so a parser bug cannot hide behind it.
    """
    blocks = markup._extract_strict(source, fmt, **options)
    for block in blocks:
        assert_maps(source, block, synthetic=synthetic, spaces_from=spaces_from)
    assert [b.source_start for b in blocks] == sorted(b.source_start for b in blocks)
    return [(b.kind, b.text) for b in blocks]


def texts(source: str, fmt: str, *, gitcommit: bool = False) -> list[str]:
    return [text for _kind, text in extract(source, fmt, gitcommit=gitcommit)]


# --------------------------------------------------------------------------------------------------
# Format detection
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("notes.md", "markdown"),
        ("NOTES.MARKDOWN", "markdown"),
        ("page.mdx", "markdown"),
        ("docs/index.rst", "restructuredtext"),
        ("old.rest", "restructuredtext"),
        ("paper.tex", "latex"),
        ("paper.LaTeX", "latex"),
        ("letter.txt", "plaintext"),
        ("README", "plaintext"),
        ("book.adoc", "plaintext"),
        (Path("/tmp/dir.md/file.tex"), "latex"),
        (Path("chapter.md"), "markdown"),
    ],
)
def test_format_for_path(path: str | Path, expected: str) -> None:
    assert format_for_path(path) == expected


@pytest.mark.parametrize(
    ("language_id", "expected"),
    [
        ("markdown", "markdown"),
        ("Markdown", "markdown"),
        ("restructuredtext", "restructuredtext"),
        ("latex", "latex"),
        ("tex", "latex"),
        ("plaintext", "plaintext"),
        ("asciidoc", "plaintext"),
        ("gitcommit", "plaintext"),
        ("python", "plaintext"),
        ("", "plaintext"),
    ],
)
def test_format_for_language_id(language_id: str, expected: str) -> None:
    assert format_for_language_id(language_id) == expected


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def test_markdown_paragraphs_join_hard_wrapped_lines() -> None:
    source = "First line\nsecond  line.\n\n\nNext\tparagraph."
    assert extract(source, "markdown") == [
        ("paragraph", "First line second line."),
        ("paragraph", "Next paragraph."),
    ]


def test_markdown_char_map_is_exact() -> None:
    (block,) = markup._extract_strict("a *b*\nc", "markdown")
    assert block.text == "a b c"
    assert block.char_map == (0, 1, 3, 5, 6, 7)


def test_markdown_atx_and_setext_headings() -> None:
    source = "# Title #\n\n## Sub ##  \n###Not a heading\n\nBig Title\n=========\n\nSmall\n---\n"
    assert extract(source, "markdown") == [
        ("heading", "Title"),
        ("heading", "Sub"),
        ("paragraph", "###Not a heading"),
        ("heading", "Big Title"),
        ("heading", "Small"),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "---\ntitle: Hello\ntags: [a, b]\n---\nBody text.",
        "+++\ntitle = 'Hello'\n+++\n\nBody text.",
        "\ufeff---\ntitle: Hello\n...\nBody text.",
    ],
)
def test_markdown_front_matter_is_skipped(source: str) -> None:
    assert extract(source, "markdown") == [("paragraph", "Body text.")]


def test_markdown_leading_thematic_break_is_not_front_matter() -> None:
    assert texts("---\n\nText.\n\n---\n\nMore.", "markdown") == ["Text.", "More."]
    assert texts("---\nJust prose\n\n---\n\nMore.", "markdown") == ["Just prose", "More."]


def test_markdown_fenced_code_is_skipped() -> None:
    source = (
        'Before.\n\n```python title="x"\ncode = 1\n```\n\n'
        "~~~~\n~~~\nstill code\n~~~~\nAfter.\n\n"
        "  ````\n  ```\n  ````\nEnd."
    )
    assert texts(source, "markdown") == ["Before.", "After.", "End."]


def test_markdown_unterminated_fence_is_code_until_the_end() -> None:
    assert texts("Text.\n\n```\ncode\n\nmore code\n", "markdown") == ["Text."]


def test_markdown_indented_code_is_skipped_but_lazy_lines_continue() -> None:
    source = "Para.\n\n    code line\n\n    more code\n\nAfter\n    lazy continuation."
    assert texts(source, "markdown") == ["Para.", "After lazy continuation."]


def test_markdown_html() -> None:
    source = (
        "<!-- a comment -->\n\n"
        '<div class="note">\nhidden block\n</div>\n\n'
        "<!--\nmulti\n\nline\n-->\nVisible.\n\n"
        "Text with <b>bold</b>, <!-- hidden --> a<br/>break and <span\nclass='x'>wrapped</span>."
    )
    assert extract(source, "markdown", spaces_from="<") == [  # <br/> becomes a space
        ("paragraph", "Visible."),
        ("paragraph", "Text with bold, a break and wrapped."),
    ]


def test_markdown_inline_code_is_removed() -> None:
    assert texts("Use `x = 1` or ``a ` b`` here, not `unclosed.", "markdown") == [
        "Use or here, not `unclosed."
    ]


def test_markdown_links_keep_only_their_text() -> None:
    source = (
        'See [the *docs*](https://x.org/a_(b) "Title") and [ref text][r], [r], [R][] '
        "and <https://auto.link/x> or <me@example.com> now. [not a link] stays.\n\n"
        "[r]: https://example.com\n"
    )
    assert texts(source, "markdown") == [
        "See the docs and ref text, r, R and or now. [not a link] stays."
    ]


def test_markdown_images_are_removed() -> None:
    source = "An ![alt text](img.png) image and [![badge](b.svg)](https://ci) badge."
    assert texts(source, "markdown") == ["An image and badge."]


def test_markdown_emphasis_markers_are_removed() -> None:
    source = "Some *em*, _em_, **strong**, __strong__, ~~gone~~, ***both*** and *multi\nline*."
    assert texts(source, "markdown") == ["Some em, em, strong, strong, gone, both and multi line."]


def test_markdown_keeps_intraword_underscores_and_lone_asterisks() -> None:
    source = "Call snake_case_name with 2 * 3 * 4 and a_b_ and *unclosed."
    assert texts(source, "markdown") == [source]


def test_markdown_backslash_escapes_and_entities() -> None:
    source = "Not \\*emphasis\\* or \\_x\\_ or \\[y\\]; &amp; &copy; &#233; &nosuch; a\\b."
    assert extract(source, "markdown", synthetic={"©": "&", "é": "&"}) == [
        ("paragraph", "Not *emphasis* or _x_ or [y]; & © é &nosuch; a\\b.")
    ]


def test_markdown_lists_are_one_block_per_list() -> None:
    source = (
        "- one\n- two\n  continued\n\n  second para\n- three\n\n"
        "After.\n\n"
        "1. first\n2. second\n   - nested *item*\n\n     ```\n     code\n     ```\n3. [x] done\n"
    )
    assert extract(source, "markdown") == [
        ("list", "one two continued second para three"),
        ("paragraph", "After."),
        ("list", "first second nested item done"),
    ]


def test_markdown_a_new_bullet_character_starts_a_new_list() -> None:
    assert extract("- a\n- b\n* c\n", "markdown") == [("list", "a b"), ("list", "c")]


def test_markdown_only_some_lists_interrupt_a_paragraph() -> None:
    source = "Para\n- interrupts\n\nPara two\n2. does not\n"
    assert extract(source, "markdown") == [
        ("paragraph", "Para"),
        ("list", "interrupts"),
        ("paragraph", "Para two 2. does not"),
    ]


def test_markdown_block_quotes() -> None:
    source = "> Quoted *text*\n> continues\nlazily.\n>\n> Second para.\n\n> > nested\n\nAfter."
    assert extract(source, "markdown") == [
        ("quote", "Quoted text continues lazily."),
        ("quote", "Second para."),
        ("quote", "nested"),
        ("paragraph", "After."),
    ]


def test_markdown_tables_are_skipped() -> None:
    source = "Intro.\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\nOutro.\n\nx | y\n--|--\n1 | 2\n"
    assert texts(source, "markdown") == ["Intro.", "Outro."]


def test_markdown_reference_definitions_are_skipped_and_footnotes_are_blocks() -> None:
    source = "Claim.[^1] More[^note].\n\n[id]: https://example.com 'T'\n[^1]: The source.\n"
    assert extract(source, "markdown") == [
        ("paragraph", "Claim. More."),
        ("paragraph", "The source."),
    ]


# Block structures the hand-written parser got wrong by CommonMark 0.31.2 (spec example numbers):
# each case failed before markdown-it-py took over the block structure.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # 93: a lazy continuation line cannot be a setext underline
        ("> foo\nbar\n===\n", [("quote", "foo bar ===")]),
        # 196: a reference definition's title may span lines; it is not prose
        ("[foo]: /url '\ntitle\nline1\nline2\n'\n\n[foo]\n", [("paragraph", "foo")]),
        # 217: ... nor is a title on the line after the destination
        (
            '[foo]: /foo-url "foo"\n[bar]: /bar-url\n  "bar"\n[baz]: /baz-url\n\n'
            "[foo],\n[bar],\n[baz]\n",
            [("paragraph", "foo, bar, baz")],
        ),
        # 209: text after the title makes it no definition, so it is prose the author wrote
        ('[foo]: /url "title" ok\n', [("paragraph", '[foo]: /url "title" ok')]),
        # 237: a fence opened in a quote ends with the quote
        ("> ```\nfoo\n```\n", [("paragraph", "foo")]),
        # 238: an indented "- bar" after a quoted paragraph is its lazy continuation
        ("> foo\n    - bar\n", [("quote", "foo - bar")]),
        # 280: a list item starts with at most one blank line
        ("-\n\n  foo\n", [("paragraph", "foo")]),
        # 312: "    - e" is too far indented to be an item: a continuation of "d"
        ("- a\n - b\n  - c\n   - d\n    - e\n", [("list", "a b c d - e")]),
    ],
)
def test_markdown_block_structure_follows_commonmark(
    source: str, expected: list[tuple[str, str]]
) -> None:
    assert extract(source, "markdown") == expected


# Inline constructs the hand-written parser got wrong by CommonMark 0.31.2 (spec example numbers):
# each case failed before links followed markdown-it-py's link rule.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # 488, 508: a destination has no spaces, a title no unescaped quotes: not links
        ("[link](/my uri)", "[link](/my uri)"),
        ('[link](/url "title "and" title")', '[link](/url "title "and" title")'),
        # 499: balanced parentheses inside <...> are fine
        ("[link](<foo(and(bar)>)", "link"),
        # 518: a link cannot contain a link: the outer brackets are text
        ("[foo [bar](/uri)](/uri)", "[foo bar](/uri)"),
        # 524, 526: raw HTML and autolinks bind tighter than link brackets
        ('[foo <bar attr="](baz)">', "[foo"),
        ("[foo<https://example.com/?search=](uri)>", "[foo"),
        # 568, 569: an inline link that fails falls back to a shortcut reference; a full
        # reference needs its label defined
        ("[foo](not a link)\n\n[foo]: /url1", "foo(not a link)"),
        ("[foo][bar][baz]\n\n[baz]: /url", "[foo]bar"),
        # 338: a backslash is literal inside a code span, so it does not stop the span closing
        ("`foo\\`bar`", "bar`"),
        # 626: <!--> is a whole comment in 0.31
        ("foo <!--> foo -->", "foo foo -->"),
        # not from the spec: an empty link is still a link, so the outer brackets are text
        ("[a [](u) b](v)", "[a b](v)"),
    ],
)
def test_markdown_inline_links_and_html_follow_commonmark(source: str, expected: str) -> None:
    assert texts(source, "markdown")[:1] == [expected]


# A footnote reference as mdit-py-plugins reads one: a label after "^", no spaces in it.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x [^] y", "x [^] y"),
        ("see [^ a] and [^1].", "see [^ a] and ."),
    ],
)
def test_markdown_footnote_reference_needs_a_label(source: str, expected: str) -> None:
    assert texts(source, "markdown")[:1] == [expected]


def test_markdown_unreferenced_footnote_is_still_prose_in_place() -> None:
    source = "[^draft]: A note being written.\n\nText.\n\n[^1]: Used.\n\nMore[^1].\n"
    assert extract(source, "markdown") == [
        ("paragraph", "A note being written."),
        ("paragraph", "Text."),
        ("paragraph", "Used."),
        ("paragraph", "More."),
    ]


def test_markdown_offsets_in_nested_containers_with_tabs_and_crlf() -> None:
    source = "> - item\t*one*\r\n>   continued\r\n>\r\n>\t> deep **quote**\r\n\r\n#\tHead #\r\n"
    # extract() checks that every character maps back to itself in the source; the tab after
    # ">" reaches column 4, inside the item, so the inner quote belongs to the quoted list
    assert extract(source, "markdown") == [
        ("quote", "item one continued deep quote"),
        ("heading", "Head"),
    ]


def test_markdown_crlf() -> None:
    source = "# Title\r\n\r\nLine one\r\nline *two*.\r\n\r\n- a\r\n- b\r\n"
    blocks = markup._extract_strict(source, "markdown")
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Title"),
        ("paragraph", "Line one line two."),
        ("list", "a b"),
    ]
    for block in blocks:
        assert_maps(source, block)
    paragraph = blocks[1]
    assert source[paragraph.char_map[8]] == "\r"  # the line break became one space
    assert paragraph.source_end == source.index(".") + 1


def test_markdown_source_span() -> None:
    source = "Some **bold** words."
    (block,) = markup._extract_strict(source, "markdown")
    assert block.text == "Some bold words."
    start = block.text.index("bold")
    assert block.source_span(start, start + 4) == (7, 11)
    assert source[7:11] == "bold"
    assert block.source_span(start, len(block.text)) == (7, len(source))
    assert block.source_span(3, 3) == (3, 3)
    assert block.source_span(-5, 500) == (block.source_start, block.source_end)
    assert (block.source_start, block.source_end) == (0, len(source))


# --------------------------------------------------------------------------------------------------
# reStructuredText
# --------------------------------------------------------------------------------------------------


def test_rst_section_titles() -> None:
    source = "=======\n Title\n=======\n\nSection\n-------\n\nHi\n--\n\nLonger title\n---\n\nText."
    assert extract(source, "restructuredtext") == [
        ("heading", "Title"),
        ("heading", "Section"),
        ("heading", "Hi"),
        # An underline shorter than the title and than 4 characters is ordinary text (docutils).
        ("paragraph", "Longer title ---"),
        ("paragraph", "Text."),
    ]


def test_rst_directives_and_comments_are_skipped() -> None:
    source = (
        ".. note::\n\n   An admonition body.\n\n"
        ".. code-block:: python\n   :linenos:\n\n   x = 1\n\n"
        ".. a comment\n   more comment\n\n"
        ".. _target: https://example.com\n"
        ".. |name| replace:: Thing\n\n"
        "..\n\n    An empty comment does not swallow this quote.\n\n"
        "Kept."
    )
    assert extract(source, "restructuredtext") == [
        ("quote", "An empty comment does not swallow this quote."),
        ("paragraph", "Kept."),
    ]


def test_rst_literal_blocks_and_the_double_colon_rule() -> None:
    source = (
        "Example::\n\n    code\n\n"
        "Expanded ::\n\n    code\n\n"
        "::\n\n    code\n\n"
        "Quoted::\n\n> quoted literal\n> block\n\n"
        "Done."
    )
    assert texts(source, "restructuredtext") == ["Example:", "Expanded", "Quoted:", "Done."]


def test_rst_inline_markup() -> None:
    source = (
        "Use ``literal`` and :func:`open` and :meth:`~pkg.Class.method` and :math:`x^2` and "
        "`Python <https://python.org>`_ and :ref:`the guide <guide>` and `anon`__ and "
        "*em* **strong** `default` |name| _`target` ref_ [1]_ \\*escaped\\* snake_case end."
    )
    assert texts(source, "restructuredtext") == [
        "Use and open and method and and Python and the guide and anon and "
        "em strong default name target ref *escaped* snake_case end."
    ]


def test_rst_unterminated_inline_markup_stays_text() -> None:
    source = "A *star and **stars and ``tick with no end."
    assert texts(source, "restructuredtext") == [source]


def test_rst_lists() -> None:
    source = (
        "- one\n- two\n  continued\n\n* other bullet\n\n"
        "1. first\n2. second\n\n"
        ":Author: Me\n:Date: today\n\n"
        "A. Smith wrote\nthis sentence."
    )
    assert extract(source, "restructuredtext") == [
        ("list", "one two continued"),
        ("list", "other bullet"),
        ("list", "first second"),
        ("list", "Me today"),
        ("paragraph", "A. Smith wrote this sentence."),
    ]


def test_rst_quotes_definitions_footnotes_tables() -> None:
    source = (
        "Para.\n\n    Quoted text.\n\n"
        "Term\n    Its definition.\n\n"
        "Claim [1]_.\n\n.. [1] Footnote body\n   continues.\n\n"
        "+---+---+\n| a | b |\n+---+---+\n\n"
        "===  ===\nA    B\n===  ===\n1    2\n===  ===\n\n"
        "| Line one\n| line two\n\n"
        ">>> print('doctest')\ndoctest\n\n"
        "After."
    )
    assert extract(source, "restructuredtext") == [
        ("paragraph", "Para."),
        ("quote", "Quoted text."),
        ("paragraph", "Term"),
        ("paragraph", "Its definition."),
        ("paragraph", "Claim ."),
        ("paragraph", "Footnote body continues."),
        ("paragraph", "Line one line two"),
        ("paragraph", "After."),
    ]


def test_rst_crlf() -> None:
    source = "Title\r\n=====\r\n\r\nBody *text*\r\nwraps.\r\n"
    assert extract(source, "restructuredtext") == [
        ("heading", "Title"),
        ("paragraph", "Body text wraps."),
    ]


# --------------------------------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------------------------------


def latex(source: str) -> list[tuple[str, str]]:
    return extract(source, "latex", synthetic=LATEX_SYNTHETIC, spaces_from=LATEX_SPACES)


def test_latex_only_the_document_body_and_comments_removed() -> None:
    source = (
        "\\documentclass{article}\n% \\begin{document} in a comment\n\\title{Preamble}\n"
        "\\begin{document}\nHello % comment\n   world. 100\\% sure.%\n\n"
        "Next\\%%eaten\nline.\n\\end{document}\nIgnored."
    )
    assert latex(source) == [
        ("paragraph", "Hello world. 100% sure."),
        ("paragraph", "Next%line."),
    ]


def test_latex_without_document_environment_uses_everything() -> None:
    assert latex("A fragment.\n\nAnother.") == [
        ("paragraph", "A fragment."),
        ("paragraph", "Another."),
    ]


def test_latex_math_is_removed() -> None:
    source = (
        "Let $x^2$ and $$y$$ and \\(z\\) and \\[w\\] and \\$5 be.\n"
        "\\begin{equation}\na = b\n\\end{equation}\n"
        "\\begin{align*}\\begin{align*}nested\\end{align*}\\end{align*}\nDone."
    )
    assert latex(source) == [("paragraph", "Let and and and and $5 be. Done.")]


def test_latex_sections_are_headings() -> None:
    source = (
        "\\section{Intro}\nText here.\n"
        "\\subsection*[Short]{More \\emph{detail}}\nMore.\n"
        "\\paragraph{Run-in} Text after."
    )
    assert latex(source) == [
        ("heading", "Intro"),
        ("paragraph", "Text here."),
        ("heading", "More detail"),
        ("paragraph", "More."),
        ("heading", "Run-in"),
        ("paragraph", "Text after."),
    ]


def test_latex_commands() -> None:
    source = (
        "\\emph{a} \\textbf{b} \\textit{c} \\underline{d} \\texttt{code} \\cite[p.~4]{key} "
        "\\ref{r} \\label{l} \\url{http://x.org} \\href{http://y.org}{link} "
        "\\includegraphics[width=1cm]{f.png} \\unknown[opt]{kept} {\\bf grouped} \\noindent end."
    )
    assert latex(source) == [("paragraph", "a b c d link kept grouped end.")]


def test_latex_footnotes_become_their_own_blocks() -> None:
    source = "Claim\\footnote{A \\emph{note}.} stands.\n\nNext."
    assert latex(source) == [
        ("paragraph", "Claim stands."),
        ("paragraph", "A note."),
        ("paragraph", "Next."),
    ]


def test_latex_footnote_blocks_stay_in_source_order() -> None:
    source = "\\footnote{Lead.} Text\\footnote{B\\footnote{C} D}."
    assert latex(source) == [
        ("paragraph", "Lead."),
        ("paragraph", "Text."),
        ("paragraph", "B D"),
        ("paragraph", "C"),
    ]


def test_latex_typography_replacements_map_to_their_source() -> None:
    source = "It's ``quoted'' and `single' --- a dash -- range~here."
    (block,) = markup._extract_strict(source, "latex")
    assert block.text == "It's “quoted” and ‘single' — a dash – range here."
    assert_maps(source, block, synthetic=LATEX_SYNTHETIC, spaces_from=LATEX_SPACES)
    dash = block.text.index("—")
    assert block.source_span(dash, dash + 1) == (source.index("---"), source.index("---") + 3)
    quote = block.text.index("”")
    assert block.source_span(quote - 6, quote + 1) == (
        source.index("quoted"),
        source.index("''") + 2,
    )


def test_latex_lists() -> None:
    source = (
        "Intro.\n\\begin{itemize}\n\\item One\n\n\\item Two\n"
        "  \\begin{enumerate}[label=(\\alph*)]\\item Nested\\end{enumerate}\n"
        "\\end{itemize}\nAfter.\n"
        "\\begin{description}\\item[Term] Definition.\\end{description}"
    )
    assert latex(source) == [
        ("paragraph", "Intro."),
        ("list", "One Two Nested"),
        ("paragraph", "After."),
        ("list", "Term Definition."),
    ]


def test_latex_verbatim_floats_and_quotes() -> None:
    source = (
        "\\begin{verbatim}\n\\end{itemize} $ raw %\n\\end{verbatim}\n"
        "Text \\verb|x{y| and \\verb+$+ end.\n"
        "\\begin{figure}[h]\\centering\\caption{Cap}\\end{figure}\n\n"
        "\\begin{quote}\nQuoted.\n\\end{quote}"
    )
    assert latex(source) == [("paragraph", "Text and end."), ("quote", "Quoted.")]


def test_latex_accents_and_symbols() -> None:
    source = "Caf\\'e na\\\"ive \\c{c}a, \\ldots{} \\LaTeX\\ rocks\\\\ indeed."
    assert latex(source) == [("paragraph", "Café naïve ça, … LaTeX rocks indeed.")]


def test_latex_unterminated_constructs_end_at_the_paragraph() -> None:
    source = "Start $x + y\n\nNext para \\cite{abc\n\nThird \\textbf{bold\n\nFourth."
    assert latex(source) == [
        ("paragraph", "Start"),
        ("paragraph", "Next para"),
        ("paragraph", "Third bold"),
        ("paragraph", "Fourth."),
    ]


def test_latex_crlf() -> None:
    source = "Line one\r\nline two.\r\n\r\nPara~two.\r\n"
    assert latex(source) == [("paragraph", "Line one line two."), ("paragraph", "Para two.")]


# --------------------------------------------------------------------------------------------------
# Plain text, git commits, AsciiDoc
# --------------------------------------------------------------------------------------------------


def test_plaintext_paragraphs() -> None:
    source = "First para\nline two.\n\n\n  Second   para.  \r\n\r\nThird\rpara."
    assert extract(source, "plaintext") == [
        ("paragraph", "First para line two."),
        ("paragraph", "Second para."),
        ("paragraph", "Third para."),
    ]


GIT_MESSAGE = (
    "Fix the parser\n\n"
    "Longer explanation\n# an interleaved comment\nof the change.\n\n"
    "# Please enter the commit message for your changes.\n#\tmodified: x.py\n\n"
    "Signed-off-by: A U Thor <a@example.com>\n"
    "# ------------------------ >8 ------------------------\n"
    "diff --git a/x.py b/x.py\n+added line\n"
)


def test_gitcommit_skips_comments_trailers_and_the_diff() -> None:
    assert extract(GIT_MESSAGE, "plaintext", gitcommit=True) == [
        ("heading", "Fix the parser"),
        ("paragraph", "Longer explanation of the change."),
    ]


def test_gitcommit_flag_only_applies_when_asked() -> None:
    assert "# an interleaved comment" in " ".join(texts(GIT_MESSAGE, "plaintext"))


def test_asciidoc() -> None:
    source = (
        "= Document Title\n:toc:\n\nIntro para.\n\n== Section\n\n"
        "[source,python]\n----\ncode\n\nmore code\n----\n\n"
        "* one\n* two\n\n"
        "____\nQuoted.\n____\n\n"
        "// a comment\n.A block title\nText.\n\n"
        "////\ncomment block\n////\n"
    )
    assert extract(source, "plaintext", asciidoc=True) == [
        ("heading", "Document Title"),
        ("paragraph", "Intro para."),
        ("heading", "Section"),
        ("list", "one two"),
        ("quote", "Quoted."),
        ("paragraph", "Text."),
    ]


# --------------------------------------------------------------------------------------------------
# Shared behaviour
# --------------------------------------------------------------------------------------------------

FORMATS: list[markup.Format] = ["markdown", "restructuredtext", "latex", "plaintext"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", ["", "   \n\t\n", "\ufeff", "\r\n\r\n"])
def test_empty_input_gives_no_blocks(fmt: markup.Format, source: str) -> None:
    assert extract_prose(source, fmt) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_byte_order_mark_is_not_text(fmt: markup.Format) -> None:
    (block,) = extract_prose("\ufeffHello world.", fmt)
    assert block.text == "Hello world."
    assert block.source_start == 1


def test_extract_prose_falls_back_to_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: object) -> list[ProseBlock]:
        raise RecursionError

    monkeypatch.setattr(markup._Markdown, "extract", broken)
    assert [b.text for b in extract_prose("# Heading\n\nText.", "markdown")] == [
        "# Heading",
        "Text.",
    ]


def test_source_span_clamps_and_handles_empty_ranges() -> None:
    source = "Hello *big* world"
    (block,) = extract_prose(source, "markdown")
    n = len(block.text)
    assert block.source_span(0, n) == (0, len(source))
    assert block.source_span(n, n) == (len(source), len(source))
    assert block.source_span(5, 2) == (block.char_map[5], block.char_map[5])
    assert block.source_span(6, 9) == (7, 10)


# --------------------------------------------------------------------------------------------------
# LineIndex
# --------------------------------------------------------------------------------------------------


def test_line_index_positions_with_all_line_breaks() -> None:
    source = "ab\ncd\r\nef\rgh"
    index = LineIndex(source)
    assert index.position(0) == (0, 0)
    assert index.position(2) == (0, 2)
    assert index.position(3) == (1, 0)
    assert index.position(5) == (1, 2)
    assert index.position(6) == (1, 2)  # inside "\r\n": the end of the line's content
    assert index.position(7) == (2, 0)
    assert index.position(10) == (3, 0)
    assert index.position(12) == (3, 2)
    assert index.offset(1, 1) == 4
    assert index.offset(2, 0) == 7
    assert index.offset(3, 2) == 12


def test_line_index_round_trips_every_offset() -> None:
    source = "line one\r\n\r\nline three\rfour\n\nsix 😀 emoji\n"
    index = LineIndex(source)
    for offset in range(len(source) + 1):
        if source[offset - 1 : offset + 1] == "\r\n":
            continue  # between \r and \n is not a position of its own
        for utf16 in (True, False):
            line, character = index.position(offset, utf16=utf16)
            assert index.offset(line, character, utf16=utf16) == offset


def test_line_index_utf16_columns_for_astral_characters() -> None:
    source = "a😀b😀c\nx"
    index = LineIndex(source)
    assert index.position(2) == (0, 3)  # "b" follows a surrogate pair
    assert index.position(2, utf16=False) == (0, 2)
    assert index.position(4) == (0, 6)
    assert index.position(5) == (0, 7)
    assert index.offset(0, 3) == 2
    assert index.offset(0, 2) == 1  # inside the surrogate pair: snaps to the emoji's start
    assert index.offset(0, 6) == 4
    assert index.offset(0, 7) == 5
    assert index.offset(0, 2, utf16=False) == 2
    assert index.position(6) == (1, 0)
    assert index.position(7) == (1, 1)


def test_line_index_clamps_out_of_range_values() -> None:
    source = "ab\ncd\n"
    index = LineIndex(source)
    assert index.position(-4) == (0, 0)
    assert index.position(99) == (2, 0)
    assert index.offset(-1, 5) == 0
    assert index.offset(0, -3) == 0
    assert index.offset(0, 99) == 2
    assert index.offset(7, 0) == len(source)


def test_line_index_maps_block_spans_to_lsp_ranges() -> None:
    source = "# Title\r\n\r\nSome 😀 *emphasised* words.\r\n"
    blocks = extract_prose(source, "markdown")
    block = blocks[1]
    start = block.text.index("emphasised")
    index = LineIndex(source)
    span = block.source_span(start, start + len("emphasised"))
    assert index.position(span[0]) == (2, 9)
    assert index.position(span[1]) == (2, 19)


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

MARKUP_TOKENS = [
    *"\n\r\t *_~`[](){}<>!#&;:|\\-=+.$%'\"^@/",
    "\r\n",
    "\n\n",
    "    ",
    "😀",
    "é",
    "\u00a0",
    "```",
    "~~~",
    "---",
    "===",
    "> ",
    "- ",
    "1. ",
    "* ",
    "[x]: ",
    "[^1]",
    "](",
    "![",
    "<!--",
    "-->",
    "<div>",
    "<br>",
    "&amp;",
    "&#x1F600;",
    ".. ",
    "::",
    "``",
    "`_",
    ":role:`",
    "|sub|",
    "$$",
    "\\(",
    "\\[",
    "\\\\",
    "''",
    "\\'",
    "\\item",
    "\\item[",
    "\\section{",
    "\\footnote{",
    "\\emph{",
    "\\cite{",
    "\\verb|",
    "\\begin{itemize}",
    "\\end{itemize}",
    "\\begin{quote}",
    "\\begin{figure}",
    "\\begin{document}",
    "\\end{document}",
    "# ",
    "= ",
    "----",
    "____",
    "+++",
]
SOURCES = st.lists(st.one_of(st.sampled_from(MARKUP_TOKENS), st.text(max_size=4)), max_size=60).map(
    "".join
)
VARIANTS: list[tuple[str, dict[str, bool]]] = [
    ("markdown", {}),
    ("restructuredtext", {}),
    ("latex", {}),
    ("plaintext", {}),
    ("plaintext", {"gitcommit": True}),
    ("plaintext", {"asciidoc": True}),
]


@settings(max_examples=400, deadline=None)
@given(source=SOURCES, variant=st.sampled_from(VARIANTS))
def test_extraction_never_raises_and_char_maps_stay_in_bounds(
    source: str, variant: tuple[str, dict[str, bool]]
) -> None:
    fmt, options = variant
    blocks = markup._extract_strict(source, fmt, **options)  # must not raise
    for block in blocks:
        text, cmap = block.text, block.char_map
        assert text and text == text.strip() and "  " not in text
        assert len(cmap) == len(text) + 1
        assert list(cmap) == sorted(cmap), "char_map must be non-decreasing"
        assert cmap[0] >= 0 and all(offset < len(source) for offset in cmap[:-1])
        assert cmap[-2] < cmap[-1] <= len(source)
        start, end = block.source_span(0, len(text))
        assert 0 <= start <= end <= len(source)
    starts = [b.source_start for b in blocks]
    assert starts == sorted(starts)
    assert extract_prose(source, variant[0], **options) == blocks  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(source=st.text(alphabet=st.sampled_from(list("ab \r\n\t😀é\U0001f9d0\u2028")), max_size=40))
def test_line_index_positions_match_utf16_and_round_trip(source: str) -> None:
    index = LineIndex(source)
    for offset in range(len(source) + 1):
        line, character = index.position(offset)
        line_start = index.offset(line, 0)
        assert 0 <= line_start <= offset
        if source[offset - 1 : offset + 1] == "\r\n":
            continue
        assert character == len(source[line_start:offset].encode("utf-16-le")) // 2
        assert index.offset(line, character) == offset
        assert index.offset(*index.position(offset, utf16=False), utf16=False) == offset
