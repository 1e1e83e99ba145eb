"""Fuzzing in the suite: mutated post-mortems, configurations, manifests and intake payloads,
run through every command.

Properties, for every input: no traceback; exit codes as documented (0 success, 1 findings
or a failed verification, 2 usage or configuration); no command runs away on one small file
(a hang guard, far above normal times: this is not a speed test, see benchmarks/); and when a
command fails, every file of the knowledge base is byte for byte as it was.

Deterministic (derandomized, a fixed number of examples) so the suite is repeatable; about
a minute in all. `make fuzz` runs the same properties with many more random examples:
POSTMORTEM_FUZZ_EXAMPLES sets the number per property, POSTMORTEM_FUZZ_RANDOM=1 draws new
inputs each run. What a run finds is kept as a regular test (tests/test_bounded_input.py and
the others), not only here.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postmortem_kb.cli.main import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted((REPO / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md"))
EXAMPLES = int(os.environ.get("POSTMORTEM_FUZZ_EXAMPLES", "0"))
RANDOM = os.environ.get("POSTMORTEM_FUZZ_RANDOM") == "1"
# A command that runs this long on one small file is hung, whatever the machine's load.
HANG = float(os.environ.get("POSTMORTEM_FUZZ_HANG", "30"))
NAME = "PM-2026-001-fuzz.md"


def fuzz_settings(examples: int, share: int = 1):  # type: ignore[no-untyped-def]
    """EXAMPLES in CI; a longer run (POSTMORTEM_FUZZ_EXAMPLES) gives 1/SHARE of its examples
    to a property whose every example is slow (a site build)."""
    return settings(
        max_examples=EXAMPLES // share or examples if EXAMPLES else examples,
        derandomize=not RANDOM,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


# --- mutations -----------------------------------------------------------------------------

# Tokens that have broken parsers before: YAML and Markdown syntax, anchors and aliases,
# comment and fence openers, times at the edge of the calendar, odd characters.
TOKENS = [
    "---",
    "...",
    '"',
    "'",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "? ",
    "&a ",
    "*a",
    "!!python/name:x",
    "<!--",
    "-->",
    "```",
    "~~~",
    "## ",
    "# #",
    "| ",
    "|---|",
    "- [ ] ",
    "- [x] ",
    "\t",
    "\r",
    "\r\n",
    "\x00",
    "\ufeff",
    "\u2028",
    "\u00a0",
    "\\",
    "%",
    "@",
    "`",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:30:00+23:59",
    "2026-13-45T99:99Z",
    "visibility: public",
    "visibility: restricted",
    "id: PM-2026-001",
    "status: archived",
    "status: published",
    "<script>",
    "javascript:",
    "{{ x }}",
    "TODO",
    "N/A:",
    "1e999",
    "NaN",
    "-1",
    "null",
    "~",
    "[[[[[[[[",
    "[a](",  # shapes Python-Markdown renders in quadratic time (PM005)
    "a<b ",
    "![",
    "{a: {b: {c: ",
    "é",
    "😀",
]


def apply(text: str, edits: list[tuple[str, float, int, int]]) -> str:
    """Apply EDITS (kind, where as a fraction, a token index, a count) to TEXT."""
    lines = text.split("\n")
    for kind, where, token, count in edits:
        at = int(where * len(lines)) if lines else 0
        piece = TOKENS[token % len(TOKENS)]
        if kind == "insert":
            line = lines[at] if at < len(lines) else ""
            cut = int(where * 997) % (len(line) + 1)
            lines[at : at + 1] = [line[:cut] + piece * count + line[cut:]]
        elif kind == "line" and lines:
            lines.insert(at, piece * count)
        elif kind == "delete" and lines:
            del lines[at : at + count]
        elif kind == "duplicate" and lines:
            lines[at:at] = lines[at : at + count]
        elif kind == "swap" and len(lines) > 1:
            other = (at + count) % len(lines)
            if at < len(lines):
                lines[at], lines[other] = lines[other], lines[at]
        elif kind == "repeat":  # a long run of one token: the shape of quadratic inputs
            lines.insert(at, piece * (count * 2000))
    return "\n".join(lines)


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "line", "delete", "duplicate", "swap", "repeat"]),
        st.floats(0, 1),
        st.integers(0, 10_000),
        st.integers(1, 12),
    ),
    min_size=1,
    max_size=5,
)


# --- running commands ----------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file but the tool's own cache (`.cache/`, which `check` keeps)."""
    files = {}
    for folder, dirs, names in os.walk(root):
        if Path(folder) == root and ".cache" in dirs:
            dirs.remove(".cache")
        for name in names:
            path = Path(folder) / name
            if not path.is_symlink():
                files[str(path.relative_to(root))] = path.read_bytes()
    return files


