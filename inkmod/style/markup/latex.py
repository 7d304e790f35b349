"""LaTeX: the prose of the ``document`` body, typography turned into the characters it prints.

Hand-written, because pylatexenc (2.11) measurably cannot serve; ``python -m benchmarks
markup-libs`` prints the figures. Its ``latexwalker`` does keep exact offsets (every node's
``pos``/``len`` is its source text, 967 of 967 nodes) and is linear on ordinary input, but
(1) it recurses once per brace group, so ~200 nested groups (``\\textbf{`` typed 200 times, 1.8
KB) or ~400 unclosed ``{`` raise RecursionError even with ``tolerant_parsing``: an extractor that
runs on every keystroke must not crash on what an author types, and the robustness test's
nested-brace shape (2000 deep and more) would fail; (2) parsing alone takes 12-20x this
module's whole extraction (a 30 KB document: ~140 ms against 8-11 ms), and the node tree would
still need the command tables below to become prose.
"""

from __future__ import annotations

import re
import unicodedata

from .core import _MAX_DEPTH, ProseBlock, _Builder, _content_start

_TEX_BEGIN_DOC = re.compile(r"\\begin\s*\{document\}")
_TEX_END_DOC = re.compile(r"\\end\s*\{document\}")
_TEX_SPECIAL = re.compile(r"[\\%{}$~`'\-\r\n&]")
_TEX_CMD = re.compile(r"\\(?:([A-Za-z@]+)\*?|([\s\S]))")
# One line break; "\r(?!\n)" so that backtracking cannot split a CRLF into two line breaks.
_EOL = r"(?:\r\n|\r(?!\n)|\n)"
_TEX_PAR = re.compile(rf"{_EOL}(?:[ \t\f\v]*{_EOL})+")
_TEX_EOL = re.compile(_EOL)
_TEX_BLANK_LINE = re.compile(rf"[ \t\f\v]*{_EOL}")
_TEX_HSPACE = re.compile(r"[ \t]*")
_TEX_ARG_SPACE = re.compile(rf"[ \t]*(?:{_EOL}[ \t]*)?")
_TEX_ENV_NAME = re.compile(r"[ \t]*\{([^{}\r\n]*)\}")
_TEX_PAR_BREAK = rf"{_EOL}[ \t\f\v]*{_EOL}"
_TEX_GROUP_TOKEN = re.compile(rf"\\[\s\S]|%[^\r\n]*|[{{}}]|{_TEX_PAR_BREAK}")
_TEX_BRACKET_TOKEN = re.compile(rf"\\[\s\S]|%[^\r\n]*|[{{}}\]]|{_TEX_PAR_BREAK}")
_TEX_MAX_OPTION = 2000
_TEX_COMMENT_SCAN = re.compile(r"\\[\s\S]|%")
_TEX_MATH_END: dict[str, re.Pattern[str]] = {
    "$": re.compile(r"\\[\s\S]|\$"),
    "$$": re.compile(r"\\[\s\S]|\$\$"),
    "\\)": re.compile(r"\\\)|\\[\s\S]"),
    "\\]": re.compile(r"\\\]|\\[\s\S]"),
}


def _names(text: str) -> list[str]:
    """Split a space-separated list of names (keeps the long tables below readable)."""
    return text.split()


