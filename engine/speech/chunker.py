"""Cut a stream of text deltas into pieces a voice can speak as early as possible.

The language model produces tokens; text-to-speech wants whole phrases. The
first chunk of a reply is released at its first clause boundary (a comma,
semicolon, colon or dash after at least ``min_clause_words`` words), or after
``first_chunk_words`` words when no boundary comes sooner, so the assistant
starts talking quickly; after that, chunks are sentences. A full
stop only ends a sentence when whitespace follows and the next word does not
start in lower case, and not after a known abbreviation ("e.g.", "Dr."), an
initial ("J.") or a list number ("2."); so decimals ("3.14"), versions,
file names and URLs stay whole. Nothing inside backticks or a ``` fence is
split. A chunk that reaches ``max_chars`` without a boundary is cut at its
last clause mark or space so synthesis never waits on a run-on.

Pure Python, no state shared between instances; ``push`` and ``flush`` return
the chunks completed, stripped of surrounding whitespace and never empty.
"""

from __future__ import annotations

from dataclasses import dataclass

SENTENCE_MARKS = ".!?…"
CLAUSE_MARKS = ",;:—–"
CLOSERS = "\"')]}”’»"
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "e.g", "i.e", "eg", "ie", "cf",
        "approx", "fig", "figs", "vol", "pp", "inc", "ltd", "corp", "dept", "jan", "feb", "apr", "jun",
        "jul", "aug", "sep", "sept", "oct", "nov", "ave", "blvd", "rd", "gov", "sgt", "capt", "lt",
        "a.m", "p.m", "u.s", "u.k", "ph.d",
    }
)  # fmt: skip


@dataclass
class _Scan:
    """Where the next chunk ends, or that more text is needed to tell."""

    end: int | None
    in_fence: bool
    in_inline: bool


