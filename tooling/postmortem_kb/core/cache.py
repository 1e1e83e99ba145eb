"""The check cache: what each post-mortem gave, kept in one SQLite file under the knowledge
base's `.cache/` and reused while nothing it depends on has changed.

A result is kept with the file's path and the SHA-256 of its bytes, under a context: the
tool (its version, the stat of its own source files and of the folders its dependencies are
installed in), the effective configuration (every setting after `--select`/`--ignore` and
the environment, and the bytes of mkdocs.yml, whose `markdown_extensions` PM402 renders
with) and the templates; and with what the rules read beside the file (its evidence
folder). Change any of them and the result is computed again. No rule of `check` depends on
today's date; one that does must put the date into `_context`.

Like git's index, a file's content hash is computed again only when its stat (device,
inode, size, modification and change times) differs from the one recorded with it, and a
stat is trusted only when the file had been left alone for `RACY_NS` when it was recorded:
a file written twice within the file system's time granularity is hashed again.

Each kind of check keeps one snapshot (every file's entry in one JSON value), so that an
unchanged knowledge base costs one row to read, one stat a file and one JSON parse. A
snapshot is sealed with a key kept in this user's own state folder (never in a repository):
a cache committed to git, copied from another machine or edited is not trusted, its entries
are computed again. A cache that cannot be used never fails a command: a damaged file is
replaced by a new one; one that is locked, read-only or on a full disk is bypassed (the
results are computed and not kept). Concurrent runs (the pre-commit hook, CI, `serve`) share
it through SQLite's write-ahead log; each run writes in one short transaction at its end.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import marshal
import os
import secrets as random
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from .config import Config
from .model import Finding

CACHE_DIR = ".cache"
CACHE_FILE = "postmortem-kb.sqlite3"
# 9: records uncompressed, in parts; 8: due dates as ordinals in records; 7: leak-scan
# candidates keyed; 6: no "seen anyway"
SCHEMA = "9"
RACY_NS = 2_000_000_000  # a file touched this recently is not known unchanged by its stat
SAVE_PIECE = 1 << 20  # bytes of a snapshot written at a time
BUSY_MS = 1500  # how long a write waits for another run's transaction before giving up
FULL_MODE = "check||True"  # every post-mortem against its own status: the usual `check`

# One result of the per-file check: its findings, its (id, path, line), and what it still
# needs for its next status (a knowledge_base.Upcoming).
Result = tuple[list[Finding], "tuple[str, str, int] | None", Any]
Stat = tuple[int, int, int, int, int]
# A snapshot entry, a tuple: dev, ino, size, mtime_ns, ctime_ns, settled, digest, head id
# (id, line), evidence, findings, (id, line), upcoming.
_ENTRY = 12


def cache_path(config: Config) -> Path:
    return config.root / CACHE_DIR / CACHE_FILE


def _stat_key(info: os.stat_result) -> Stat:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _settled(key: Stat, now_ns: int) -> bool:
    """Left alone long enough before NOW_NS that an unchanged stat means unchanged bytes."""
    return max(key[3], key[4]) < now_ns - RACY_NS


# --- what a result depends on besides the file ---------------------------------------------


def _tool_fingerprint() -> str:
    """The tool's version and the stat of its own files (an editable install changes
    without a new version) and of the folders its dependencies are installed in (installing
    or upgrading a package adds and removes entries there, which changes the folder's time)."""
    from .. import __version__

    package = Path(__file__).resolve().parent.parent
    parts = [__version__, sys.version]
    pending = [str(package)]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            elif entry.name.endswith((".py", ".md", ".yml", ".yaml", ".json")):
                info = entry.stat()
                parts.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
    for folder in sys.path:  # not the others: they differ between `postmortem`, mkdocs, pytest
        if folder.endswith(("site-packages", "dist-packages")):
            try:
                parts.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
            except OSError:
                continue
    return "\n".join(parts)


def _config_fingerprint(config: Config) -> str:
    parts = [f"{f.name}={getattr(config, f.name)!r}" for f in fields(config)]
    parts.append(f"root={os.path.realpath(config.root)}")
    try:
        parts.append(hashlib.sha256((config.root / "mkdocs.yml").read_bytes()).hexdigest())
    except OSError:
        parts.append("no mkdocs.yml")
    return "\n".join(parts)


def _templates_fingerprint(config: Config) -> str:
    """Every file of the knowledge base's templates folder, by content."""
    folder = config.docs_path / "templates"
    digest = hashlib.sha256()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return "no templates folder"
    for name in names:
        try:
            data = (folder / name).read_bytes()
        except OSError:
            data = b"<unreadable>"
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0" + data + b"\0")
    return digest.hexdigest()


def _context(config: Config) -> str:
    parts = (SCHEMA, _tool_fingerprint(), _config_fingerprint(config))
    text = "\n".join((*parts, _templates_fingerprint(config)))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def evidence_fingerprint(
    config: Config,
    rel_path: str,
    pm_id: str | None,
    now_ns: int,
    listings: dict[str, frozenset[str] | None],
) -> str:
    """What the rules read in the evidence folder beside a post-mortem (PM401 in its files,
    PM602 for its manifest): the stat of every entry. A folder touched too recently to tell
    by its stat gives "unsettled", which is never stored. LISTINGS: the names in each year
    folder, read once a run, so that a post-mortem without evidence costs no system call."""
    if not pm_id:
        return ""
    year = rel_path.rpartition("/")[0]
    if year not in listings:
        try:
            listings[year] = frozenset(os.listdir(os.path.join(config.root, year)))
        except OSError:
            listings[year] = None
    names = listings[year]
    if names is not None and pm_id not in names:
        return "-"
    folder = os.path.join(config.root, year, pm_id, "evidence")
    try:
        info = os.lstat(folder)
    except OSError:
        return "-"
    if not _settled(_stat_key(info), now_ns):
        return "unsettled"
    parts = [f"{info.st_mode}:{_stat_key(info)}"]
    if stat.S_ISDIR(info.st_mode):
        try:
            entries = sorted(os.listdir(folder))
        except OSError:
            return "unsettled"
        for name in entries:
            try:
                entry = os.lstat(os.path.join(folder, name))
            except OSError:
                return "unsettled"
            if not _settled(_stat_key(entry), now_ns):
                return "unsettled"
            parts.append(f"{name}:{entry.st_mode}:{_stat_key(entry)}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


# --- encoding a result ---------------------------------------------------------------------


def _encode(result: Result) -> tuple[Any, ...]:
    findings, ident, ahead = result
    return (
        tuple((f.path, f.line, f.rule, f.severity, f.message) for f in findings),
        (ident[0], ident[2]) if ident else None,  # its path is the entry's own
        (ahead.path, ahead.id, ahead.status, ahead.next_status, ahead.missing) if ahead else None,
    )


_UPCOMING: Any = None


def _decode(rel: str, raw_findings: Any, raw_ident: Any, raw_ahead: Any) -> Result:
    """A stored result; raises (ValueError, TypeError) on anything malformed."""
    global _UPCOMING
    findings = []
    for path, line, rule, severity, message in raw_findings:
        if not (
            isinstance(path, str)
            and type(line) is int
            and isinstance(rule, str)
            and severity in ("error", "warning")
            and isinstance(message, str)
        ):
            raise ValueError("malformed finding")
        findings.append(Finding(path, line, rule, severity, message))
    ident = None
    if raw_ident is not None:
        pm_id, line = raw_ident
        if not (isinstance(pm_id, str) and type(line) is int):
            raise ValueError("malformed id")
        ident = (pm_id, rel, line)
    ahead = None
    if raw_ahead is not None:
        if _UPCOMING is None:
            from .knowledge_base import Upcoming

            _UPCOMING = Upcoming
        path, pm_id, status, following, missing = raw_ahead
        if not all(isinstance(v, str) for v in (path, pm_id, status, following)) or (
            type(missing) is not int
        ):
            raise ValueError("malformed upcoming")
        ahead = _UPCOMING(path, pm_id, status, following, missing)
    return findings, ident, ahead


Source = tuple[Stat, str, tuple[str, int] | None]  # stat, content hash, head id (id, line)


def source_of(data: bytes, info: os.stat_result) -> Source:
    """What a cache entry says of the file whose bytes are DATA, read after a stat INFO: its
    stat, the hash of its bytes, and the id its front matter opens with (and that line)."""
    from .knowledge_base import _ID_LINE

    match = _ID_LINE.search(data[:8192])
    head = (
        (match.group(1).decode("ascii", "replace"), data.count(b"\n", 0, match.start()) + 1)
        if match
        else None
    )
    return _stat_key(info), hashlib.sha256(data).hexdigest()[:32], head


def _head_id(head: Any) -> str | None:
    return head[0] if isinstance(head, tuple) and head and isinstance(head[0], str) else None


# --- the seal ------------------------------------------------------------------------------


def _machine_key() -> bytes | None:
    """This user's key for sealing caches, made on first use; None when it cannot be kept
    (then no cache is used)."""
    from .files import state_folder

    path = state_folder() / "cache-key"
    for _ in range(2):
        try:
            key = path.read_bytes()
            return key if len(key) >= 32 else None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # another run made it first: read that one
        except OSError:
            return None
        with os.fdopen(fd, "wb") as handle:
            handle.write(random.token_bytes(32))
    return None


def _seal(key: bytes, name: str, context: str, value: bytes) -> str:
    mac = _sealer(key, name, context, len(value))
    mac.update(value)
    return str(mac.hexdigest())


def _sealer(key: bytes, name: str, context: str, size: int) -> Any:
    """The seal of a snapshot of SIZE bytes, to be given its bytes (`update`)."""
    mac = hashlib.blake2b(key=key[:64], digest_size=32)
    for part in (name.encode(), context.encode()):
        mac.update(len(part).to_bytes(8, "big") + part)
    mac.update(size.to_bytes(8, "big"))
    return mac


# --- the store -----------------------------------------------------------------------------


class CheckCache:
    """One knowledge base's cache for one kind of check (`mode`: the status checked against
    and whether the files were found by the scan or named)."""

    def __init__(self, config: Config, db: sqlite3.Connection, mode: str, key: bytes):
        self.config = config
        self.db: sqlite3.Connection | None = db
        self.mode = mode
        self.key = key
        self.context = _context(config)
        self.now_ns = time.time_ns()
        self.hits = 0
        self.misses = 0
        self.writable = True
        self._loaded: dict[str, dict[str, Any]] = {}
        self._entries: dict[str, tuple[Any, ...]] = {}  # this run's entries, to be kept
        self._changed = False
        self._listings: dict[str, frozenset[str] | None] = {}

    # reading ----------------------------------------------------------------------------

    def _snapshot(self, name: str) -> dict[str, Any]:
        """The entries kept under NAME for this context; empty when there are none, or
        they are not to be trusted."""
        if name in self._loaded:
            return self._loaded[name]
        entries: dict[str, Any] = {}
        try:
            row = self._stored(self._db(), name)
        except sqlite3.OperationalError:
            row, self.writable = None, False  # busy: work without it
        except sqlite3.DatabaseError:
            row = None
            self._damaged()
        if (
            row is not None
            and row[0] == self.context
            and isinstance(row[1], bytes)
            and hmac.compare_digest(str(row[2]), _seal(self.key, name, row[0], row[1]))
        ):
            # marshal: several times faster than JSON, and only ever given bytes this user's
            # key sealed (the context holds the Python version, whose format it is)
            value = self._decode(row[1])
            if isinstance(value, dict):
                entries = value
        self._loaded[name] = entries
        return entries

    def _stored(self, db: sqlite3.Connection, name: str) -> Any:
        """The row kept under NAME: its context, its bytes and their seal."""
        return db.execute(
            "SELECT context, value, seal FROM snapshots WHERE name = ?", (name,)
        ).fetchone()

    def _decode(self, value: bytes) -> Any:
        """A snapshot's entries from its sealed bytes (None: not readable)."""
        try:
            return marshal.loads(value)
        except (ValueError, EOFError, TypeError):
            return None

    def _damaged(self) -> None:
        """A file SQLite cannot read: start a new one (this run's entries go there)."""
        self.close()
        if not _discard(cache_path(self.config)):
            self.writable = False

    def _digest(self, path: str | Path) -> Source | None:
        """(stat, content hash, head id) of PATH, read now; None when the file is not one
        to keep (a symlink, too large, unreadable, changing while read)."""
        from .knowledge_base import MAX_BYTES

        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                return None
            with open(path, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)
            after = os.lstat(path)
        except OSError:
            return None
        if _stat_key(after) != _stat_key(info):
            return None
        return source_of(data, info)

    def _evidence(self, rel: str, pm_id: str | None) -> str:
        return evidence_fingerprint(self.config, rel, pm_id, self.now_ns, self._listings)

    def _reuse(self, path: str | Path, rel: str, entry: Any) -> Result | None:
        """ENTRY's result when it still holds for PATH (recording the entry to keep)."""
        if not isinstance(entry, tuple) or len(entry) != _ENTRY:
            return None
        try:
            key = _stat_key(os.lstat(path))
        except OSError:
            return None
        if not (entry[5] and key == tuple(entry[:5])):
            known = self._digest(path)  # touched, or checked out again: the same bytes?
            if known is None or known[1] != entry[6]:
                return None
            entry = (*known[0], _settled(known[0], self.now_ns), *entry[6:])
            self._changed = True
        try:
            result = _decode(rel, *entry[9:])
        except (ValueError, TypeError):
            return None
        if entry[8] != self._evidence(rel, result[1][0] if result[1] else None):
            return None
        self._entries[rel] = entry
        return result

    def results(
        self,
        paths: Sequence[Any],
        relative: Sequence[str],
        compute: Callable[[list[Any]], list[Result]],
    ) -> list[Result]:
        """The check of every path (RELATIVE: the same, relative to the root): kept results
        where they hold, COMPUTE(misses) for the rest, in the order of PATHS."""
        kept = self._snapshot(self.mode)
        out: list[Result | None] = [None] * len(paths)
        missing: list[int] = []
        before: dict[int, tuple[tuple[Stat, str, tuple[str, int] | None], str]] = {}
        for index, (path, rel) in enumerate(zip(paths, relative, strict=True)):
            entry = kept.get(rel)
            result = self._reuse(path, rel, entry) if entry is not None else None
            if result is not None:
                out[index] = result
                continue
            missing.append(index)
            known = self._digest(path)
            if known is not None:
                before[index] = (known, self._evidence(rel, _head_id(known[2])))
        self.hits = len(paths) - len(missing)
        self.misses = len(missing)
        if missing:
            self._changed = True
        self.close()  # no open connection across the workers' fork
        computed = compute([paths[i] for i in missing]) if missing else []
        for index, result in zip(missing, computed, strict=True):
            out[index] = result
            if index not in before:
                continue
            (key, digest, head), evidence = before[index]
            rel = relative[index]
            pm_id = result[1][0] if result[1] else None
            try:
                unchanged = _stat_key(os.lstat(paths[index])) == key
            except OSError:
                unchanged = False
            # kept only when nothing it read changed while it was checked
            if not unchanged or (pm_id is not None and pm_id != _head_id(head)):
                continue
            if evidence == "unsettled" or self._evidence(rel, pm_id) != evidence:
                continue
            settled = _settled(key, self.now_ns)
            self._entries[rel] = (*key, settled, digest, head, evidence, *_encode(result))
        return [r for r in out if r is not None]

    def ids(
        self,
        paths: Iterable[Any],
        read_ids: Callable[[list[Any]], Iterable[tuple[str, str, int]]],
    ) -> list[tuple[str, str, int]]:
        """(id, path, line) of each of PATHS as READ_IDS finds it at the head of the file,
        from the last full check's entries where the file is unchanged."""
        kept = self._snapshot(FULL_MODE)
        found: list[tuple[str, str, int]] = []
        rest: list[Any] = []
        for path in paths:
            rel = self.config.relative(path)
            entry = kept.get(rel)
            head: Any = None
            if isinstance(entry, tuple) and len(entry) == _ENTRY and entry[5]:
                try:
                    same = _stat_key(os.lstat(path)) == tuple(entry[:5])
                except OSError:
                    same = False
                if same:
                    head = entry[7] if entry[7] is not None else False
            if head is None:
                rest.append(path)
            elif head is not False:
                pm_id, line = head if isinstance(head, tuple) and len(head) == 2 else (None, None)
                if isinstance(pm_id, str) and type(line) is int:
                    found.append((pm_id, rel, line))
                else:
                    rest.append(path)
        found += list(read_ids(rest))
        return found

    # writing ----------------------------------------------------------------------------

    def save(self, every: Iterable[str] | None = None) -> None:
        """Keep this run's entries, in one transaction; give up quietly when another run
        holds the lock for too long, or the disk refuses. EVERY: the paths of every
        post-mortem there is, for a check of some of them (entries of other files kept
        from earlier runs stay, those of files gone are dropped); None: this run checked
        them all, and its entries replace the others."""
        if not self.writable:
            return
        if every is None:
            if not self._changed and len(self._entries) == len(self._snapshot(self.mode)):
                return
            entries = self._entries
        else:
            if not self._changed:
                return
            present = set(every)
            entries = {k: v for k, v in self._snapshot(self.mode).items() if k in present}
            entries.update(self._entries)
        self._entries, self._loaded = {}, {}
        # locked, read-only, full, damaged: the results are right, only not kept
        with contextlib.suppress(sqlite3.Error, OSError, _Unusable):
            self._write_pieces(*self._packed(entries))

    def _packed(
        self, entries: dict[str, tuple[Any, ...]]
    ) -> tuple[int, Iterator[bytes | memoryview]]:
        """ENTRIES as this mode's snapshot: its size and its bytes."""
        value = marshal.dumps(entries, 4)
        # saved once, at the end of a run: what it was made of is let go before it is written
        entries.clear()
        return len(value), iter([value])

    def _write_pieces(self, size: int, pieces: Iterator[bytes | memoryview]) -> None:
        """The snapshot of SIZE bytes that PIECES make, sealed as it is written."""
        mac = _sealer(self.key, self.mode, self.context, size)
        db = self._db()
        with db:
            # written into a blob of its size a piece at a time: bound as a parameter, SQLite
            # would copy the whole twice first; a zero blob in the row's last column it does
            # not make in memory. Sealed once it is written, in the same transaction.
            db.execute(
                "INSERT OR REPLACE INTO snapshots (name, context, seal, value) "
                "VALUES (?, ?, '', zeroblob(?))",
                (self.mode, self.context, size),
            )
            row = db.execute("SELECT rowid FROM snapshots WHERE name = ?", (self.mode,))
            rowid = row.fetchone()[0]
            with db.blobopen("snapshots", "value", rowid) as blob:
                for piece in pieces:
                    whole = memoryview(piece)
                    for at in range(0, len(whole), SAVE_PIECE):
                        part = whole[at : at + SAVE_PIECE]
                        mac.update(part)
                        blob.write(part)
            db.execute("UPDATE snapshots SET seal = ? WHERE rowid = ?", (mac.hexdigest(), rowid))

    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            self.db = _connect(cache_path(self.config))
        return self.db

    def close(self) -> None:
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            self.db = None


_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS snapshots (name TEXT PRIMARY KEY, context TEXT, seal TEXT, "
    "value BLOB)",
    # the rest of a snapshot's bytes, after its row's, for the follow-through records
    "CREATE TABLE IF NOT EXISTS parts (name TEXT, part INTEGER, value BLOB, "
    "PRIMARY KEY (name, part))",
)


class _Unusable(Exception):
    """A cache that works but cannot be shared safely (no write-ahead log on this file
    system): bypassed, never discarded."""


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_MS / 1000)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()
        if not mode or str(mode[0]).lower() != "wal":
            raise _Unusable("no write-ahead log here")
        # no waiting for the disk: what a crash of the machine could tear is a cache, whose
        # every snapshot is sealed and whose damage is found and rebuilt (a 20 MB save of
        # the follow-through records took 0.09 s, 0.05 s of it syncing)
        db.execute("PRAGMA synchronous = OFF")
        if _schema(db) != SCHEMA:
            db.execute("BEGIN IMMEDIATE")
            try:
                if _schema(db) != SCHEMA:  # another run may have just made it
                    for table in ("files", "results", "snapshots", "parts"):
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    for statement in _TABLES:
                        db.execute(statement)
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA,))
                db.commit()
            except BaseException:
                db.rollback()
                raise
    except BaseException:
        db.close()
        raise
    return db


