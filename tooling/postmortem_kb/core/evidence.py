"""Evidence with integrity: files copied beside a post-mortem, each recorded with its SHA-256
in a manifest, and a verification that names every file that changed or is gone.

Layout: `postmortems/<YYYY>/<ID>/evidence/` holds the copied files and `manifest.json`.
A file larger than `evidence_max_bytes` is not copied (git is no evidence store for large
files): it is recorded by hash, size and where it lives. A URL is recorded as given, with a
hash when one is supplied. The manifest is only ever replaced atomically, and a copied file
never overwrites another: a second file of the same name gets a distinct one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import safejson
from .catalogue import RULES
from .config import Config
from .errors import PostmortemError, UsageError
from .files import replace_atomically, state_folder, write_new
from .model import Finding, Postmortem
from .rules import ID_PATTERN
from .safejson import whole_number
from .secrets import find_secrets, secret_kind

MANIFEST = "manifest.json"
EVIDENCE_FOLDER = "evidence"
MANIFEST_VERSION = 1
KINDS = ("file", "external", "url")
# A Markdown link to a post-mortem's manifest, as PM602 asks section 2 to hold. Evidence never
# reaches a site, so the site rewrites these links (see `link_manifest_in_page`).
MANIFEST_LINK = re.compile(
    r"\[(?P<text>[^\]\n]*)\]\(<?(?:\./)?(?P<id>[A-Z][A-Z0-9]*-\d{4}-\d{3,})"
    r"/evidence/manifest\.json>?\)"
)
EVIDENCE_ANCHOR = "evidence-manifest"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")
CHUNK = 1024 * 1024
MAX_MANIFEST = 16 * 1024 * 1024


@dataclass(frozen=True)
class EvidenceItem:
    """One manifest entry."""

    kind: str  # file: copied here; external: too large, recorded where it lives; url
    name: str  # the file name in the evidence folder (file), else ""
    original_name: str
    sha256: str
    size: int | None
    location: str  # external: where the file lives; url: the URL; file: ""
    added_at: str  # ISO-8601 UTC
    added_by: str
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "original_name": self.original_name,
            "sha256": self.sha256,
            "size": self.size,
            "location": self.location,
            "added_at": self.added_at,
            "added_by": self.added_by,
            "note": self.note,
        }

    @property
    def label(self) -> str:
        return self.name or self.location or self.original_name


def evidence_dir(config: Config, pm: Postmortem) -> Path:
    """`postmortems/<YYYY>/<ID>/evidence/`, beside the post-mortem file."""
    if not ID_PATTERN.match(pm.id):
        raise UsageError(
            f"the id {pm.id!r} is not valid (e.g. PM-2026-007): fix it first, "
            "`postmortem check` says how",
            path=pm.path,
            line=pm.meta_lines.get("id", 1),
        )
    return config.root / Path(pm.path).parent / pm.id / EVIDENCE_FOLDER


def manifest_path(config: Config, pm: Postmortem) -> Path:
    return evidence_dir(config, pm) / MANIFEST


def manifest_link(pm: Postmortem) -> str:
    """The link from the post-mortem to its manifest, relative to the post-mortem file."""
    return f"{pm.id}/{EVIDENCE_FOLDER}/{MANIFEST}"


def git_user(root: Path) -> str:
    """`Name <email>` from git's configuration; `unknown` when git is absent or unconfigured."""
    from .. import git as gitops  # only `evidence add` needs git

    repository = gitops.open_repository(root)
    name = gitops.user_name(repository) if repository is not None else None
    email = gitops.user_email(repository) if repository is not None else None
    if name and email:
        return f"{name} <{email}>"
    return name or (f"<{email}>" if email else "unknown")


# --- the manifest ------------------------------------------------------------------------


def _item(raw: Any, where: str, index: int) -> EvidenceItem:
    if not isinstance(raw, dict):
        raise PostmortemError(f"entry {index + 1} is not an object", path=where)
    size = raw.get("size")
    if size is not None and whole_number(size) is None:
        raise PostmortemError(
            f"entry {index + 1}: `size` must be a whole number of bytes (got {str(size)[:40]})",
            path=where,
        )
    for key in (
        "kind",
        "name",
        "original_name",
        "sha256",
        "location",
        "added_at",
        "added_by",
        "note",
    ):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise PostmortemError(f"entry {index + 1}: `{key}` must be text", path=where)
    try:
        return EvidenceItem(
            kind=str(raw["kind"]),
            name=str(raw.get("name") or ""),
            original_name=str(raw.get("original_name") or ""),
            sha256=str(raw.get("sha256") or "").lower(),
            size=size,
            location=str(raw.get("location") or ""),
            added_at=str(raw.get("added_at") or ""),
            added_by=str(raw.get("added_by") or ""),
            note=str(raw.get("note") or ""),
        )
    except (KeyError, TypeError, ValueError):
        raise PostmortemError(
            f"entry {index + 1} lacks `kind` or has a malformed size", path=where
        ) from None


