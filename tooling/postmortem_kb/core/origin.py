"""Where the running postmortem-kb came from, and the pinned requirement that installs it again.

`postmortem init` writes this requirement into every generated workflow and into the
pre-commit configuration, so that CI runs the very tool that wrote them. The origin is read
from the installed distribution's `direct_url.json` (PEP 610): a VCS URL and commit, an
archive URL, a local folder (editable or not), or nothing at all, which means an index.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from .errors import UsageError

DISTRIBUTION = "postmortem-kb"

# `name @ url`, or `name==version` (or another version specifier), per PEP 508, for this
# distribution only.
_NAMED_URL = re.compile(r"^\s*postmortem[-_.]kb\s*@\s*(\S+)\s*$", re.I)
_NAMED_VERSION = re.compile(
    r"^\s*postmortem[-_.]kb\s*((?:[<>=!~]=?|===)\s*[\w.*+!-]+"
    r"(?:\s*,\s*(?:[<>=!~]=?|===)\s*[\w.*+!-]+)*)\s*$",
    re.I,
)
_URL = re.compile(r"^(?:(?:git|hg|svn|bzr)\+)?[a-z][a-z0-9+.-]*://\S+$", re.I)
_PINNED_VERSION = re.compile(r"^===?\s*[\w.+!-]+$")
_COMMIT = re.compile(r"@[0-9a-f]{40}(?:#.*)?$")


@dataclass(frozen=True)
class ToolSource:
    """How CI installs postmortem-kb: a pip requirement, and what `init` should say of it."""

    requirement: str  # e.g. "postmortem-kb @ git+https://example.org/pm-kb@<commit>"
    described: str  # where it came from, in words
    usable_in_ci: bool  # False: a folder or file on this machine, which no runner can reach
    pinned: bool  # an exact version or a commit
    # For pre-commit's remote form (`repo:` + `rev:`), when the origin is a git repository.
    git_url: str | None = None
    git_rev: str | None = None

    @property
    def warnings(self) -> list[str]:
        found = []
        if self.requirement.startswith(f"{DISTRIBUTION} @ ") and "file://" in self.requirement:
            found.append(
                f"{self.described} is on this machine (file://): a CI runner "
                "cannot reach it; pass --tool-source with a URL CI can reach"
            )
        if not self.pinned:
            found.append(
                f"{self.requirement!r} is not pinned to an exact version or commit: "
                "CI may install another postmortem-kb than the one you tried"
            )
        return found


def from_direct_url(info: dict[str, Any] | None, version: str) -> ToolSource:
    """The tool source for a distribution with this `direct_url.json` (None: from an index)."""
    if info is None:
        return ToolSource(
            f"{DISTRIBUTION}=={version}",
            f"version {version} from a package index",
            usable_in_ci=True,
            pinned=True,
        )
    url = str(info.get("url", ""))
    fragment = f"#subdirectory={info['subdirectory']}" if info.get("subdirectory") else ""
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict):
        kind = str(vcs.get("vcs", "git"))
        commit = str(vcs.get("commit_id", ""))
        requirement = f"{DISTRIBUTION} @ {kind}+{url}@{commit}{fragment}"
        return ToolSource(
            requirement,
            f"the {kind} repository {url} at {commit[:12]}",
            usable_in_ci=True,
            pinned=bool(commit),
            git_url=url if kind == "git" and not fragment else None,
            git_rev=commit or None,
        )
    if isinstance(info.get("archive_info"), dict):
        if url.startswith("file:"):
            return ToolSource(url, f"the file {url}", usable_in_ci=False, pinned=True)
        hashes = info["archive_info"].get("hashes") or {}
        digest = f"#sha256={hashes['sha256']}" if "sha256" in hashes else ""
        return ToolSource(
            f"{DISTRIBUTION} @ {url}{digest}", f"the archive {url}", usable_in_ci=True, pinned=True
        )
    editable = isinstance(info.get("dir_info"), dict) and info["dir_info"].get("editable")
    kind = "an editable install of" if editable else "the local folder"
    return ToolSource(url, f"{kind} {url}", usable_in_ci=False, pinned=False)


def running_tool() -> ToolSource:
    """Where the postmortem-kb that runs now was installed from."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return ToolSource(
            "", "a source tree that is not installed", usable_in_ci=False, pinned=False
        )
    raw = dist.read_text("direct_url.json")
    info = None
    if raw:
        try:
            info = json.loads(raw)
        except ValueError:
            return ToolSource(
                "",
                "an installation with an unreadable direct_url.json",
                usable_in_ci=False,
                pinned=False,
            )
    return from_direct_url(info if isinstance(info, dict) else None, dist.version)


def _split_git(url: str) -> tuple[str | None, str | None]:
    """`git+https://host/repo.git@rev` -> ("https://host/repo.git", "rev"); (None, None) for
    anything pre-commit could not clone as it is (another VCS, a subdirectory)."""
    if not url.startswith("git+") or "#" in url:
        return None, None
    head, sep, tail = url[4:].rpartition("@")
    if sep and head and "/" not in tail and "://" in head:
        return head, tail
    return url[4:], None


def parse_spec(spec: str) -> ToolSource:
    """`--tool-source SPEC`: `postmortem-kb==1.2.0`, `postmortem-kb @ URL`, or a bare URL
    (`git+https://host/you/postmortem-kb@v1.2.0`)."""
    text = spec.strip()
    named = _NAMED_URL.match(text)
    url = named.group(1) if named else (text if _URL.match(text) else None)
    if url is not None:
        if not _URL.match(url):
            raise UsageError(
                f"--tool-source {spec!r}: not a URL pip can install from "
                "(git+https://…@tag, https://…/postmortem_kb-….whl)"
            )
        git_url, rev = _split_git(url)
        pinned = bool(rev) or "#sha256=" in url or bool(_COMMIT.search(url))
        return ToolSource(
            f"{DISTRIBUTION} @ {url}",
            f"--tool-source {url}",
            usable_in_ci=True,
            pinned=pinned,
            git_url=git_url if rev else None,
            git_rev=rev,
        )
    versioned = _NAMED_VERSION.match(text)
    if versioned:
        specifier = re.sub(r"\s+", "", versioned.group(1))
        return ToolSource(
            f"{DISTRIBUTION}{specifier}",
            f"--tool-source {text}",
            usable_in_ci=True,
            pinned=bool(_PINNED_VERSION.match(specifier)),
        )
    raise UsageError(
        f"--tool-source {spec!r}: write a pip requirement for postmortem-kb, "
        "e.g. 'postmortem-kb==0.1.0' or "
        "'postmortem-kb @ git+https://github.com/you/postmortem-kb@v0.1.0'"
    )


def tool_source(spec: str | None) -> ToolSource:
    """The source `init` writes: SPEC when given, else the running tool's own origin, which
    must be one that CI can install from."""
    if spec:
        return parse_spec(spec)
    source = running_tool()
    if not source.usable_in_ci:
        raise UsageError(
            f"this postmortem-kb runs from {source.described}, which CI cannot install. "
            "Say where CI should install it from: --tool-source SPEC (or POSTMORTEM_TOOL_SOURCE), "
            "e.g. --tool-source 'postmortem-kb @ git+https://github.com/you/postmortem-kb@v0.1.0'"
        )
    return source
