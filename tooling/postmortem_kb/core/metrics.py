"""Follow-through figures: the action-item tracker and the incident statistics.

`postmortem actions`/`postmortem stats` and the site's tracker and metrics pages call these
same functions, so the terminal and the site always agree.

Which post-mortems count (one rule everywhere, see `in_scope`): every post-mortem whose status
is in-review, published or archived; drafts only when asked (`include_drafts`, the same
setting that puts drafts on the site), because a draft's times and action items are not yet
reviewed. The audience filter, where one applies, is the caller's: pass only the
post-mortems that audience may see.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .model import SEVERITIES, Postmortem, status_rank

ACTION_FILTERS = ("open", "overdue", "all")
OPEN_STATUSES = ("open", "in-progress")
CLOSED_STATUSES = ("done", "wont-do")

# name -> (from key, to key): the three durations the contract defines.
DURATIONS: dict[str, tuple[str, str]] = {
    "mttd": ("occurred_at", "detected_at"),
    "mttc": ("detected_at", "contained_at"),
    "mttr": ("detected_at", "resolved_at"),
}
DURATION_NAMES = {
    "mttd": "time to detect",
    "mttc": "time to contain",
    "mttr": "time to resolve",
}

SCOPE_HELP = (
    "Counted: post-mortems in review, published or archived; drafts only with "
    "--include-drafts or `include_drafts: true` in mkdocs.yml (the setting that "
    "also puts drafts on the site)."
)


def today_utc() -> date:
    """Today in UTC: the same day on a laptop and on a CI runner."""
    return datetime.now(UTC).date()


def in_scope(postmortems: Iterable[Postmortem], include_drafts: bool = False) -> list[Postmortem]:
    """The post-mortems that count for figures and the tracker, in path order."""
    return sorted((pm for pm in postmortems if counted(pm, include_drafts)), key=lambda pm: pm.path)


def counted(pm: Postmortem, include_drafts: bool = False) -> bool:
    """Whether PM counts for figures and the tracker (`in_scope`)."""
    return include_drafts or status_rank(pm.status) >= status_rank("in-review")


# --- action items ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)  # no __dict__: a tracker of 10,000 holds many
class ActionRow:
    """One action item with the post-mortem it belongs to, as the tracker lists it."""

    postmortem: str  # the post-mortem's id
    postmortem_path: str  # relative to the knowledge base root
    postmortem_title: str
    id: str
    action: str
    owner: str
    due: date | None
    status: str
    overdue: bool
    days_overdue: int = 0  # 0 unless overdue
    raw_due: str = ""
    tracking: str = ""
    line: int = 0  # the row's line in the post-mortem file

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def as_dict(self) -> dict[str, Any]:
        """Exactly the contract's keys for `postmortem actions --format json`."""
        return {
            "postmortem": self.postmortem,
            "id": self.id,
            "action": self.action,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else (self.raw_due or None),
            "status": self.status,
            "overdue": self.overdue,
        }


def action_rows(
    postmortems: Iterable[Postmortem],
    status: str = "open",
    owner: str | None = None,
    as_of: date | None = None,
    include_drafts: bool = False,
) -> list[ActionRow]:
    """Action items across post-mortems.

    status: `open` (open and in-progress), `overdue` (open or in-progress with a due date
    before `as_of`), `all`. owner: case-insensitive exact match of the Owner cell.
    Sorted by due date (undated last), then post-mortem id and action id.
    """
    return ActionRowsAsRead(status, owner, as_of, include_drafts).rows(postmortems)