def read_manifest(config: Config, pm: Postmortem) -> list[EvidenceItem]:
    """The recorded evidence of a post-mortem; [] when it has none. The site shows the
    names and hashes from here to the restricted audience."""
    path = manifest_path(config, pm)
    where = config.relative(path)
    if path.is_symlink():
        raise PostmortemError("the manifest is a symlink: refused", path=where)
    try:
        if path.stat().st_size > MAX_MANIFEST:
            raise PostmortemError(
                f"the manifest is over {MAX_MANIFEST // (1024 * 1024)} MB: not read", path=where
            )
        data = safejson.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except UnicodeDecodeError:
        raise PostmortemError("the manifest is not valid UTF-8", path=where) from None
    except safejson.BadJson as exc:
        raise PostmortemError(
            f"the manifest is not valid JSON: {exc.message}", path=where, line=exc.line
        ) from None
    items = data.get("evidence") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise PostmortemError("the manifest has no `evidence` list", path=where)
    return [_item(raw, where, i) for i, raw in enumerate(items)]


def manifest_text(pm: Postmortem, items: list[EvidenceItem]) -> str:
    data = {
        "version": MANIFEST_VERSION,
        "postmortem": pm.id,
        "evidence": [item.as_dict() for item in items],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def evidence_table(items: list[EvidenceItem]) -> str:
    """The manifest as a Markdown table of names and hashes (never the files themselves):
    what the restricted audience's page shows."""

    def cell(text: str) -> str:
        return (
            text.replace("\\", "\\\\")
            .replace("|", "\\|")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\n", " ")
        )

    lines = [
        "| Evidence | SHA-256 | Bytes | Added (UTC) | By | Note |",
        "|---|---|---|---|---|---|",
    ]
    for item in items:
        where = item.name if item.kind == "file" else f"{item.label} ({item.kind})"
        lines.append(
            "| "
            + " | ".join(
                cell(v)
                for v in (
                    where,
                    f"`{item.sha256}`" if item.sha256 else "",
                    "" if item.size is None else str(item.size),
                    item.added_at,
                    item.added_by,
                    item.note,
                )
            )
            + " |"
        )
    return "\n".join(lines)


def link_manifest_in_page(markdown: str, items: list[EvidenceItem] | None) -> str:
    """For a site page: links to the manifest point at an appended table of names and hashes
    (`items`: the restricted audience) or, with `items` None, become their plain text."""
    if not MANIFEST_LINK.search(markdown):
        return markdown
    if items is None:
        return MANIFEST_LINK.sub(lambda m: m.group("text"), markdown)
    page = MANIFEST_LINK.sub(lambda m: f"[{m.group('text')}](#{EVIDENCE_ANCHOR})", markdown)
    return f"{page.rstrip()}\n\n## Evidence manifest\n\n{evidence_table(items)}\n"


# --- adding ------------------------------------------------------------------------------


def safe_name(original: str) -> str:
    """A plain file name for the evidence folder: no path, no leading dot, no odd bytes."""
    name = _UNSAFE_CHARS.sub("_", original).strip("._") or "evidence"
    return name[:120]


def _distinct_name(folder: Path, wanted: str, taken: set[str]) -> str:
    stem, dot, suffix = wanted.partition(".")
    candidate, n = wanted, 1
    while (
        candidate in taken
        or candidate.casefold() == MANIFEST
        or os.path.lexists(folder / candidate)
    ):
        n += 1
        candidate = f"{stem}-{n}{dot}{suffix}"
    return candidate


def _check_folder(config: Config, folder: Path) -> None:
    """The evidence folder must really be inside the knowledge base (no symlink out)."""
    root = config.root.resolve()
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        probe.resolve().relative_to(root)
    except ValueError:
        raise UsageError(
            "the evidence folder leads outside the knowledge base (a symlink?): refused",
            path=config.relative(folder),
        ) from None
    if folder.is_symlink():
        raise UsageError("the evidence folder is a symlink: refused", path=config.relative(folder))


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_new(source: Path, target: Path) -> tuple[str, int]:
    """Copy to `target` (never over an existing file), hashing what was written."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise UsageError("already exists: not overwritten", path=str(target)) from None
    finally:
        os.unlink(tmp)
    return digest.hexdigest(), size


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_evidence(
    config: Config,
    pm: Postmortem,
    source: str,
    note: str = "",
    sha256: str | None = None,
    added_by: str | None = None,
    force: bool = False,
) -> EvidenceItem:
    """Record SOURCE (a file path or a URL) as evidence of PM and return its entry.

    A note or URL that holds a secret is refused unless `force`: the manifest goes into git
    and, for the restricted audience, onto the site."""
    if not force:
        for what, text in (("the note", note), ("the URL", source if _URL.match(source) else "")):
            kind = secret_kind(text) if text else None
            if kind:
                raise UsageError(
                    f"{what} holds {kind}: write `[REDACTED]` in its place (and "
                    "rotate the secret), or give --force to record it as it is"
                )
    folder = evidence_dir(config, pm)
    _check_folder(config, folder)
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not _SHA256.match(sha256):
            raise UsageError(f"--sha256 {sha256!r} is not a SHA-256: 64 hexadecimal digits")
    is_url = bool(_URL.match(source))
    if not is_url and _SCHEME.match(source):
        raise UsageError(
            f"{source!r} is not a valid URL: a URL holds no spaces or control "
            "characters (write a space as %20)"
        )
    if not is_url:
        _check_source(Path(source), folder, source)
    read_manifest(config, pm)  # a broken manifest stops us before anything is written
    who = added_by if added_by is not None else git_user(config.root)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):  # two adds at once must not lose an entry
        items = read_manifest(config, pm)
        if is_url:
            item = EvidenceItem("url", "", source, sha256 or "", None, source, _now(), who, note)
        else:
            item = _add_file(config, folder, items, Path(source), note, sha256, who)
        text = manifest_text(pm, items + [item])
        path = manifest_path(config, pm)
        if path.exists():
            replace_atomically(path, text)
        else:
            write_new(path, text)
    return item


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the evidence folder itself (no lock file left behind).
    Where there is no flock (Windows), adds are not guarded against each other."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _check_source(source: Path, folder: Path, given: str) -> None:
    if ".." in source.parts:
        raise UsageError(
            "a path with `..` is refused: give the evidence file's own path "
            "(for instance its absolute path), so the record says exactly "
            "what was taken",
            path=given,
        )
    if source.is_symlink():
        raise UsageError(
            f"is a symlink (to {os.readlink(source)}): refused; give the file itself", path=given
        )
    if not source.exists():
        raise UsageError(
            "no such file (a URL must start with a scheme such as https://)", path=given
        )
    if not source.is_file():
        raise UsageError("not a regular file: give one file at a time", path=given)
    if source.resolve().is_relative_to(folder.resolve()):
        raise UsageError("is already inside the evidence folder", path=given)


def _add_file(
    config: Config,
    folder: Path,
    items: list[EvidenceItem],
    source: Path,
    note: str,
    sha256: str | None,
    who: str,
) -> EvidenceItem:
    given = str(source)
    size = source.stat().st_size
    if size > config.evidence_max_bytes:
        digest, size = _hash_file(source)
        if sha256 and sha256 != digest:
            raise PostmortemError(f"its SHA-256 is {digest}, not the {sha256} given", path=given)
        location = f"{socket.gethostname()}:{source.resolve()}"
        remember_location(source.resolve())
        return EvidenceItem("external", "", source.name, digest, size, location, _now(), who, note)
    taken = {i.name for i in items if i.name}
    name = _distinct_name(folder, safe_name(source.name), taken)
    digest, size = _copy_new(source, folder / name)
    if sha256 and sha256 != digest:
        os.unlink(folder / name)
        raise PostmortemError(f"its SHA-256 is {digest}, not the {sha256} given", path=given)
    return EvidenceItem("file", name, source.name, digest, size, "", _now(), who, note)


# --- verifying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The outcome for one evidence entry (or one unrecorded file)."""

    postmortem: str
    path: str  # the file relative to the root, or the location/URL
    outcome: str  # ok, changed, missing, unsafe, unrecorded, not-checked
    detail: str

    @property
    def failed(self) -> bool:
        return self.outcome in ("changed", "missing", "unsafe", "unrecorded")


def _in_progress(name: str) -> bool:
    """A temporary file of a write under way (`files.py` and `_copy_new` name them so)."""
    return name.startswith(".") and name.endswith(".tmp")


def _unsafe_name(name: str) -> bool:
    return (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or name.casefold() == MANIFEST
    )


def verify_postmortem(config: Config, pm: Postmortem) -> list[Verification]:
    """Re-hash every recorded file; name each that changed, is gone, or is not recorded."""
    folder = evidence_dir(config, pm)
    results: list[Verification] = []
    try:
        items = read_manifest(config, pm)
    except PostmortemError as exc:
        return [Verification(pm.id, exc.path or config.relative(folder), "unsafe", exc.message)]
    if not items and not folder.is_dir():
        return []
    if folder.is_symlink():
        return [
            Verification(
                pm.id,
                config.relative(folder),
                "unsafe",
                "the evidence folder is a symlink: not followed",
            )
        ]
    recorded: set[str] = set()
    for item in items:
        if item.kind == "file":
            results.append(_verify_file(config, pm, folder, item))
            recorded.add(item.name)
        elif item.kind == "external":
            results.append(_verify_external(pm, item))
        else:
            results.append(
                Verification(
                    pm.id,
                    item.location,
                    "not-checked",
                    f"URL recorded{' with a hash' if item.sha256 else ''}; not fetched",
                )
            )
    if folder.is_dir():
        for entry in sorted(os.listdir(folder)):
            if entry == MANIFEST or entry in recorded or _in_progress(entry):
                continue
            results.append(
                Verification(
                    pm.id,
                    config.relative(folder / entry),
                    "unrecorded",
                    "in the evidence folder but not in the manifest (added by hand, or renamed?)",
                )
            )
    return results


def _verify_file(config: Config, pm: Postmortem, folder: Path, item: EvidenceItem) -> Verification:
    if _unsafe_name(item.name) or ".." in Path(item.name).parts:
        return Verification(
            pm.id,
            item.name,
            "unsafe",
            "the manifest names a path outside the evidence folder: refused",
        )
    path = folder / item.name
    rel = config.relative(path)
    if path.is_symlink():
        return Verification(
            pm.id,
            rel,
            "unsafe",
            f"is a symlink (to {os.readlink(path)}): "
            "not followed; evidence must be the file itself",
        )
    if not path.exists():
        return Verification(pm.id, rel, "missing", "recorded in the manifest but gone")
    if not path.is_file():
        return Verification(pm.id, rel, "unsafe", "is not a regular file")
    digest, size = _hash_file(path)
    if digest != item.sha256:
        return Verification(
            pm.id,
            rel,
            "changed",
            f"SHA-256 is {digest}, the manifest records {item.sha256} "
            f"({size} bytes now, {item.size} recorded)",
        )
    return Verification(pm.id, rel, "ok", f"SHA-256 {digest} (in the knowledge base)")


# External evidence: a manifest is text anyone with write access to the repository can edit,
# so `verify` does not hash whatever path an entry names (a device, another user's file, a
# secret whose hash would be revealed). It hashes a location outside the knowledge base only
# when this machine's user added it with `evidence add` (listed in a file of their own, never
# in the repository) or when it lies under a folder named in POSTMORTEM_EVIDENCE_LOCATIONS.
LOCATIONS_ENV = "POSTMORTEM_EVIDENCE_LOCATIONS"
_SYSTEM_FOLDERS = ("/proc/", "/sys/", "/dev/")  # files there are views of the system


def locations_file() -> Path:
    """The user's own list of external evidence files they added on this machine."""
    return state_folder() / "external-evidence"


def remember_location(path: Path) -> None:
    """Add PATH to the user's list (best effort: without it, `verify` only skips the file)."""
    target = locations_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"{path}\n")
    except OSError:
        pass