@contextmanager
def inside(root: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(old)


def run(
    root: Path,
    args: list[str],
    allowed: tuple[int, ...] = (0, 1, 2),
    stdin: str | None = None,
    changes: bool = False,
) -> int:
    """Run `postmortem ARGS` in ROOT and assert the properties; returns the exit code."""
    before = snapshot(root)
    start = time.monotonic()
    with inside(root):
        result = CliRunner().invoke(cli, args, input=stdin, catch_exceptions=True)
    took = time.monotonic() - start
    shown = f"postmortem {' '.join(args)}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{shown} raised {result.exception!r}") from result.exception
    output = (result.stdout or "") + (result.stderr or "")
    assert "Traceback" not in output, f"{shown} printed a traceback:\n{output[-2000:]}"
    assert result.exit_code in allowed, f"{shown} exited {result.exit_code}:\n{output[-2000:]}"
    assert took < HANG, f"{shown} took {took:.1f} s"
    if result.exit_code != 0 or not changes:
        after = snapshot(root)
        assert after == before, f"{shown} (exit {result.exit_code}) changed files: " + ", ".join(
            sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        )
    if result.exit_code == 2:
        assert result.stderr.strip(), f"{shown} exited 2 without saying why"
    return result.exit_code


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "kb"
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(autouse=True)
def no_audience_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTMORTEM_AUDIENCE", raising=False)


def reset(root: Path) -> None:
    """Leave only the knowledge base `init` wrote (no post-mortem, no output files)."""
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root).parts
        if rel[0] in ("out.json", "out.csv", "report.md", "site") or (
            rel[0] == "postmortems" and len(rel) >= 2 and rel[1].isdigit()
        ):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()


POSTMORTEM_COMMANDS: list[tuple[list[str], tuple[int, ...]]] = [
    (["check"], (0, 1)),
    (["check", "--format", "json"], (0, 1)),
    (["check", "--format", "github", f"postmortems/2026/{NAME}"], (0, 1)),
    (["stats", "--format", "json"], (0, 1)),
    (["actions", "--status", "all", "--format", "csv"], (0, 1)),
    (["controls"], (0, 1)),
    (["export", "-o", "out.json"], (0, 1)),
    (["report", "--quarter", "2026-Q2"], (0, 1)),
    (["evidence", "list"], (0, 1)),
    (["evidence", "verify"], (0, 1)),
]


@fuzz_settings(40)
@given(sample=st.sampled_from(SAMPLES), edits=EDITS)
def test_mutated_postmortems(base_kb: Path, sample: Path, edits: list) -> None:  # type: ignore[type-arg]
    reset(base_kb)
    text = apply(sample.read_text(encoding="utf-8"), edits)
    folder = base_kb / "postmortems" / "2026"
    folder.mkdir(exist_ok=True)
    (folder / NAME).write_bytes(text.encode("utf-8", "surrogatepass"))
    for args, allowed in POSTMORTEM_COMMANDS:
        run(base_kb, args, allowed, changes=args[0] == "export")
    pm_id = (
        next(
            (line.split(":", 1)[1].strip() for line in text.split("\n") if line.startswith("id:")),
            "PM-2026-001",
        )[:40]
        or "PM-2026-001"
    )
    for status in ("in-review", "published", "archived", "draft"):
        run(base_kb, ["status", pm_id, status], changes=True)