_TEX_SECTIONS = frozenset(
    {
        "part",
        "chapter",
        "section",
        "subsection",
        "subsubsection",
        "paragraph",
        "subparagraph",
        "title",
        "subtitle",
        "frametitle",
        "addchap",
        "addsec",
        "minisec",
    }
)
# Commands dropped together with this many mandatory arguments (optional [..] arguments too):
# citations, cross-references, code, URLs, file inclusion, layout and definitions are not prose.
_TEX_DROP: dict[str, int] = {
    **dict.fromkeys(
        _names(
            "cite citep citet citealt citealp citeauthor citeyear citeyearpar parencite textcite "
            "autocite footcite fullcite nocite supercite smartcite ref eqref autoref cref Cref "
            "pageref nameref vref labelcref label texttt url path nolinkurl includegraphics input "
            "include includeonly bibliography addbibresource bibliographystyle usepackage "
            "RequirePackage documentclass vspace hspace stepcounter refstepcounter caption index "
            "hypersetup pagestyle thispagestyle pagenumbering graphicspath author date thanks "
            "email affiliation address bibitem ensuremath color glossary markright lstinputlisting "
            "inputminted tag "
        ),
        1,
    ),
    **dict.fromkeys(
        _names(
            "setlength addtolength setcounter addtocounter newcommand renewcommand providecommand "
            "newtheorem DeclareMathOperator markboth mintinline newlength"
        ),
        2,
    ),
    **dict.fromkeys(_names("newenvironment renewenvironment definecolor addcontentsline"), 3),
}
# Commands whose first arguments are not prose but whose last argument is (``\href{url}{text}``).
_TEX_DROP_LEADING: dict[str, int] = {
    "href": 1,
    "textcolor": 1,
    "colorbox": 1,
    "fcolorbox": 2,
    "foreignlanguage": 1,
    "rotatebox": 1,
    "scalebox": 1,
    "resizebox": 2,
    "raisebox": 1,
    "parbox": 1,
    "hyperlink": 1,
    "hypertarget": 1,
    "selectlanguage": 1,
    "multicolumn": 2,
}
_TEX_WORDS = frozenset(
    _names("LaTeX TeX BibTeX XeTeX LuaTeX XeLaTeX LuaLaTeX pdfTeX pdfLaTeX ConTeXt AmS")
)
_TEX_SYMBOLS: dict[str, str] = {
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "dag": "†",
    "ddag": "‡",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textdegree": "°",
    "slash": "/",
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "LaTeXe": "LaTeX2e",
}
_TEX_SPACES = frozenset(
    _names(
        "quad qquad enspace enskip thinspace space nobreakspace newline linebreak break hfill hfil"
    )
)
_TEX_ACCENTS: dict[str, str] = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_TEX_VERBATIM_ENVS = frozenset(
    _names(
        "verbatim verbatim* Verbatim Verbatim* BVerbatim lstlisting minted comment filecontents "
        "filecontents*"
    )
)
_TEX_SKIP_ENVS = frozenset(
    _names(
        "equation equation* align align* alignat alignat* gather gather* multline multline* "
        "flalign flalign* eqnarray eqnarray* math displaymath dmath dmath* split figure figure* "
        "table table* tabular tabular* tabularx tabulary longtable array tikzpicture picture "
        "thebibliography algorithm algorithmic algorithm2e wrapfigure wraptable subfigure "
        "sidewaystable sidewaysfigure code pgfpicture forest"
    )
)
_TEX_LIST_ENVS = frozenset(
    _names(
        "itemize enumerate description compactitem compactenum compactdesc inparaenum asparaenum "
        "asparaitem list"
    )
)
_TEX_QUOTE_ENVS = frozenset({"quote", "quotation", "verse"})
# Arguments after \begin{env} that are layout, not text.
_TEX_ENV_ARGS: dict[str, int] = {
    "minipage": 1,
    "multicols": 1,
    "multicols*": 1,
    "list": 2,
    "otherlanguage": 1,
    "otherlanguage*": 1,
    "column": 1,
    "adjustbox": 1,
    "frame": 0,
}


def _tex_in_comment(src: str, pos: int) -> bool:
    """Is ``pos`` inside a ``%`` comment (an unescaped ``%`` earlier on the same line)?"""
    line_start = max(src.rfind("\n", 0, pos), src.rfind("\r", 0, pos)) + 1
    return any(m.group() == "%" for m in _TEX_COMMENT_SCAN.finditer(src, line_start, pos))


def _tex_find(pattern: re.Pattern[str], src: str, pos: int) -> re.Match[str] | None:
    for m in pattern.finditer(src, pos):
        if not _tex_in_comment(src, m.start()):
            return m
    return None