def _external_permission(path: str) -> str | None:
    """Why verify may hash PATH (a resolved absolute path), or None when it may not."""
    try:
        with open(locations_file(), encoding="utf-8") as handle:
            if any(line.rstrip("\n") == path for line in handle):
                return "a location you added with `evidence add` on this machine"
    except OSError:
        pass
    for folder in filter(None, os.environ.get(LOCATIONS_ENV, "").split(os.pathsep)):
        root = os.path.join(os.path.realpath(folder), "")
        if path.startswith(root):
            return f"under {folder} ({LOCATIONS_ENV})"
    return None


def _verify_external(pm: Postmortem, item: EvidenceItem) -> Verification:
    host, _, where = item.location.partition(":")
    if host != socket.gethostname() or not where.startswith("/"):
        return Verification(
            pm.id,
            item.location,
            "not-checked",
            "stored outside the knowledge base and not reachable here",
        )
    real = os.path.realpath(where)
    permission = _external_permission(real)
    if permission is None:
        return Verification(
            pm.id,
            item.location,
            "not-checked",
            "outside the knowledge base and not a location added on this "
            "machine: not hashed (verify hashes external files you added "
            f"here with `evidence add`, or under {LOCATIONS_ENV})",
        )
    try:
        info = os.stat(real)
    except OSError:
        return Verification(pm.id, item.location, "missing", f"gone ({permission})")
    if not stat.S_ISREG(info.st_mode) or real.startswith(_SYSTEM_FOLDERS):
        return Verification(pm.id, item.location, "unsafe", "is not a regular file: not read")
    digest, size = _hash_file(Path(real))
    if digest != item.sha256:
        return Verification(
            pm.id,
            item.location,
            "changed",
            f"SHA-256 is {digest}, the manifest records {item.sha256} ({permission})",
        )
    return Verification(pm.id, item.location, "ok", f"SHA-256 {digest} (outside git; {permission})")


