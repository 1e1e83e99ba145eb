"""The quick scans of `check` give exactly what the plain way gives.

`check` runs over every post-mortem, so its scans take shortcuts: the trigger words are
sought in the text as bytes (core/triggers.py), and audience markers are found by hopping
from one rare character to the next (core/audience.py). Each shortcut is compared here with
the plain way on texts made to trip it: characters outside ASCII, the one character outside
ASCII whose lower case is ASCII (KELVIN SIGN), one that lower-cases to two characters, trigger
words outside ASCII or holding `?`, and many false starts.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem_kb.core import audience, rules
from postmortem_kb.core.parse import find_text
from postmortem_kb.core.triggers import TriggerScan

WORDS = ("token", "secret", "ok", "didn", "didn’t", "kel", "what?", "é", "ßa", "i")
ALPHABET = "tokenseciKdK\u212a\u0130İ’'?é ß\nAWhat-_"


def plain(words: tuple[str, ...], text: str) -> list[tuple[str, list[int]]]:
    """Every occurrence of every word in the text lower-cased as before the shortcut (a
    character whose lower case is longer stays as it is), ordered as the scan orders them:
    words by their first end, the longer first at one end; positions ascending."""
    lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    hits = [
        (start + len(word), -len(word), word, start)
        for word in words
        for start in range(len(lowered))
        if lowered.startswith(word, start)
    ]
    found: dict[str, list[int]] = {}
    for _, _, word, start in sorted(hits):
        found.setdefault(word, []).append(start)
    return list(found.items())


def scanned(scan: TriggerScan, text: str) -> list[tuple[str, list[int]]]:
    return list(scan.find(text).items())


def test_ascii_words_on_text_outside_ascii_are_found_as_in_the_lowered_text() -> None:
    words = ("token", "secret", "kel", "api_key")
    scan = TriggerScan(words)
    for text in (
        "The TOKEN — and the Secret — were rotated; api_key: x",
        "to\u212aen and \u212aEL",  # KELVIN SIGN lower-cases to `k`: the bytes would miss it
        "İ token İ",  # İ lower-cases to two characters: offsets must not shift
        "ToKeNtoken secretsecret",
        "",
    ):
        assert scanned(scan, text) == plain(words, text), text
    assert scan.find("to\u212aen") == {"token": [0]}


def test_words_outside_ascii_or_with_a_question_mark_are_found_too() -> None:
    scan = TriggerScan(WORDS)
    for text in (
        "He DIDN’T check — what? é ßA",
        "what\u00e9 is whatå? ok",  # `?` stands for any character outside ASCII in the bytes
        "plain ascii: what? didn't ok",
    ):
        assert scanned(scan, text) == plain(WORDS, text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_the_scan_equals_the_plain_search(text: str) -> None:
    ascii_words = tuple(w for w in WORDS if w.isascii() and "?" not in w)
    assert scanned(TriggerScan(ascii_words), text) == plain(ascii_words, text)
    assert scanned(TriggerScan(WORDS), text) == plain(WORDS, text)


def test_the_rules_scan_finds_secret_blame_and_placeholder_words() -> None:
    found = rules._scan(()).find("TODO: the Token was pushed by Sam — ghp_abc")
    assert {"todo", "token", "pushed", "ghp_"} <= set(found)
    # a team's own term with an apostrophe adds a word outside ASCII: found all the same
    text = "He WASN’T careful — nor wasn't she"
    found = rules._scan(("wasn't careful",)).find(text)
    assert found["wasn’t"] == [3] and found["wasn't"] == [text.index("wasn't")]


def plain_lines_with(text: str, needles: tuple[str, ...]) -> list[int]:
    return sorted({text.rfind("\n", 0, i) + 1 for n in needles for i in _all(text, n)})


def _all(text: str, needle: str) -> list[int]:
    return [i for i in range(len(text)) if text.startswith(needle, i)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="!?a \n", max_size=60))
def test_marker_lines_are_the_lines_that_hold_the_marks(text: str) -> None:
    assert audience._lines_with(text, ("!!!", "???")) == plain_lines_with(text, ("!!!", "???"))


def test_marker_lines_after_many_false_starts() -> None:
    text = "Why? " * 20 + "\n??? restricted\n" + "Really! " * 20 + "!!! internal\n"
    assert audience._lines_with(text, ("!!!", "???")) == plain_lines_with(text, ("!!!", "???"))
    assert len(audience._lines_with(text, ("!!!", "???"))) == 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="<!-`~a\n", max_size=60), st.sampled_from(["<!--", "```", "~~~", "???"]))
def test_find_text_is_str_find(text: str, needle: str) -> None:
    for start in (0, 1, len(text) // 2):
        assert find_text(text, needle, start) == text.find(needle, start)


def test_one_file_checked_through_relative_paths_sees_the_other_ids(kb, write_pm) -> None:
    """Checking one file reads only the ids of the others: with the knowledge base and the
    file named relative to the working folder (through `..`), the file is in place (no
    PM107), not taken for another one holding its id, and a real duplicate is found."""
    from conftest import complete_postmortem_text, run_cli

    one = write_pm(complete_postmortem_text())
    write_pm(
        complete_postmortem_text().replace("PM-2026-001", "PM-2026-002"), name="PM-2026-002-x.md"
    )
    inside = kb / "postmortems"
    given = f"../postmortems/2026/{one.name}"
    result = run_cli("-C", "..", "check", given, "--format", "json", cwd=inside)
    assert result.exit_code == 0, result.output
    write_pm(complete_postmortem_text(), name="PM-2026-001-copy.md")
    result = run_cli("-C", "..", "check", given, "--format", "json", cwd=inside)
    assert [f["rule"] for f in result.json()["findings"]] == ["PM106"]
    assert "PM-2026-001-copy.md" in result.json()["findings"][0]["message"]
