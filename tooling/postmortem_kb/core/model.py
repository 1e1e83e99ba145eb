"""The model of a post-mortem: frozen dataclasses, no behaviour beyond derived values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from .times import parse_datetime  # (an import inside `time` cost a microsecond a call)

STATUSES = ("draft", "in-review", "published", "archived")
VISIBILITIES = ("public", "internal", "restricted")
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
ACTION_STATUSES = ("open", "in-progress", "done", "wont-do")
TIME_KEYS = ("occurred_at", "detected_at", "contained_at", "resolved_at")

DEFAULT_TYPES: dict[str, str] = {
    "data-breach": "Data breach",
    "unauthorized-access": "Unauthorized access",
    "service-disruption": "Service disruption",
    "failed-control": "Failed control",
    "malware": "Malware",
    "phishing": "Phishing",
    "misconfiguration": "Misconfiguration",
    "third-party": "Third party",
    "other": "Other",
}


def status_rank(status: str) -> int:
    return STATUSES.index(status) if status in STATUSES else 0


def visibility_rank(visibility: str) -> int:
    return VISIBILITIES.index(visibility) if visibility in VISIBILITIES else len(VISIBILITIES)


def quarter_of(moment: datetime | date) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Finding:
    """One thing a post-mortem still lacks or must not hold."""

    path: str
    line: int
    rule: str
    severity: str  # "error" or "warning"
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)  # no __dict__: 10,000 post-mortems hold many
class ChecklistItem:
    line: int
    text: str
    checked: bool
    indent: int = 0

    @property
    def not_applicable(self) -> bool:
        return "N/A:" in self.text and bool(self.text.split("N/A:", 1)[1].strip())

    @property
    def resolved(self) -> bool:
        return self.checked or self.not_applicable


@dataclass(frozen=True, slots=True)  # no __dict__: 10,000 post-mortems hold many
class Table:
    line: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line, cells)


@dataclass(frozen=True, slots=True)  # no __dict__: 10,000 post-mortems hold many
class Section:
    """An H2 section: its title as written, where it starts, and what it holds."""

    title: str
    line: int
    end_line: int
    has_content: bool
    checklist: tuple[ChecklistItem, ...]
    tables: tuple[Table, ...]
    text: str  # the section body with comments and code blocked out
    key: str = ""  # section_key(title), computed once by the parser


@lru_cache(maxsize=4096)  # the same few titles recur in every post-mortem
def section_key(title: str) -> str:
    """Titles match ignoring case, surrounding white space and a leading `N.`."""
    title = title.strip()
    head, _, rest = title.partition(".")
    if head.isdigit() and rest:
        title = rest
    return " ".join(title.split()).casefold()


@dataclass(frozen=True, slots=True)  # no __dict__: 10,000 post-mortems hold many
class TimelineEntry:
    line: int
    time: datetime | None
    raw_time: str
    event: str


@dataclass(frozen=True, slots=True)  # no __dict__: 10,000 post-mortems hold many
class ActionItem:
    postmortem: str
    line: int
    id: str
    action: str
    owner: str
    due: date | None
    raw_due: str
    status: str
    tracking: str

    def overdue(self, today: date) -> bool:
        return self.status in ("open", "in-progress") and self.due is not None and self.due < today


@dataclass(frozen=True)
class Postmortem:
    """A parsed post-mortem file. `meta` holds the front matter as written."""

    path: str  # relative to the knowledge base root, with forward slashes
    meta: dict[str, Any]
    meta_lines: dict[str, int]
    body_line: int  # line of the first body line
    sections: tuple[Section, ...]
    timeline: tuple[TimelineEntry, ...]
    actions: tuple[ActionItem, ...]
    checklist: tuple[ChecklistItem, ...]
    text: str = field(repr=False)
    masked_body: str = field(repr=False, default="")  # body with comments and code blanked

    # Derived, tolerant accessors: rules report what is wrong, the rest just reads.
    @property
    def id(self) -> str:
        value = self.meta.get("id")
        return value if isinstance(value, str) else ""

    @property
    def title(self) -> str:
        value = self.meta.get("title")
        return str(value) if value is not None else self.id

    @property
    def status(self) -> str:
        value = self.meta.get("status")
        return value if value in STATUSES else "draft"

    @property
    def visibility(self) -> str:
        """An unknown, missing or repeated `visibility` means restricted (fail closed)."""
        value = self.meta.get("visibility")
        if value not in VISIBILITIES:
            return "restricted"
        repeated = self.__dict__.get("_visibility_repeated")
        if repeated is None:
            front = self.text.split("\n", self.body_line - 1)[:-1] if self.body_line > 1 else []
            repeated = (
                sum(
                    line.startswith("visibility") and line[10:].lstrip().startswith(":")
                    for line in front
                )
                > 1
            )
            self.__dict__["_visibility_repeated"] = repeated
        return "restricted" if repeated else value

    @property
    def severity(self) -> str:
        value = self.meta.get("severity")
        return value if isinstance(value, str) else ""

    @property
    def type(self) -> str:
        value = self.meta.get("type")
        return value if isinstance(value, str) else ""

    @property
    def owner(self) -> str:
        value = self.meta.get("owner")
        return str(value) if value is not None else ""

    @property
    def template(self) -> str:
        value = self.meta.get("template")
        return value if isinstance(value, str) and value else ""

    @property
    def services(self) -> list[str]:
        return _str_list(self.meta.get("services"))

    @property
    def tags(self) -> list[str]:
        return _str_list(self.meta.get("tags"))

    @property
    def controls(self) -> list[str]:
        return _str_list(self.meta.get("controls"))

    @property
    def impact(self) -> str:
        """The impact in one line (front matter `impact:`), for the incident header."""
        value = self.meta.get("impact")
        return " ".join(str(value).split()) if isinstance(value, (str, int, float)) else ""

    @property
    def roles(self) -> list[tuple[str, list[str]]]:
        """Who held which role, in the order written; role names as a reader says them.
        Front matter `roles:` is a list of "Role: Name" strings (the form `check` reads
        fastest) or a mapping of role to a name or a list of names."""
        value = self.meta.get("roles")
        pairs: list[tuple[Any, Any]] = []
        if isinstance(value, dict):
            pairs = list(value.items())
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str) and ":" in item:
                    role, _, people = item.partition(":")
                    pairs.append((role, people))
                elif isinstance(item, dict):
                    pairs.extend(item.items())
        found = []
        for role, people in pairs:
            names = _str_list(people.strip() if isinstance(people, str) else people)
            if isinstance(role, str) and role.strip() and names:
                found.append((role_name(role), names))
        return found

    def time(self, key: str) -> datetime | None:
        """The zone-aware time of front-matter KEY, or None when missing or malformed."""
        cache = self.__dict__.setdefault("_times", {})  # parsed once: pages ask often
        if key not in cache:
            cache[key] = parse_datetime(self.meta.get(key))
        return cache[key]  # type: ignore[no-any-return]

    @property
    def quarter(self) -> str:
        occurred = self.time("occurred_at")
        return quarter_of(occurred) if occurred else ""

    @property
    def slug(self) -> str:
        name = self.path.rsplit("/", 1)[-1]
        return name[:-3] if name.endswith(".md") else name


def role_name(key: str) -> str:
    """`incident_commander` -> `Incident commander`."""
    words = key.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _str_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and str(v).strip()]
    if isinstance(value, str) and value.strip():
        return [value]
    return []