class SentenceChunker:
    """Turns text deltas into speakable chunks: first clause early, then sentences.

    ``push(delta)`` returns the chunks that became complete; ``flush()`` ends
    the reply and returns the rest. The chunks depend only on the text, never
    on how it was split into deltas. ``reset()`` prepares for the next reply.
    ``early_first=False`` makes every chunk a sentence (for text that is
    already complete, such as a podcast turn).
    """

    def __init__(
        self, min_clause_words: int = 4, max_chars: int = 220, first_chunk_words: int = 8, *, early_first: bool = True
    ) -> None:
        if min_clause_words < 1:
            raise ValueError("min_clause_words must be at least 1")
        if first_chunk_words < min_clause_words:
            raise ValueError("first_chunk_words must be at least min_clause_words")
        self.first_chunk_words = first_chunk_words
        self.early_first = early_first
        if max_chars < 20:
            raise ValueError("max_chars must be at least 20")
        self.min_clause_words = min_clause_words
        self.max_chars = max_chars
        self.reset()

    def reset(self) -> None:
        """Forget buffered text; the next chunk is again a reply's first."""
        self._buf = ""
        self._first = self.early_first
        self._in_fence = False
        self._in_inline = False

    @property
    def pending(self) -> str:
        """Text received but not yet released as a chunk."""
        return self._buf

    def push(self, delta: str) -> list[str]:
        """Add a text delta; return the chunks it completed."""
        self._buf += delta
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """End of the reply: return every remaining chunk, then reset."""
        chunks = self._drain(final=True)
        rest = self._buf.strip()
        if rest:
            chunks.append(rest)
        self.reset()
        return chunks

    # ----- scanning ---------------------------------------------------------

    def _drain(self, final: bool) -> list[str]:
        chunks: list[str] = []
        while True:
            scan = self._scan(final)
            if scan.end is None:
                return chunks
            chunk = self._buf[: scan.end].strip()
            self._buf = self._buf[scan.end :]
            self._in_fence, self._in_inline = scan.in_fence, scan.in_inline
            if chunk:
                chunks.append(chunk)
                self._first = False

    def _scan(self, final: bool) -> _Scan:
        buf = self._buf
        n = len(buf)
        limit = min(n, self.max_chars)
        in_fence, in_inline = self._in_fence, self._in_inline
        i = 0
        while i < limit:
            if buf.startswith("```", i):
                in_fence = not in_fence
                i += 3
                continue
            if buf[i] == "`" and not in_fence:
                in_inline = not in_inline
                i += 1
                continue
            if in_fence or in_inline:
                i += 1
                continue
            ch = buf[i]
            if ch == "\n":
                return _Scan(i + 1, in_fence, in_inline)
            if ch in SENTENCE_MARKS:
                j = i
                while j < n and buf[j] in SENTENCE_MARKS:
                    j += 1
                k = j
                while k < n and buf[k] in CLOSERS:
                    k += 1
                verdict = self._sentence_end(i, j, k, final)
                if verdict is None:
                    return _Scan(None, in_fence, in_inline)
                if verdict and k <= self.max_chars:
                    return _Scan(k, in_fence, in_inline)
                i = k
                continue
            if ch in CLAUSE_MARKS and self._first:
                if i + 1 >= n:
                    if not final:
                        return _Scan(None, in_fence, in_inline)
                elif buf[i + 1].isspace() and len(buf[:i].split()) >= self.min_clause_words:
                    return _Scan(i + 1, in_fence, in_inline)
            if self._first and ch.isspace() and i > 0 and not buf[i - 1].isspace():
                # Synthesis time grows with the chunk: a long first clause delays the first audio.
                if len(buf[:i].split()) >= self.first_chunk_words and i + 1 < n and not buf[i + 1].isspace():
                    return _Scan(i + 1, in_fence, in_inline)
            i += 1
        if n > self.max_chars:
            return self._forced_cut(in_fence_at_start=self._in_fence, in_inline_at_start=self._in_inline)
        return _Scan(None, in_fence, in_inline)

    def _sentence_end(self, mark: int, run_end: int, after: int, final: bool) -> bool | None:
        """Whether the marks at ``mark:run_end`` end a sentence; None when the next text is needed."""
        buf = self._buf
        n = len(buf)
        if after >= n:
            return True if final else None
        if not buf[after].isspace():
            return False
        nxt = after
        while nxt < n and buf[nxt].isspace():
            nxt += 1
        if nxt >= n:
            return True if final else None
        if buf[mark:run_end].strip(".…"):
            return True  # the run holds a ! or ?
        if buf[nxt].islower():
            return False
        start = mark
        while start > 0 and not buf[start - 1].isspace():
            start -= 1
        word = buf[start:mark].lstrip("\"'([{“‘«")
        if word.lower() in ABBREVIATIONS:
            return False
        if len(word) == 1 and word.isalpha() and word.isupper():
            return False  # an initial, as in "J. R. Tolkien"
        # A number opening the chunk is a list item ("2. Open the settings"), not a sentence.
        return not (word.isdigit() and not buf[:start].strip())

    def _forced_cut(self, in_fence_at_start: bool, in_inline_at_start: bool) -> _Scan:
        """Cut an over-long chunk at its last clause mark, else its last space, else at ``max_chars``."""
        window = self._buf[: self.max_chars]
        cut = 0
        for pos in range(len(window) - 1, 0, -1):
            if window[pos].isspace() and window[pos - 1] in CLAUSE_MARKS:
                cut = pos
                break
        if cut == 0:
            cut = max((pos for pos, ch in enumerate(window) if ch.isspace()), default=0)
        if cut == 0:
            cut = self.max_chars
        in_fence, in_inline = in_fence_at_start, in_inline_at_start
        i = 0
        while i < cut:
            if window.startswith("```", i):
                in_fence = not in_fence
                i += 3
                continue
            if window[i] == "`" and not in_fence:
                in_inline = not in_inline
            i += 1
        return _Scan(cut, in_fence, in_inline)
