"""The knowledge base as a whole: finding post-mortems, loading them, checking them all.

`check` is the one function behind `postmortem check`, `postmortem status` and the MkDocs
plugin's validation, so all three report the same findings.
"""

from __future__ import annotations

import gc
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any, TypeVar

from .catalogue import finding, never_silenced
from .config import Config
from .errors import NotFound, PostmortemError
from .leaks import NOT_A_FILE, placement_findings
from .model import Finding, Postmortem
from .parse import ParseProblem, decode, parse_text
from .rules import Folders, check_postmortem
from .templates import Template, load_template

MAX_BYTES = 20 * 1024 * 1024
_YEAR = re.compile(r"\d{4}")
_ID_LINE = re.compile(rb"^id[ \t]*:[ \t]*[\"']?([A-Za-z0-9_-]+)", re.M)
PARALLEL_FROM = 400  # below this, starting workers costs more than it saves
T = TypeVar("T")


def postmortem_paths(config: Config) -> list[Path]:
    """Every `*.md` directly in a four-digit year folder of the docs folder, sorted."""
    return [Path(p) for p in postmortem_files(config)]


def postmortem_files(config: Config) -> list[str]:
    """`postmortem_paths` as strings, in the same order: what `check` hands its workers
    (sorting, pickling and unpickling 10,000 `Path` objects cost more than the rules of a
    hundred files). Years by name, then each year's files by name."""
    docs = config.docs_path
    try:
        years = sorted(e.name for e in os.scandir(docs) if e.is_dir() and _YEAR.fullmatch(e.name))
    except FileNotFoundError:
        return []
    found: list[str] = []
    for year in years:
        with os.scandir(os.path.join(docs, year)) as entries:
            found.extend(
                sorted(
                    e.path
                    for e in entries
                    if e.name.endswith(".md") and not e.is_dir() and not config.left_out(e.name)
                )
            )
    return found


def is_postmortem_path(config: Config, path: Path) -> bool:
    try:  # (normalised: `../postmortems/2026/x.md` from inside the docs folder is in place)
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(config.docs_path))
    except ValueError:
        return False
    return len(rel.parts) == 2 and bool(_YEAR.fullmatch(rel.parts[0])) and rel.suffix == ".md"


def read_postmortem(
    config: Config, path: Path | str, read: list[tuple[bytes, os.stat_result]] | None = None
) -> Postmortem:
    """Read and parse one file; raises ParseProblem with the finding when it cannot. READ:
    given the bytes parsed and the file's `fstat` before they were read, when it is a plain
    file (no symbolic link), for a cache that keeps what was made of them."""
    rel = config.relative(path)
    plain = _read_plain(path)
    if plain is not None:
        if read is not None:
            read.append(plain)
        return parse_text(rel, decode(rel, plain[0]))
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            target = Path(path).resolve()
            try:
                target.relative_to(config.root.resolve())
            except ValueError:
                raise ParseProblem(
                    finding(
                        rel,
                        1,
                        "PM004",
                        "symlink to a file outside the knowledge base: "
                        "refused; copy the file in instead",
                    )
                ) from None
            info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # opening a named pipe waits for a writer
            raise ParseProblem(finding(rel, 1, "PM001", NOT_A_FILE))
        if info.st_size > MAX_BYTES:
            raise ParseProblem(
                finding(
                    rel,
                    1,
                    "PM001",
                    f"the file is {info.st_size // (1024 * 1024)} MB, over "
                    f"the {MAX_BYTES // (1024 * 1024)} MB limit: move large "
                    "material to evidence",
                )
            )
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ParseProblem(
            finding(rel, 1, "PM001", f"cannot read the file: {exc.strerror}")
        ) from None
    return parse_text(rel, decode(rel, data))


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a named pipe opens at once (and is refused)


def _read_plain_file(path: Path | str) -> bytes | None:
    """The bytes of PATH when it is no symbolic link and not over MAX_BYTES (`_read_plain`)."""
    plain = _read_plain(path)
    return None if plain is None else plain[0]


def _read_plain(path: Path | str) -> tuple[bytes, os.stat_result] | None:
    """The bytes of PATH and its `fstat` before they were read, when it is no symbolic link
    and not over MAX_BYTES, read with one `open`, `fstat` and `read` (a file object and an
    `lstat` cost more than the read of a post-mortem); None otherwise, and on any error,
    for `read_postmortem`'s careful way."""
    if not _NOFOLLOW:
        return None
    try:
        handle = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)  # a symbolic link: ELOOP
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or size > MAX_BYTES:
            return None
        data = os.read(handle, size + 1)
        if len(data) != size:  # changed while read, or a short read: to the end
            parts = [data]
            while parts[-1]:
                parts.append(os.read(handle, 1 << 20))
            data = b"".join(parts)
        return data, info
    except OSError:
        return None
    finally:
        os.close(handle)


