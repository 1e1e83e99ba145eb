"""The check cache (.cache/postmortem-kb.sqlite3): the same results with it as without it,
through edits, additions, deletions, renames, configuration and template changes; never
trusted when damaged, forged or locked; shared safely by concurrent runs."""

from __future__ import annotations

import marshal
import os
import shutil
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO, run_cli, run_process
from postmortem_kb.core import cache
from postmortem_kb.core.config import load_config
from postmortem_kb.core.knowledge_base import check

DB = Path(".cache") / "postmortem-kb.sqlite3"
SECRET = "The key AKIAQYLPMN3ZR7WXJ2KD was used from outside."


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """The repository's own sample knowledge base, copied."""
    root = tmp_path / "samples"
    root.mkdir()
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "postmortems", root / "postmortems")
    return root


def outputs(root: Path, *args: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """(exit, json output) of `check ARGS` without the cache, then with it."""
    fresh = run_cli("-C", str(root), "check", "--format", "json", "--no-cache", *args)
    cached = run_cli("-C", str(root), "check", "--format", "json", *args)
    return (fresh.exit_code, fresh.output), (cached.exit_code, cached.output)


def same_both_ways(root: Path, *args: str) -> None:
    fresh, cached = outputs(root, *args)
    assert cached == fresh
    # and once more, now read from what the last run kept
    again = run_cli("-C", str(root), "check", "--format", "json", *args)
    assert (again.exit_code, again.output) == fresh


def cached_count(root: Path, **kwargs: object) -> int:
    return check(load_config(root), cache=True, **kwargs).cached  # type: ignore[arg-type]


def a_postmortem(root: Path, name: str = "PM-2026-004") -> Path:
    return next((root / "postmortems").glob(f"*/{name}-*.md"))


def test_same_findings_with_and_without_the_cache_on_the_samples(samples: Path) -> None:
    same_both_ways(samples)
    text_fresh = run_cli("-C", str(samples), "check", "--no-cache")
    text_cached = run_cli("-C", str(samples), "check")
    assert (text_cached.exit_code, text_cached.output) == (text_fresh.exit_code, text_fresh.output)
    assert "ready for" in text_cached.output  # what drafts still need comes from the cache too
    for status in ("in-review", "published"):
        same_both_ways(samples, "--for", status)
    # the second run read every file's results from the cache
    files = len(list((samples / "postmortems").glob("[0-9]*/*.md")))
    assert cached_count(samples) == files


def test_same_findings_through_a_sequence_of_edits(samples: Path) -> None:
    same_both_ways(samples)
    target = a_postmortem(samples)
    text = target.read_text(encoding="utf-8")

    # a secret added to a body, and taken out again
    target.write_text(text.replace("## Summary\n", f"## Summary\n\n{SECRET}\n", 1), "utf-8")
    fresh, cached = outputs(samples)
    assert cached == fresh and "PM401" in cached[1]
    target.write_text(text, encoding="utf-8")
    same_both_ways(samples)

    # a second file takes the same id: PM106 on both, computed from the cached ids
    copy = target.with_name(target.name.replace(".md", "-copy.md"))
    copy.write_text(text, encoding="utf-8")
    fresh, cached = outputs(samples)
    assert cached == fresh and cached[1].count("PM106") >= 2
    same_both_ways(samples, str(target))  # one file named: the others' ids come from the cache

    # renamed, then deleted
    renamed = copy.with_name("PM-2026-004-renamed.md")
    copy.rename(renamed)
    same_both_ways(samples)
    renamed.unlink()
    same_both_ways(samples)

    # a file that does not parse, and a new complete one
    broken = samples / "postmortems" / "2026" / "PM-2026-099-broken.md"
    broken.write_text("---\nid: [unclosed\n---\n# x\n", encoding="utf-8")
    fresh, cached = outputs(samples)
    assert cached == fresh and "PM-2026-099-broken.md" in cached[1]
    broken.unlink()
    complete = (REPO / "tests" / "fixtures" / "complete.md").read_text(encoding="utf-8")
    (samples / "postmortems" / "2026" / "PM-2026-001-complete.md").write_text(
        complete, encoding="utf-8"
    )
    same_both_ways(samples)

    # visibility and status changes in the front matter
    target.write_text(text.replace("status: in-review", "status: published", 1), "utf-8")
    same_both_ways(samples)


def test_configuration_templates_and_rule_choice_are_part_of_the_key(samples: Path) -> None:
    same_both_ways(samples)
    same_both_ways(samples, "--ignore", "PM5")
    same_both_ways(samples, "--select", "PM2")
    config = samples / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  - postmortems:\n", "  - postmortems:\n      blame_terms: [outage]\n", 1
        ),
        encoding="utf-8",
    )
    fresh, cached = outputs(samples)
    assert cached == fresh
    template = samples / "postmortems" / "templates" / "security.md"
    template.write_text(
        template.read_text(encoding="utf-8") + "\n## Lessons for the board\n\nWrite them.\n",
        encoding="utf-8",
    )
    fresh, cached = outputs(samples)
    assert cached == fresh and "Lessons for the board" in cached[1]


def test_evidence_beside_a_postmortem_is_part_of_the_key(samples: Path) -> None:
    same_both_ways(samples)
    target = a_postmortem(samples)
    evidence = target.parent / "PM-2026-004" / "evidence"
    evidence.mkdir(parents=True)
    (evidence / "runner.log").write_text(f"line one\n{SECRET}\n", encoding="utf-8")
    fresh, cached = outputs(samples)
    assert cached == fresh and "runner.log" in cached[1]
    (evidence / "runner.log").write_text("line one\n[REDACTED]\n", encoding="utf-8")
    same_both_ways(samples)