def _schema(db: sqlite3.Connection) -> str | None:
    if (
        db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        is None
    ):
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return None if row is None else str(row[0])


def _prepare_folder(folder: Path) -> None:
    """`.cache/` with a `.gitignore` of `*` in it, so that a knowledge base made before the
    cache existed does not offer it to git either (as pytest and mypy do)."""
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        from .errors import UsageError
        from .files import write_new

        with contextlib.suppress(UsageError):  # another run wrote it first
            write_new(ignore, "# written by postmortem-kb: its cache is not for git\n*\n")


def open_cache(
    config: Config, mode: str, kind: type[CheckCache] | None = None
) -> CheckCache | None:
    """The knowledge base's cache for MODE, or None when it cannot be used (no place to
    write it, locked for too long): the caller then computes everything, as `--no-cache`."""
    key = _machine_key()
    if key is None:
        return None
    folder = config.root / CACHE_DIR
    path = folder / CACHE_FILE
    try:
        _prepare_folder(folder)
    except OSError:
        return None
    for attempt in (1, 2):
        try:
            db = _connect(path)
            db.execute("SELECT count(*) FROM snapshots WHERE 0").fetchone()
            return (kind or CheckCache)(config, db, mode, key)
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if any(word in text for word in ("locked", "busy", "readonly", "unable to open")):
                return None
            if attempt == 2 or not _discard(path):
                return None
        except sqlite3.DatabaseError:
            # not a database, or damaged: start afresh (another run may do the same; each
            # then works on its own new file and the last one stays)
            if attempt == 2 or not _discard(path):
                return None
        except (OSError, _Unusable):
            return None
    return None


