"""PM501's second opinion: a small linear model that scores one sentence for blame.

A logistic regression over the words of the sentence, its word pairs, and a few grammar
features (a person, role, name or handle with the words that follow or precede it; a
negation with what it negates; a hindsight modal), trained offline on real, labelled
sentences (benchmarks/train_blame_model.py; the data stays outside the repository). Here
only the hand-written scorer runs: it reads the weights (`blame_model.json`, a few
thousand numbers) once and adds up the weights of the features a sentence has.

The scorer is pure Python with no dependency, and `check` calls it only for sentences the
patterns of core/blame.py already looked at (see `blame.find`), never for every sentence.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

from .names import FIRST_NAMES

WEIGHTS = Path(__file__).with_name("blame_model.json")
SUGGESTION = (
    "the learned second opinion (blame_model) reads this sentence as blaming someone; "
    "describe the system and conditions instead"
)

_TOKEN = re.compile(r"@?[\w'’-]+")
_NEGATIONS = frozenset(
    {
        "not",
        "never",
        "no",
        "nobody",
        "didn't",
        "don't",
        "doesn't",
        "wasn't",
        "weren't",
        "hadn't",
        "haven't",
        "hasn't",
        "couldn't",
        "wouldn't",
        "won't",
        "can't",
        "cannot",
        "isn't",
        "aren't",
        "nothing",
        "none",
        "without",
    }
)
_MODALS = frozenset(
    {"should", "could", "would", "must", "might", "shouldn't", "couldn't", "wouldn't", "mustn't"}
)
_PRONOUNS = frozenset(
    {
        "he",
        "she",
        "someone",
        "somebody",
        "i",
        "whoever",
        "they",
        "we",
        "you",
        "his",
        "her",
        "him",
        "them",
        "anyone",
        "nobody",
        "everyone",
    }
)


@lru_cache(maxsize=1)
def _roles() -> frozenset[str]:
    from . import blame  # imported here: blame imports this module

    return blame.ROLES | blame.PLURAL_ROLES | blame.GROUPS - {"we", "they"}


@lru_cache(maxsize=1)
def _class_of() -> dict[str, str]:
    """The class of each lower-cased word that has one whatever its case."""
    table = {word: "<pron>" for word in _PRONOUNS}
    table.update({word: "<role>" for word in _roles()})
    return table


def _word_class(raw: str, low: str, roles: frozenset[str]) -> str:
    if low in roles:
        return "<role>"
    if low in _PRONOUNS:
        return "<pron>"
    if raw.startswith("@") and len(raw) > 1:
        return "<handle>"
    if raw[:1].isupper() and (raw in FIRST_NAMES or raw.rstrip("'’s") in FIRST_NAMES):
        return "<name>"
    if raw[:1].isdigit():
        return "<num>"
    return ""


def features(sentence: str) -> set[str]:
    """The features of one sentence: words, word pairs over words-with-classes, and
    grammar features around people, negations and modals."""
    roles = _roles()
    raws = _TOKEN.findall(sentence.replace("’", "'"))
    lows = [raw.lower() for raw in raws]
    classes = [_word_class(raw, low, roles) for raw, low in zip(raws, lows, strict=True)]
    seq = [c or low for c, low in zip(classes, lows, strict=True)]
    out = {"w:" + (c if c == "<num>" else low) for c, low in zip(classes, lows, strict=True)}
    out.update("w:" + c for c in classes if c)
    padded = ["<s>", *seq, "</s>"]
    out.update("b:" + a + " " + b for a, b in zip(padded, padded[1:], strict=False))
    person = False
    for i, cls in enumerate(classes):
        if cls and cls != "<num>":
            person = True
            for word in seq[i + 1 : i + 4]:
                out.add("p>:" + word)
            for word in seq[max(0, i - 3) : i]:
                out.add("<p:" + word)
        low = lows[i]
        if low in _NEGATIONS or low.endswith("n't"):
            for word in seq[i + 1 : i + 3]:
                out.add("n>:" + word)
        if low in _MODALS and i + 1 < len(lows) and lows[i + 1] in ("have", "not", "never"):
            out.add("hindsight")
            for word in seq[i + 2 : i + 4]:
                out.add("h>:" + word)
    if person:
        out.add("person")
    return out


@lru_cache(maxsize=1)
def _model() -> tuple[dict[str, float], float, float]:
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return data["weights"], float(data["bias"]), float(data["threshold"])


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], float, float]:
    """The weights by family ("w", "p>", "<p", "n>", "h>", and the scalars), and the word
    pairs by their first word, so that scoring looks up words instead of building the
    feature strings."""
    weights, bias, threshold = _model()
    family: dict[str, dict[str, float]] = {"w": {}, "p>": {}, "<p": {}, "n>": {}, "h>": {}, "": {}}
    pairs: dict[str, dict[str, float]] = {}
    for name, weight in weights.items():
        kind, _, rest = name.partition(":")
        if kind == "b":
            first, _, second = rest.partition(" ")
            pairs.setdefault(first, {})[second] = weight
        elif rest:
            family[kind][rest] = weight
        else:
            family[""][kind] = weight  # "person", "hindsight"
    return family, pairs, bias, math.log(threshold / (1 - threshold))


def score(sentence: str) -> float:
    """The model's log-odds for SENTENCE: the same sum as over `features(sentence)`, found
    by looking up each word and word pair in the weight tables (no feature strings)."""
    family, pairs, bias, _ = _tables()
    class_of = _class_of()
    raws = _TOKEN.findall(sentence.replace("’", "'"))
    lows = [raw.lower() for raw in raws]
    classes = []
    for raw, low in zip(raws, lows, strict=True):  # as _word_class, inline: the hot loop
        cls = class_of.get(low)
        if cls is None:
            first = raw[0]
            if first == "@" and len(raw) > 1:
                cls = "<handle>"
            elif first.isupper() and (raw in FIRST_NAMES or raw.rstrip("'’s") in FIRST_NAMES):
                cls = "<name>"
            elif first.isdigit():
                cls = "<num>"
            else:
                cls = ""
        classes.append(cls)
    seq = [c or low for c, low in zip(classes, lows, strict=True)]
    words = {"<num>" if c == "<num>" else low for c, low in zip(classes, lows, strict=True)}
    words.update(c for c in classes if c)
    single = family["w"]
    z = bias + sum(single.get(w, 0.0) for w in words)
    padded = ["<s>", *seq, "</s>"]
    seen: set[tuple[str, str]] = set()
    for a, b in zip(padded, padded[1:], strict=False):
        seconds = pairs.get(a)
        if seconds is not None:
            weight = seconds.get(b)
            if weight is not None and (a, b) not in seen:
                seen.add((a, b))
                z += weight
    after: set[str] = set()
    before: set[str] = set()
    negated: set[str] = set()
    hindsight: set[str] = set()
    person = modal = False
    for i, cls in enumerate(classes):
        if cls and cls != "<num>":
            person = True
            after.update(seq[i + 1 : i + 4])
            before.update(seq[max(0, i - 3) : i])
        low = lows[i]
        if low in _NEGATIONS or low.endswith("n't"):
            negated.update(seq[i + 1 : i + 3])
        if low in _MODALS and i + 1 < len(lows) and lows[i + 1] in ("have", "not", "never"):
            modal = True
            hindsight.update(seq[i + 2 : i + 4])
    for kind, found in (("p>", after), ("<p", before), ("n>", negated), ("h>", hindsight)):
        table = family[kind]
        z += sum(table.get(w, 0.0) for w in found)
    scalars = family[""]
    return (
        z
        + (scalars.get("person", 0.0) if person else 0.0)
        + (scalars.get("hindsight", 0.0) if modal else 0.0)
    )


def probability(sentence: str) -> float:
    return 1.0 / (1.0 + math.exp(-score(sentence)))


def blame_laden(sentence: str) -> bool:
    """Whether the model says SENTENCE blames someone, at the threshold it was shipped with."""
    return score(sentence) >= _tables()[3]