def verify(
    config: Config,
    postmortems: list[Postmortem],
    progress: Callable[[int, int], None] | None = None,
) -> list[Verification]:
    """Every recorded evidence file of POSTMORTEMS re-hashed; `progress(done, total)` told
    after each post-mortem."""
    found: list[Verification] = []
    for done, pm in enumerate(postmortems, 1):
        if ID_PATTERN.match(pm.id):
            found += verify_postmortem(config, pm)
        if progress is not None:
            progress(done, len(postmortems))
    return found


def orphan_folders(config: Config, postmortems: list[Postmortem]) -> Iterator[Path]:
    """Evidence folders whose id matches no post-mortem (a renamed or deleted post-mortem)."""
    known = {(Path(pm.path).parent / pm.id).as_posix() for pm in postmortems if pm.id}
    docs = config.docs_path
    if not docs.is_dir():
        return
    for year in sorted(docs.iterdir()):
        if not (year.is_dir() and re.fullmatch(r"\d{4}", year.name)):
            continue
        for folder in sorted(year.iterdir()):
            if (folder / EVIDENCE_FOLDER).is_dir() and config.relative(folder) not in known:
                yield folder / EVIDENCE_FOLDER


# --- secrets in evidence (PM401) ---------------------------------------------------------

EVIDENCE_FIX = (
    "evidence in git must hold no live secret: rotate it, then redact the copy "
    "and record it again, or keep the file outside the repository"
)
_SNIFF = 8192


