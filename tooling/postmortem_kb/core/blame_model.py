"""PM501's second opinion: a small linear model that scores one sentence for blame.

A logistic regression over the words of a sentence and its word pairs, where a role
("engineer", "contractor"), a person's pronoun, a handle or a given name is replaced by
its class (so that "Sergei deleted" and "Priya deleted" are one pair), trained offline on
real, labelled sentences (benchmarks/train_blame_model.py; the data stays outside the
repository). Here only the scorer runs: it reads the weights (`blame_model.json`, a few
thousand numbers, loaded the first time a sentence is scored) and adds up the weights of
the words and pairs a sentence has.

`check` asks the model only about a sentence that a pattern of core/blame.py looked at
(one of its trigger words occurs) without finding blame, and only when someone who could
be blamed is named within a few words of that trigger word (`near_someone`); it finds the
sentence when the model's probability is at least the shipped threshold. Everything else
is the patterns' alone. The scorer is pure Python with no dependency.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from itertools import repeat
from pathlib import Path

from .names import FIRST_NAMES

WEIGHTS = Path(__file__).with_name("blame_model.json")
SUGGESTION = (
    "a model trained on real blame-laden sentences reads this one as blaming someone: "
    "describe what the system and the conditions allowed, not the person"
)

_TOKEN = re.compile(r"[\w'@-]+")
_PRONOUNS = frozenset(
    "he she someone somebody i whoever they we you his her him them anyone nobody "
    "everyone".split()
)


@lru_cache(maxsize=1)
def _roles() -> frozenset[str]:
    from . import blame  # imported here: blame imports this module lazily

    return blame.ROLES | blame.PLURAL_ROLES | blame.GROUPS - {"we", "they"}


@lru_cache(maxsize=1)
def _class_of() -> dict[str, str]:
    """The class of each lower-cased word that has one whatever its case."""
    table = {word: "<pron>" for word in _PRONOUNS}
    table.update({word: "<role>" for word in _roles()})
    table.update({word + "'s": cls for word, cls in table.items()})
    return table


def _sequence(sentence: str) -> list[str]:
    """The words of SENTENCE, lower-cased, a role or person's pronoun as its class, and a
    capitalised given name (also with 's) as "<name>"."""
    raws = _TOKEN.findall(sentence.replace("’", "'"))
    get = _class_of().get
    seq = [get(low, low) for low in map(str.lower, raws)]
    if not FIRST_NAMES.isdisjoint(raws) or "'s" in sentence or "’s" in sentence:
        for i, raw in enumerate(raws):
            if raw in FIRST_NAMES or raw.removesuffix("'s") in FIRST_NAMES:
                seq[i] = "<name>"
    return seq


def features(sentence: str) -> set[str]:
    """The features of one sentence: its words (a person's word as its class) and its word
    pairs, with the start and end of the sentence as words."""
    seq = _sequence(sentence)
    out = {"w:" + word for word in seq}
    padded = ["<s>", *seq, "</s>"]
    out.update("b:" + a + " " + b for a, b in zip(padded, padded[1:], strict=False))
    return out


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], dict[tuple[str, str], float], float, float]:
    """The weights of single words and of word pairs, the bias, and the threshold as
    log-odds; read from `blame_model.json` once, the first time a sentence is scored."""
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    words: dict[str, float] = {}
    pairs: dict[tuple[str, str], float] = {}
    for name, weight in data["weights"].items():
        kind, _, rest = name.partition(":")
        if kind == "w":
            words[rest] = weight
        elif kind == "b":
            first, _, second = rest.partition(" ")
            pairs[(first, second)] = weight
    threshold = float(data["threshold"])
    return words, pairs, float(data["bias"]), math.log(threshold / (1 - threshold))


def score(sentence: str) -> float:
    """The model's log-odds for SENTENCE: the sum of the weights of `features(sentence)`,
    looked up without building the feature strings."""
    words, pairs, bias, _ = _tables()
    seq = _sequence(sentence)
    zero = repeat(0.0)
    z = bias + sum(map(words.get, set(seq), zero))
    padded = ["<s>", *seq, "</s>"]
    return z + sum(map(pairs.get, set(zip(padded, padded[1:])), zero))  # noqa: B905


def probability(sentence: str) -> float:
    return 1.0 / (1.0 + math.exp(-score(sentence)))


def blame_laden(sentence: str) -> bool:
    """Whether the model says SENTENCE blames someone, at the threshold it was shipped with
    (the caller has tested `near_someone` first)."""
    return score(sentence) >= _tables()[3]


# Who can be blamed, for the gate before the model: a role, a person's pronoun or a handle.
# "we", "our" and "us" are left out (post-mortems speak as "we" throughout), and so are
# given names (the patterns judge a name with an act): in cross-validation, neither lost a
# blame-laden sentence that the model found.
_PEOPLE_PRONOUNS = frozenset(
    "he she someone somebody i whoever they you his her him them their my your me anyone "
    "nobody everyone".split()
)
_ITEM = frozenset("-*+|#>0123456789\n")
# how far before a pattern's trigger word (usually the verb) someone must be named: 40
# characters, a few words, lost one blame-laden sentence in 207 against 60 in
# cross-validation, and the model is asked about far fewer sentences
BEFORE = 40


@lru_cache(maxsize=1)
def people_tokens() -> frozenset[str]:
    """The people's words as `str.split` gives them: bare, and with the punctuation and
    Markdown that attach to a word."""
    words = _roles() | _PEOPLE_PRONOUNS
    heads = ("", "(", '"', "“", "'", "*", "**", "_", "[")
    tails = ("", ",", ".", ":", ";", "'s", "’s", "s'", ")", '"', "”", "'", "*", "**", "_", "]")
    return frozenset(h + w + t for w in words for h in heads for t in tails)


def near_someone(text: str, position: int, floor: int) -> bool:
    """Whether someone who could be blamed (a role, a person's pronoun or a handle) is
    named in the few words of the same sentence before POSITION (a pattern's
    trigger word, usually the verb): the gate before the model, so that it is asked about
    few sentences. One set operation on the split words of a short window."""
    start = position - BEFORE
    window = text[start if start > floor else floor : position].lower()
    cut = window.rfind(". ")
    line = window.rfind("\n")
    if line > cut and window[line + 1 : line + 2] in _ITEM:  # a list item or table row
        cut = line
    words = (window[cut + 1 :] if cut >= 0 else window).split()
    if not people_tokens().isdisjoint(words):
        return True
    return "@" in window and any(w[0] == "@" and len(w) > 1 for w in words)
