"""Where trigger words occur in a text, lower-cased, found in one Aho-Corasick pass.

The secret, placeholder and blame rules run their regular expressions only where one of
their trigger words occurs. The pass runs over every post-mortem on every `check`, so it is
made as cheap as it can be: a text is searched as bytes (one byte a character: anything
outside ASCII becomes `?`, so offsets stay those of the text), lower-cased by
`bytes.lower`, with the Rust `aho-corasick` crate's DFA (`ahocorasick-rs`). That gives
exactly what searching `text.lower()` gives whenever no trigger word holds a character
outside ASCII or a `?`, and the text holds no KELVIN SIGN (U+212A, the one character
outside ASCII whose lower case is an ASCII letter); otherwise `text.lower()` is searched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import ahocorasick_rs

# The one character outside ASCII that lower-cases to an ASCII letter (`k`). (U+0130
# lower-cases to two characters and is kept as it is, as below.)
_TO_ASCII = "\u212a"


class TriggerScan:
    """An automaton over WORDS (lower-case) that says where each occurs in a text."""

    def __init__(self, words: Iterable[str]):
        self.words = sorted(set(words))
        dfa = ahocorasick_rs.Implementation.DFA
        self._text = ahocorasick_rs.AhoCorasick(self.words, implementation=dfa)
        self._bytes = (
            ahocorasick_rs.BytesAhoCorasick(
                [w.encode("ascii") for w in self.words], implementation=dfa
            )
            if all(w.isascii() and "?" not in w for w in self.words)
            else None
        )

    def find(self, text: str, raw: bytes | None = None) -> dict[str, list[int]]:
        """Where each word occurs in TEXT lower-cased: word -> start offsets, in order;
        the words in the order of their first occurrence (ending first; of two ending at
        one place, the longer first). RAW: `text.encode("ascii", "replace")`, if known."""
        if self._bytes is not None and (text.isascii() or _TO_ASCII not in text):
            if raw is None:
                raw = text.encode("ascii", "replace")
            matches = self._bytes.find_matches_as_indexes(raw.lower(), overlapping=True)
        else:
            lowered = text.lower()
            if len(lowered) != len(text):  # U+0130 lower-cases to two characters
                lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
            matches = self._text.find_matches_as_indexes(lowered, overlapping=True)
        found: defaultdict[str, list[int]] = defaultdict(list)
        words = self.words
        for index, start, _ in matches:
            found[words[index]].append(start)
        return dict(found)
