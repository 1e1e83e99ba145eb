"""PM501's learned second opinion (core/blame_model.py, on by default; `blame_model: false`
turns it off): it finds blame the patterns miss, only in sentences where a pattern's
trigger word has someone named just before it, with the patterns' exemptions. Sentences
written for these tests, not taken from the measuring sets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from conftest import REPO, complete_postmortem_text, run_cli
from postmortem_kb.core import blame_model
from postmortem_kb.core.config import Config
from postmortem_kb.core.model import Finding
from postmortem_kb.core.parse import parse_text
from postmortem_kb.core.rules import check_postmortem


def blame_in(prose: str, model: bool = True) -> list[Finding]:
    text = complete_postmortem_text().replace("## Summary\n\n", f"## Summary\n\n{prose}\n\n", 1)
    config = Config(root=Path("."), select=("PM501",), blame_model=model)
    pm = parse_text("postmortems/2026/PM-2026-001-x.md", text)
    return check_postmortem(pm, config, None)


# (blame the patterns miss and the model finds, a near sentence that blames no one)
MISSED_BY_PATTERNS = [
    (
        "The DBA ran the cleanup script against production instead of staging.",
        "The cleanup script ran against production because both hosts share a name.",
    ),
    (
        "Someone at the branch typed a million instead of a thousand.",
        "The form accepted a million instead of a thousand because it had no upper limit.",
    ),
    (
        "Someone at the branch entered a million instead of a thousand.",
        "The import entered a million instead of a thousand: the unit column was missing.",
    ),
    (
        "She had run the script on the production environment instead of the test one.",
        "The script had run on the production environment instead of the test one.",
    ),
]


@pytest.mark.parametrize("sentence, near", MISSED_BY_PATTERNS)
def test_the_model_finds_what_the_patterns_miss(sentence: str, near: str) -> None:
    assert blame_in(sentence, model=False) == []
    found = blame_in(sentence)
    assert len(found) == 1
    assert "(model)" in found[0].message and "describe what the system" in found[0].message
    assert blame_in(near) == []


def test_blame_model_false_is_the_patterns_alone() -> None:
    sentence = MISSED_BY_PATTERNS[0][0]
    assert blame_in(sentence, model=True) and blame_in(sentence, model=False) == []


def test_one_finding_per_sentence_patterns_first() -> None:
    found = blame_in("Our contractor pushed the change and broke the VPN.")
    assert len(found) == 1 and "(person-act)" in found[0].message
    # a pattern's finding in the sentence: the model is not asked about it again
    found = blame_in("He ran the command on the wrong host and wiped the disk.")
    assert len(found) == 1 and "(model)" not in found[0].message


def test_the_model_is_asked_only_where_someone_is_named_before_a_trigger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def spy(sentence: str) -> bool:
        asked.append(sentence)
        return False

    monkeypatch.setattr(blame_model, "blame_laden", spy)
    # "ran" is a trigger word: someone is named just before it, so the model is asked
    assert blame_in("The DBA ran the cleanup script against production.") == []
    assert asked == ["The DBA ran the cleanup script against production"]
    asked.clear()
    # the same trigger word, no one named before it: not asked
    assert blame_in("The cleanup script ran against production on Tuesday.") == []
    # someone named, but no trigger word: not asked
    assert blame_in("The DBA looked at the dashboard on Tuesday.") == []
    # someone named, but far before the trigger word (more than a few words)
    assert (
        blame_in("The DBA said that the cleanup job, scheduled weekly for a year, ran twice.")
        == []
    )
    # "we" is how post-mortems speak, not someone to blame: not asked
    assert blame_in("We ran the cleanup script against production.") == []
    assert asked == []


@pytest.mark.parametrize(
    "window, expected",
    [
        ("The engineer ", True),
        ("Priya, the on-call, ", True),  # a role with its punctuation
        ("(the contractor) ", True),
        ("@dana ", True),  # a handle
        ("he then ", True),
        ("We ", False),
        ("The script ", False),
        ("The engineer said so. The script ", False),  # the person is in the last sentence
        ("The engineer wrote:\n- the script ", False),  # ... or in the line above a list item
        ("The engineer wrote the\nscript that ", True),  # a hard-wrapped line is one sentence
        ("The engineer opened the ticket and then the cleanup script ", False),  # too far
    ],
)
def test_near_someone(window: str, expected: bool) -> None:
    text = window + "ran"
    assert blame_model.near_someone(text, len(window), 0) is expected


@pytest.mark.parametrize(
    "prose",
    [
        "`The DBA ran the cleanup script against production instead of staging.`",
        "```\nThe DBA ran the cleanup script against production instead of staging.\n```",
        "<!-- The DBA ran the cleanup script against production instead of staging. -->",
        "Someone at the branch typed a million instead of a thousand; this is not about blame.",
        "Someone at the branch typed a million instead of a thousand: a blameless review"
        " asks what the form allowed.",
    ],
)
def test_the_model_keeps_the_patterns_exemptions(prose: str) -> None:
    assert blame_model.probability(prose.strip("`<!->\n")) >= 0.5
    assert blame_in(prose) == []


def test_the_weights_are_a_small_file_read_once() -> None:
    assert blame_model.WEIGHTS.stat().st_size < 2_000_000
    data = json.loads(blame_model.WEIGHTS.read_text(encoding="utf-8"))
    assert 0.5 <= data["threshold"] < 1
    assert 100 < len(data["weights"]) < 50_000
    assert all(math.isfinite(w) for w in data["weights"].values())
    assert all(f.split(":")[0] in {"w", "b"} for f in data["weights"])
    blame_model._tables.cache_clear()
    blame_model.score("The DBA ran it.")
    blame_model.score("The DBA ran it again.")
    assert blame_model._tables.cache_info().misses == 1


def test_features_generalise_names_roles_and_pronouns() -> None:
    assert {"w:<name>", "b:<name> deleted"} <= blame_model.features("Sergei deleted it.")
    assert "b:<name> script" in blame_model.features("Sergei's script deleted it.")
    assert "b:<role> deleted" in blame_model.features("The engineer deleted it.")
    assert "b:<pron> deleted" in blame_model.features("She deleted it.")
    assert "b:job deleted" in blame_model.features("The job deleted it.")
    assert "w:<name>" not in blame_model.features("Jenkins deleted it.")  # a tool, not a name


def test_the_fast_score_is_the_sum_over_the_features() -> None:
    words, pairs, bias, _ = blame_model._tables()
    for sentence in [
        "Sergei's laptop: Priya broke the engineer’s build, he said.",
        "The scheduler ran the nightly playbook and took the warehouse offline.",
        MISSED_BY_PATTERNS[1][0],
    ]:
        expected = bias
        for feature in blame_model.features(sentence):
            kind, _, rest = feature.partition(":")
            if kind == "w":
                expected += words.get(rest, 0.0)
            else:
                first, _, second = rest.partition(" ")
                expected += pairs.get((first, second), 0.0)
        assert blame_model.score(sentence) == pytest.approx(expected)
        assert 0 < blame_model.probability(sentence) < 1


def _configure(kb: Path, settings: str) -> None:
    config = kb / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  - postmortems:\n", "  - postmortems:\n" + settings, 1), encoding="utf-8"
    )


def _write(kb: Path, prose: str) -> None:
    path = kb / "postmortems" / "2026" / "PM-2026-001-x.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        complete_postmortem_text().replace("## Summary\n\n", f"## Summary\n\n{prose}\n\n", 1),
        encoding="utf-8",
    )


def test_blame_model_in_mkdocs_yml(kb: Path) -> None:
    _write(kb, MISSED_BY_PATTERNS[0][0])
    result = run_cli("-C", str(kb), "check", "--format", "json")
    assert [f["rule"] for f in result.json()["findings"]] == ["PM501"]
    assert "(model)" in result.json()["findings"][0]["message"]
    _configure(kb, "      blame_model: false\n")
    assert run_cli("-C", str(kb), "check", "--format", "json").json()["findings"] == []


@pytest.mark.parametrize("value", ["yes please", "1", "[true]"])
def test_blame_model_must_be_true_or_false(kb: Path, value: str) -> None:
    _configure(kb, f"      blame_model: {value}\n")
    result = run_cli("-C", str(kb), "check")
    assert result.exit_code == 2
    assert "blame_model must be true or false" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_sample_postmortems_have_no_blame_with_the_model() -> None:
    config = Config(root=REPO, select=("PM501",))
    assert config.blame_model
    found = []
    for path in sorted((REPO / "postmortems").glob("20*/*.md")):
        pm = parse_text(str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))
        found += [f for f in check_postmortem(pm, config, None) if f.rule == "PM501"]
    assert found == []