class ActionRowsAsRead:
    """`action_rows`, each post-mortem's made when it is told (`records.follow_through`'s
    EACH, while the files are still being read: a worker process reads more of them
    meanwhile), then put together. A post-mortem not told, or told as another object than
    the one asked for, has its rows made when asked: the result is `action_rows`' either
    way."""

    def __init__(
        self,
        status: str = "open",
        owner: str | None = None,
        as_of: date | None = None,
        include_drafts: bool = False,
    ):
        if status not in ACTION_FILTERS:
            raise ValueError(f"status must be one of {', '.join(ACTION_FILTERS)}")
        self.status, self.today = status, as_of or today_utc()
        self.owner = owner.strip().casefold() if owner else None
        self.include_drafts = include_drafts
        self.made: dict[str, tuple[Postmortem, list[ActionRow]]] = {}

    def __call__(self, pm: Postmortem, _completeness: Any = None) -> None:
        self.made[pm.path] = (pm, self._of(pm))

    def rows(self, postmortems: Iterable[Postmortem]) -> list[ActionRow]:
        """The rows of POSTMORTEMS (those in scope), sorted."""
        rows: list[ActionRow] = []
        for pm in in_scope(postmortems, self.include_drafts):
            made = self.made.get(pm.path)
            rows += made[1] if made is not None and made[0] is pm else self._of(pm)
        rows.sort(key=lambda r: (r.due is None, r.due or date.max, r.postmortem, r.id))
        return rows

    def _of(self, pm: Postmortem) -> list[ActionRow]:
        if not counted(pm, self.include_drafts):
            return []
        status, today, wanted_owner = self.status, self.today, self.owner
        rows: list[ActionRow] = []
        for item in pm.actions:
            if not any((item.id, item.action, item.owner, item.raw_due, item.status)):
                continue  # an empty table row
            overdue = item.overdue(today)
            if status == "open" and item.status not in OPEN_STATUSES:
                continue
            if status == "overdue" and not overdue:
                continue
            if wanted_owner is not None and item.owner.strip().casefold() != wanted_owner:
                continue
            rows.append(
                ActionRow(
                    postmortem=pm.id,
                    postmortem_path=pm.path,
                    postmortem_title=pm.title,
                    id=item.id,
                    action=item.action,
                    owner=item.owner,
                    due=item.due,
                    status=item.status,
                    overdue=overdue,
                    days_overdue=(today - item.due).days if overdue and item.due else 0,
                    raw_due=item.raw_due,
                    tracking=item.tracking,
                    line=item.line,
                )
            )
        return rows


# --- statistics --------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Median and quartiles of one duration, in hours, and what it was computed from."""

    name: str
    hours: tuple[tuple[str, float], ...]  # (post-mortem id, hours), in path order
    left_out: tuple[str, ...]  # ids without both times (or with them out of order)

    @property
    def values(self) -> list[float]:
        return [h for _, h in self.hours]

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.hours else None

    @property
    def quartiles(self) -> tuple[float, float, float] | None:
        """(Q1, median, Q3) by the inclusive method; a single value is its own quartiles."""
        values = self.values
        if not values:
            return None
        if len(values) == 1:
            return (values[0], values[0], values[0])
        q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
        return (q1, q2, q3)


@dataclass(frozen=True)
class Stats:
    count: int
    by_quarter: dict[str, int]
    by_type: dict[str, int]
    by_severity: dict[str, int]
    spreads: dict[str, Spread]  # "mttd", "mttc", "mttr"
    repeated_services: dict[str, tuple[str, ...]]  # service -> ids, when 2 or more
    actions_total: int
    actions_closed: int  # done or wont-do
    actions_open: int
    actions_overdue: int
    as_of: date
    ids: tuple[str, ...] = field(default=())

    @property
    def mttd_hours(self) -> float | None:
        return self.spreads["mttd"].median

    @property
    def mttc_hours(self) -> float | None:
        return self.spreads["mttc"].median

    @property
    def mttr_hours(self) -> float | None:
        return self.spreads["mttr"].median

    @property
    def closure_rate(self) -> float | None:
        """Share of action items closed (done or wont-do), None when there are none."""
        return self.actions_closed / self.actions_total if self.actions_total else None

    def as_dict(self) -> dict[str, Any]:
        """The contract's keys first (`count` … `mttr_hours`), then extras."""
        data: dict[str, Any] = {
            "count": self.count,
            "by_quarter": dict(self.by_quarter),
            "by_type": dict(self.by_type),
            "by_severity": dict(self.by_severity),
            "mttd_hours": _round(self.mttd_hours),
            "mttc_hours": _round(self.mttc_hours),
            "mttr_hours": _round(self.mttr_hours),
        }
        data["quartiles_hours"] = {
            f"{name}_hours": ([_round(q) for q in spread.quartiles] if spread.quartiles else None)
            for name, spread in self.spreads.items()
        }
        data["durations_hours"] = {
            f"{name}_hours": {pm_id: _round(h) for pm_id, h in spread.hours}
            for name, spread in self.spreads.items()
        }
        data["left_out"] = {
            f"{name}_hours": list(spread.left_out) for name, spread in self.spreads.items()
        }
        data["repeated_services"] = {s: list(ids) for s, ids in self.repeated_services.items()}
        data["actions"] = {
            "total": self.actions_total,
            "closed": self.actions_closed,
            "open": self.actions_open,
            "overdue": self.actions_overdue,
            "closure_rate": _round(self.closure_rate),
            "as_of": self.as_of.isoformat(),
        }
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def hours_between(pm: Postmortem, start_key: str, end_key: str) -> float | None:
    """Hours from one front-matter time to another; None when either is missing or the
    order is broken (the checker reports that; a negative duration is no figure)."""
    start, end = pm.time(start_key), pm.time(end_key)
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    return seconds / 3600 if seconds >= 0 else None