@fuzz_settings(3, share=50)
@given(sample=st.sampled_from(SAMPLES), edits=EDITS)
def test_mutated_postmortems_build(base_kb: Path, sample: Path, edits: list) -> None:  # type: ignore[type-arg]
    """The site build on a mutated post-mortem: a site or a clear refusal, never a hang (the
    build renders: Python-Markdown is quadratic on some paragraphs, which PM005 refuses)."""
    reset(base_kb)
    text = apply(sample.read_text(encoding="utf-8"), edits)
    folder = base_kb / "postmortems" / "2026"
    folder.mkdir(exist_ok=True)
    (folder / NAME).write_bytes(text.encode("utf-8", "surrogatepass"))
    run(base_kb, ["build", "--site-dir", "site"], (0, 1), changes=True)


# --- configurations --------------------------------------------------------------------------

SETTINGS = [
    "id_prefix",
    "default_template",
    "title_format",
    "types",
    "blame_terms",
    "audience",
    "include_drafts",
    "evidence_max_bytes",
    "overdue_fail_days",
    "select",
    "ignore",
    "unknown_key",
]
VALUES = [
    "null",
    "[]",
    "{}",
    "[null]",
    "['']",
    "[[a]]",
    "{a: null}",
    "{a: [b]}",
    "-1",
    "0",
    "1e999",
    ".inf",
    ".nan",
    "99999999999999999999999",
    "true",
    "'x'",
    "PM",
    "sec",
    '"{type_name.x}"',
    '"{type_name[x]}"',
    '"{type_name:99999999}"',
    '"{0}"',
    '"{"',
    '"{id}-{year}"',
    "[malware, x]",
    "{x: y}",
    "&a [1]",
    "*a",
    "!!binary aGk=",
    '"' + "x" * 5000 + '"',
    "[PM101, PM999]",
    "public",
    "restricted",
]


@fuzz_settings(30)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(SETTINGS), st.sampled_from(VALUES)), min_size=1, max_size=3
    ),
    top=st.sampled_from(
        [
            "",
            "docs_dir: [x]\n",
            "site_url: {a: b}\n",
            "plugins: 3\n",
            "plugins:\n  - postmortems: [x]\n",
            "nav: *nope\n",
            "\t: x\n",
        ]
    ),
)
def test_mutated_configurations(base_kb: Path, changes: list, top: str) -> None:  # type: ignore[type-arg]
    reset(base_kb)
    config = base_kb / "mkdocs.yml"
    original = config.read_bytes()
    try:
        text = original.decode()
        settings_text = "".join(f"      {key}: {value}\n" for key, value in changes)
        text = text.replace("      id_prefix: PM\n", settings_text, 1) + top
        config.write_text(text)
        for args, allowed in (
            (["check"], (0, 1, 2)),
            (["stats"], (0, 1, 2)),
            (["actions"], (0, 1, 2)),
            (
                [
                    "new",
                    "--type",
                    "malware",
                    "--severity",
                    "SEV3",
                    "--no-git",
                    "--occurred",
                    "2026-05-01T10:00:00Z",
                ],
                (0, 2),
            ),
        ):
            code = run(base_kb, args, allowed, changes=args[0] == "new")
            if code == 2 and args[0] != "new":
                pass
    finally:
        config.write_bytes(original)


# --- evidence manifests ----------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        ["../../etc/passwd", "/dev/zero", "file", "external", "url", "manifest.json"]
    ),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "kind",
                    "name",
                    "sha256",
                    "size",
                    "location",
                    "note",
                    "added_at",
                    "original_name",
                    "evidence",
                    "version",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@fuzz_settings(30)
@given(entries=st.lists(JSON_VALUES, max_size=4), raw_edit=EDITS, as_text=st.booleans())
def test_mutated_manifests(
    base_kb: Path,
    entries: list,
    raw_edit: list,
    as_text: bool,  # type: ignore[type-arg]
) -> None:
    reset(base_kb)
    folder = base_kb / "postmortems" / "2026"
    folder.mkdir(exist_ok=True)
    (folder / NAME).write_text(SAMPLES[0].read_text().replace(SAMPLES[0].name[:11], "PM-2026-001"))
    evidence = folder / "PM-2026-001" / "evidence"
    evidence.mkdir(parents=True)
    text = json.dumps(
        {"version": 1, "postmortem": "PM-2026-001", "evidence": entries}, indent=2, allow_nan=True
    )
    if as_text:
        text = apply(text, raw_edit)
    (evidence / "manifest.json").write_text(text)
    (evidence / "file").write_text("x")
    for args in (
        ["evidence", "list"],
        ["evidence", "list", "--format", "json"],
        ["evidence", "verify"],
        ["check"],
        ["build", "--help"],
    ):
        run(base_kb, args, (0, 1))