class _Latex:
    """A single left-to-right scan of the LaTeX body that opens and closes blocks as it goes.

    LaTeX blocks are not line-based (a ``\\section`` can sit mid-line), so instead of a line parser
    this keeps a current :class:`_Builder` and the list/quote/footnote nesting state.
    """

    def __init__(self, src: str) -> None:
        self.src = src
        self.blocks: list[ProseBlock] = []
        self.cur = _Builder()
        self.pending: list[_Builder] = []
        self.list_depth = 0
        self.quote_depth = 0
        self.footnote_depth = 0
        self.heading = False
        self.nesting = 0  # recursive run() calls (headings, footnotes, item labels)
        self.env_patterns: dict[str, re.Pattern[str]] = {}

    def extract(self) -> list[ProseBlock]:
        src = self.src
        start, end = _content_start(src), len(src)
        begin = _tex_find(_TEX_BEGIN_DOC, src, start)
        if begin is not None:
            start = begin.end()
            stop = _tex_find(_TEX_END_DOC, src, start)
            if stop is not None:
                end = stop.start()
        self.run(start, end)
        self.flush()
        return self.blocks

    # -- block state -----------------------------------------------------------------------------

    def kind(self) -> str:
        if self.heading:
            return "heading"
        if self.list_depth:
            return "list"
        if self.quote_depth:
            return "quote"
        return "paragraph"

    def flush(self) -> None:
        block = self.cur.finish(self.kind())
        self.cur = _Builder()
        if not self.pending or self.footnote_depth:
            if block is not None:
                self.blocks.append(block)
            return
        # The footnotes of this block follow it, all ordered by where they start (a footnote may
        # open the paragraph, or sit inside another footnote).
        done = [] if block is None else [block]
        for footnote in self.pending:
            fb = footnote.finish("paragraph")
            if fb is not None:
                done.append(fb)
        self.pending = []
        done.sort(key=lambda b: b.source_start)
        self.blocks.extend(done)

    def par(self, j: int) -> None:
        """A paragraph break at ``j``; inside a list, footnote or heading it is just a space."""
        if self.list_depth or self.footnote_depth or self.heading:
            self.cur.synth(" ", j, j + 1)
        else:
            self.flush()

    def add(self, a: int, b: int) -> None:
        if b > a:
            self.cur.add(self.src[a:b], range(a, b))

    # -- argument helpers ------------------------------------------------------------------------

    def group(self, pos: int, b: int) -> tuple[int, int]:
        """For a ``{`` at ``pos``: (end of its content, offset after the closing ``}``).

        An unbalanced group ends at the next blank line (TeX would complain there too), so a
        half-typed ``\\cite{`` does not swallow the rest of the document.
        """
        depth = 0
        for m in _TEX_GROUP_TOKEN.finditer(self.src, pos, b):
            t = m.group()
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
                if depth == 0:
                    return m.start(), m.end()
            elif t[0] in "\r\n":
                return m.start(), m.start()
        return b, b

    def bracket(self, pos: int, b: int) -> int | None:
        """For a ``[`` at ``pos``: the offset after its ``]``, or None if it is not an argument.

        Optional arguments are short, so the search gives up after ``_TEX_MAX_OPTION`` characters;
        otherwise every ``\\foo[`` without a ``]`` would rescan the rest of the document.
        """
        limit = min(b, pos + _TEX_MAX_OPTION)
        if self.src.find("]", pos + 1, limit) < 0:
            return None
        depth = 0
        for m in _TEX_BRACKET_TOKEN.finditer(self.src, pos + 1, limit):
            t = m.group()
            if t == "{":
                depth += 1
            elif t == "}":
                depth = max(0, depth - 1)
            elif t == "]":
                if depth == 0:
                    return m.end()
            elif t[0] in "\r\n":
                return None
        return None

    def skip_args(self, pos: int, b: int, mandatory: int) -> int:
        """Skip optional ``[..]`` arguments and ``mandatory`` ``{..}`` arguments."""
        src = self.src
        while True:
            q = _TEX_ARG_SPACE.match(src, pos, b)
            q_pos = q.end() if q is not None else pos
            if q_pos >= b:
                return pos
            c = src[q_pos]
            if c == "[":
                after = self.bracket(q_pos, b)
                if after is None:
                    return pos
                pos = after
            elif c == "{" and mandatory > 0:
                pos = self.group(q_pos, b)[1]
                mandatory -= 1
            else:
                return pos

    def skip_adjacent_options(self, pos: int, b: int) -> int:
        while pos < b and self.src[pos] == "[":
            after = self.bracket(pos, b)
            if after is None:
                break
            pos = after
        return pos

    # -- scanner ---------------------------------------------------------------------------------

    def nested(self, a: int, b: int) -> None:
        """Run over an argument (past ``_MAX_DEPTH`` levels callers let the text flow instead)."""
        self.nesting += 1
        try:
            self.run(a, b)
        finally:
            self.nesting -= 1

    def run(self, a: int, b: int) -> None:
        src = self.src
        pos = a
        search = _TEX_SPECIAL.search
        while pos < b:
            m = search(src, pos, b)
            if m is None:
                self.add(pos, b)
                return
            j = m.start()
            if j > pos:
                self.add(pos, j)
            c = src[j]
            if c == "\\":
                pos = self.command(j, b)
            elif c == "%":
                pos = self.comment(j, b)
            elif c in "{}&":
                pos = j + 1
            elif c == "$":
                if j + 1 < b and src[j + 1] == "$":
                    pos = self.skip_math(j + 2, b, "$$")
                else:
                    pos = self.skip_math(j + 1, b, "$")
            elif c == "~":
                self.cur.synth(" ", j, j + 1)
                pos = j + 1
            elif c == "-":
                k = j + 1
                while k < b and k - j < 3 and src[k] == "-":
                    k += 1
                if k - j == 1:
                    self.add(j, k)
                else:
                    self.cur.synth("–" if k - j == 2 else "—", j, k)
                pos = k
            elif c == "`":
                if j + 1 < b and src[j + 1] == "`":
                    self.cur.synth("“", j, j + 2)
                    pos = j + 2
                else:
                    self.cur.synth("‘", j, j + 1)
                    pos = j + 1
            elif c == "'":
                if j + 1 < b and src[j + 1] == "'":
                    self.cur.synth("”", j, j + 2)
                    pos = j + 2
                else:
                    self.add(j, j + 1)
                    pos = j + 1
            else:  # line break: a blank line ends the paragraph
                pm = _TEX_PAR.match(src, j, b)
                if pm is not None:
                    self.par(j)
                    pos = pm.end()
                else:
                    self.add(j, j + 1)
                    pos = j + 1

    def comment(self, j: int, b: int) -> int:
        """A comment eats its line break and the next line's indentation, like TeX does."""
        src = self.src
        eol = _TEX_EOL.search(src, j, b)
        if eol is None:
            return b
        pos = eol.end()
        blank = _TEX_BLANK_LINE.match(src, pos, b)
        if blank is not None:
            self.par(pos)
            return blank.end()
        hspace = _TEX_HSPACE.match(src, pos, b)
        return hspace.end() if hspace is not None else pos

    def skip_math(self, start: int, b: int, closer: str) -> int:
        """Skip math up to ``closer``; unterminated math ends at the next blank line."""
        src = self.src
        for m in _TEX_MATH_END[closer].finditer(src, start, b):
            if m.group() == closer:
                par = _TEX_PAR.search(src, start, m.start())
                return par.start() if par is not None else m.end()
        par = _TEX_PAR.search(src, start, b)
        return par.start() if par is not None else b

    def command(self, j: int, b: int) -> int:
        src = self.src
        m = _TEX_CMD.match(src, j, b)
        if m is None:
            return b
        end = m.end()
        name = m.group(1)
        if name is None:
            return self.symbol(j, m.group(2), end, b)
        if name in _TEX_SECTIONS:
            return self.section(end, b)
        if name == "begin":
            return self.begin(j, end, b)
        if name == "end":
            return self.end_env(j, end, b)
        if name == "item":
            return self.item(j, end, b)
        if name in ("footnote", "footnotetext", "marginpar"):
            return self.footnote(end, b)
        if name == "par":
            self.par(j)
            return end
        if name in _TEX_DROP:
            return self.skip_args(end, b, _TEX_DROP[name])
        if name in _TEX_DROP_LEADING:
            return self.skip_args(end, b, _TEX_DROP_LEADING[name])
        if name in _TEX_WORDS:
            self.add(j + 1, j + 1 + len(name))
            return end
        if name in _TEX_SYMBOLS:
            self.cur.synth(_TEX_SYMBOLS[name], j, end)
            return end
        if name in _TEX_SPACES:
            self.cur.synth(" ", j, end)
            return self.skip_adjacent_options(end, b)
        if name in ("verb", "lstinline"):
            return self.verb(end, b)
        if name in ("def", "gdef", "edef", "xdef"):
            return self.definition(end, b)
        if name in _TEX_ACCENTS and end < b and src[end] == "{":
            return self.accent(j, name, end, b)
        # Unknown command (\emph, \textbf, \foo ...): drop it, keep the text of its {..} groups.
        return self.skip_adjacent_options(end, b)

    def symbol(self, j: int, ch: str, end: int, b: int) -> int:
        if ch in "%&$#_{}":
            self.add(j + 1, end)
            return end
        if ch == "\\":  # forced line break, maybe with \\* and [length]
            self.cur.synth(" ", j, end)
            if end < b and self.src[end] == "*":
                end += 1
            return self.skip_adjacent_options(end, b)
        if ch.isspace():  # control space
            self.add(j + 1, end)
            return end
        if ch in ",;:>":
            self.cur.synth(" ", j, end)
            return end
        if ch in _TEX_ACCENTS:
            return self.accent(j, ch, end, b)
        if ch == "(":
            return self.skip_math(end, b, "\\)")
        if ch == "[":
            return self.skip_math(end, b, "\\]")
        return end

    def accent(self, j: int, ch: str, end: int, b: int) -> int:
        """``\\'e``, ``\\'{e}``, ``\\c{c}`` ... become one composed character."""
        src = self.src
        base = ""
        stop = end
        if end < b and src[end] == "{":
            if end + 2 < b and src[end + 1].isalpha() and src[end + 2] == "}":
                base, stop = src[end + 1], end + 3
            elif src.startswith(("\\i}", "\\j}"), end + 1) and end + 4 <= b:
                base, stop = ("ı" if src[end + 2] == "i" else "ȷ"), end + 4
        elif end < b and src[end].isalpha() and ch not in "uvHckrdb":
            base, stop = src[end], end + 1
        if not base:
            return end
        self.cur.synth(unicodedata.normalize("NFC", base + _TEX_ACCENTS[ch]), j, stop)
        return stop

    def section(self, end: int, b: int) -> int:
        src = self.src
        pos = self.skip_args(end, b, 0)
        q = _TEX_ARG_SPACE.match(src, pos, b)
        q_pos = q.end() if q is not None else pos
        self.flush()
        if q_pos < b and src[q_pos] == "{" and self.nesting < _MAX_DEPTH:
            inner_end, after = self.group(q_pos, b)
            was_heading = self.heading
            self.heading = True
            self.nested(q_pos + 1, inner_end)
            self.flush()
            self.heading = was_heading
            return after
        return pos

    def footnote(self, end: int, b: int) -> int:
        src = self.src
        pos = self.skip_args(end, b, 0)
        q = _TEX_ARG_SPACE.match(src, pos, b)
        q_pos = q.end() if q is not None else pos
        if q_pos >= b or src[q_pos] != "{" or self.nesting >= _MAX_DEPTH:
            return pos
        inner_end, after = self.group(q_pos, b)
        saved = self.cur
        self.cur = _Builder()
        self.footnote_depth += 1
        self.nested(q_pos + 1, inner_end)
        self.footnote_depth -= 1
        self.pending.append(self.cur)
        self.cur = saved
        return after

    def item(self, j: int, end: int, b: int) -> int:
        src = self.src
        self.cur.synth(" ", j, j + 1)  # keeps "one\item two" from running together
        q = _TEX_ARG_SPACE.match(src, end, b)
        q_pos = q.end() if q is not None else end
        if q_pos < b and src[q_pos] == "[" and self.nesting < _MAX_DEPTH:
            after = self.bracket(q_pos, b)
            if after is not None:  # \item[label]: the label is prose (description lists)
                self.nested(q_pos + 1, after - 1)
                self.cur.synth(" ", after - 1, after)
                return after
        return end

    def verb(self, end: int, b: int) -> int:
        src = self.src
        pos = self.skip_adjacent_options(end, b)
        if pos >= b:
            return b
        if src[pos] == "{":
            return self.group(pos, b)[1]
        delim = src[pos]
        if delim.isalpha() or delim.isspace():
            return pos
        # The closing delimiter or the end of the line, whichever comes first: searching for
        # the end of the line first would rescan a long line once per \verb (quadratic).
        stop = re.compile(f"{re.escape(delim)}|{_EOL}").search(src, pos + 1, b)
        if stop is None:
            return b
        return stop.end() if stop.group() == delim else stop.start()

    def definition(self, end: int, b: int) -> int:
        src = self.src
        pos = _TEX_HSPACE.match(src, end, b)
        p = pos.end() if pos is not None else end
        if p < b and src[p] == "\\":
            cmd = _TEX_CMD.match(src, p, b)
            p = cmd.end() if cmd is not None else p + 1
        brace = src.find("{", p, min(b, p + 64))
        if brace < 0:
            return p
        return self.group(brace, b)[1]

    def env_name(self, end: int, b: int) -> tuple[str, int] | None:
        m = _TEX_ENV_NAME.match(self.src, end, b)
        if m is None:
            return None
        return m.group(1).strip(), m.end()

    def begin(self, j: int, end: int, b: int) -> int:
        src = self.src
        env = self.env_name(end, b)
        if env is None:
            return end
        name, pos = env
        if name in _TEX_VERBATIM_ENVS:
            close = src.find("\\end{" + name + "}", pos, b)
            return close + len(name) + 6 if close >= 0 else b
        if name in _TEX_SKIP_ENVS:
            return self.skip_env(name, pos, b)
        if name in _TEX_LIST_ENVS:
            self.par(j)
            self.list_depth += 1
            return self.skip_args(pos, b, _TEX_ENV_ARGS.get(name, 0))
        self.par(j)
        if name in _TEX_QUOTE_ENVS:
            self.quote_depth += 1
        return self.skip_args(pos, b, _TEX_ENV_ARGS.get(name, 0))

    def end_env(self, j: int, end: int, b: int) -> int:
        env = self.env_name(end, b)
        if env is None:
            return end
        name, pos = env
        if name in _TEX_LIST_ENVS and self.list_depth:
            if self.list_depth == 1 and not self.footnote_depth and not self.heading:
                self.flush()
            self.list_depth -= 1
            return pos
        self.par(j)
        if name in _TEX_QUOTE_ENVS and self.quote_depth:
            self.quote_depth -= 1
        return pos

    def skip_env(self, name: str, pos: int, b: int) -> int:
        pattern = self.env_patterns.get(name)
        if pattern is None:
            pattern = re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")
            self.env_patterns[name] = pattern
        depth = 1
        for m in pattern.finditer(self.src, pos, b):
            depth += 1 if m.group(1) == "begin" else -1
            if depth == 0:
                return m.end()
        return b
