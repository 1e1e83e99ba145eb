"""PM501's learned second opinion (core/blame_model.py, `blame_model: true`): it finds
blame the patterns miss, only in sentences a pattern looked at, with the patterns'
exemptions; off by default. Sentences written for these tests, not taken from the
measuring sets."""

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


def blame_in(prose: str, model: bool) -> list[Finding]:
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
        "Management let the clerk take the blame for the transfer.",
        "The transfer was approved after three warnings were shown.",
    ),
]


@pytest.mark.parametrize("sentence, near", MISSED_BY_PATTERNS)
def test_the_model_finds_what_the_patterns_miss(sentence: str, near: str) -> None:
    assert blame_in(sentence, model=False) == []
    found = blame_in(sentence, model=True)
    assert len(found) == 1
    assert "(model)" in found[0].message and "describe the system" in found[0].message
    assert blame_in(near, model=True) == []


def test_one_finding_per_sentence_patterns_first() -> None:
    found = blame_in("Our contractor pushed the change and broke the VPN.", model=True)
    assert len(found) == 1 and "(person-act)" in found[0].message


def test_the_model_runs_only_where_a_pattern_looked() -> None:
    # blame by the model's reading (p > 0.9), but no trigger word: no pattern looks here,
    # so the model is not asked (that keeps its cost to the sentences patterns look at)
    sentence = "The employee sent the spreadsheet to every customer on the list."
    assert blame_model.blame_laden(sentence)
    assert blame_in(sentence, model=True) == []


@pytest.mark.parametrize(
    "prose",
    [
        "`The DBA ran the cleanup script against production instead of staging.`",
        "```\nThe DBA ran the cleanup script against production instead of staging.\n```",
        "<!-- The DBA ran the cleanup script against production instead of staging. -->",
        "Someone at the branch typed a million instead of a thousand; this is not about blame.",
    ],
)
def test_the_model_keeps_the_patterns_exemptions(prose: str) -> None:
    assert blame_in(prose, model=True) == []


def test_the_weights_are_a_small_readable_file() -> None:
    data = json.loads(blame_model.WEIGHTS.read_text(encoding="utf-8"))
    assert 0.5 <= data["threshold"] < 1
    assert 100 < len(data["weights"]) < 20_000
    assert all(math.isfinite(w) for w in data["weights"].values())
    assert all(
        f.split(":")[0] in {"w", "b", "p>", "<p", "n>", "h>"} or f in {"person", "hindsight"}
        for f in data["weights"]
    )


def test_features_generalise_names_roles_and_handles() -> None:
    assert {"w:<name>", "b:<name> deleted", "person"} <= blame_model.features("Sergei deleted it.")
    assert "b:<role> deleted" in blame_model.features("The engineer deleted it.")
    assert "b:<handle> deleted" in blame_model.features("@dana deleted it.")
    assert "person" not in blame_model.features("The job deleted it.")
    assert "hindsight" in blame_model.features("The team should have known.")
    assert "n>:follow" in blame_model.features("They did not follow the runbook.")


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
    assert run_cli("-C", str(kb), "check", "--format", "json").json()["findings"] == []
    _configure(kb, "      blame_model: true\n")
    result = run_cli("-C", str(kb), "check", "--format", "json")
    assert [f["rule"] for f in result.json()["findings"]] == ["PM501"]
    assert "(model)" in result.json()["findings"][0]["message"]


@pytest.mark.parametrize("value", ["yes please", "1", "[true]"])
def test_blame_model_must_be_true_or_false(kb: Path, value: str) -> None:
    _configure(kb, f"      blame_model: {value}\n")
    result = run_cli("-C", str(kb), "check")
    assert result.exit_code == 2
    assert "blame_model must be true or false" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_sample_postmortems_have_no_blame_with_the_model() -> None:
    config = Config(root=REPO, select=("PM501",), blame_model=True)
    found = []
    for path in sorted((REPO / "postmortems").glob("20*/*.md")):
        pm = parse_text(str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))
        found += [f for f in check_postmortem(pm, config, None) if f.rule == "PM501"]
    assert found == []