def _discard(path: Path) -> bool:
    try:
        for suffix in ("", "-wal", "-shm"):
            candidate = path.with_name(path.name + suffix)
            if candidate.exists():
                candidate.unlink()
    except OSError:
        return False
    return True


# --- the follow-through records --------------------------------------------------------------

# A record entry: dev, ino, size, mtime_ns, ctime_ns, settled, digest, head id (id, line),
# evidence, the record (pickled by core/records.py). In a snapshot the records
# follow the entries (`RecordCache._packed`); an entry kept in this run points into a
# temporary file instead: (offset, size).
_RECORD_ENTRY = 10
_HEAD = 8  # bytes of a record snapshot's first field: the size of its marshalled entries


def follow_mode(audience: str, complete: bool) -> str:
    return f"follow|{audience}|{complete}"


class RecordCache(CheckCache):
    """The follow-through commands' compact records (core/records.py), one snapshot for each
    audience (and with or without completeness), kept and trusted under the same rules as
    the check's results: the file's bytes, the tool, the configuration, the templates and the
    evidence folder beside it unchanged, the snapshot sealed with this user's key."""

    def __init__(self, config: Config, db: sqlite3.Connection, mode: str, key: bytes):
        super().__init__(config, db, mode, key)
        self._spill: Any = None  # this run's records, on disk until saved
        self._spilled = 0

    def _decode(self, value: bytes) -> Any:
        """The entries of a record snapshot: its marshalled entries, each record a view of
        its bytes after them (not copied: unpickled from there when used)."""
        try:
            size = int.from_bytes(value[:_HEAD], "big")
            entries = marshal.loads(value[_HEAD : _HEAD + size])
        except (ValueError, EOFError, TypeError):
            return None
        if not isinstance(entries, dict):
            return None
        records = memoryview(value)[_HEAD + size :]
        decoded = {}
        for rel, entry in entries.items():
            if not isinstance(entry, tuple) or len(entry) != _RECORD_ENTRY + 1:
                return None
            start, length = entry[9], entry[10]
            if not (isinstance(start, int) and isinstance(length, int)):
                return None
            if start < 0 or length < 0 or start + length > len(records):
                return None
            decoded[rel] = (*entry[:9], records[start : start + length])
        return decoded

    def _packed(
        self, entries: dict[str, tuple[Any, ...]]
    ) -> tuple[int, Iterator[bytes | memoryview]]:
        """The entries marshalled without their records, then the records one after the
        other, read from where they are (the loaded snapshot, or this run's temporary file)
        as they are written: at 10,000 the records are 20 MB, never all in memory here. The
        entries are made into the index in place (a second dict of them was 4 MB more)."""
        parts, offset = [], 0
        for rel, entry in entries.items():
            record = entry[9]
            length = record[1] if isinstance(record, tuple) else len(record)
            entries[rel] = (*entry[:9], offset, length)
            parts.append(record)
            offset += length
        head = marshal.dumps(entries, 4)
        entries.clear()
        spill = self._spill

        def pieces() -> Iterator[bytes | memoryview]:
            yield len(head).to_bytes(_HEAD, "big") + head
            buffer: list[bytes | memoryview] = []
            size = 0
            for part in _runs(parts, spill):
                buffer.append(part)
                size += len(part)
                if size >= SAVE_PIECE:
                    yield b"".join(buffer)
                    buffer, size = [], 0
            yield b"".join(buffer)

        if spill is not None:
            spill.flush()
        return _HEAD + len(head) + offset, pieces()

    def _stored(self, db: sqlite3.Connection, name: str) -> Any:
        """The row kept under NAME, its bytes followed by those of its parts (sealed as
        one: parts of another run's save, or none, do not pass the seal)."""
        row = super()._stored(db, name)
        if row is None or not isinstance(row[1], bytes):
            return row
        parts = db.execute("SELECT value FROM parts WHERE name = ? ORDER BY part", (name,))
        return row[0], b"".join([row[1], *(part for (part,) in parts)]), row[2]

    def _write_pieces(self, size: int, pieces: Iterator[bytes | memoryview]) -> None:
        """The snapshot of SIZE bytes that PIECES make, a row a piece (SQLite writes each
        once: into a zero blob of the whole it wrote the whole twice, and held 25 MB more
        while it did), sealed as it is written, in one transaction."""
        mac = _sealer(self.key, self.mode, self.context, size)
        db = self._db()
        with db:
            db.execute("DELETE FROM parts WHERE name = ?", (self.mode,))
            db.execute(
                "INSERT OR REPLACE INTO snapshots (name, context, seal, value) "
                "VALUES (?, ?, '', x'')",
                (self.mode, self.context),
            )
            for number, piece in enumerate(pieces):
                mac.update(piece)
                db.execute(
                    "INSERT INTO parts (name, part, value) VALUES (?, ?, ?)",
                    (self.mode, number, piece),
                )
            db.execute("UPDATE snapshots SET seal = ? WHERE name = ?", (mac.hexdigest(), self.mode))

    def lookup(
        self, paths: Sequence[Any], relative: Sequence[str]
    ) -> tuple[dict[str, bytes], list[int]]:
        """The kept records by relative path, for the files whose entry still holds; and
        the indices of the others, to be read afresh."""
        kept = self._snapshot(self.mode)
        found: dict[str, bytes] = {}
        missing: list[int] = []
        for index, (path, rel) in enumerate(zip(paths, relative, strict=True)):
            entry = kept.get(rel)
            hit = self._reuse_record(path, rel, entry) if entry is not None else None
            if hit is not None:
                found[rel] = hit
                continue
            missing.append(index)
        self.hits, self.misses = len(found), len(missing)
        if missing or len(found) != len(kept):
            self._changed = True
        self.close()  # no open connection across the workers' fork
        return found, missing

    def _reuse_record(self, path: Any, rel: str, entry: Any) -> bytes | None:
        if not isinstance(entry, tuple) or len(entry) != _RECORD_ENTRY:
            return None
        if not isinstance(entry[9], memoryview):
            return None
        try:
            key = _stat_key(os.lstat(path))
        except OSError:
            return None
        if not (entry[5] and key == tuple(entry[:5])):
            known = self._digest(path)
            if known is None or known[1] != entry[6]:
                return None
            entry = (*known[0], _settled(known[0], self.now_ns), *entry[6:])
            self._changed = True
        if entry[8] != self._evidence(rel, _head_id(entry[7])):
            return None
        self._entries[rel] = entry
        return entry[9]  # type: ignore[no-any-return]  # (a view of the snapshot's bytes)

    def sources(self) -> Sourcer:
        """What the readers of this run's files tell `keep` of each (`Sourcer`)."""
        return Sourcer(self.config, self.now_ns)

    def keep(self, path: Any, rel: str, record: bytes, pm_id: str | None, read: Any = None) -> None:
        """Keep RECORD (pickled) for the file at PATH, read in this run, when nothing it
        depends on changed while it was read: READ, what `Sourcer` said of the file as it
        was read, before the record was made."""
        if not (isinstance(read, tuple) and len(read) == 2):
            return
        (key, digest, head), evidence = read
        try:
            unchanged = _stat_key(os.lstat(path)) == key
        except OSError:
            unchanged = False
        if not unchanged or (pm_id or None) != _head_id(head):
            return
        if evidence == "unsettled" or self._evidence(rel, pm_id) != evidence:
            return
        settled = _settled(key, self.now_ns)
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the cache
        self._spill.write(record)
        where = (self._spilled, len(record))
        self._spilled += len(record)
        self._entries[rel] = (*key, settled, digest, head, evidence, where)
        self._changed = True

    def done(self) -> None:
        """Closed, and this run's temporary file of records and the loaded snapshot let go
        (saved or not): at 10,000 the snapshot is 20 MB, held by every record read from it."""
        self.close()
        self._entries, self._loaded = {}, {}
        if self._spill is not None:
            self._spill.close()
            self._spill = None