def test_a_same_size_edit_with_its_old_modification_time_is_seen(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every stat is trusted at once (no racy window): only the change time gives it away.
    monkeypatch.setattr(cache, "RACY_NS", 0)
    same_both_ways(samples)
    target = a_postmortem(samples)
    before = target.stat()
    text = target.read_text(encoding="utf-8")
    edited = text.replace("## Summary\n", "## Summarx\n", 1)
    assert len(edited) == len(text)
    target.write_text(edited, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    fresh, cached = outputs(samples)
    assert cached == fresh and "Summarx" not in fresh[1] and "PM201" in fresh[1]


def test_no_cache_writes_nothing(samples: Path) -> None:
    run_cli("-C", str(samples), "check", "--no-cache")
    assert not (samples / ".cache").exists()
    run_cli("-C", str(samples), "check")
    assert (samples / DB).is_file()


def test_a_damaged_cache_is_replaced(samples: Path) -> None:
    fresh, _ = outputs(samples)
    (samples / DB).write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    result = run_cli("-C", str(samples), "check", "--format", "json")
    assert (result.exit_code, result.output) == fresh
    with sqlite3.connect(samples / DB) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM snapshots").fetchone() == (1,)
    assert cached_count(samples) > 0


def _snapshot(root: Path) -> tuple[str, bytes]:
    with sqlite3.connect(root / DB) as db:
        context, value = db.execute(
            "SELECT context, value FROM snapshots WHERE name = ?", (cache.FULL_MODE,)
        ).fetchone()
    return context, value


def _store(root: Path, context: str, value: bytes, seal: str) -> None:
    with sqlite3.connect(root / DB) as db:
        db.execute(
            "UPDATE snapshots SET value = ?, seal = ? WHERE name = ?",
            (value, seal, cache.FULL_MODE),
        )


def test_a_forged_or_edited_cache_is_not_trusted(samples: Path) -> None:
    target = a_postmortem(samples)
    target.write_text(
        target.read_text(encoding="utf-8").replace("## Summary\n", f"## Summary\n\n{SECRET}\n", 1),
        encoding="utf-8",
    )
    fresh, _ = outputs(samples)
    assert "PM401" in fresh[1]
    context, value = _snapshot(samples)
    entries = marshal.loads(value)
    rel = f"postmortems/{target.parent.name}/{target.name}"
    assert entries[rel][9], "the cache holds the secret's finding"
    # The findings emptied, sealed with someone else's key (a cache committed to git, or
    # copied from another machine): not trusted, the finding is still reported.
    entries[rel] = (*entries[rel][:9], (), *entries[rel][10:])
    forged = marshal.dumps(entries, 4)
    _store(samples, context, forged, cache._seal(b"k" * 32, cache.FULL_MODE, context, forged))
    result = run_cli("-C", str(samples), "check", "--format", "json")
    assert (result.exit_code, result.output) == fresh
    # The same bytes changed in place, seal left as it was: not trusted either.
    context, value = _snapshot(samples)
    with sqlite3.connect(samples / DB) as db:
        db.execute("UPDATE snapshots SET value = ?", (forged,))
    result = run_cli("-C", str(samples), "check", "--format", "json")
    assert (result.exit_code, result.output) == fresh


def test_a_locked_cache_is_bypassed(samples: Path) -> None:
    fresh, _ = outputs(samples)
    target = a_postmortem(samples)
    target.write_text(target.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    expected = run_cli("-C", str(samples), "check", "--format", "json", "--no-cache")
    holder = sqlite3.connect(samples / DB, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another run in the middle of writing, for long
    try:
        result = run_process("check", "--format", "json", cwd=samples)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stdout) == (expected.exit_code, expected.output)


def test_where_no_cache_can_be_kept_check_still_works(samples: Path) -> None:
    fresh, _ = outputs(samples)
    shutil.rmtree(samples / ".cache")
    (samples / ".cache").write_text("not a folder\n", encoding="utf-8")
    result = run_cli("-C", str(samples), "check", "--format", "json")
    assert (result.exit_code, result.output) == fresh
    (samples / ".cache").unlink()
    (samples / DB).mkdir(parents=True)  # the database's name taken by a folder
    result = run_cli("-C", str(samples), "check", "--format", "json")
    assert (result.exit_code, result.output) == fresh


def test_concurrent_runs_share_the_cache_safely(samples: Path) -> None:
    target = a_postmortem(samples)
    text = target.read_text(encoding="utf-8")
    for round_ in range(3):
        target.write_text(text + f"\nRound {round_}.\n", encoding="utf-8")
        expected = run_cli("-C", str(samples), "check", "--format", "json", "--no-cache")
        with ThreadPoolExecutor(4) as pool:
            runs = list(
                pool.map(lambda _: run_process("check", "--format", "json", cwd=samples), range(4))
            )
        for run in runs:
            assert "Traceback" not in run.stderr
            assert (run.returncode, run.stdout) == (expected.exit_code, expected.output)
    with sqlite3.connect(samples / DB) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_git_never_sees_the_cache(samples: Path, kb: Path) -> None:
    # A knowledge base `init` writes ignores it in its .gitignore ...
    assert ".cache/" in (kb / ".gitignore").read_text(encoding="utf-8").splitlines()
    # ... and one made before the cache existed gets a .gitignore inside .cache/.
    subprocess.run(["git", "init", "-q"], cwd=samples, check=True)
    run_cli("-C", str(samples), "check")
    assert (samples / DB).is_file()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=samples,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".cache" not in status
