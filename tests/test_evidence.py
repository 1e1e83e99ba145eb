"""`postmortem evidence add/verify`: evidence with SHA-256, and the PM602 link warning."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli, run_process
from test_stats import minimal_postmortem, write

PM = "PM-2026-001"


@pytest.fixture
def repo_kb(kb: Path) -> Path:
    """A knowledge base in a real git repository with a configured user."""
    subprocess.run(["git", "init", "-q", str(kb)], check=True)
    subprocess.run(["git", "-C", str(kb), "config", "user.name", "Ada Analyst"], check=True)
    subprocess.run(["git", "-C", str(kb), "config", "user.email", "ada@example.com"], check=True)
    write(kb, PM, minimal_postmortem(PM))
    return kb


def evidence_dir(kb: Path) -> Path:
    return kb / "postmortems" / "2026" / PM / "evidence"


def manifest(kb: Path) -> dict:
    return json.loads((evidence_dir(kb) / "manifest.json").read_text(encoding="utf-8"))


def add(kb: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("-C", str(kb), "evidence", "add", PM, *args)


def verify(kb: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("-C", str(kb), "evidence", "verify", *args)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_add_copies_and_records_everything(repo_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "cloudtrail export.json"
    source.write_bytes(b'{"event": "GetObject"}\n')
    result = add(repo_kb, str(source), "--note", "CloudTrail, 18-20 March")
    assert result.exit_code == 0, result.stderr
    copied = evidence_dir(repo_kb) / "cloudtrail_export.json"
    assert copied.read_bytes() == source.read_bytes()
    data = manifest(repo_kb)
    assert data["postmortem"] == PM
    (item,) = data["evidence"]
    assert item["kind"] == "file" and item["name"] == "cloudtrail_export.json"
    assert item["original_name"] == "cloudtrail export.json"
    assert item["sha256"] == sha(source.read_bytes())
    assert item["size"] == len(source.read_bytes())
    assert item["added_by"] == "Ada Analyst <ada@example.com>"
    assert item["note"] == "CloudTrail, 18-20 March"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["added_at"])
    # The add tells the user to link the manifest from section 2.
    assert f"{PM}/evidence/manifest.json" in result.stderr


def test_same_name_twice_gets_a_distinct_name_and_never_overwrites(
    repo_kb: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a" / "log.txt", tmp_path / "b" / "log.txt"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_bytes(b"first\n")
    second.write_bytes(b"second\n")
    assert add(repo_kb, str(first)).exit_code == 0
    assert add(repo_kb, str(second)).exit_code == 0
    folder = evidence_dir(repo_kb)
    assert (folder / "log.txt").read_bytes() == b"first\n"
    assert (folder / "log-2.txt").read_bytes() == b"second\n"
    assert [i["name"] for i in manifest(repo_kb)["evidence"]] == ["log.txt", "log-2.txt"]


def test_a_file_named_manifest_json_does_not_take_the_manifest_name(
    repo_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "manifest.json"
    source.write_text("{}")
    assert add(repo_kb, str(source)).exit_code == 0
    assert manifest(repo_kb)["evidence"][0]["name"] == "manifest-2.json"


def test_zero_byte_file(repo_kb: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert add(repo_kb, str(empty)).exit_code == 0
    item = manifest(repo_kb)["evidence"][0]
    assert item["size"] == 0 and item["sha256"] == sha(b"")
    assert verify(repo_kb).exit_code == 0


def test_over_the_size_limit_is_recorded_by_hash_not_copied(repo_kb: Path, tmp_path: Path) -> None:
    config = repo_kb / "mkdocs.yml"
    config.write_text(
        re.sub(
            r"^(\s*)- postmortems:?\s*$",
            r"\1- postmortems:\n\1    evidence_max_bytes: 100",
            config.read_text(),
            count=1,
            flags=re.M,
        )
    )
    big = tmp_path / "memory.dump"
    big.write_bytes(b"x" * 101)
    at_limit = tmp_path / "small.bin"
    at_limit.write_bytes(b"y" * 100)
    result = add(repo_kb, str(big))
    assert result.exit_code == 0, result.stderr
    assert "Too large to copy" in result.output
    assert add(repo_kb, str(at_limit)).exit_code == 0
    big_item, small_item = manifest(repo_kb)["evidence"]
    assert big_item["kind"] == "external" and big_item["name"] == ""
    assert big_item["sha256"] == sha(b"x" * 101) and big_item["size"] == 101
    assert big_item["location"].endswith(str(big.resolve()))
    assert small_item["kind"] == "file"
    assert sorted(p.name for p in evidence_dir(repo_kb).iterdir()) == ["manifest.json", "small.bin"]
    assert verify(repo_kb).exit_code == 0  # the external file is still where it was
    big.write_bytes(b"z" * 101)
    result = verify(repo_kb)
    assert result.exit_code == 1 and "memory.dump" in result.output


def test_url_with_and_without_hash(repo_kb: Path) -> None:
    digest = "a" * 64
    assert (
        add(repo_kb, "https://logs.example.com/export/123", "--sha256", digest.upper()).exit_code
        == 0
    )
    assert add(repo_kb, "s3://bucket/key.gz").exit_code == 0
    first, second = manifest(repo_kb)["evidence"]
    assert first == {
        **first,
        "kind": "url",
        "location": "https://logs.example.com/export/123",
        "sha256": digest,
    }
    assert second["sha256"] == ""
    result = verify(repo_kb)
    assert result.exit_code == 0 and "not fetched" in result.output
    bad = add(repo_kb, "https://x.example", "--sha256", "nothex")
    assert bad.exit_code == 2 and "64 hexadecimal" in bad.stderr


def test_a_given_hash_that_does_not_match_refuses_the_file(repo_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_bytes(b"abc")
    result = add(repo_kb, str(source), "--sha256", "0" * 64)
    assert result.exit_code == 1 and sha(b"abc") in result.stderr
    assert not (evidence_dir(repo_kb) / "a.txt").exists()
    assert add(repo_kb, str(source), "--sha256", sha(b"abc")).exit_code == 0


def test_symlink_source_is_refused(repo_kb: Path, tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text("x")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    result = add(repo_kb, str(link))
    assert result.exit_code == 2 and "symlink" in result.stderr
    assert not evidence_dir(repo_kb).exists()


def test_dotdot_path_is_refused(repo_kb: Path, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    result = add(repo_kb, str(tmp_path / "sub" / ".." / "x.txt"))
    assert result.exit_code == 2 and "`..`" in result.stderr


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_missing_file_or_folder_is_a_usage_error(repo_kb: Path, tmp_path: Path, what: str) -> None:
    path = tmp_path / "nothing"
    if what == "folder":
        path.mkdir()
    result = add(repo_kb, str(path))
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_unknown_postmortem(repo_kb: Path, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    result = run_cli("-C", str(repo_kb), "evidence", "add", "PM-2026-999", str(tmp_path / "x.txt"))
    assert result.exit_code == 2 and "PM-2026-999" in result.stderr


def test_evidence_folder_symlinked_outside_is_refused(repo_kb: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo_kb / "postmortems" / "2026" / PM).symlink_to(outside, target_is_directory=True)
    (tmp_path / "x.txt").write_text("x")
    result = add(repo_kb, str(tmp_path / "x.txt"))
    assert result.exit_code == 2 and "outside" in result.stderr
    assert list(outside.iterdir()) == []


def test_without_git_the_adder_is_unknown(kb: Path, tmp_path: Path) -> None:
    write(kb, PM, minimal_postmortem(PM))
    (tmp_path / "x.txt").write_text("x")
    env = {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_SYSTEM": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(tmp_path),
    }
    done = run_process("evidence", "add", PM, str(tmp_path / "x.txt"), cwd=kb, env=env)
    assert done.returncode == 0, done.stderr
    assert manifest(kb)["evidence"][0]["added_by"] == "unknown"


# --- verify -------------------------------------------------------------------------------


@pytest.fixture
def with_evidence(repo_kb: Path, tmp_path: Path) -> Path:
    for name, data in (("a.log", b"alpha\n"), ("b.log", b"bravo\n")):
        (tmp_path / name).write_bytes(data)
        assert add(repo_kb, str(tmp_path / name)).exit_code == 0
    return repo_kb


def test_verify_passes_when_untouched(with_evidence: Path) -> None:
    result = verify(with_evidence)
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == 2
    assert verify(with_evidence, PM).exit_code == 0


def test_verify_catches_one_changed_byte(with_evidence: Path) -> None:
    path = evidence_dir(with_evidence) / "a.log"
    path.write_bytes(b"alphA\n")
    result = verify(with_evidence)
    assert result.exit_code == 1
    assert "FAILED changed: postmortems/2026/PM-2026-001/evidence/a.log" in result.output
    assert "b.log" not in [line for line in result.output.splitlines() if "FAILED" in line][0]


def test_verify_catches_a_removed_file(with_evidence: Path) -> None:
    (evidence_dir(with_evidence) / "b.log").unlink()
    result = verify(with_evidence, PM)
    assert result.exit_code == 1
    assert "FAILED missing: postmortems/2026/PM-2026-001/evidence/b.log" in result.output


def test_verify_catches_a_renamed_file(with_evidence: Path) -> None:
    folder = evidence_dir(with_evidence)
    (folder / "a.log").rename(folder / "renamed.log")
    result = verify(with_evidence)
    assert result.exit_code == 1
    assert "FAILED missing: postmortems/2026/PM-2026-001/evidence/a.log" in result.output
    assert "FAILED unrecorded: postmortems/2026/PM-2026-001/evidence/renamed.log" in result.output


def test_verify_does_not_follow_a_symlink_swapped_in(with_evidence: Path, tmp_path: Path) -> None:
    folder = evidence_dir(with_evidence)
    outside = tmp_path / "outside.log"
    outside.write_bytes(b"alpha\n")  # same bytes: only refusing the link catches it
    (folder / "a.log").unlink()
    (folder / "a.log").symlink_to(outside)
    result = verify(with_evidence)
    assert result.exit_code == 1
    assert "FAILED unsafe: postmortems/2026/PM-2026-001/evidence/a.log" in result.output


def test_verify_refuses_a_manifest_entry_with_dotdot(with_evidence: Path) -> None:
    path = evidence_dir(with_evidence) / "manifest.json"
    data = json.loads(path.read_text())
    data["evidence"][0]["name"] = "../../../../mkdocs.yml"
    path.write_text(json.dumps(data))
    result = verify(with_evidence)
    assert result.exit_code == 1
    assert "FAILED unsafe: ../../../../mkdocs.yml" in result.output
    assert "FAILED unrecorded" in result.output  # a.log is now not in the manifest


def test_verify_reports_a_broken_manifest(with_evidence: Path) -> None:
    (evidence_dir(with_evidence) / "manifest.json").write_text("{not json")
    result = verify(with_evidence)
    assert result.exit_code == 1
    assert "manifest.json" in result.output and "not valid JSON" in result.output


def test_verify_all_with_no_evidence(repo_kb: Path) -> None:
    result = verify(repo_kb)
    assert result.exit_code == 0 and "No evidence recorded." in result.output


def test_verify_warns_about_evidence_of_an_unknown_id(with_evidence: Path) -> None:
    folder = with_evidence / "postmortems" / "2026"
    (folder / PM).rename(folder / "PM-2026-077")
    result = verify(with_evidence)
    assert result.exit_code == 0
    assert "postmortems/2026/PM-2026-077/evidence: no post-mortem has this id" in result.stderr


def test_verify_as_a_real_process(with_evidence: Path) -> None:
    (evidence_dir(with_evidence) / "a.log").write_bytes(b"tampered")
    done = run_process("evidence", "verify", "-q", cwd=with_evidence)
    assert done.returncode == 1
    assert done.stdout.startswith("FAILED changed:")
    assert "1 failed of 2" in done.stderr


# --- PM602: the manifest must be linked from section 2 ----------------------------------


def findings(kb: Path) -> list[dict]:
    result = run_cli("-C", str(kb), "check", "--format", "json")
    return [f for f in result.json()["findings"] if f["rule"] == "PM602"]


def test_pm602_warns_when_evidence_is_not_linked(with_evidence: Path) -> None:
    (hit,) = findings(with_evidence)
    assert hit["severity"] == "warning"
    assert hit["path"] == f"postmortems/2026/{PM}-incident.md"
    assert f"({PM}/evidence/manifest.json)" in hit["message"]
    text = (with_evidence / "postmortems/2026" / f"{PM}-incident.md").read_text()
    assert text.splitlines()[hit["line"] - 1] == "## 2. Preserve Evidence Immediately"


def test_pm602_silent_when_linked(with_evidence: Path) -> None:
    write(
        with_evidence,
        PM,
        minimal_postmortem(
            PM, evidence=f"Hashes are in the [evidence manifest]({PM}/evidence/manifest.json)."
        ),
    )
    assert findings(with_evidence) == []


def test_pm602_link_inside_a_comment_does_not_count(with_evidence: Path) -> None:
    write(
        with_evidence,
        PM,
        minimal_postmortem(
            PM, evidence=f"<!-- [evidence manifest]({PM}/evidence/manifest.json) -->\nKept."
        ),
    )
    assert len(findings(with_evidence)) == 1


def test_pm602_nothing_without_evidence(repo_kb: Path) -> None:
    assert findings(repo_kb) == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_pm602_in_a_run_over_many_files(with_evidence: Path, monkeypatch, jobs: int) -> None:
    """A run over many files lists the folders beside the post-mortems once (in each worker
    process) instead of asking for each file: the evidence is found all the same, and a
    folder named by the id without evidence in it, or none, gives nothing."""
    from postmortem_kb.core import knowledge_base
    from postmortem_kb.core.config import load_config

    folder = with_evidence / "postmortems" / "2026"
    write(with_evidence, "PM-2026-002", minimal_postmortem("PM-2026-002"))
    (folder / "PM-2026-002").mkdir()  # a folder, but no evidence in it
    write(with_evidence, "PM-2026-003", minimal_postmortem("PM-2026-003"))
    monkeypatch.setattr(knowledge_base, "PARALLEL_FROM", 1)
    report = knowledge_base.check(load_config(with_evidence), jobs=jobs)
    assert [(f.rule, f.path) for f in report.findings if f.rule == "PM602"] == [
        ("PM602", f"postmortems/2026/{PM}-incident.md")
    ]


def test_the_folders_beside_post_mortems_are_listed_once(tmp_path: Path) -> None:
    from postmortem_kb.core.rules import Folders

    (tmp_path / "PM-2026-001" / "evidence").mkdir(parents=True)
    (tmp_path / "PM-2026-002").write_text("a file, not a folder")
    folders = Folders()
    assert folders.may_hold(str(tmp_path), "PM-2026-001")
    assert folders.may_hold(str(tmp_path), "pm-2026-001")  # as a case-blind file system has it
    assert not folders.may_hold(str(tmp_path), "PM-2026-002")
    (tmp_path / "PM-2026-003").mkdir()
    assert not folders.may_hold(str(tmp_path), "PM-2026-003")  # listed once, before it was made
    assert Folders().may_hold(str(tmp_path), "PM-2026-003")
    assert folders.may_hold(str(tmp_path / "missing"), "PM-2026-001")  # not listed: ask isdir


# --- what the site shows ------------------------------------------------------------------


def test_site_helpers_rewrite_manifest_links(with_evidence: Path) -> None:
    from postmortem_kb.core.config import load_config
    from postmortem_kb.core.evidence import evidence_table, link_manifest_in_page, read_manifest
    from postmortem_kb.core.knowledge_base import find_postmortem

    config = load_config(with_evidence)
    items = read_manifest(config, find_postmortem(config, PM))
    page = f"Hashes: [the manifest]({PM}/evidence/manifest.json) and more."
    restricted = link_manifest_in_page(page, items)
    assert "Hashes: [the manifest](#evidence-manifest) and more." in restricted
    assert "## Evidence manifest" in restricted and sha(b"alpha\n") in restricted
    assert "evidence/manifest.json" not in restricted
    assert link_manifest_in_page(page, None) == "Hashes: the manifest and more."
    assert link_manifest_in_page("no link", items) == "no link"
    table = evidence_table(items)
    assert table.splitlines()[2].startswith("| a.log | `")


def test_concurrent_adds_lose_no_entry(repo_kb: Path, tmp_path: Path) -> None:
    sources = []
    for n in range(6):
        path = tmp_path / f"part{n}.log"
        path.write_bytes(f"part {n}\n".encode())
        sources.append(path)
    procs = [
        subprocess.Popen(
            [str(Path(sys.executable).parent / "postmortem"), "evidence", "add", PM, str(p)],
            cwd=repo_kb,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for p in sources
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    names = sorted(i["name"] for i in manifest(repo_kb)["evidence"])
    assert names == [f"part{n}.log" for n in range(6)]
    assert verify(repo_kb).exit_code == 0


def test_a_hidden_file_in_the_evidence_folder_is_reported(with_evidence: Path) -> None:
    (evidence_dir(with_evidence) / ".hidden").write_text("x")
    result = verify(with_evidence)
    assert result.exit_code == 1 and "FAILED unrecorded" in result.output
    assert ".hidden" in result.output


def test_a_postmortem_with_a_path_like_id_gets_no_evidence_folder(kb: Path, tmp_path: Path) -> None:
    text = minimal_postmortem(PM).replace(f"id: {PM}", "id: ../../outside")
    write(kb, PM, text)
    (tmp_path / "x.txt").write_text("x")
    result = run_cli("-C", str(kb), "evidence", "add", "../../outside", str(tmp_path / "x.txt"))
    assert result.exit_code == 2
    assert not (kb / "outside").exists() and not (kb.parent / "outside").exists()


def test_list_shows_names_and_hashes(with_evidence: Path) -> None:
    table = run_cli("-C", str(with_evidence), "evidence", "list").output
    assert "a.log" in table and sha(b"alpha\n") in table and "Ada Analyst" in table
    data = run_cli("-C", str(with_evidence), "evidence", "list", PM, "--format", "json").json()
    assert [(d["postmortem"], d["name"], d["sha256"]) for d in data] == [
        (PM, "a.log", sha(b"alpha\n")),
        (PM, "b.log", sha(b"bravo\n")),
    ]
    assert run_cli("-C", str(with_evidence), "evidence", "list", "PM-2026-404").exit_code == 2