def evidence_secrets(config: Config, pm: Postmortem) -> list[Finding]:
    """PM401 for the evidence of PM: the manifest (notes, URLs) and every copied text file,
    each finding with the evidence file's own path and line."""
    if not ID_PATTERN.match(pm.id):
        return []
    folder = os.path.join(config.root, os.path.dirname(pm.path), pm.id, EVIDENCE_FOLDER)
    if not os.path.isdir(folder) or os.path.islink(folder):
        return []  # a symlinked folder is reported by `evidence verify`, never followed
    findings: list[Finding] = []
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if _in_progress(entry) or os.path.islink(path) or not os.path.isfile(path):
            continue
        text = _text_of(path, config.evidence_max_bytes)
        if text is None:
            continue
        rel = config.relative(Path(path))
        for hit in find_secrets(text):
            what = "the evidence manifest" if entry == MANIFEST else "this evidence file"
            findings.append(
                Finding(
                    rel,
                    hit.line,
                    "PM401",
                    RULES["PM401"].severity,
                    f"{what} holds {hit.kind} on this line: "
                    + (
                        "remove it from the note or URL, write `[REDACTED]`, and rotate the secret"
                        if entry == MANIFEST
                        else EVIDENCE_FIX
                    ),
                )
            )
    return findings


def _text_of(path: str, limit: int) -> str | None:
    """The file as text, or None for a binary file (a NUL byte in its first 8 KB)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    if b"\0" in data[:_SNIFF]:
        return None
    text = data[:limit].decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