def template_for(config: Config, pm: Postmortem) -> Template | None:
    try:
        return load_template(config.docs_path, pm.template or config.default_template)
    except NotFound:
        return None


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parsed post-mortems hold no reference cycles, but thousands of them make the cyclic
    collector rescan a growing heap again and again: loading 10,000 took twice as long."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def kept_for_the_run() -> Iterator[Callable[[], None]]:
    """For a command that reads the knowledge base once and keeps what it read until it
    ends: no cyclic collection while reading, and what is alive at the end is frozen
    (`gc.freeze`) rather than scanned. Else the first collections after the reading walk
    every object read, in each generation in turn, and find nothing to free: 0.4 s at
    10,000 post-mortems. Gives the function that lets them go, to be called when the
    command ends (in a longer-lived process, a test's)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield gc.unfreeze
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def load(
    config: Config,
    paths: Iterable[Path] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Postmortem], list[Finding]]:
    """Parse post-mortems; files that cannot be parsed give a finding instead.
    `progress(done, total)`: told after each file (of every post-mortem, PATHS None)."""
    postmortems: list[Postmortem] = []
    problems: list[Finding] = []
    every = postmortem_paths(config) if paths is None else None
    with _no_cyclic_gc():
        for done, path in enumerate(every if every is not None else paths or (), 1):
            try:
                postmortems.append(read_postmortem(config, path))
            except ParseProblem as problem:
                problems.append(problem.finding)
            if progress is not None and every is not None:
                progress(done, len(every))
    return postmortems, problems


def load_and_check(config: Config) -> tuple[list[Postmortem], CheckReport]:
    """Every post-mortem parsed once, with the report `check(config)` gives: for a door
    that needs both (the site build), without a second parse."""
    postmortems, report = load_then_check(config, background=False)
    return postmortems, report()


def load_then_check(
    config: Config,
    background: bool = True,
    from_files: int = PARALLEL_FROM,
    memo: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Postmortem], Callable[[], CheckReport]]:
    """Every post-mortem parsed once, and a function that returns the report `check(config)`
    gives, from the same parses. With BACKGROUND (and a knowledge base large enough to be
    worth it) the checks run in a forked process, on the other core, while the caller goes
    on with the parses; the function waits for them (or checks here if the process failed).
    A MEMO (`core.incremental.FileMemo`, the live preview's) gives back the parse and the
    findings of a file whose bytes have not changed since it last read them.
    `progress(done, total)`: told after each file is read.
    """
    paths = postmortem_paths(config)
    postmortems: list[Postmortem] = []
    problems: list[Finding] = []
    read = read_postmortem if memo is None else memo.read

    def check_one(pm: Postmortem) -> list[Finding]:
        return check_postmortem(pm, config, template_for(config, pm))

    if memo is not None:
        check_one = memo.checker(check_one)  # noqa: F811 (the same function, remembered)
    with _no_cyclic_gc():
        for done, path in enumerate(paths, 1):
            try:
                postmortems.append(read(config, path))
            except ParseProblem as problem:
                problems.append(problem.finding)
            if progress is not None:
                progress(done, len(paths))

    def report() -> CheckReport:
        findings = list(problems)
        idents: list[tuple[str, str, int]] = []
        with _no_cyclic_gc():
            for pm in postmortems:
                findings += check_one(pm)
                if pm.id:
                    idents.append((pm.id, pm.path, pm.meta_lines.get("id", 1)))
        relative = [config.relative(p) for p in paths]
        findings = selected(
            config, findings + duplicate_ids(idents, set(relative)) + placement_findings(config)
        )
        return CheckReport(len(paths), findings, relative)

    if background and len(postmortems) >= from_files:
        return postmortems, in_child(report)
    return postmortems, report


def in_child(compute: Callable[[], T]) -> Callable[[], T]:
    """COMPUTE run in a forked process, on the other core (it sees the caller's objects
    without copying them); the function returned waits for its result, or computes it
    here if the process failed. Where processes cannot be forked, COMPUTE itself. Fork
    only from a process without other threads."""
    if "fork" not in get_all_start_methods():
        return compute
    context = get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_send_result, args=(compute, send), daemon=True)
    process.start()
    send.close()

    def result() -> T:
        try:
            sent = receive.recv()
        except (EOFError, OSError):
            sent = None
        finally:
            receive.close()
            process.join()
        return sent[0] if isinstance(sent, tuple) else compute()

    return result


def _send_result(compute: Callable[[], Any], send: Any) -> None:
    try:
        sent: tuple[Any] | None = (compute(),)
    except BaseException:
        sent = None  # the parent computes again, and raises there
    try:
        send.send(sent)
    except BaseException:
        send.send(None)
    send.close()


def find_postmortem(config: Config, pm_id: str) -> Postmortem:
    for path in postmortem_paths(config):
        if path.name == f"{pm_id}.md" or path.name.startswith(f"{pm_id}-"):
            try:
                pm = read_postmortem(config, path)
            except ParseProblem as problem:
                raise PostmortemError(
                    problem.finding.message, path=problem.finding.path, line=problem.finding.line
                ) from None
            if pm.id == pm_id:
                return pm
    postmortems, _ = load(config)
    for pm in postmortems:
        if pm.id == pm_id:
            return pm
    raise NotFound(f"no post-mortem with id {pm_id} under {config.docs_dir}/")


@dataclass
class CheckReport:
    files: int
    findings: list[Finding] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # the files checked, relative to the root
    # What the draft and in-review post-mortems still need for their next status.
    upcoming: list[Upcoming] = field(default_factory=list)
    cached: int = 0  # files whose results came from the cache (core/cache.py)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def files_with_findings(self) -> int:
        """Post-mortems with a finding; one in its evidence folder counts for its own."""
        return len({_EVIDENCE_OF.sub(r"\1/\2", f.path) for f in self.findings})


# `postmortems/2026/PM-2026-001/evidence/x.log` and `postmortems/2026/PM-2026-001-slug.md`
# both come down to `postmortems/2026/PM-2026-001`
_EVIDENCE_OF = re.compile(r"^(.*?)/?([A-Z][A-Z0-9]*-\d{4}-\d{3,})(?:/evidence/.*|-[^/]*\.md|\.md)$")


@dataclass(frozen=True)
class Upcoming:
    """A post-mortem on its way: the errors that stand between it and its next status."""

    path: str
    id: str
    status: str
    next_status: str
    missing: int


# One file's check: its findings, its (id, path, line) and what it needs next.
Result = tuple[list[Finding], "tuple[str, str, int] | None", "Upcoming | None"]

# The status a post-mortem moves to next, for `check` to say what it still needs. Published
# ones are left out: archiving is far off, and a large library is mostly published.
NEXT_STATUS = {"draft": "in-review", "in-review": "published"}


def check_one(
    config: Config, path: Path, status: str | None = None, discovered: bool = False
) -> tuple[list[Finding], tuple[str, str, int] | None]:
    """Findings for one file and its (id, path, line) for the cross-file rules.

    `discovered`: the path came from `postmortem_paths`, so it is known to be in place.
    """
    findings, ident, _ = _check_file(config, path, status, discovered, upcoming=False)
    return findings, ident


class _Run:
    """What a run over many files (`check`) reads once instead of once a file: each
    template (a `stat` of its file otherwise), and the folders beside the post-mortems."""

    def __init__(self) -> None:
        self.templates: dict[str, Template | None] = {}
        self.folders = Folders()

    def template_for(self, config: Config, pm: Postmortem) -> Template | None:
        name = pm.template or config.default_template
        if name not in self.templates:
            self.templates[name] = template_for(config, pm)
        return self.templates[name]


def _check_file(
    config: Config,
    path: Path | str,
    status: str | None,
    discovered: bool,
    upcoming: bool,
    run: _Run | None = None,
) -> tuple[list[Finding], tuple[str, str, int] | None, Upcoming | None]:
    try:
        pm = read_postmortem(config, path)
    except ParseProblem as problem:
        return [problem.finding], None, None
    template = template_for(config, pm) if run is None else run.template_for(config, pm)
    folders = None if run is None else run.folders
    findings = check_postmortem(pm, config, template, status, folders)
    if not discovered and not is_postmortem_path(config, Path(path)):
        findings.insert(
            0,
            finding(
                pm.path,
                1,
                "PM107",
                f"post-mortems live directly in a year folder: move it "
                f"to {config.docs_dir}/<YYYY>/",
            ),
        )
    ident = (pm.id, pm.path, pm.meta_lines.get("id", 1)) if pm.id else None
    ahead = None
    if upcoming and status is None and pm.status in NEXT_STATUS:
        following = NEXT_STATUS[pm.status]
        missing = sum(
            f.severity == "error"
            for f in check_postmortem(pm, config, template, following, folders)
        )
        ahead = Upcoming(pm.path, pm.id, pm.status, following, missing)
    return findings, ident, ahead


def _check_chunk(
    args: tuple[Config, list[Path] | list[str], bool, str | None],
) -> list[tuple[list[Finding], tuple[str, str, int] | None, Upcoming | None]]:
    config, paths, discovered, status = args
    run = _Run()
    return [_check_file(config, p, status, discovered, upcoming=True, run=run) for p in paths]


def _ids_of(config: Config, paths: Iterable[str]) -> Iterator[tuple[str, str, int]]:
    """Ids of files that are not checked in full: a cheap look at the front matter."""
    for path in paths:
        try:  # (os.read: a file object costs more than the read itself)
            handle = os.open(path, os.O_RDONLY | _NONBLOCK)
            try:
                head = os.read(handle, 8192)
            finally:
                os.close(handle)
        except OSError:
            continue
        match = _ID_LINE.search(head)
        if match:
            yield (
                match.group(1).decode("ascii", "replace"),
                config.relative(path),
                head.count(b"\n", 0, match.start()) + 1,
            )


def check(
    config: Config,
    paths: list[Path] | None = None,
    jobs: int | None = None,
    status: str | None = None,
    cache: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> CheckReport:
    """Check PATHS (default: every post-mortem) against what their status demands, or
    STATUS's when given; duplicate ids are sought across all files.

    `cache`: reuse and keep per-file results in the knowledge base's `.cache/` (core/cache.py);
    the report is the same either way. `progress(done, total)`: told as files are checked
    (those the cache answers count as done at once)."""
    everything = postmortem_files(config)
    targets: list[Path] | list[str] = everything if paths is None else paths
    discovered = paths is None
    store = None
    if cache:
        from .cache import open_cache

        store = open_cache(config, f"check|{status or ''}|{discovered}")
    relative = [config.relative(p) for p in targets]

    def compute(misses: list[Any]) -> list[Result]:
        report = None
        if progress is not None:
            total, offset = len(targets), len(targets) - len(misses)
            report = lambda done, _: progress(offset + done, total)  # noqa: E731
        return _check_all(config, misses, status, discovered, jobs, report)

    results = compute(targets) if store is None else store.results(targets, relative, compute)

    findings = [f for file_findings, _, _ in results for f in file_findings]
    idents = [ident for _, ident, _ in results if ident]
    upcoming = sorted((ahead for _, _, ahead in results if ahead), key=lambda u: u.path)
    if paths is not None:
        chosen = {os.path.abspath(p) for p in paths}
        # the listing's paths are already absolute and normal when the docs folder's path is
        docs = os.fspath(config.docs_path)
        normal = os.path.abspath(docs) == docs
        others = [p for p in everything if (p if normal else os.path.abspath(p)) not in chosen]
        if store is None:
            idents += list(_ids_of(config, others))
        else:
            idents += store.ids(others, lambda rest: _ids_of(config, rest))
    if store is not None:
        store.save(None if paths is None else [config.relative(p) for p in everything])
        store.close()
    if paths is None:
        findings += placement_findings(config)
    findings = selected(config, findings + duplicate_ids(idents, set(relative)))
    return CheckReport(len(targets), findings, relative, upcoming, store.hits if store else 0)


def _check_all(
    config: Config,
    targets: list[Path] | list[str],
    status: str | None,
    discovered: bool,
    jobs: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """`_check_file` of every target, in worker processes when there are many; PROGRESS
    told after each chunk (or file)."""
    jobs = jobs or os.cpu_count() or 1
    results: list[Result] = []
    if jobs > 1 and len(targets) >= PARALLEL_FROM:
        size = max(50, len(targets) // (jobs * 4))
        chunks = [
            (config, targets[i : i + size], discovered, status)
            for i in range(0, len(targets), size)
        ]
        with ProcessPoolExecutor(jobs, mp_context=get_context("fork")) as pool:
            for chunk in pool.map(_check_chunk, chunks):
                results += chunk
                if progress is not None:
                    progress(len(results), len(targets))
        return results
    run = _Run()
    for path in targets:
        results.append(_check_file(config, path, status, discovered, upcoming=True, run=run))
        if progress is not None:
            progress(len(results), len(targets))
    return results


def selected(config: Config, findings: Iterable[Finding]) -> list[Finding]:
    """FINDINGS of the rules that `select`/`ignore` leave in force, in report order."""
    enabled = config.enabled_rules
    return sorted(
        (f for f in findings if f.rule in enabled or never_silenced(f.rule)),
        key=lambda f: (f.path, f.line, f.rule),
    )


def duplicate_ids(idents: Iterable[tuple[str, str, int]], report_for: set[str]) -> list[Finding]:
    by_id: dict[str, list[tuple[str, int]]] = {}
    for pm_id, path, line in idents:
        by_id.setdefault(pm_id, []).append((path, line))
    findings = []
    for pm_id, places in by_id.items():
        if len(places) < 2:
            continue
        for path, line in places:
            if path in report_for:
                others = ", ".join(p for p, _ in places if p != path)
                findings.append(
                    finding(
                        path,
                        line,
                        "PM106",
                        f"id {pm_id} is also used by {others}: give this "
                        "post-mortem the next free id",
                    )
                )
    return findings