def _runs(parts: list[Any], spill: Any) -> Iterator[bytes | memoryview]:
    """PARTS as bytes: a record kept from the loaded snapshot as it is, those of this run
    read from SPILL (offset, length), a run of them that lie one after the other there (as
    they were kept) in one read of at most `SAVE_PIECE`, not one system call a record."""
    start = end = 0
    for part in parts:
        if isinstance(part, tuple):
            if part[0] == end and end - start < SAVE_PIECE:
                end += part[1]
                continue
            if end > start:
                yield os.pread(spill.fileno(), end - start, start)
            start, end = part[0], part[0] + part[1]
            continue
        if end > start:
            yield os.pread(spill.fileno(), end - start, start)
            start = end = 0
        yield part
    if end > start:
        yield os.pread(spill.fileno(), end - start, start)


class Sourcer:
    """Told a file's bytes as read (`knowledge_base.read_postmortem`'s READ), before anything
    is made of them: their source (`source_of`, with the stat taken before the read) and the
    fingerprint of the evidence beside the file, for `RecordCache.keep` (None: not to be
    kept), which tells by the file's stat once the record is made whether it changed while
    it was read. Made by the cache, called where the file is read (a worker process: it is
    sent there with the paths)."""

    def __init__(self, config: Config, now_ns: int):
        self.config, self.now_ns = config, now_ns
        self.listings: dict[str, frozenset[str] | None] = {}

    def __call__(
        self, path: str | Path, rel: str, read: list[tuple[bytes, os.stat_result]]
    ) -> tuple[Source, str] | None:
        if not read:
            return None
        source = source_of(*read[0])
        pm_id = _head_id(source[2])
        return source, evidence_fingerprint(self.config, rel, pm_id, self.now_ns, self.listings)


def open_record_cache(config: Config, audience: str, complete: bool) -> RecordCache | None:
    """The knowledge base's cache of follow-through records for AUDIENCE, or None when it
    cannot be used (as `open_cache`)."""
    store = open_cache(config, follow_mode(audience, complete), RecordCache)
    return store if isinstance(store, RecordCache) else None
