"""Evidence manifests are untrusted text: numbers are checked, and `verify` hashes only files
in the knowledge base or external files the user added on this machine, saying which."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from conftest import run_cli
from test_evidence import PM, add, evidence_dir, repo_kb, sha, verify  # noqa: F401


def write_manifest(kb: Path, entries: list[dict] | str) -> Path:
    folder = evidence_dir(kb)
    folder.mkdir(parents=True, exist_ok=True)
    text = (
        entries
        if isinstance(entries, str)
        else json.dumps({"version": 1, "postmortem": PM, "evidence": entries})
    )
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    return folder / "manifest.json"


def entry(**fields: object) -> dict:
    base = {
        "kind": "file",
        "name": "log.txt",
        "original_name": "log.txt",
        "sha256": sha(b"log\n"),
        "size": 4,
        "location": "",
        "added_at": "2026-03-01T10:00:00Z",
        "added_by": "Ada",
        "note": "",
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    "raw",
    [
        '{"version": 1, "evidence": [{"kind": "file", "name": "log.txt", "size": 1e999}]}',
        '{"version": 1, "evidence": [{"kind": "file", "name": "log.txt", "size": NaN}]}',
        '{"version": 1, "evidence": [{"kind": "file", "name": "log.txt", "size": -Infinity}]}',
        '{"version": 1, "evidence": [{"kind": "file", "name": "log.txt", "size": 1.5}]}',
        '{"version": 1, "evidence": [{"kind": "file", "name": "log.txt", "size": -3}]}',
        '{"version": 1, "evidence": [{"kind": "file", "name": "log.txt", "size": true}]}',
        '{"version": 1, "evidence": [{"kind": "file", "name": "log.txt", "size": '
        + "9" * 5000
        + "}]}",
        '{"version": 1, "evidence": [{"kind": "file", "name": ["log.txt"]}]}',
        '{"version": 1, "evidence": ' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
)
@pytest.mark.parametrize("command", [["list"], ["verify"]])
def test_malformed_manifest_is_a_clear_error(repo_kb: Path, raw: str, command: list[str]) -> None:
    path = write_manifest(repo_kb, raw)
    result = run_cli("-C", str(repo_kb), "evidence", *command)
    assert result.exit_code == 1, (result.output, result.stderr)
    assert "manifest.json" in result.output + result.stderr
    assert path.read_text() == raw


def test_external_entry_written_by_hand_is_not_hashed(repo_kb: Path, tmp_path: Path) -> None:
    secret = tmp_path / "not-evidence.key"
    secret.write_bytes(b"someone else's file\n")
    write_manifest(
        repo_kb,
        [
            entry(
                kind="external",
                name="",
                size=20,
                location=f"{socket.gethostname()}:{secret}",
                sha256=sha(b"anything"),
            )
        ],
    )
    result = verify(repo_kb)
    assert result.exit_code == 0, result.output
    assert "not-checked" in result.output and "not hashed" in result.output
    assert "SHA-256 is" not in result.output  # nothing about the file's content is shown


@pytest.mark.parametrize("location", ["/dev/zero", "/proc/self/environ"])
def test_external_entry_naming_a_device_is_not_read(
    repo_kb: Path, location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTMORTEM_EVIDENCE_LOCATIONS", "/")
    write_manifest(
        repo_kb,
        [entry(kind="external", name="", size=1, location=f"{socket.gethostname()}:{location}")],
    )
    result = verify(repo_kb)
    assert "SHA-256 is" not in result.output and location in result.output


def test_external_file_added_here_is_verified_and_says_so(repo_kb: Path, tmp_path: Path) -> None:
    config = repo_kb / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "      id_prefix: PM\n", "      id_prefix: PM\n      evidence_max_bytes: 10\n", 1
        )
    )
    big = tmp_path / "memory.dump"
    big.write_bytes(b"x" * 100)
    assert add(repo_kb, str(big)).exit_code == 0
    result = verify(repo_kb)
    assert result.exit_code == 0 and "a location you added" in result.output
    big.write_bytes(b"y" * 100)
    result = verify(repo_kb)
    assert result.exit_code == 1 and "changed" in result.output


def test_locations_named_in_the_environment_are_verified(
    repo_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "evidence-store"
    store.mkdir()
    dump = store / "disk.img"
    dump.write_bytes(b"image\n")
    write_manifest(
        repo_kb,
        [
            entry(
                kind="external",
                name="",
                size=6,
                sha256=sha(b"image\n"),
                location=f"{socket.gethostname()}:{dump}",
            )
        ],
    )
    assert "not hashed" in verify(repo_kb).output
    monkeypatch.setenv("POSTMORTEM_EVIDENCE_LOCATIONS", str(store))
    result = verify(repo_kb)
    assert result.exit_code == 0 and "POSTMORTEM_EVIDENCE_LOCATIONS" in result.output


def test_copied_file_is_verified_as_inside_the_knowledge_base(
    repo_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "log.txt"
    source.write_bytes(b"log\n")
    assert add(repo_kb, str(source)).exit_code == 0
    result = verify(repo_kb)
    assert result.exit_code == 0 and "(in the knowledge base)" in result.output


@pytest.mark.parametrize("url", ["https://x y", "https://example.com/a\tb"])
def test_url_with_a_space_is_shown_as_given(repo_kb: Path, url: str) -> None:
    result = add(repo_kb, url)
    assert result.exit_code == 2
    assert repr(url) in result.stderr and "not a valid URL" in result.stderr
    assert not evidence_dir(repo_kb).exists()