def _spread(name: str, postmortems: Sequence[Postmortem]) -> Spread:
    start_key, end_key = DURATIONS[name]
    hours: list[tuple[str, float]] = []
    left_out: list[str] = []
    for pm in postmortems:
        value = hours_between(pm, start_key, end_key)
        if value is None:
            left_out.append(pm.id or pm.path)
        else:
            hours.append((pm.id or pm.path, value))
    return Spread(name, tuple(hours), tuple(left_out))


def _counts(keys: Iterable[str], order: Sequence[str] = ()) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    rank = {k: i for i, k in enumerate(order)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def compute_stats(
    postmortems: Iterable[Postmortem], include_drafts: bool = False, as_of: date | None = None
) -> Stats:
    """Counts, median durations with quartiles, repeated services and action closure.

    A post-mortem lacking a time (or with its times out of order) is left out of that
    duration only. The quarter is that of `occurred_at` as written (its own time zone), the
    same date that gives the id's year and the year folder.
    """
    chosen = in_scope(postmortems, include_drafts)
    today = as_of or today_utc()
    services: dict[str, list[str]] = {}
    for pm in chosen:
        for service in dict.fromkeys(pm.services):  # a service named twice counts once
            services.setdefault(service, []).append(pm.id or pm.path)
    actions = [
        a
        for pm in chosen
        for a in pm.actions
        if any((a.id, a.action, a.owner, a.raw_due, a.status))
    ]
    return Stats(
        count=len(chosen),
        by_quarter=dict(sorted(_counts(pm.quarter or "unknown" for pm in chosen).items())),
        by_type=_counts(pm.type or "unknown" for pm in chosen),
        by_severity=_counts((pm.severity or "unknown" for pm in chosen), SEVERITIES),
        spreads={name: _spread(name, chosen) for name in DURATIONS},
        repeated_services={s: tuple(ids) for s, ids in sorted(services.items()) if len(ids) >= 2},
        actions_total=len(actions),
        actions_closed=sum(a.status in CLOSED_STATUSES for a in actions),
        actions_open=sum(a.status in OPEN_STATUSES for a in actions),
        actions_overdue=sum(a.overdue(today) for a in actions),
        as_of=today,
        ids=tuple(pm.id for pm in chosen),
    )


def format_hours(hours: float | None) -> str:
    """A duration for people: `45m`, `3.5h`, `2d 4.0h`; `n/a` when there is none."""
    if hours is None:
        return "n/a"
    if hours < 1:
        return f"{round(hours * 60)}m"
    if hours < 48:
        return f"{hours:.1f}h"
    days = int(hours // 24)
    return f"{days}d {hours - days * 24:.1f}h"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of `YYYY-Qn`; ValueError when malformed."""
    year_text, _, q_text = quarter.partition("-Q")
    if not (year_text.isdigit() and len(year_text) == 4 and q_text in ("1", "2", "3", "4")):
        raise ValueError(f"not a quarter: {quarter!r} (write it like 2026-Q3)")
    year, q = int(year_text), int(q_text)
    first = date(year, 3 * q - 2, 1)
    last = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)