# --- intake payloads -------------------------------------------------------------------------

FIELD_VALUES = (
    st.none()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "malware",
            "SEV1",
            "sev9",
            "public",
            "restricted",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:30:00+23:59",
            "2026-02-30T10:00Z",
            "<svg/onload=alert(1)>",
            "a" * 400,
            "---\nvisibility: public",
            "\x00",
            "PM-2026-001",
        ]
    )
    | st.lists(st.text(max_size=5), max_size=3)
)
PAYLOADS = st.dictionaries(
    st.sampled_from(
        [
            "type",
            "severity",
            "title",
            "occurred_at",
            "detected_at",
            "owner",
            "visibility",
            "Type",
            "occurred",
            "extra",
        ]
    ),
    FIELD_VALUES,
    max_size=8,
)


@fuzz_settings(30)
@given(payload=PAYLOADS, form=st.booleans(), edits=st.none() | EDITS)
def test_mutated_intake_payloads(
    base_kb: Path,
    payload: dict,
    form: bool,  # type: ignore[type-arg]
    edits: list | None,
) -> None:  # type: ignore[type-arg]
    reset(base_kb)
    if form:
        labels = {
            "type": "Incident type",
            "occurred_at": "Occurred at",
            "detected_at": "Detected at",
        }
        text = "".join(
            f"### {labels.get(k, k.capitalize())}\n\n{v}\n\n" for k, v in payload.items()
        )
    else:
        text = json.dumps(payload)
    if edits:
        text = apply(text, edits)
    code = run(
        base_kb,
        ["intake", "--no-git", "--from", "issue-form" if form else "json"],
        (0, 2),
        stdin=text,
        changes=True,
    )
    if code == 0:
        written = list((base_kb / "postmortems").glob("[0-9]*/*.md"))
        assert len(written) == 1
        run(base_kb, ["check"], (0, 1))


# --- a few real processes ----------------------------------------------------------------------


def test_real_processes_on_hard_inputs(tmp_path: Path) -> None:
    """The same properties with the installed console script, on inputs that once broke it."""
    import subprocess
    import sys

    exe = str(Path(sys.executable).parent / "postmortem")
    root = tmp_path / "kb"
    subprocess.run([exe, "init", str(root)], check=True, capture_output=True)
    folder = root / "postmortems" / "2026"
    folder.mkdir()
    sample = SAMPLES[0].read_text()
    bomb = "\n".join(
        [f"a0: &a0 [{', '.join(['x'] * 9)}]"]
        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    )
    hard = {
        "PM-2026-001-bomb.md": sample.replace("\ntags:", f"\n{bomb}\ntags:", 1),
        "PM-2026-002-deep.md": sample.replace(
            "\ntags:", "\ndeep: " + "[" * 500 + "]" * 500 + "\ntags:", 1
        ),
        "PM-2026-003-comments.md": sample + "<!--" * 25_000,
        "PM-2026-004-time.md": sample.replace(
            "detected_at:", "detected_at: 9999-12-31T23:59:59-23:59\nx_detected_at:", 1
        ),
    }
    for name, text in hard.items():
        (folder / name).write_text(text)
    before = snapshot(root)
    for args in (
        ["check"],
        ["stats"],
        ["export", "-o", "/nonexistent-dir/x"],
        ["status", "PM-2026-001", "archived"],
        ["build", "--site-dir", "postmortems"],
        ["check", "mkdocs.yml"],
    ):
        start = time.monotonic()
        result = subprocess.run(
            [exe, *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HOSTNAME": socket.gethostname()},
        )
        assert time.monotonic() - start < HANG * 2, args
        assert "Traceback" not in result.stderr, (args, result.stderr[-2000:])
        assert result.returncode in (0, 1, 2), (args, result.stderr)
        if result.returncode:
            assert result.stderr.strip() or result.stdout.strip(), args
            assert snapshot(root) == before, args
