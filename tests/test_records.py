"""Follow-through in bounded memory (core/records.py): the compact records give the same
figures, exports, reports and leak scans as the full models, in this process and in
worker processes, for every audience; a view that names a hidden post-mortem withholds it."""

from __future__ import annotations

import io
import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

from conftest import REPO
from postmortem_kb.core import cache, records
from postmortem_kb.core.config import load_config
from postmortem_kb.core.controls import rollup, rollup_rows
from postmortem_kb.core.export import (
    export_csv_pieces,
    export_json_pieces,
    export_records,
    quarter_report,
    quarter_report_of_views,
    records_of_views,
    report_markdown,
    visible_to,
)
from postmortem_kb.core.knowledge_base import load, postmortem_paths
from postmortem_kb.core.leaks import LeakScan, audience_safety_findings, other_pages
from postmortem_kb.core.metrics import action_rows, compute_stats

AS_OF = date(2026, 10, 1)


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    root = tmp_path / "samples"
    root.mkdir()
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "postmortems", root / "postmortems")
    # a public post-mortem naming a restricted one, in a sentence and a link
    public = next(
        p
        for p in (root / "postmortems").glob("*/*.md")
        if "visibility: public" in p.read_text(encoding="utf-8")
    )
    restricted = next(
        p
        for p in (root / "postmortems").glob("*/*.md")
        if "visibility: restricted" in p.read_text(encoding="utf-8")
    )
    hidden_id = restricted.name[:11]
    text = public.read_text(encoding="utf-8").replace(
        "## Summary\n",
        f"## Summary\n\nSee {hidden_id} and [its page](../{restricted.parent.name}/"
        f"{restricted.name}).\n",
        1,
    )
    public.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("workers", [False, True])
@pytest.mark.parametrize("audience", ["public", "internal", "restricted"])
def test_compact_records_give_what_the_full_models_give(
    samples: Path, audience: str, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if workers:  # the sample knowledge base is small: read it in worker processes anyway
        monkeypatch.setattr(records, "PARALLEL_FROM", 1)
    config = load_config(samples)
    every, problems = load(config)
    full = visible_to(every, audience)
    found = records.follow_through(config, audience, want_complete=True, jobs=2)

    assert found.problems == problems
    assert found.unsafe == [
        f for f in audience_safety_findings(config, every) if f.severity == "error"
    ]
    assert [v.path for v in found.views] == [v.path for v in full]
    for status in ("open", "overdue", "all"):
        assert action_rows(found.views, status=status, as_of=AS_OF, include_drafts=True) == (
            action_rows(full, status=status, as_of=AS_OF, include_drafts=True)
        )
    assert compute_stats(found.views, as_of=AS_OF) == compute_stats(full, as_of=AS_OF)
    assert rollup(found.views, as_of=AS_OF) == rollup(full, as_of=AS_OF)
    assert records_of_views(
        config, found.views, AS_OF, True, lambda pm: found.completeness[pm.path]
    ) == export_records(config, every, audience, AS_OF, include_drafts=True)
    for quarter in ("2025-Q1", "2025-Q4", "2026-Q2", "2026-Q3"):
        ours = quarter_report_of_views(found.views, quarter, audience, AS_OF, True)
        theirs = quarter_report(every, quarter, audience, AS_OF, True)
        assert report_markdown(ours) == report_markdown(theirs)

    shown = [pm for pm in every if pm in full or pm.path in {v.path for v in full}]
    withheld = [pm for pm in every if pm.path not in {v.path for v in full}]
    hidden = {pm.id.upper() for pm in withheld if pm.id} - {pm.id.upper() for pm in shown}
    expected = LeakScan.for_build(withheld, shown, full, audience, other_pages(config), hidden)
    records._marked_blocks.cache_clear()
    assert _leaks(found.scan) == expected.needles
    assert records._marked_blocks.cache_info().currsize == 0  # the look kept no text
    if audience != "restricted":
        assert found.scan.needles  # something is withheld from these audiences
    # an output is refused for what the build's scan finds, and only for that
    for key in found.scan.needles:
        said = found.scan.scan_text(f"An output: {key}.", "out")
        assert any(f'("{key[:60]}")' in line for line in said) == (key in expected.needles)


def _leaks(scan: LeakScan) -> dict[str, str]:
    """SCAN's needles that are leaks: those the audience does not see anyway."""
    anyway = scan.seen_anyway(set(scan.needles)) if scan.seen_anyway else set()
    return {k: v for k, v in scan.needles.items() if k not in anyway}


def test_a_view_naming_a_hidden_postmortem_withholds_it(samples: Path) -> None:
    config = load_config(samples)
    found = records.follow_through(config, "public")
    restricted = [pm for pm in load(config)[0] if pm.visibility == "restricted"]
    hidden_id = restricted[0].id
    rows = action_rows(found.views, status="all", include_drafts=True)
    titles = " ".join(v.title for v in found.views) + " ".join(r.action for r in rows)
    assert hidden_id not in titles
    assert found.scan.scan_text(f"a leak of {hidden_id}", "test")  # and the scan knows it


def test_an_output_scanned_in_pieces_gives_the_hits_of_the_whole() -> None:
    scan = LeakScan(
        "public",
        {"pm-2026-003": "the id of PM-2026-003", "secret project zeta": "the title of X"},
    )
    text = "a PM-2026-003 b xPM-2026-003 Secret Project Zeta. PM-2026-0031 pm-2026-003 end"
    assert scan.scan_text(text, "w")
    for size in range(1, len(text) + 1):
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        kept = io.BytesIO()
        assert scan.scan_pieces(iter(pieces), "w", kept) == scan.scan_text(text, "w"), size
        assert kept.getvalue().decode() == text
    assert scan.scan_pieces(iter(["no", " leak ", "here"]), "w", io.BytesIO()) == []


@pytest.mark.parametrize("count", [0, 1, 3])
def test_an_export_in_pieces_is_the_export_whole(samples: Path, count: int) -> None:
    import json

    from postmortem_kb.core.export import EXPORT_COLUMNS, _csv_row, csv_text

    config = load_config(samples)
    every, _ = load(config)
    chosen = export_records(config, every, "restricted", AS_OF, include_drafts=True)[:count]
    whole = json.dumps(chosen, indent=2, ensure_ascii=False)
    assert "".join(export_json_pieces(iter(chosen))) == whole
    # the whole, as one csv writer writes it
    whole_csv = csv_text(EXPORT_COLUMNS, (_csv_row(r) for r in chosen))
    assert "".join(export_csv_pieces(iter(chosen))) == whole_csv


@pytest.mark.parametrize("workers", [False, True])
@pytest.mark.parametrize("audience", ["public", "internal", "restricted"])
def test_what_is_made_as_the_files_are_read_is_what_is_made_after(
    samples: Path, audience: str, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`actions` and `export` make each post-mortem's rows when its view arrives (EACH),
    while the worker still reads: every view of the result was told, the last time as the
    object the result holds (a view made anew to withhold a hidden id is told again), and
    the rows put together are those made from the result afterwards."""
    from postmortem_kb.core.export import ExportRowsAsRead, export_pieces
    from postmortem_kb.core.metrics import ActionRowsAsRead

    if workers:
        monkeypatch.setattr(records, "PARALLEL_FROM", 1)
    config = load_config(samples)
    told: dict[str, object] = {}
    actions = ActionRowsAsRead("all", None, AS_OF, include_drafts=True)
    overdue = ActionRowsAsRead("overdue", "Security Operations", AS_OF, include_drafts=False)
    exports = {fmt: ExportRowsAsRead(fmt, AS_OF, include_drafts=True) for fmt in ("json", "csv")}
    rolled, elsewhen = rollup_rows(AS_OF), rollup_rows(date(2026, 1, 1))

    def each(view, found):  # type: ignore[no-untyped-def]
        told[view.path] = view
        for made in (actions, overdue, rolled, elsewhen, *exports.values()):
            made(view, found)

    found = records.follow_through(config, audience, want_complete=True, jobs=2, each=each)
    assert found.views and all(told[v.path] is v for v in found.views)
    assert set(told) == {v.path for v in found.views}
    assert actions.rows(found.views) == action_rows(
        found.views, status="all", as_of=AS_OF, include_drafts=True
    )
    assert overdue.rows(found.views) == action_rows(
        found.views, "overdue", "Security Operations", AS_OF, include_drafts=False
    )
    assert len(rolled.made) == len(found.views)
    for drafts in (False, True):
        alone = rollup(found.views, AS_OF, drafts)
        assert rollup(found.views, AS_OF, drafts, made=rolled) == alone
        assert rollup(found.views, AS_OF, drafts, made=elsewhen) == alone  # (not used)
    chosen = records_of_views(
        config, found.views, AS_OF, True, lambda pm: found.completeness[pm.path]
    )
    assert chosen == export_records(config, load(config)[0], audience, AS_OF, True)
    for fmt, made in exports.items():
        assert len(made.made) == len(found.views)  # all made as they were read
        whole = export_json_pieces(iter(chosen)) if fmt == "json" else export_csv_pieces(chosen)
        rows = made.rows(found.views, lambda pm: found.completeness[pm.path])
        assert "".join(export_pieces(rows, fmt)) == "".join(whole)
        made.close()


def test_rows_told_of_another_view_of_a_path_are_made_again(samples: Path) -> None:
    """What was made of a view is used only for that very view: told of another object
    for its path (a view that was made anew, say), the rows are made from the one asked."""
    import dataclasses

    from postmortem_kb.core.export import ExportRowsAsRead, export_pieces
    from postmortem_kb.core.metrics import ActionRowsAsRead

    config = load_config(samples)
    found = records.follow_through(config, "restricted", want_complete=True)
    actions = ActionRowsAsRead("all", None, AS_OF, include_drafts=True)
    exports = ExportRowsAsRead("json", AS_OF, include_drafts=True)
    for view in found.views:  # told of stale views: another title, no action items
        stale = dataclasses.replace(view, meta={**view.meta, "title": "Stale"}, actions=())
        actions(stale, found.completeness[view.path])
        exports(stale, found.completeness[view.path])
    assert len(exports.made) == len(found.views)
    assert actions.rows(found.views) == action_rows(
        found.views, status="all", as_of=AS_OF, include_drafts=True
    )
    rows = exports.rows(found.views, lambda pm: found.completeness[pm.path])
    text = "".join(export_pieces(rows, "json"))
    chosen = records_of_views(
        config, found.views, AS_OF, True, lambda pm: found.completeness[pm.path]
    )
    assert text == "".join(export_json_pieces(iter(chosen))) and "Stale" not in text
    exports.close()


# --- the records' cache (issue 13: the follow-through commands read from .cache/) ---------


def _same(ours: records.FollowThrough, theirs: records.FollowThrough) -> None:
    assert [v.path for v in ours.views] == [v.path for v in theirs.views]
    assert ours.views == theirs.views
    assert ours.problems == theirs.problems
    assert ours.unsafe == theirs.unsafe
    assert _leaks(ours.scan) == _leaks(theirs.scan)
    assert ours.completeness == theirs.completeness


@pytest.mark.parametrize("workers", [False, True])
@pytest.mark.parametrize("audience", ["public", "internal", "restricted"])
def test_records_from_the_cache_are_the_records_read_afresh(
    samples: Path, audience: str, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if workers:
        monkeypatch.setattr(records, "PARALLEL_FROM", 1)
    config = load_config(samples)
    plain = records.follow_through(config, audience, want_complete=True, jobs=2)
    assert not (samples / ".cache").exists()  # without the cache, nothing is written
    _same(records.follow_through(config, audience, True, jobs=2, cache=True), plain)

    read = []
    original = records._record
    monkeypatch.setattr(records, "_record", lambda *a: read.append(a[1]) or original(*a))
    warm = records.follow_through(config, audience, want_complete=True, jobs=2, cache=True)
    # from the cache: only a file naming a hidden post-mortem is read again (its view
    # withholds the id, and which ids are hidden is known only once every record is in)
    assert len(read) <= 1, read
    assert len(plain.views) + len(plain.problems) > 3
    again = []
    text_of = records._read_plain_file
    monkeypatch.setattr(records, "_read_plain_file", lambda p: again.append(p) or text_of(p))
    _same(warm, plain)
    if _leaks(plain.scan) != plain.scan.needles:
        # what the audience sees anyway, asked: the shown files' text is read again for it
        assert again
    assert len(read) <= 1  # not their records


def test_the_cache_follows_edits_additions_deletions_and_visibility(samples: Path) -> None:
    config = load_config(samples)
    files = sorted((samples / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md"))
    restricted = next(p for p in files if "visibility: restricted" in p.read_text("utf-8"))
    internal = next(p for p in files if "visibility: internal" in p.read_text("utf-8"))

    def agree() -> None:
        for audience in ("public", "internal"):
            for complete in (False, True):
                cached = records.follow_through(config, audience, complete, cache=True)
                _same(cached, records.follow_through(config, audience, complete))

    agree()  # fills the cache
    steps = [
        # a withheld post-mortem's title: a new leak-scan candidate for every shown file
        lambda: restricted.write_text(
            restricted.read_text("utf-8").replace("title: ", "title: Renamed ", 1), "utf-8"
        ),
        lambda: internal.write_text(  # a shown one made restricted
            internal.read_text("utf-8").replace("visibility: internal", "visibility: restricted"),
            "utf-8",
        ),
        lambda: shutil.copy(files[0], files[0].with_name("PM-2026-999-copy.md")),  # a duplicate
        lambda: files[1].unlink(),
        lambda: files[2].write_text("---\nid: [broken\n---\n", "utf-8"),  # does not parse
    ]
    for step in steps:
        step()
        agree()


@pytest.mark.parametrize("edit", ["records swapped", "a part dropped", "parts reordered"])
def test_an_edited_cache_is_not_trusted(samples: Path, edit: str) -> None:
    """Records swapped between two files in the cache, or its parts dropped or reordered,
    its seal left as it was: the seal no longer matches, every record is read afresh."""
    import marshal
    import pickle
    import sqlite3

    config = load_config(samples)
    records.follow_through(config, "public", cache=True)
    database = samples / ".cache" / "postmortem-kb.sqlite3"
    with sqlite3.connect(database) as db:
        (name,) = db.execute("SELECT name FROM snapshots WHERE name LIKE 'follow|%'").fetchone()
        parts = db.execute("SELECT part, value FROM parts WHERE name = ? ORDER BY part", (name,))
        numbered = parts.fetchall()
        assert len(numbered) >= 2  # the entries, then the records
        if edit == "a part dropped":
            db.execute("DELETE FROM parts WHERE name = ? AND part = ?", (name, numbered[-1][0]))
        elif edit == "parts reordered":
            db.execute("UPDATE parts SET part = -1 WHERE name = ? AND part = 0", (name,))
            db.execute("UPDATE parts SET part = 0 WHERE name = ? AND part = 1", (name,))
            db.execute("UPDATE parts SET part = 1 WHERE name = ? AND part = -1", (name,))
        else:
            value = b"".join(part for _, part in numbered)
            # the entries marshalled after their size, then the records they point into
            size = int.from_bytes(value[:8], "big")
            entries, kept = marshal.loads(value[8 : 8 + size]), value[8 + size :]

            def record(rel: str) -> records.Record:
                start, length = entries[rel][9:]
                return pickle.loads(kept[start : start + length])  # type: ignore[no-any-return]

            shown = [k for k in sorted(entries) if record(k).shown]
            first, second = shown[:2]
            entries[first], entries[second] = (
                (*entries[first][:9], *entries[second][9:]),
                (*entries[second][:9], *entries[first][9:]),
            )
            head = marshal.dumps(entries, 4)
            value = len(head).to_bytes(8, "big") + head + kept
            db.execute("DELETE FROM parts WHERE name = ?", (name,))
            db.execute("INSERT INTO parts VALUES (?, 0, ?)", (name, value))
    read: list[str] = []
    original = records._record
    again = records.follow_through
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "_record", _counting(original, read))
        cached = again(config, "public", cache=True)
    assert set(read) == {config.relative(p) for p in postmortem_paths(config)}  # all afresh
    _same(cached, records.follow_through(config, "public"))


@pytest.mark.parametrize(
    "args",
    [
        ("stats", "--format", "json"),
        ("actions", "--status", "all", "--format", "json"),
        ("controls", "--format", "json"),
        ("export", "--format", "json"),
        ("report", "--quarter", "2026-Q3"),
        ("stats", "--audience", "public"),
    ],
)
def test_commands_say_the_same_with_and_without_the_cache(samples: Path, args) -> None:  # type: ignore[no-untyped-def]
    from conftest import run_cli

    plain = run_cli("-C", str(samples), *args, "--no-cache")
    assert not (samples / ".cache").exists()
    cold = run_cli("-C", str(samples), *args)
    assert (samples / ".cache" / "postmortem-kb.sqlite3").is_file()
    warm = run_cli("-C", str(samples), *args)
    assert plain.exit_code == cold.exit_code == warm.exit_code == 0, plain.stderr
    assert plain.output == cold.output == warm.output
    assert plain.stderr == cold.stderr == warm.stderr


def test_a_large_knowledge_base_is_read_here_and_in_one_worker(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process reads a share of the files itself, and starts one worker for the rest
    (a second worker would cost its own copy of the interpreter's memory); the records are
    those of one process alone, in path order, though the worker takes its files from the
    back."""
    config = load_config(samples)
    alone = records.follow_through(config, "internal", want_complete=True, jobs=1)
    monkeypatch.setattr(records, "PARALLEL_FROM", 1)
    started = _workers_started(monkeypatch)
    read_here: list[Path] = []
    original = records._record
    here = os.getpid()

    def noted(*args):  # type: ignore[no-untyped-def]
        if os.getpid() == here:
            read_here.append(args[1])
            time.sleep(0.05)  # not a timing test: lets the worker take some of them
        return original(*args)

    monkeypatch.setattr(records, "_record", noted)
    split = records.follow_through(config, "internal", want_complete=True, jobs=2)
    files = len(alone.views) + len(alone.problems)
    assert len(started) == 1
    assert 0 < len(read_here) < files  # the worker's calls are in its own process
    _same(split, alone)


def test_the_split_gives_each_path_to_one_side_once() -> None:
    """This process takes paths from the front and the worker from the back, a chunk at a
    time, however their turns fall, till they meet: each path is read once."""
    from multiprocessing import get_context

    for total, turns in ((0, "f"), (1, "bf"), (7, "fbbfff"), (5000, "fb" * 3 + "f" * 400)):
        split = records._Split(get_context("fork"))
        split.share(total)
        front, back = split.taken(from_back=False), split.taken(from_back=True)
        got: dict[str, list[int]] = {"f": [], "b": []}
        for side in turns * 2000:
            index = next(front if side == "f" else back, None)
            if index is not None:
                got[side].append(index)
        assert sorted(got["f"] + got["b"]) == list(range(total))
        assert got["f"] == sorted(got["f"])
        assert got["b"] == sorted(got["b"], reverse=True)
        assert not got["f"] or not got["b"] or max(got["f"]) < min(got["b"])
    split.share(5000)
    assert len(list(split.taken(from_back=True))) == 5000  # alone, it takes them all


@pytest.mark.parametrize("cache", [False, True])
def test_a_worker_done_before_this_process_is_waited_for_no_longer(
    samples: Path, cache: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker may send its last records and its word that it is done while this
    process still reads its own share (a slow disk here, say): both are taken in between
    two files, and nothing more is waited for (it was, for ever)."""
    config = load_config(samples)
    alone = records.follow_through(config, "internal", want_complete=True, jobs=1)
    monkeypatch.setattr(records, "PARALLEL_FROM", 1)
    here = os.getpid()
    original = records._record

    def slow_here(*args):  # type: ignore[no-untyped-def]
        if os.getpid() == here:
            time.sleep(0.3)  # not a timing test: only lets the worker finish first
        return original(*args)

    monkeypatch.setattr(records, "_record", slow_here)
    _same(records.follow_through(config, "internal", True, jobs=2, cache=cache), alone)


def test_with_the_cache_the_worker_is_forked_before_the_cache_is_read(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its memory starts as a copy of this process's: forked before the snapshot is read and
    every file hashed (and before the database is opened), it is told its paths after; a
    warm run that needs no worker tells it so, and it ends."""
    from postmortem_kb.core import cache as cache_module

    config = load_config(samples)
    alone = records.follow_through(config, "internal", want_complete=True, jobs=1)
    monkeypatch.setattr(records, "PARALLEL_FROM", 1)
    started = _workers_started(monkeypatch)
    at_open: list[int] = []
    original = cache_module.open_record_cache

    def opened(*args):  # type: ignore[no-untyped-def]
        at_open.append(len(started))
        return original(*args)

    monkeypatch.setattr(cache_module, "open_record_cache", opened)
    for _ in range(2):  # filling the cache, then from it
        _same(records.follow_through(config, "internal", True, jobs=2, cache=True), alone)
    assert at_open == [1, 2]  # each run's worker already there when the cache is opened
    assert all(not process.is_alive() for process in started)  # type: ignore[attr-defined]


def test_control_words_are_those_the_pattern_finds() -> None:
    """The look at the colons first leaves out only text the control pattern finds nothing
    in: random rows of URLs, times, control words and punctuation."""
    import random

    from postmortem_kb.core.controls import _TOKEN

    parts = [
        "https://t.example/PM-1", "10:30", "ISO27001:A.5.1", "SOC2:CC6.1", " ", "|", ":",
        "a:", ":b", "x.y:z", "é:1", "-:-", "_:9", "+:Q", "::", "note: text", "A:",
    ]  # fmt: skip
    rng = random.Random(5)
    named = 0
    for _ in range(20000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 8)))
        expected = " ".join(m.group(0) for m in _TOKEN.finditer(text))
        assert records._control_words(text) == expected, text
        named += bool(expected)
    assert 2000 < named < 18000  # rows with control words and rows without


def test_a_record_without_its_view_is_the_record_of_its_view(tmp_path: Path) -> None:
    """`_record` leaves the audience's view unmade when `compact` would read nothing the
    view changes: on blocks of every kind placed anywhere in a complete post-mortem (in and
    around the re-test section, holding tables, tasks, fences, comments and control words),
    its compact view is that of the view, for every audience."""
    import random

    from conftest import complete_postmortem_text
    from postmortem_kb.core.audience import audience_view
    from postmortem_kb.core.parse import parse_text

    root = tmp_path / "kb"
    shutil.copytree(REPO / "postmortems" / "templates", root / "postmortems" / "templates")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    config = load_config(root)
    (root / "postmortems" / "2026").mkdir(parents=True)
    path = root / "postmortems" / "2026" / "PM-2026-001-x.md"
    base = complete_postmortem_text(visibility="public").split("\n")
    body_from = base.index("---", 1) + 1
    inner = [
        "    Text that stays inside.", "", "    | a | b |", "    - [x] done", "    ```",
        "    <!-- c -->", "    ISO27001:A.5.1 re-tested", "\t[link](x)",
    ]  # fmt: skip
    markers = ["!!! restricted", '!!! internal "Internal"', "!!! restricted"]
    rng = random.Random(3)
    looked = {True: 0, False: 0}
    for _ in range(300):
        lines = list(base)
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(body_from + 1, len(lines))
            block = [rng.choice(markers), ""] + rng.sample(inner, rng.randint(1, 3)) + [""]
            lines[at:at] = ["", *block]
        text = "\n".join(lines)
        path.write_text(text, encoding="utf-8")
        pm = parse_text(config.relative(path), text)
        for audience in ("public", "internal", "restricted"):
            texts: dict[str, bytes] = {}
            got = records._record(config, path, audience, set(), False, texts)
            records._marked_blocks.cache_clear()
            assert got.view == records.compact(audience_view(pm, audience, set())), text
            looked[records._compact_as_written(pm, audience)] += 1
    assert looked[True] > 100 and looked[False] > 100  # both ways were taken


def test_what_a_command_read_is_frozen_while_it_runs_and_let_go_after(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The records are kept from the cyclic collector's scans while the command runs (its
    figures see them frozen) and handed back to it when the command ends."""
    import gc

    from conftest import run_cli
    from postmortem_kb.cli import follow

    frozen: list[int] = []
    original = follow.compute_stats
    monkeypatch.setattr(
        follow,
        "compute_stats",
        lambda *a, **k: frozen.append(gc.get_freeze_count()) or original(*a, **k),
    )
    before = gc.get_freeze_count()
    result = run_cli("-C", str(samples), "stats", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert frozen and frozen[0] > before
    assert gc.get_freeze_count() == before


def test_a_file_that_changes_while_it_is_read_is_not_kept(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache keeps a record with the source of the bytes it was made from: a file
    written again between its read and the record's keeping (here: right after the read)
    is read afresh next time, and its new text counted."""
    config = load_config(samples)
    target = sorted((samples / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md"))[0]
    text = target.read_text("utf-8")
    original = records.read_postmortem
    edited: list[Path] = []

    def read_then_edit(config, path, read=None):  # type: ignore[no-untyped-def]
        pm = original(config, path, read)
        if Path(path) == target and not edited:
            target.write_text(text.replace("title: ", "title: Edited ", 1), "utf-8")
            edited.append(target)
        return pm

    monkeypatch.setattr(records, "read_postmortem", read_then_edit)
    records.follow_through(config, "restricted", cache=True)
    assert edited
    monkeypatch.setattr(records, "read_postmortem", original)
    read: list[str] = []
    monkeypatch.setattr(records, "_record", _counting(records._record, read))
    again = records.follow_through(config, "restricted", cache=True)
    assert read == [config.relative(target)]  # only the edited file, read afresh
    assert any(v.title.startswith("Edited ") for v in again.views)
    _same(again, records.follow_through(config, "restricted"))


def _counting(function, calls):  # type: ignore[no-untyped-def]
    def counted(config, path, *args):  # type: ignore[no-untyped-def]
        calls.append(config.relative(path))
        return function(config, path, *args)

    return counted


@pytest.mark.parametrize("workers", [False, True])
def test_a_text_withheld_from_many_post_mortems_is_held_once(
    samples: Path, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public reader is kept from most post-mortems, whose template text recurs in each:
    every record holds its leak-scan candidates keyed (plain, lower case, each once), and a
    text several hold is one string (10,000 withheld post-mortems held 250 MB, now 66)."""
    if workers:
        monkeypatch.setattr(records, "PARALLEL_FROM", 1)
    config = load_config(samples)
    paths = records.postmortem_paths(config)
    readers = records._Readers(config, paths, "public", False, jobs=2 if workers else 1)
    try:
        held = [key for record in readers.records for key in record.candidates]
    finally:
        readers.discard()
    assert all(key == " ".join(key.split()).lower() for key in held)
    first: dict[str, str] = {}
    repeated = 0
    for key in held:
        repeated += key in first
        assert first.setdefault(key, key) is key  # the same text: the same string
    assert repeated > 20  # the samples share their template's checklist text


def _workers_started(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The worker processes `records` starts from now on, as they start (not the output
    scan's look, forked too)."""
    started: list[object] = []
    context = records.get_context("fork")

    class Counted(context.Process):  # type: ignore[name-defined,misc]
        def start(self) -> None:
            if self._target is records._worker:
                started.append(self)
            super().start()

    monkeypatch.setattr(context, "Process", Counted)
    monkeypatch.setattr(records, "get_context", lambda method: context)
    return started


def test_a_command_keeps_what_it_read_for_the_next(samples: Path) -> None:
    """`stats` keeps the records it read in the cache, so the next command finds them all."""
    from click.testing import CliRunner

    from postmortem_kb.cli.main import cli

    runner = CliRunner()
    command = ["-C", str(samples), "stats", "--audience", "internal", "--format", "json"]
    first = runner.invoke(cli, command)
    assert first.exit_code == 0, first.output
    config = load_config(samples)
    store = cache.open_record_cache(config, "internal", False)
    assert store is not None
    paths = postmortem_paths(config)
    kept, missing = store.lookup(paths, [config.relative(p) for p in paths])
    store.done()
    assert kept and not missing
