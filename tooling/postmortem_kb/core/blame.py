"""PM501, blame-laden wording: found per sentence, with a rewording that fits what was said.

A post-mortem here is blameless: it describes systems and conditions, not people's failings.
The built-in patterns describe the grammar of blame; each can be switched off with
`blame_disable` in mkdocs.yml:

- `person-act`: an agent with a harmful act. The agent is a person, name, handle
  ("@dana"), role, pronoun ("I", "someone", "whoever") or team ("the operations team", "a
  construction crew", "management"), right before the verb or as the subject of its clause
  however far ("An employee removing … likely caused a massive outage", "an engineer working
  on the migration deleted …", "Sergei's script took down …"), or after "by" ("… was caused
  by a single maintenance worker", "introduced by Priya", "leaked by a contractor"). A role
  word that modifies a noun ("a user account") is not a person. The acts: broke, deleted,
  dropped, wiped, pushed, merged, caused or triggered an outage, took down, turned off,
  tripped over, unplugged, cut a cable, ran `DROP TABLE` or `rm -rf`, clicked or
  downloaded something malicious, committed or posted a key, fell victim, ended up
  deleting, lost a laptop, sabotaged, deployed faulty code or accessed records without
  authorisation, did a force-push, managed to crash the server, "a regression I
  introduced", "the nurse's unauthorised access" …
- `negated-duty`: a duty not done ("never upgraded", "failed to", "didn't", "forgot to",
  "had forgotten", "neglected to", "not paying attention", "not careful", "didn't know any
  better", "had no clue", "his failure to", "left the cabinet unlocked", "silenced the
  alerts", "ignored repeated warnings", "He failed", "failed miserably", "violated the
  policy", "slept through the page", "nobody bothered to", "had not followed the
  procedure", "after failing to notice", "had not been followed by staff"; a person's act
  cued after it: "copied the files without permission", "Without reading the diff, he
  approved …", "despite repeated warnings"; "no one thought to"; "I hadn't rebuilt",
  "the developer … never rotated it", "Bob had not reinstalled", a timeline's "10:42 Ingrid
  does not acknowledge"; not a habit or a process: "engineers never test on Fridays", "the
  reviewer does not check generated files")
- `mistake`: mistake nouns and adverbs ("made a mistake/typo/an error", "a costly blunder",
  "his mistake", "sent … in error", "the wrong button/client/person", "an incorrect
  recipient", "by accident", "accidentally", "(whoops)", "an oversight", "a simple,
  preventable mistake", "the engineer's error", a "‘fat finger’ error"), and mistake adverbs
  said of a person's act ("inadvertently", "mistakenly", "incorrectly", "wrongly" …; not
  "the flag was inadvertently enabled"), and a wrong choice ("had selected X rather than
  Y"; not "rather than waiting"); a person's act with a wrong object or target: "ran the
  script on production instead of staging" (not "restarted the pods instead of scaling"),
  "Instead of pausing, Marta deleted …", "I tagged the wrong commit", "placed an erroneous
  order", "shipped untested queries", "confused the replica with the primary"; first person:
  "my bad", "our bad", "I thought I was connected to staging", "sorry for breaking the build"
- `judgement`: a person's character or state (careless, lazy, sloppy, tired, exhausted,
  rogue, disgruntled, irresponsible, incompetent, reckless, hasty, rushed, negligent,
  cavalier, pathetic, complacent, misconduct, insults, "improperly", "in a hurry", "cut
  corners"), idioms of blame whoever the subject ("screwed up", "dropped the ball", "heads
  will roll", "doesn't care", "a firing offence", "a lapse in attention"), and sanctions
  and criticism ("was fired over …", "was let go", "should be suspended", "needs to
  resign", "got canned", "Pilots Criticized", "the bank fired the transfer approver"), a
  person asleep at work or of no use ("fell asleep at the console", "was useless")
- `hindsight`: "should (not) have caught/known/pushed …", "Should the reviewer have caught
  …?", "had he checked …", "avoidable had the admin followed …", "if the crews had been
  monitoring …", "if you had exercised due care"
- `human-error`: "human/user/operator/worker/clerical error"
- `fault`: "whose fault", "Sam's fault", "it was Acmes fault", "the admin at fault", "the
  guy to blame", "definitely to blame", "blamed integrator Contoso", "most of the blame
  falls on", "responsible for the outage", "admitted to running …", "was accused of
  deleting …", "attributed to an internal employee", "pointed the finger at", "bears
  responsibility for any errors"

Teams add their own terms (`blame_terms`: term -> suggested rewording).

Not blame: technical terms (lazy loading, fault tolerance, error budget, a connection that
"failed to connect", a pool "exhausted"), tools and automation ("the script accidentally
pushed", "automation gone rogue"), remedies ("did a force-push to remove the leaked
token"), exonerating idioms ("through no fault of"), URLs,
code, HTML comments, quoted or linked titles, and sentences about blameless practice
("avoid blame", "blame-free analysis", "a Blame-Aware Culture", "rather than labeling
someone as careless", "not who made it", "allowed to make mistakes").

Speed: `check` runs on every post-mortem, so nothing here scans a whole file. The one
Aho-Corasick pass of rules.py reports where each trigger word (`TRIGGERS`) occurs; a small
check at each occurrence looks at the words around it, and only a hit that survives is
placed in its sentence (for the exemptions and one finding per sentence).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from .names import FIRST_NAMES

PATTERNS: dict[str, str] = {
    "person-act": "name the action and what allowed it, not the person: e.g. 'a "
    "configuration change deleted the directory; the tool asked for no "
    "confirmation'",
    "negated-duty": "say which step was not part of the checklist, runbook, automation or "
    "review, e.g. 'the upgrade was not in the patching runbook'",
    "mistake": "describe what made the action easy to get wrong (similar names, no "
    "confirmation step, no validation) rather than the slip itself",
    "judgement": "describe the conditions instead of a person's character or state: "
    "workload, time pressure, alert fatigue, staffing, missing guardrails",
    "hindsight": "say what was known at the time and what would have surfaced it, e.g. "
    "'the review checklist did not cover certificate expiry'",
    "human-error": "describe the conditions that made the action possible (a missing "
    "guardrail, an unclear runbook, a confusing interface)",
    "fault": "describe contributing factors rather than whose fault it was",
}
TERM_SUGGESTION = "describe the system and conditions instead"

# --- vocabulary ---------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


ROLES = frozenset(
    _words("""
engineer developer programmer coder admin administrator sysadmin operator employee
staffer contractor consultant intern trainee newcomer junior on-call oncall sre dba
technician analyst agent user person individual colleague coworker co-worker teammate
member manager reviewer approver maintainer committer architect tester insider hire
ceo cto cio ciso boss director executive supervisor clerk accountant assistant
worker trader dealer banker broker guy nurse pilot co-pilot copilot captain electrician
practitioner intern doctor physician dispatcher lineman subcontractor sub-contractor staffer
crew vendor supplier integrator dba devops sender man woman
""")
)
# plural roles that name people ("the pilots failed to …"); not agent(s), user(s), tester(s),
# which are also software
PLURAL_ROLES = frozenset(
    role + "s" for role in ROLES if role not in ("agent", "user", "member", "tester", "insider")
)
PRONOUNS = frozenset({"he", "she", "someone", "somebody", "who", "i", "whoever"})
GROUPS = frozenset(
    {
        "team",
        "we",
        "they",
        "reviewers",
        "engineers",
        "developers",
        "admins",
        "operators",
        "staff",
        "employees",
        "ops",
        "workers",
        "contractors",
        "management",
        "leadership",
        "men",
        "women",
    }
)
DETERMINERS = frozenset(
    {
        "a",
        "an",
        "the",
        "our",
        "one",
        "another",
        "their",
        "that",
        "this",
        "his",
        "her",
        "some",
        "single",
        "your",
        "my",
        "its",
    }
)
# a role word after these is an account or an attacker, not a colleague
NOT_A_COLLEAGUE = frozenset(
    _words("""
service iam system root bot ci api deploy machine technical database db test dummy anonymous
malicious compromised external unauthorized unauthorised unknown fake hostile remote
end admin-level guest default shared
""")
)
_QUICK_EXTRA = frozenset({"call", "duty", "involved", "responsible"})
ADVERBS = frozenset(
    {
        "then",
        "also",
        "just",
        "had",
        "has",
        "have",
        "later",
        "still",
        "again",
        "once",
        "simply",
        "allegedly",
        "apparently",
        "actually",
        "force",
        "force-",
        "likely",
        "probably",
        "pretty",
        "much",
        "must",
        "may",
        "might",
    }
)
_QUICK = ROLES | PLURAL_ROLES | PRONOUNS | GROUPS | _QUICK_EXTRA
# person-act verbs: acts that harm, said of a person
ACTS = frozenset(
    _words("""
broke deleted dropped pushed merged clicked typed wiped erased overwrote truncated
misconfigured ignored skipped missed overlooked botched messed screwed misread misunderstood
mistyped destroyed corrupted nuked fell sabotaged mistook misjudged miscalculated
misrouted mislabeled mislabelled misfiled misdirected mishandled misapplied misentered
misdialed misdialled misaddressed misspelled misinterpreted misreported mismanaged misused
misidentified misassigned misremembered bungled fumbled flubbed goofed blundered borked
clobbered bricked
""")
)
# acts that are also how responders clean up: "deleted the malicious app", "pushed a fix"
REMOVALS = frozenset(
    {
        "deleted",
        "dropped",
        "wiped",
        "erased",
        "truncated",
        "destroyed",
        "nuked",
        "pushed",
        "merged",
        "overwrote",
    }
)
_DROPPED_DATA = re.compile(
    r"(?:\s+[\w-]+){0,3}?\s+(?:table|tables|database|databases|db|schema|collection|index|"
    r"column|bucket)\b",
    re.I,
)
# destructive acts whose person may stand far before them
_FAR_HARMS = frozenset(
    _words(
        "broke deleted wiped erased destroyed corrupted nuked overwrote truncated misconfigured "
        "sabotaged dropped botched mistook misjudged miscalculated misrouted mislabeled "
        "mislabelled misfiled misdirected mishandled misapplied misentered misdialed misdialled "
        "misaddressed misspelled misinterpreted misreported mismanaged misused misidentified "
        "misassigned misremembered bungled fumbled flubbed goofed blundered borked clobbered "
        "bricked"
    )
)
# acts a group can be blamed for too: "the QA team missed the bug"
OMISSIONS = frozenset({"ignored", "skipped", "missed", "overlooked", "fell"})
# harmful acts a team can be blamed for too: "the operations team broke the portal"
GROUP_HARMS = frozenset(
    {"broke", "botched", "wiped", "destroyed", "corrupted", "nuked", "misconfigured"}
)
# ordinary acts that blame only with a fault in what follows: "John deployed faulty code
# without proper review", "ran a destructive command"
NEUTRAL_ACTS = frozenset(
    _words("""
deployed executed entered released shipped accessed
""")
)
_FAULT_BEFORE = re.compile(
    r"\b(?:faulty|bad|broken|buggy|untested|wrong|incorrect|erroneous|"
    r"destructive)\b(?:\s+[\w-]+){0,3}\s+\Z",
    re.I,
)
_FAULT_AFTER = re.compile(
    r"(?:\s+[\w'’./-]+){0,6}?\s+(?:faulty|bad|broken|buggy|untested|wrong|incorrect|"
    r"erroneous|destructive|without\s+(?:\w+\s+)?(?:review|reviews|testing|tests|approval|"
    r"checking|checks|a\s+backup|confirmation|authori[sz]ation|permission|telling|reading|"
    r"looking|reviewing|verifying|validating|asking|notifying|thinking|understanding|"
    r"confirming))\b",
    re.I,
)
# what a responder does to fix things: "the engineer deleted the malicious app"
REMEDIATION = re.compile(
    r"\s+(?:(?:a|an|the|their|our|its|that|this|every|all)\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:fix|fixes|hotfix|patch|revert|rollback|roll-back|mitigation|workaround|canary|"
    r"malicious|compromised|suspicious|phishing|attacker\w*|rogue|temporary|stale|leaked|"
    r"exposed|affected|offending|bad|backdoor\w*|token|tokens|key|keys|session|sessions)\b",
    re.I,
)
WRONG_THINGS = (
    r"button|key|command|server|host|machine|directory|folder|database|db|"
    r"environment|env|cluster|terminal|window|tab|branch|account|region|table|"
    r"console|checkbox|option|link|file|instance|node|box|config|configuration|"
    r"script|project|bucket|namespace|schema|field|menu|switch|version|attachment|"
    r"e-?mail|recipient|address|target|password|credentials|channel|repo|"
    r"repository|row|record|customer|user|list|sheet|page|person|people|client|push|click|keystroke|wire|lever|valve|plug|cable|patient|amount|drive|disk|volume|site|zone|"
    r"hostname|host\s+name|ip|port|url|subnet|dns\s+record|ticket|fax|number"
)
HINDSIGHT_VERBS = frozenset(
    _words("""
known noticed caught checked realised realized seen tested reviewed double-checked verified
asked escalated followed read spotted paid thought been looked anticipated foreseen
predicted questioned confirmed validated
""")
)
LAZY_TECH = re.compile(
    r"[-\s]+(?:load\w*|eval\w*|init\w*|import\w*|instantiat\w*|iterat\w*|fetch\w*|mode|"
    r"propert\w*|list|lists|sequence|val|binding|compil\w*|delet\w*|queue|allocat\w*|"
    r"reference|seq|stream\w*|hydrat\w*|render\w*|mount\w*|component|module|route|"
    r"pointer|value|variable|object|collection|approach|strategy|parsing|expansion)\b",
    re.I,
)

_TOKEN = re.compile(r"[\w'’-]+")
# where a clause ends: punctuation, a table cell, a blank line, a list item or heading start
_CLAUSE_END = re.compile(r"[.!?;:|()\[\]]\s|\n[ \t]*(?=\n)|\n[ \t]*(?:[-*+>]|#+|\d+[.)])[ \t]")


@dataclass(frozen=True)
class Hit:
    pattern: str
    start: int
    end: int


Handler = Callable[[str, int, int], "Hit | None"]


# --- the words before a trigger ---------------------------------------------------------


def _words_before(text: str, start: int, limit: int = 80) -> list[tuple[str, int]]:
    """The words of the clause before START (nearest last), with their offsets."""
    lo = max(0, start - limit)
    window = text[lo:start]
    cut = 0
    for match in _CLAUSE_END.finditer(window):
        cut = match.end()
    return [(m.group(0), lo + m.start()) for m in _TOKEN.finditer(window, cut)]


def _previous_word(text: str, end: int) -> tuple[str, int]:
    """The word that ends before END (white space between), and where it starts."""
    i = end - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    j = i
    while j >= 0 and (text[j].isalnum() or text[j] in "'’-"):
        j -= 1
    return text[j + 1 : i + 1], j + 1


_PUNCTUATION = '.,;:!?()[]{}"“”`*|<>'


def _could_be_a_person(text: str, start: int) -> bool:
    """A quick look at the words before START (past adverbs): can they end a person's name
    or role? Most trigger words fail here, before any list of words is built."""
    words = text[max(0, start - 48) : start].split()[-5:]
    kinds = _WORD_KINDS
    while words:
        word = words.pop()
        kind = kinds.get(word)
        if kind is None:
            kind = _word_kind(word)
            if len(kinds) >= 20_000:  # a bound on the memory of the words seen
                kinds.clear()
            kinds[word] = kind
        if kind == _SKIP:
            continue
        if kind == _CAPITAL:  # a surname after a given name: "Sergei Ivanov broke …"
            return bool(words) and words[-1] in FIRST_NAMES
        return kind  # type: ignore[return-value]
    return False


_SKIP = 2  # an adverb: look at the word before
_CAPITAL = 3  # a capitalised word: a person if a given name comes before it
_WORD_KINDS: dict[str, bool | int] = {}  # word (as split from the text) -> its kind


def _word_kind(word: str) -> bool | int:
    """What `_could_be_a_person` makes of one word: True or False (the answer), or
    `_SKIP` or `_CAPITAL`. It depends on the word alone, so it is kept for the next time."""
    if word[-1] in _PUNCTUATION:
        return False
    word = word.lstrip("\"“‘'(*_[")
    if not word:
        return False
    low = word.lower()
    if low in ADVERBS or (low.endswith("ly") and len(low) > 3):
        return _SKIP
    if low in _QUICK or word in FIRST_NAMES or low.endswith(("'s", "’s", "s'")):
        return True
    if word[:1] == "@" and len(word) > 1:
        return True  # a handle: "@jdoe force-pushed …"
    return _CAPITAL if word[:1].isupper() else False


def _person_before(text: str, start: int, groups: bool = False) -> int | None:
    """Where the person (or, with GROUPS, the team) that is the subject of the word at
    START begins: "the on-call engineer [accidentally] deleted", "Sergei broke"."""
    if not _could_be_a_person(text, start):
        return None
    words = _words_before(text, start)
    while words and (words[-1][0].lower() in ADVERBS or words[-1][0].lower().endswith("ly")):
        words.pop()
    # "the engineer on call", "the admin involved", "the developer responsible"
    if len(words) >= 2 and [w.lower() for w, _ in words[-2:]] in (["on", "call"], ["on", "duty"]):
        words = words[:-2]
    elif words and words[-1][0].lower() in ("involved", "responsible"):
        words.pop()
    if not words:
        return None
    word, at = words[-1]
    low = word.lower()
    previous = words[-2][0].lower() if len(words) >= 2 else ""
    if low in PRONOUNS:
        return at
    if at and text[at - 1] == "@":
        return at - 1  # a handle: "@jdoe force-pushed …"
    if groups and low in GROUPS:
        return words[-2][1] if previous in DETERMINERS else at
    bare = low.rstrip("'’s") if low.endswith(("'s", "’s")) else low
    if bare in ROLES or low in PLURAL_ROLES or (bare == "member" and previous in ("team", "staff")):
        if previous in NOT_A_COLLEAGUE:
            return None
        first = len(words) - 1
        while (
            first > 0
            and len(words) - first <= 3
            and words[first - 1][0].lower() not in DETERMINERS
            and not words[first - 1][0][:1].isupper()
        ):
            first -= 1  # adjectives: "a tired junior admin"
        if first > 0 and words[first - 1][0].lower() in DETERMINERS:
            first -= 1
        return words[first][1]
    if word in FIRST_NAMES:
        if len(words) >= 2 and words[-2][0] in FIRST_NAMES:
            return words[-2][1]  # "Sergei Ivanov" is written "Sergei" + a surname
        return at
    if (
        len(words) >= 2
        and words[-2][0] in FIRST_NAMES
        and word[:1].isupper()
        and word not in FIRST_NAMES
        and previous not in DETERMINERS
    ):
        return words[-2][1]  # "Sergei Ivanov broke"
    return None


# words that end the noun phrase after "by": "caused by a change to …", "by then"
_PHRASE_ENDS = frozenset(
    _words("""
to of in on at for from with into over under after before during while when then that which
who was were is are and or but as than via through near by across inside outside behind
without within around about like whose had has have did does do not never also just
""")
)


_QUANTITIES = frozenset(_words("one some two three several many each either neither none any all"))


def _person_after(text: str, end: int) -> bool:
    """A person right after END: "… by an engineer", "… of the developer", "… by a single
    maintenance worker", "… by @handle"."""
    if text[end : end + 2].lstrip()[:1] == "@" and _TOKEN.match(text, text.find("@", end) + 1):
        return True  # a handle: "by @jdoe"
    words = [m.group(0) for m in _TOKEN.finditer(text, end, min(len(text), end + 60))][:5]
    if not words:
        return False
    for index, word in enumerate(words):
        low = word.lower().rstrip("'’s") if word.lower().endswith(("'s", "’s")) else word.lower()
        if index == 0 and word in FIRST_NAMES:
            return True
        if low in PRONOUNS or low in ("him", "her", "them", "me"):
            return index == 0
        if low in ROLES or low in GROUPS or low in PLURAL_ROLES:
            before = words[index - 1].lower() if index else ""
            return before not in NOT_A_COLLEAGUE
        if low in DETERMINERS:
            continue
        if low == "of" and index == 1 and words[0].lower() in _QUANTITIES:
            continue  # "by one of the engineers"
        if low in _PHRASE_ENDS or low in NOT_A_COLLEAGUE or index >= 4:
            return False
        # a modifier before the noun: "a single maintenance worker", "a night-shift operator"
    return False


def _word_at(text: str, start: int) -> str:
    match = _TOKEN.match(text, start, start + 64)  # a trigger word is short; stay linear
    return match.group(0) if match else ""


def _starts_word(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_/")


# --- handlers: one per trigger word -------------------------------------------------------

_BALL = re.compile(r"\s+the\s+ball\b", re.I)
_UP = re.compile(r"\s+up\b")
_ALERT = re.compile(
    r"\s+(?:the|an?|all|every|our|several|repeated|multiple|many|numerous|some|certain)\s+"
    r"(?:\w+\s+)?(?:alert|alarm|page|warning|"
    r"notification)s?\b",
    re.I,
)
_BY = re.compile(r"\s+by\b")


def _whole_word(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] == "_")


def _act(text: str, start: int, end: int) -> Hit | None:
    if not _whole_word(text, end):
        return None
    low = text[start:end].lower()
    if low == "fell" and not text.startswith((" for ", " victim "), end):
        return None  # "fell for a phishing e-mail", not "traffic fell"
    if low in NEUTRAL_ACTS:
        if (
            text.startswith(" by ", end)
            and _person_after(text, end + 4)
            and _FAULT_BEFORE.search(text, max(0, start - 50), start)
        ):
            return Hit("person-act", start, end + 3)  # "an incorrect command entered by …"
        if not _could_be_a_person(text, start) or not _FAULT_AFTER.match(text, end, end + 90):
            return None
        who = _person_before(text, start)
        return Hit("person-act", who, end) if who is not None else None
    if low == "dropped" and _BALL.match(text, end):
        return Hit("judgement", start, _BALL.match(text, end).end())  # type: ignore[union-attr]
    if low in ("messed", "screwed") and not _UP.match(text, end):
        return None
    passive = (
        _BY.match(text, end)
        if text.startswith(" by", end) or text.startswith("\nby", end)
        else None
    )
    if low == "ignored" and _ALERT.match(text, end):
        who = _person_before(text, start, groups=True)
        if who is None:
            who = _subject(text, start)  # "the pilot of an … jetliner, …, ignored warnings"
        if who is not None and text[who : who + 3].lower() not in ("we ", "we\n"):
            return Hit("negated-duty", who, end)
        if _could_be_a_person(text, start):
            return Hit("negated-duty", start, end)
        return None
    if passive is None and not _could_be_a_person(text, start):
        if low not in _FAR_HARMS:
            return None
        previous = _previous_word(text, start)[0].lower()
        if previous in _AUXILIARY or previous in DETERMINERS:
            return None  # "the account was deleted", "the deleted database": not an act
        if low == "dropped" and not _DROPPED_DATA.match(text, end, end + 50):
            return None  # "the router dropped packets"
        # the subject far from a destructive verb: "an engineer working on the migration
        # deleted the production database", "Sergei's script wiped the bucket"
        who = _subject(text, start, groups=False)
        if who is None or REMEDIATION.match(text, end):
            return None
        return Hit("person-act", who, end)
    who = _person_before(text, start, groups=low in OMISSIONS or low in GROUP_HARMS)
    if (
        who is not None
        and (low in OMISSIONS or low in GROUP_HARMS)
        and text[who : who + 3].lower() in ("we ", "we\n")
    ):
        return None  # "a sign we missed": a team's own lesson, not blame
    if who is not None:
        if low in REMOVALS and REMEDIATION.match(text, end):
            return None
        return Hit("person-act", who, end)
    if passive and _person_after(text, passive.end()):
        return Hit("person-act", start, passive.end())
    return None


_DID_NOT = re.compile(r"did(?:n['’]?t|\s+not)\b", re.I)
_FAILED_TO = re.compile(r"failed\s+to\b", re.I)
# "failed" as the whole predicate: "… but failed miserably!", "he failed again."
_FAILED_ALONE = re.compile(r"failed\s+(?:miserably|completely|utterly|badly)\b", re.I)


_MEAN = re.compile(r"\s+(?:mean|intend|want|need)\b", re.I)
_DUTY_AFTER = re.compile(
    r"\s+(?:notice|check|follow|verify|test|report|act|respond|escalate|update|patch|review|"
    r"catch|spot|inform|notify|disclose|secure|encrypt|protect|ensure|comply|revoke|rotate|"
    r"renew|lock|read|heed|obey|answer|acknowledge|supervise|monitor|warn|tell|remove|run|"
    r"rerun|re-run|wait|double-check|look|bother)\b",
    re.I,
)
_FAILED_TECH = re.compile(
    r"failed\s+(?:over|back|open|closed|to|the|a|an|with|due|because|on|in|at|for)\b", re.I
)


def _negation(text: str, start: int, end: int) -> Hit | None:
    word = text[start:end].lower()
    if word == "failed":
        follow = _FAILED_TO.match(text, start)
        if follow is None and not _FAILED_TECH.match(text, start, start + 20):
            who = _person_before(text, start, groups=True)
            if who is None and _FAILED_ALONE.match(text, start, start + 40):
                who = _subject(text, start)  # "I had meant to forward it but failed miserably"
            if who is not None and text[who : who + 3].lower() not in ("we ", "we\n"):
                return Hit("negated-duty", who, end)  # "He failed", "where they failed"
    elif word in ("did", "didn"):
        follow = _DID_NOT.match(text, start)
    elif word == "never":
        follow = _NEVER.match(text, start)
    else:
        return None
    if follow is None:
        return None
    if _MEAN.match(text, follow.end(), follow.end() + 10):
        return None  # "I did not mean to imply …"
    if word in ("did", "didn") and _clause_start(text, start):
        if re.match(r"\s+(?:we|you|they|it|i)\b", text[follow.end() : follow.end() + 6], re.I):
            return None  # a question: "Didn't we hold the release back?"
        return Hit("negated-duty", start, follow.end())  # "Didn't follow the runbook."
    who = _person_before(text, start) if _could_be_a_person(text, start) else None
    if who is None and text[max(0, start - 5) : start].lower() == "that ":
        who = _person_before(text, start - 5)  # "the guy that didn't answer the phone"
    if who is None and _DUTY_AFTER.match(text, follow.end()):
        who = _own_subject(text, start)  # "the supervisor … allegedly failed to notice"
    if who is None:
        return None
    return Hit("negated-duty", who, follow.end())


def _failing(text: str, start: int, end: int) -> Hit | None:
    """ "… after failing to notice the error", said of a person."""
    if not _whole_word(text, end):
        return None
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("negated-duty", who, end)


def _clause_start(text: str, start: int) -> bool:
    """Nothing but a sentence end, a line start or a list or table marker before START."""
    lead = text[max(0, start - 12) : start].rstrip(" \t")
    return not lead or lead[-1] in ".!?\n|:" or lead.endswith(("- ", "* ", "-", "*"))


_NEVER = re.compile(r"never\b", re.I)


def _forgot(text: str, start: int, end: int) -> Hit | None:
    word = _word_at(text, start).lower()
    if word in ("forgot", "neglected"):
        if (
            word == "neglected"
            and not re.match(r"neglected\s+to\b", text[start : start + 20], re.I)
            and _person_before(text, start, groups=True) is None
        ):
            return None  # "a neglected server"
        who = _person_before(text, start, groups=True)
        return Hit("negated-duty", who if who is not None else start, start + len(word))
    return None


# subjects and verbs that make a mistake general, or something to avoid, not someone's
GENERIC = frozenset(
    _words("""
anyone anybody everyone everybody any people humans we you avoid avoiding prevent
preventing never not without learn learning allowed allow allows allowing permitted
""")
)


MISTAKE_NOUNS = frozenset(
    _words("""
mistake mistakes typo typos blunder blunders goof goofs boo-boo screw-up screwup cock-up
slip-up fuck-up fuckup oversight
""")
)
# "oversight" is a slip only as a countable thing said of an act: "an oversight", "this
# oversight was …", "his oversight"; not supervision ("oversight of", "the oversight board")
_AN_OVERSIGHT = re.compile(
    r"\b(?:an|this|that|his|her|their|my|simple|small|minor|major|costly|critical|"
    r"serious|human)\s+oversight(?:[.,;:!?)]|\s+(?:was|is|led|caused|meant|allowed|"
    r"resulted|on|by|in|that|which|and|but|cost|left|let))",
    re.I,
)
# words before a mistake noun that make it general, possible or someone else's worry
_MAYBE = frozenset(
    _words("""
can could may might will would if whenever every inevitable these such rarely seldom
minimise minimize reduce limit catch
""")
)
_OWNED = frozenset(_words("a an the this that my his her their your one"))


def _mistake(text: str, start: int, end: int) -> Hit | None:
    word = _word_at(text, start).lower()
    stop = start + len(word)
    if word not in MISTAKE_NOUNS:
        return None
    if word == "oversight" and not _AN_OVERSIGHT.search(text, max(0, start - 12), start + 40):
        return None  # "regulatory oversight", "the oversight board": supervision
    comma = text.rfind(",", max(0, start - 80), start)
    if comma > 0 and len(text[comma + 1 : start].split()) <= 2:
        listed = [w.lower() for w, _ in _words_before(text, comma)[-2:]]
        if _OWNED.intersection(listed):
            comma = text.rfind(",", max(0, start - 80), comma)  # "a simple, preventable mistake"
    words = [w.lower() for w, at in _words_before(text, start) if at > comma]
    if GENERIC.intersection(words[-8:]) or _MAYBE.intersection(words[-6:]):
        return None  # "anyone could have made the same mistake", "avoid making mistakes"
    if re.match(
        r"s?\s+(?:are|happens?|will|can|cannot|can['’]t|could|won['’]t|do|does)\b",
        text[stop - (1 if word.endswith("s") else 0) : stop + 12],
    ):
        return None  # "mistakes happen", "the mistake can't happen again": general
    before = " ".join(words[-4:])
    if re.search(
        r"\b(?:made|make|makes|making)\s+(?:an?\s+|the\s+|this\s+|that\s+)?"
        r"(?:[\w-]+\s+)?$",
        before + " ",
    ) or before.endswith(
        ("by", "honest", "rookie", "silly", "stupid", "careless", "human", "simple", "'s", "’s")
    ):
        who = _person_before(text, start)
        return Hit("mistake", who if who is not None else start, stop)
    if re.match(
        r"s?\s+(?:were|was)\s+made\b|\s+(?:by|on\s+the\s+part\s+of)\b",
        text[stop - (1 if word.endswith("s") else 0) : stop + 24],
        re.I,
    ):
        return Hit("mistake", start, stop)
    if word.startswith("typo") or "no" in words[-2:]:
        return None  # "a typo in the configuration" is a thing; "no mistake"
    if not (_OWNED.intersection(words[-3:]) or not words or _clause_start(text, start)):
        return None  # "bad mistakes" in general
    # a mistake, a blunder, a screw-up: naming the act a slip, whoever made it
    return Hit("mistake", start, stop)


# nouns for tools and processes, never people: "the script accidentally …", "a job gone rogue"
_THINGS_THAT_ACT = frozenset(
    _words("""
script scripts bot bots automation job jobs tool tooling process cron pipeline service
system code program update updates deployment controller operator-sdk daemon robot workflow
action actions
""")
)


def _accident(text: str, start: int, end: int) -> Hit | None:
    word = _word_at(text, start).lower()
    if word == "accidentally":
        following = (
            _word_at(text, start + len(word) + 1)
            if text[start + len(word) : start + len(word) + 1] == " "
            else ""
        )
        if following.lower().endswith("ing"):
            return None  # a side effect: "modified, accidentally overwriting the annotations"
        if (
            _previous_word(text, start)[0].lower() in _THINGS_THAT_ACT
            and _subject(text, start) is None
        ):
            return None  # "the automation script accidentally pushed …": a tool's act
        return Hit("mistake", start, start + len(word))
    if word == "accident" and text[max(0, start - 3) : start].lower() == "by ":
        return Hit("mistake", start - 3, start + len(word))
    if word == "accidental":
        act = _ACCIDENTAL_ACT.match(text, start + len(word))
        if act:
            return Hit("mistake", start, act.end())  # "an accidental execution of a command"
    return None


_ACCIDENTAL_ACT = re.compile(
    r"\s+(?:execution|deletion|removal|run|push|merge|commit|change|"
    r"click|overwrite|revert|reboot|restart|shutdown|drop|exposure|"
    r"disclosure|misconfiguration)\b",
    re.I,
)


_WRONG = re.compile(rf"(?:wrong|incorrect)\s+(?:[\w-]+\s+)?(?:{WRONG_THINGS})s?\b", re.I)
_INCORRECT_WHO = re.compile(
    r"incorrect\s+(?:person|people|client|customer|recipient|patient|e-?mail\s+address|address)s?\b",
    re.I,
)
# advice and conditions: "if an e-mail is sent to the wrong person", "should encourage …"
_ADVICE = re.compile(
    r"\b(?:if|when|whenever|should|encourage\w*|upon|avoid\w*|prevent\w*|can|could|may|might|"
    r"risk|before)\b",
    re.I,
)


_WRONG_ANY = re.compile(r"wrong\s+[\w-]+", re.I)


def _wrong(text: str, start: int, end: int) -> Hit | None:
    if text[start] in "iI":
        match = _INCORRECT_WHO.match(text, start, start + 40)
    else:
        match = _WRONG.match(text, start, start + 60)
    if match is None and text[start] in "wW":
        # "I initially used the wrong tag format", "sent two documents to the wrong team":
        # any wrong thing, when a person is the subject and an act comes between
        thing = _WRONG_ANY.match(text, start, start + 40)
        if thing is not None and (
            _previous_word(text, start)[0].lower() not in _OWNED
            or thing.group(0).split()[-1].lower() in _PHRASE_ENDS
        ):
            thing = None  # "… my code that was wrong when …": no wrong thing chosen
        who = _acting_subject(text, start) if thing is not None else None
        if thing is not None and who is not None:
            if _ADVICE.search(text, who, start):
                return None
            return Hit("mistake", who, thing.end())
    if match is None:
        return None
    lo = max(0, start - 80)
    cut = max(text.rfind(". ", lo, start), text.rfind("\n", lo, start), lo)
    if _ADVICE.search(text, cut, start):
        return None
    return Hit("mistake", start, match.end())


def _fat(text: str, start: int, end: int) -> Hit | None:
    match = re.match(r"fat[\s-]?finger\w*", text[start : start + 20], re.I)
    return Hit("mistake", start, start + match.end()) if match else None


def _misc_mistake(text: str, start: int, end: int) -> Hit | None:
    word = _word_at(text, start).lower()
    if word.startswith(("mistyp", "misclick")):
        return Hit("mistake", start, start + len(word))
    return None


# adverbs that call a person's act a slip or a lapse: blame when a person did it ("workers
# connected wires inadvertently", "the technician read the label incorrectly"), not when a
# thing did or nobody is named ("the flag was inadvertently enabled", "the parser
# incorrectly rejected the file")
MISTAKE_ADVERBS = (
    "mistakenly",
    "inadvertently",
    "unintentionally",
    "unknowingly",
    "unwittingly",
    "erroneously",
    "wrongly",
    "incorrectly",
    "inappropriately",
    "improperly",
    "hastily",
)
_JUDGING_ADVERBS = frozenset({"inappropriately", "improperly", "hastily"})


def _mistake_adverb(text: str, start: int, end: int) -> Hit | None:
    word = _word_at(text, start).lower()
    if word not in MISTAKE_ADVERBS:
        return None
    stop = start + len(word)
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("judgement" if word in _JUDGING_ADVERBS else "mistake", who, stop)


_ALWAYS_JUDGEMENT = re.compile(
    r"(?:careless\w*|sloppy|sloppiness|sloppily|tired|disgruntled|irresponsib\w+|"
    r"incompeten\w+|reckless\w*|hasty|negligen\w+|stupid\w*|idiot\w*|clumsy|"
    r"inattentive|lazy|laziness|rushed|exhausted|rogue)\b",
    re.I,
)


def _judgement(text: str, start: int, end: int) -> Hit | None:
    match = _ALWAYS_JUDGEMENT.match(text, start)
    if match is None:
        return None
    word = match.group(0).lower()
    stop = match.end()
    after = text[stop : stop + 30]
    if word == "lazy" and LAZY_TECH.match(text, stop):
        return None
    if word == "lazy" and start and text[start - 1] == "-":
        return None  # "non-lazy"
    if word == "sloppy" and re.match(r"\s+quorum", after, re.I):
        return None
    if (
        word == "rushed"
        and re.match(r"\s+(?:to|in|out|back|over|into|through)\b", after, re.I)
        and text[max(0, start - 6) : start].lower().strip()
        not in ("was", "were", "been", "being", "is", "are")
    ):
        return None  # "engineers rushed to restore service"; "was rushed to production" is
    if word in ("exhausted", "rogue"):
        # of a person only: "an exhausted engineer", "the admin was exhausted", "a rogue
        # employee", "went rogue"; not "the pool was exhausted" or "a rogue process"
        if _person_after_adjective(text, stop):
            return Hit("judgement", start, stop)
        before = [w.lower() for w, _ in _words_before(text, start)[-3:]]
        if word == "rogue" and before and before[-1] in ("went", "gone", "going", "go"):
            if len(before) >= 2 and before[-2] in _THINGS_THAT_ACT:
                return None  # "some automation gone rogue"
            return Hit("judgement", start, stop)
        if (
            word == "exhausted"
            and before
            and before[-1] in ("was", "were", "felt", "got")
            and _person_before(text, start - len(before[-1]) - 1) is not None
        ):
            return Hit("judgement", start, stop)
        return None
    return Hit("judgement", start, stop)


def _person_after_adjective(text: str, end: int) -> bool:
    words = [m.group(0).lower() for m in _TOKEN.finditer(text, end, min(len(text), end + 40))]
    for word in words[:3]:
        if word in ROLES or word in ("insider", "on-call", "oncall"):
            return True
        if word in ("engineers", "developers", "admins", "employees", "operators", "staff"):
            return True
    return False


_IRREGULAR = frozenset(
    _words("""
been known seen done run made taken thought kept sent set put read written gone had told let
found held built caught understood spoken given shown chosen brought
""")
)


def _participle(verb: str) -> bool:
    return (
        verb in _IRREGULAR
        or verb in HINDSIGHT_VERBS
        or (len(verb) > 3 and verb.endswith(("ed", "en", "wn")))
    )


_SHOULD_WHO = re.compile(
    r"should\s+((?:(?:the|an?|this|that|our|their|his|her)\s+)?(?:[\w-]+\s+){0,2}?[\w-]+)\s+"
    r"(?:not\s+)?have\s+([\w-]+)",
    re.I,
)


def _should(text: str, start: int, end: int) -> Hit | None:
    match = re.match(
        r"should(?:n['’]t|\s+not|\s+never)?\s*(?:have|['’]ve)\b\s*([\w-]+)?",
        text[start : start + 40],
        re.I,
    )
    if match is None:
        asked = _SHOULD_WHO.match(text, start, start + 70)
        if asked and _participle(asked.group(2).lower()):
            subject = asked.group(1).split()
            head = subject[-1].lower()
            if (
                head in ("he", "she", "someone", "i")
                or head in ROLES
                or head in PLURAL_ROLES
                or (subject[-1] in FIRST_NAMES)
            ):
                return Hit("hindsight", start, asked.end())  # "Should the developer have …?"
        return None
    verb = (match.group(1) or "").lower()
    if verb == "double" and re.match(
        r"\s*-?\s*check", text[start + match.end() : start + match.end() + 8], re.I
    ):
        verb = "double-checked"  # "I should have double checked"
    if not _participle(verb):
        return None  # "we should have a talk", "the alert (or should have)"
    who = _person_before(text, start, groups=True)
    if who is not None:
        return Hit("hindsight", who, start + match.end())
    if verb in HINDSIGHT_VERBS and verb != "been":
        return Hit("hindsight", start, start + match.end())
    if verb == "been" and re.match(
        r"\s*(?:more\s+)?(?:careful|aware|obvious|caught|noticed|"
        r"spotted|prevented|avoided)\b",
        text[start + match.end() : start + match.end() + 24],
        re.I,
    ):
        return Hit("hindsight", start, start + match.end())
    return None


# "had the admin followed …", "had Sergei checked …": a condition, wherever it stands
_HAD_PERSON = re.compile(
    r"had\s+(?:he|she|someone|the\s+(?:[\w-]+\s+)?(?:"
    + "|".join(sorted(ROLES))
    + r")|[A-Z][a-z]+)\s+(?:only\s+|just\s+)?[a-z-]+ed\b"
)
_HAD_WHO = re.compile(r"had\s+(?:he\s|she\s|someone\s|the\s|[A-Z])")
_ASKING = frozenset(_words("what which where when why how who whom whose that"))


def _had(text: str, start: int, end: int) -> Hit | None:
    """Hindsight by inversion or condition: "Had he checked …", "if the engineer had run …"."""
    if not _whole_word(text, end):
        return None
    lead = text[max(0, start - 60) : start].rstrip()
    inverted_person = (
        _HAD_PERSON.match(text, start, start + 60)
        if _HAD_WHO.match(text, start, start + 16)
        else None
    )
    if not (
        text[start] == "H"
        or lead.endswith((",", ";", "—", "("))
        or not lead
        or "if" in lead.lower().split()[-6:]
        or (inverted_person and lead.split()[-1].lower() not in _ASKING)
    ):
        return None
    inverted = re.match(
        r"had\s+(?:he|she|they|we|someone|the\s+[\w-]+|[A-Z][a-z]+)\s+"
        r"(?:only\s+|just\s+)?([a-z-]+)",
        text[start : start + 50],
        re.I,
    )
    if inverted and text[start : start + 3] in ("Had", "had"):
        verb = inverted.group(1).lower()
        before = text[max(0, start - 3) : start]
        sentence_start = (
            inverted_person is not None
            or start == 0
            or before.rstrip(" \t")[-1:]
            in (
                ".",
                "!",
                "?",
                "\n",
                ",",
                ";",
                "",
                "—",
                "(",
            )
        )
        if sentence_start and (
            verb.endswith("ed")
            or verb in HINDSIGHT_VERBS
            or verb in ("run", "done", "taken", "written", "gone", "made")
        ):
            subject = text[start + 4 : start + 4 + 40].split()[0:2]
            if subject and (
                subject[0].lower() in ("he", "she", "someone")
                or subject[0] in FIRST_NAMES
                or (
                    subject[0].lower() == "the"
                    and len(subject) > 1
                    and subject[1].lower() in ROLES | GROUPS
                )
                or subject[0].lower() in ("they", "we")
            ):
                return Hit("hindsight", start, start + inverted.end())
    conditional = re.match(r"had\s+(?:only\s+|just\s+)?([a-z-]+)", text[start : start + 30], re.I)
    if conditional:
        verb = conditional.group(1).lower()
        if verb.endswith("ed") or verb in HINDSIGHT_VERBS:
            words = _words_before(text, start)
            who = _person_before(text, start)
            if who is not None and any(w.lower() == "if" for w, at in words if at < who):
                return Hit("hindsight", who, start + conditional.end())
    return None


# words that make "human error" a cause of this incident, not a topic
ATTRIBUTING = frozenset(
    _words("""
due caused because result cause was were is attributed blamed blames blame chalked put down
classified
case simple pure plain assumed suspected likely probably by from through a an it's its
another mostly primarily partly largely
""")
)


_MADE_ERROR = re.compile(
    r"(?:made|make|makes|making|committed|commits|commit)\s+(?:an?\s+|the\s+|this\s+|that\s+)?"
    r"(?:[\w-]+\s+){0,2}\Z",
    re.I,
)
_IN_ERROR = re.compile(
    r"\b(?:sent|attached|deleted|disclosed|shared|released|sold|posted|published|e-?mailed|"
    r"forwarded|copied|uploaded|added|removed|granted|given|issued|processed|paid|transferred|"
    r"entered|approved|dropped|wiped|revoked|disabled|closed|cancell?ed|terminated)\b"
    r"(?:\s+[\w'’,-]+){0,10}\s+in\s+\Z",
    re.I,
)


def _error(text: str, start: int, end: int) -> Hit | None:
    word = _word_at(text, start).lower()
    if word not in ("error", "errors"):
        return None
    if re.match(
        r"s?\s*(?:handl\w*|budget|rate|message|code|page|log|class|\(?4xx)",
        text[start + 5 : start + 20],
        re.I,
    ):
        return None  # "user error rate", "user errors (4xx)"
    lead = text[max(0, start - 100) : start]
    if lead.endswith(" ") and (_MADE_ERROR.search(lead[-40:]) or _IN_ERROR.search(lead)):
        words = [w.lower() for w, _ in _words_before(text, start)[-6:]]
        if not _MAYBE.intersection(words) and not GENERIC.intersection(words):
            return Hit("mistake", start, start + len(word))  # "made an error", "sent … in error"
    owner = re.search(
        r"(?:\b(?:his|her|their|my|your)|(\w+)['’]s)\s+(?:[\w-]+\s+){0,2}?\Z",
        text[max(0, start - 40) : start],
        re.I,
    )
    if owner and (
        owner.group(1) is None
        or owner.group(1) in FIRST_NAMES
        or owner.group(1).lower() in ROLES - {"user", "agent", "member", "tester"}
    ):
        return Hit("mistake", start - (min(start, 40) - owner.start()), start + len(word))
    before = re.search(
        r"(?:human|user|operator|pilot|people|personnel|manual|operational|worker|employee|"
        r"staff|engineer|technician|clerical|programmer|admin|administrator|crew|driver)"
        r"[\s-]+\Z",
        text[max(0, start - 20) : start],
        re.I,
    )
    if before is None:
        return None
    begin = start - (before.end() - before.start())
    words = [w.lower() for w, _ in _words_before(text, begin)[-6:]]
    if (
        words
        and not ATTRIBUTING.intersection(words)
        and not _ERROR_CAUSED.match(text, start + len(word), start + len(word) + 40)
    ):
        return None  # talk about the idea: "the old view of human error", "a book on it"
    return Hit("human-error", begin, start + len(word))


# "human error is the cause of most breaches", "human error caused the outage"
_ERROR_CAUSED = re.compile(
    r"\s+(?:(?:is|was|were|remains)\s+(?:the|a|to|often\s+the|usually\s+the)\s+"
    r"(?:\w+\s+)?(?:cause|culprit|reason|blame)|caused|led\s+to|triggered|resulted\s+in)\b",
    re.I,
)


def _slang(text: str, start: int, end: int) -> Hit | None:
    match = re.match(r"(?:pebkac|pebcak|id10t|layer[\s-]?8)\b", text[start : start + 10], re.I)
    return Hit("human-error", start, start + match.end()) if match else None


_EXONERATING = re.compile(
    r"(?:\bno|\bnot|n['’]t|\bnobody|\bno[\s-]?one|\bnever|\bwithout|"
    r"\bavoid\w*|\brather\s+than|\binstead\s+of)(?:['’]s)?\b"
    r"(?:\s+[\w'’-]+){0,3}\s*\Z",
    re.I,
)


# words ending in s before "fault" that are not an owner written without its apostrophe
_NOT_OWNERS = frozenset(_words("this his its is was as us yours ours theirs hers always less ones"))


def _fault(text: str, start: int, end: int) -> Hit | None:
    word = _word_at(text, start).lower()
    if word not in ("fault", "faults"):
        return None
    stop = start + len(word)
    lead = text[max(0, start - 40) : start]
    if re.search(r"\bwhose\s+\Z", lead, re.I):
        return Hit(
            "fault",
            start - len(re.search(r"whose\s+\Z", lead, re.I).group(0)),  # type: ignore[union-attr]
            stop,
        )
    if _EXONERATING.search(lead):
        return None  # "through no fault of the operator", "nobody's fault", "not at fault"
    possessive = re.search(r"([\w-]+)['’]s\s+\Z|\b(his|her|their|my|your|our)\s+\Z", lead, re.I)
    if possessive:
        owner = possessive.group(1) or possessive.group(2)
        if owner.lower() in (
            "nobody",
            "anyone",
            "anybody",
            "no-one",
            "noone",
            "everyone",
            "everybody",
            "one",
        ):
            return None
        if owner.lower() == "who":
            return Hit("fault", start - (len(lead) - possessive.start()), stop)
        if (
            possessive.group(2)
            or owner in FIRST_NAMES
            or owner.lower() in ROLES | GROUPS
            or owner[:1].isupper()
        ):
            return Hit("fault", start - (len(lead) - possessive.start()), stop)
        return None
    bare = re.search(r"\b(?:was|is|it['’]s|all|entirely|totally|partly)\s+(\w+s)\s+\Z", lead, re.I)
    if (
        bare
        and bare.group(1).lower() not in _NOT_OWNERS
        and not re.match(
            r"[\s-]*(?:toleran|inject|domain|line|code|isolat|zone|detect)",
            text[stop : stop + 12],
            re.I,
        )
    ):
        return Hit("fault", start - (len(lead) - bare.start(1)), stop)  # "it was Acmes fault"
    if re.search(r"\bat\s+\Z", lead, re.I):
        thing = re.search(
            r"\b(?:training|process|system|design|tool\w*|code|bug|config\w*|software|hardware|"
            r"procedure|runbook|documentation|setup|policy)\s+at\s+\Z",
            lead,
            re.I,
        )
        return None if thing else Hit("fault", start - 3, stop)
    after = re.match(r"\s+(?:of|lies\s+with|was\s+with)\s+", text[stop : stop + 20], re.I)
    if after and _person_after(text, stop + after.end() - 1):
        return Hit("fault", start, stop + after.end())
    return None


_BLAME_ACT = re.compile(
    r"(?:\s+(?:it|this|that|him|her|them|the\s+\w+|us|me|you)\s+on\b|\s+(?:on|lies?\s+with|"
    r"rests?\s+with|fell\s+on|falls\s+on)\b|\s+(?:here|there|squarely|mostly|largely|"
    r"entirely|partly)\s+(?:lies?|rests?|fell|falls)\s+(?:on|with)\b)",
    re.I,
)


def _blame_word(text: str, start: int, end: int) -> Hit | None:
    """Blaming someone: "was blamed", "is to blame", "blamed the contractor", "put the blame
    on", "blame it on". The word as a topic ("avoid blame", "a culture of blame") is not."""
    word = _word_at(text, start)
    low = word.lower()
    if low not in ("blame", "blamed", "blames", "blaming"):
        return None  # blameless, blame-free, blame-aware (the whole word is longer)
    if start and text[start - 1] in "/-.":
        return None  # a /blame/ URL path, "non-blame"
    stop = start + len(word)
    lead = text[max(0, start - 40) : start]
    if re.search(r"\bgit\s+\Z", lead, re.I) or _EXONERATING.search(lead):
        return None  # "git blame", "not to blame", "avoid assigning blame"
    before = [
        w.lower().replace("’", "'")
        for w, _ in _words_before(text, start)[-5:]
        if not (w.lower() in ADVERBS or (w.lower().endswith("ly") and len(w) > 3))
        and w.lower() not in ("definitely", "definately", "certainly", "partly", "really")
    ][-2:]
    if _BLAME_ACT.match(text, stop):
        return Hit("fault", start, stop)
    if (
        low == "blame"
        and before[-1:] == ["to"]
        and len(before) == 2
        and before[0] in ("is", "was", "are", "were", "be", "who's", "whos", "partly", "partially")
    ):
        return Hit("fault", start, stop)
    if low in ("blamed", "blames", "blaming") or (
        low == "blame" and before and before[-1] in ("we", "i", "they", "management", "leadership")
    ):
        if before and before[-1] in ("was", "were", "been", "be", "got", "is", "are"):
            return Hit("fault", start, stop)  # "the engineer was blamed"
        if _person_after(text, stop) or re.match(
            r"\s+(?:the|a|an|our|their)\s+\w+|\s+(?:[a-z]+\s+)?[A-Z][\w&.-]+",
            text[stop : stop + 30],
        ):
            who = _person_before(text, start, groups=True)
            return Hit("fault", who if who is not None else start, stop)
    if low == "blame" and before[-1:] == ["to"]:
        who = _person_before(text, start - 3, groups=True)
        if who is not None:
            return Hit("fault", who, stop)  # "the guy to blame"
    return None


# --- the subject of a clause ------------------------------------------------------------
# Blame often names its person far from the verb: "An employee removing a piece of monitoring
# equipment that was causing problems likely caused a massive outage", "Investigators say the
# pilots failed to monitor …". `_subject` finds the subject of the clause a verb belongs to:
# from the sentence start, or from a word that opens a new clause ("that", "says", "and", a
# comma), the first noun phrase. A relative clause ("that was causing problems") is skipped.

_PERSON_LOWER = ROLES | PLURAL_ROLES | PRONOUNS | GROUPS | {"operations"}
# punctuation to spaces, so that str.split finds the words ("Sergei's" gives "Sergei")
_SPACES = str.maketrans({c: " " for c in "'’.,;:!?()[]{}\"“”*_`|<>/"})
_OPENS_CLAUSE = frozenset(
    _words("""
that says say said believe believes believed claim claims claimed report reports reported bet
and but so then after when because while since although though once whereas thinks think
confirmed found alleges alleged suggests suggested shows showed concluded
""")
)
_AUXILIARY = frozenset(
    _words("""
was were is are had has have did does do will would could can should may might been being be
""")
)
_NOT_SUBJECT = PRONOUNS - {"he", "she", "someone", "somebody", "i"}  # "who" opens a relative


_NOT_A_WORD = re.compile(r"[^\w@-]+")
# the same in bytes, for the gate of `_subject`: bytes.translate and split are C speed on
# any text (the bytes of a dash or a curly quote become spaces)
_BYTE_PUNCTUATION = b"'.,;:!?()[]{}\"*_`|<>/" + bytes(range(128, 256))
_BYTE_SPACES = bytes.maketrans(_BYTE_PUNCTUATION, b" " * len(_BYTE_PUNCTUATION))
_FIRST_NAMES_B = frozenset(name.encode() for name in FIRST_NAMES if name.isascii())
_PERSON_LOWER_B = frozenset(word.encode() for word in _PERSON_LOWER) | {
    b"mr",
    b"mrs",
    b"ms",
    b"dr",
    b"mx",  # honorifics: "Mrs Okafor"
}


def _no_person_word(chunk: str) -> bool:
    """No person word in CHUNK: no given name, role, pronoun or team (the gate of
    `_subject`)."""
    raw = chunk.encode().translate(_BYTE_SPACES)  # UTF-8: other letters become spaces
    if not _FIRST_NAMES_B.isdisjoint(raw.split()) or not _PERSON_LOWER_B.isdisjoint(
        raw.lower().split()
    ):
        return False
    return chunk.isascii() or not any(map(chunk.__contains__, _NON_ASCII_NAMES))


_NON_ASCII_NAMES = tuple(name for name in FIRST_NAMES if not name.isascii())


def _split_words(chunk: str) -> list[str]:
    """CHUNK's words, punctuation dropped ("Sergei's" gives "Sergei", "s"). str.translate
    is C speed on ASCII but slow on other text (a dash, a curly quote): a regex there."""
    if chunk.isascii():
        return chunk.translate(_SPACES).split()
    if any(map(chunk.__contains__, _NON_ASCII_NAMES)):
        return [w for w in _NOT_A_WORD.split(chunk) if w]
    # other letters become "?", a space here: the words this module looks for are ASCII
    return chunk.encode("ascii", "replace").decode("ascii").translate(_SPACES).split()


def _subject(text: str, start: int, groups: bool = True) -> int | None:
    """Where the person that is the subject of the clause of the verb at START begins, or
    None when that subject is not a person (or cannot be told)."""
    lo = max(0, start - 240)
    # the gate looks only after the last plain sentence break (each is one of
    # _SENTENCE_BREAK's, so the sentence read below starts no earlier): str.rfind is C speed
    lo = max(
        lo,
        text.rfind(". ", lo, start),
        text.rfind("? ", lo, start),
        text.rfind("! ", lo, start),
        text.rfind("\n\n", lo, start),
        text.rfind("\n- ", lo, start),
        text.rfind("|", lo, start),
    )
    if _no_person_word(text[lo:start]):
        return None  # no person word (or "Sergei's") before the verb: the common case
    begin = lo
    for match in _SENTENCE_BREAK.finditer(text, lo, start):
        begin = match.end()
    tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text, begin, start)]
    if len(tokens) > 40:
        tokens = tokens[-40:]
    first = 0
    while first < len(tokens) - 1 and (
        tokens[first][0][:1].isdigit() or tokens[first][0] in ("UTC", "GMT", "am", "pm")
    ):
        first += 1  # a timeline entry: "14:07 Tariq copy-pastes …"
    points = [first]
    for index, (word, at) in enumerate(tokens[:-1]):
        low = word.lower()
        if low == "that":
            following = tokens[index + 1][0]
            if not (
                following.lower() in DETERMINERS
                or following.lower() in _PERSON_LOWER
                or following.lower() in ("it", "they", "we")
                or following[:1].isupper()
            ):
                continue  # "that afternoon": a determiner, not a new clause
        if low in _OPENS_CLAUSE or text[at + len(word) : at + len(word) + 1] == ",":
            points.append(index + 1)
    for point in reversed(points):
        if len(tokens) - point > 18:
            break
        verdict = _noun_phrase_is_person(
            tokens[point : point + 5], groups, complete=len(tokens) - point <= 5
        )
        if verdict is None:
            continue  # a relative clause or a verb: the subject is further back
        if (
            verdict[0]
            and point
            and tokens[point - 1][0].lower() in ("that", "which")
            and any(_is_verb(w) for w, _ in tokens[point + 1 :])
        ):
            continue  # "the update that the contractor installed caused …": not the subject
        return tokens[point + verdict[1]][1] if verdict[0] else None
    return None


_HONORIFICS = frozenset(_words("Mr Mrs Ms Miss Dr Mx Nurse"))
_COORDINATORS = frozenset(_words("and but or then so yet"))


def _is_verb(word: str) -> bool:
    low = word.lower()
    return (
        low in _AUXILIARY
        or low in _IRREGULAR
        or low in _PAST_ACTS
        or (len(low) > 3 and low.endswith("ed"))
    )


def _noun_phrase_is_person(
    words: list[tuple[str, int]], groups: bool, complete: bool = False
) -> tuple[bool, int] | None:
    """(is a person, index of the phrase start) for the noun phrase opening WORDS; None when
    WORDS open with a verb (a relative clause or a second predicate). COMPLETE: WORDS run up
    to the verb, so that their last word is the head of the phrase ("and the job failed")."""
    if not words:
        return None
    first = words[0][0]
    low = first.lower()
    if low in _COORDINATORS:
        return None  # "…, but ended up deleting …": the subject is further back
    if (
        low in _AUXILIARY
        or low in _NOT_SUBJECT
        or low in ADVERBS
        or (low.endswith(("ing", "ed", "ly")) and low not in ROLES and first[:1].islower())
    ):
        return None  # a relative clause, a participle or a second predicate
    if len(words) > 1 and words[1][0].lower() == "to" and low not in ROLES:
        return None  # an aside: "…, eager to leave port, …"
    for index, (word, _) in enumerate(words[:4]):
        low = word.lower()
        if low in ("he", "she", "someone", "somebody", "i") or word in FIRST_NAMES:
            return True, 0
        if word in _HONORIFICS and index + 1 < len(words) and words[index + 1][0][:1].isupper():
            return True, 0  # "Mrs L", "Dr Smith"
        if low.endswith(("'s", "’s")) and (
            word[:-2] in FIRST_NAMES or low[:-2] in ROLES - {"user", "agent", "member", "tester"}
        ):
            return True, 0  # "Sergei's change", "the engineer's script"
        if (
            low in ROLES
            or low in PLURAL_ROLES
            or (groups and (low in GROUPS or low == "operations"))
        ):
            if index + 1 < len(words) and words[index + 1][0].lower() in ("of",) and index == 0:
                return True, 0  # "one of the engineers"
            following = words[index + 1][0] if index + 1 < len(words) else ""
            if (
                following[:1].islower()
                and following.lower() not in _PHRASE_ENDS
                and following.lower() not in ("involved", "responsible", "who")
                and not _is_verb(following)
                and not following.lower().endswith(("ing", "ly"))
            ):
                continue  # a modifier: "a user account", "the operator console"
            return True, 0
        if index == 0 and (low in DETERMINERS or low in ("one", "two", "some", "another")):
            continue
        if complete and index == len(words) - 1 and word[:1].islower():
            return False, 0  # the head of the phrase, and not a person
        if index and word[:1].islower() and not low.endswith(("ed", "s")):
            continue  # an adjective before the noun: "a junior engineer"
        if word[:1].isupper() and index:
            continue  # a name of a firm before the noun: "a Lehman Brothers trader"
        if index == 0 and word[:1].isupper() and low not in DETERMINERS:
            continue
        return False, 0
    return None  # the words ran out before a noun: cannot tell


_HARM_AFTER = re.compile(
    r"(?:\s+(?:the|an?|this|that|our|their|its|massive|major|global|total|full|huge|"
    r"widespread|big|large|entire|whole|[A-Z][\w-]*|[\w-]+)){0,5}?\s+(?:outage|outages|"
    r"blackout|havoc|incident|breach|downtime|disruption|crash|chaos|mess|loss|damage|"
    r"problem|problems|failure|fire|shutdown|leak|exposure)\b",
    re.I,
)
_CAUSE_BY = re.compile(r"\s+by\s+", re.I)


def _caused(text: str, start: int, end: int) -> Hit | None:
    """A person caused the harm: "… was caused by one employee", "One Guy Caused the Massive
    San Diego Blackout", "the oncall operations then triggered the … outage"."""
    if end - start == 5 and text[end : end + 4] != " by ":
        return None  # "root cause", "because": the common case
    word = _word_at(text, start).lower()
    if word not in ("caused", "cause", "triggered"):
        return None
    stop = start + len(word)
    by = _CAUSE_BY.match(text, stop, stop + 6)
    if by:
        if _ALWAYS_JUDGEMENT.search(text, by.end(), by.end() + 24):
            return None  # "caused by a rogue employee": the judgement is the finding
        if _person_after(text, by.end() - 1):
            return Hit("person-act", start, by.end())
        return None
    if word == "cause" or not _HARM_AFTER.match(text, stop, stop + 80):
        return None
    who = _subject(text, start)
    return Hit("person-act", who, stop) if who is not None else None


_TAKE_DOWN = re.compile(
    r"(?:took|brought|knocked|turned|shut|switched)\s+(?:down|out|off)\b|"
    r"(?:took|brought|knocked|turned|shut|switched)\s+(?:[\w-]+\s+){1,3}?(?:down|out|off)\b",
    re.I,
)


_NOT_TAKEN_BY_A_PERSON = _AUXILIARY | {"it", "them", "got", "get"}


def _took_down(text: str, start: int, end: int) -> Hit | None:
    """A person took something down: "a worker … likely turned off the lights"."""
    match = _TAKE_DOWN.match(text, start, start + 50)
    if match is None:
        return None
    previous = text[max(0, start - 6) : start].split()[-1:]
    if previous and previous[0].lower() in _NOT_TAKEN_BY_A_PERSON:
        return None  # "was switched off", "had it switched off": said of a thing
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    rest = text[match.end() : match.end() + 40].lower()
    if rest.startswith((" the affected", " the compromised", " the malicious", " the infected")):
        return None  # containment: "took the compromised host offline"
    return Hit("person-act", who, match.end())


_IDIOM = re.compile(
    r"(?:screw|mess|fuck|cock|muck)(?:ed|s|ing)?\s+(?:it\s+|things\s+|everything\s+|"
    r"something\s+|stuff\s+|this\s+|that\s+)?up\b|"
    r"dropped\s+the\s+ball\b|fell\s+asleep\s+at\s+the\s+wheel\b",
    re.I,
)


def _idiom(text: str, start: int, end: int) -> Hit | None:
    """Idioms of blame whoever the subject is, a firm included: "Rackspace has screwed up",
    "ops dropped the ball"."""
    match = _IDIOM.match(text, start, start + 40)
    if match is None:
        return None
    who = _person_before(text, start, groups=True)
    if who is not None and text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("judgement", who if who is not None else start, match.end())


_ATTENTION = re.compile(
    r"(?:not|n['’]t|never|without|stopped|no\s+longer)\s+(?:be\s+|been\s+|being\s+)?"
    r"(?:paying|pay|paid|giving|give|gave)\s+(?:\w+\s+)?attention\b",
    re.I,
)
_CAREFUL = re.compile(
    r"(?:not|n['’]t|never|without)\s+(?:be\s+|been\s+|being\s+|they\s+|he\s+|she\s+|you\s+|"
    r"I\s+)?(?:more\s+|very\s+|as\s+|sufficiently\s+|particularly\s+)?careful\b",
    re.I,
)
_KNOW_BETTER = re.compile(r"(?:n['’]t|not|never)\s+know\s+(?:any\s+)?better\b", re.I)
_CLUE = re.compile(
    r"(?:no|not\s+(?:have|had)\s+a|n['’]t\s+(?:have|had)\s+a|never\s+had\s+a)\s+clue\b", re.I
)


def _phrase_before(pattern: re.Pattern[str], reach: int) -> Handler:
    """A handler for a phrase that ends at its trigger word ("not paying attention")."""

    def handler(text: str, start: int, end: int) -> Hit | None:
        lo = max(0, start - reach)
        for match in pattern.finditer(text, lo, end + 12):
            if match.start() < start < match.end() or match.end() == end:
                if _MAYBE.intersection(
                    w.lower() for w, _ in _words_before(text, match.start())[-4:]
                ):
                    return None  # "you might not know better"
                who = _person_before(text, match.start(), groups=True)
                return Hit("negated-duty", who if who is not None else match.start(), match.end())
        return None

    return handler


# "his failure" is a trigger as a whole, so that the many "CI failure"s cost nothing
_FAILURE_OWNERS = ("his", "her", "my", "your", "their", "'s", "s'")  # ASCII: the scan's bytes


def _failure(text: str, start: int, end: int) -> Hit | None:
    """Someone's failure: "his failure", "the defendants' failure to implement"."""
    start = end - len("failure")
    if (
        not text[max(0, start - 7) : start]
        .lower()
        .endswith(("his ", "her ", "my ", "your ", "their ", "'s ", "’s ", "s' ", "s’ "))
    ):
        return None  # "a CI failure", "control failures": the common case
    lead = text[max(0, start - 40) : start]
    owner = re.search(r"\b(?:his|her|my|your)\s+\Z|(\w+)(?:['’]s|s['’])\s+\Z", lead, re.I)
    if owner is None:
        their = re.search(r"\btheir\s+\Z", lead, re.I)
        if their and re.match(r"\s+to\b", text[start + 7 : start + 11]):
            return Hit("negated-duty", start - 6, start + 10)
        return None
    name = owner.group(1)
    if name and not (
        name in FIRST_NAMES
        or name.lower() in ROLES
        or name.lower() in PLURAL_ROLES
        or name.lower() in ("defendant", "defendants", "company", "vendor", "team", "staff")
    ):
        return None  # "the disk's failure"
    return Hit("negated-duty", start - (len(lead) - owner.start()), start + 7)


_LEFT = re.compile(
    r"left\s+(?:(?:it|them|the\s+[\w-]+|his\s+[\w-]+|her\s+[\w-]+|their\s+[\w-]+|a\s+[\w-]+)\s+)?"
    r"(?:unattended|unsecured|unlocked|unencrypted|unprotected|exposed|wide\s+open|disabled|"
    r"on\s+(?:a|the)\s+(?:train|bus|plane|taxi|desk))\b",
    re.I,
)


def _left(text: str, start: int, end: int) -> Hit | None:
    """Left something unattended, unsecured, on a train."""
    match = _LEFT.match(text, start, start + 60)
    if match is None:
        return None
    who = _person_before(text, start, groups=True)
    if who is None:
        after = re.match(r"\s+by\b", text[match.end() : match.end() + 4])
        if after and _person_after(text, match.end() + 3):
            return Hit("negated-duty", start, match.end() + 3)
        who = _subject(text, start)
    return Hit("negated-duty", who if who is not None else start, match.end())


_DISABLED_ALERT = re.compile(
    r"(?:disabled|silenced|muted|snoozed|ignored)\s+(?:the\s+|an?\s+|all\s+|every\s+|our\s+|"
    r"certain\s+|repeated\s+|multiple\s+|several\s+)?(?:[\w-]+\s+)?(?:security\s+)?(?:alert|alarm|"
    r"page|warning|notification)s?\b",
    re.I,
)


def _silenced(text: str, start: int, end: int) -> Hit | None:
    """A person switched off or ignored the warnings."""
    match = _DISABLED_ALERT.match(text, start, start + 60)
    if match is None:
        return None
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("negated-duty", who, match.end())


# words of public criticism: a person named with them is blamed, in a headline too
# ("Pilots Criticized In Crash"), with or without "was"
SANCTIONS = (
    "fired",
    "sacked",
    "punished",
    "reprimanded",
    "disciplined",
    "canned",
    "suspended",
    "dismissed",
    "terminated",
    "demoted",
    "let",
)
CRITICISED = ("criticized", "criticised", "faulted", "censured", "chastised", "rebuked", "scolded")


def _sanctioned(text: str, start: int, end: int) -> Hit | None:
    """A person fired, sacked, punished or criticised for it: "A nurse was fired after …"."""
    word = _word_at(text, start).lower()
    if word not in SANCTIONS + CRITICISED:
        return None
    if word == "let" and not re.match(r"let\s+go\b(?!\s+of)", text[start : start + 12], re.I):
        return None
    lead = text[max(0, start - 40) : start]
    aux = re.search(r"\b(?:was|were|been|got|get|gets|be|is|are)\s+(?:\w+\s+)?\Z", lead, re.I)
    if aux is None:
        if word not in CRITICISED or _NOT_FORGETTING.search(lead):
            return None
        who = _person_before(text, start, groups=True)  # "Pilots Criticized In Crash"
        if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
            return None
        return Hit("judgement", who, start + len(word))
    if re.search(r"(?:n['’]t|\bnot|\bnever|\bno\s+one|\bnobody)\s+(?:\w+\s+){0,2}\Z", lead, re.I):
        return None  # "shouldn't be punished"
    who = _person_before(text, start - (len(lead) - aux.start()), groups=True)
    if who is None:
        who = _subject(text, start - (len(lead) - aux.start()))  # "X … should be fired"
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("judgement", who, start + len(word) + (3 if word == "let" else 0))


_ADMITTED = re.compile(
    r"(?:admitted|admits|confessed|confesses)\s+(?:to\s+(?:\w+ing|the\s+(?:mistake|error)|"
    r"it)|that|making|having|responsibility|fault|the\s+(?:mistake|error))\b",
    re.I,
)


def _admitted(text: str, start: int, end: int) -> Hit | None:
    """A person's confession made the news of the incident: "the nurse admitted to looking at
    the records", "the engineer admitted making the change"."""
    match = _ADMITTED.match(text, start, start + 40)
    if match is None:
        return None
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("fault", who, match.end())


_HURRY = re.compile(
    r"(?:was|were|am|is|are|['’]m|been|being)\s+(?:\w+\s+)?in\s+(?:a|such\s+a)\s+"
    r"(?:big\s+|great\s+|real\s+|bit\s+of\s+a\s+)?(?:hurry|rush)\b",
    re.I,
)


# triggers of several words: "care", "rush", "heads" alone occur inside and around many
# ordinary words ("healthcare", "brush", "overheads"), and every occurrence costs the scan
_HURRY_TRIGGERS = ("a hurry", "a rush", "big hurry", "big rush", "real hurry", "great hurry")
_CARE_TRIGGERS = (
    "t care",
    "not care",
    "never care",
    "longer care",
    "really care",
    "even care",
    "due care",
    "normal care",
    "reasonable care",
    "proper care",
    "more care",
    "enough care",
    "sufficient care",
    "greater care",
    "of care",
)


def _hurry(text: str, start: int, end: int) -> Hit | None:
    """A person's state: "I was in a hurry", "the admin was in a rush"."""
    for match in _HURRY.finditer(text, max(0, start - 40), end + 1):
        if match.end() == end:
            who = _person_before(text, match.start(), groups=True)
            if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
                return None
            return Hit("judgement", who, match.end())
    return None


_ENDED_UP = re.compile(
    r"(?:ended|wound)\s+up\s+(?:\w+ly\s+)?(?:deleting|dropping|wiping|erasing|breaking|"
    r"overwriting|destroying|corrupting|truncating|crashing|exposing|leaking|taking\s+down|"
    r"knocking\s+out|shutting\s+down)\b",
    re.I,
)


def _ended_up(text: str, start: int, end: int) -> Hit | None:
    """A person ended up doing harm: "a junior developer … ended up deleting production
    databases"."""
    match = _ENDED_UP.match(text, start, start + 60)
    if match is None:
        return None
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("person-act", who, match.end())


_RESPONSIBLE = re.compile(
    r"(?:responsible|accountable|culpable|liable)\s+for\s+(?:(?:the|this|that|a|an|our|their|"
    r"his|her|its|entire|whole|massive|major|recent|[\w-]+['’]s)\s+){0,3}(?:outage|outages|"
    r"incident|breach|deletion|mistake|error|failure|loss|leak|crash|downtime|disruption|"
    r"blackout|mess|damage|data\s+loss)\b(?!\s+(?:response|review|postmortem|post-mortem|report|"
    r"process|management|communication|handling|commander|command|prevention|detection|"
    r"recovery|budget|tooling))",
    re.I,
)


def _responsible(text: str, start: int, end: int) -> Hit | None:
    """A person named as responsible for the harm: "the intern was responsible for the
    outage", "held the contractor liable for the breach". Not a role in the response ("the
    team responsible for incident response")."""
    match = _RESPONSIBLE.match(text, start, start + 90)
    if match is None or _EXONERATING.search(text, max(0, start - 40), start):
        return None
    lead = text[max(0, start - 40) : start]
    aux = re.search(
        r"\b(?:was|were|is|are|be|been|being|held|hold|holds)\s+(?:\w+ly\s+)?\Z", lead, re.I
    )
    at = start - (len(lead) - aux.start()) if aux else start
    who = _person_before(text, at, groups=True)
    if who is None:
        who = _subject(text, at)
    if (
        who is None
        and aux
        and aux.group(0).lower().startswith("hold") is False
        and lead[aux.start() :].lower().startswith("held")
    ):
        who = at if _person_after(text, aux.end() - 1) else None
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("fault", who, match.end())


_BOTHERED = re.compile(
    r"(?:no\s+one|no-one|nobody|never|n['’]t|not)\s+(?:even\s+)?bother(?:ed|s)?\s+to\b", re.I
)


def _bothered(text: str, start: int, end: int) -> Hit | None:
    """ "Nobody bothered to check the backups", "the admin never bothered to patch"."""
    for match in _BOTHERED.finditer(text, max(0, start - 24), start + 20):
        if match.start() <= start < match.end():
            who = _person_before(text, match.start(), groups=True)
            if who is None and text[match.start() : match.start() + 2].lower() == "no":
                who = match.start()
            if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
                return None
            return Hit("negated-duty", who, match.end())
    return None


_RESIGN = re.compile(
    r"(?:should|must|needs?\s+to|ought\s+to|has\s+to|have\s+to)\s+(?:\w+ly\s+)?resign\b", re.I
)


def _resign(text: str, start: int, end: int) -> Hit | None:
    """A person told to go: "the director … needs to resign"."""
    for match in _RESIGN.finditer(text, max(0, start - 24), start + 8):
        if match.end() == start + 6:
            who = _person_before(text, match.start(), groups=True)
            if who is None:
                who = _subject(text, match.start())
            if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
                return None
            return Hit("judgement", who, match.end())
    return None


_ACCUSED = re.compile(r"accused\s+(?:\w+\s+){0,3}?of\s+(?:\w+ly\s+)?\w+", re.I)


def _accused(text: str, start: int, end: int) -> Hit | None:
    """Someone accused of the harm: "was accused of deleting seven years of drawings", "the
    bank accused the supervisor of not verifying the work"."""
    match = _ACCUSED.match(text, start, start + 60)
    if (
        match is None
        or _NEGATED.search(text, max(0, start - 24), start)
        or re.search(r"of\s+(?:nothing|no|any)\b", match.group(0), re.I)
    ):
        return None
    lead = text[max(0, start - 16) : start]
    aux = re.search(r"\b(?:was|were|been|is|are|be|being)\s+\Z", lead, re.I)
    at = start - (len(lead) - aux.start()) if aux else start
    who = _person_before(text, at, groups=True)
    if who is None:
        who = _subject(text, at)
    if who is None and not _person_after(text, start + 7):
        return None
    return Hit("fault", who if who is not None else start, match.end())


_NOT_FOLLOWED = re.compile(
    r"(?:had|has|have|was|were)\s*(?:not|n['’]t)\s+(?:been\s+)?(?:follow(?:ed)?|adhered|"
    r"complied|comply|verified|checked|read|tested)\b",
    re.I,
)


def _not_followed(text: str, start: int, end: int) -> Hit | None:
    """A duty not done, said with "had not": "10 employees had not followed the
    procedure"."""
    for match in _NOT_FOLLOWED.finditer(text, max(0, start - 12), start + 40):
        if match.start() <= start < match.end():
            if re.match(r"\s*(?:not|n['’]t)\s+been", text[match.start() + 3 : match.start() + 16]):
                return None  # a passive: `_not_done_by` judges it
            who = _person_before(text, match.start(), groups=True)
            if who is None:
                who = _subject(text, match.start())
            if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
                return None
            return Hit("negated-duty", who, match.end())
    return None


_CARE = re.compile(
    r"(?:(?:does|do|did)(?:n['’]?t|\s+not)|never|no\s+longer)\s+(?:really\s+|even\s+)?care\b|"
    r"(?:exercised|exercise|taken|took|take|showed|shown)\s+(?:\w+\s+)?(?:normal|due|reasonable|"
    r"proper|more|enough|sufficient|greater)\s+care\b|lack\s+of\s+(?:due\s+|reasonable\s+)?care\b",
    re.I,
)


def _care(text: str, start: int, end: int) -> Hit | None:
    """A person who does not care, or should have taken more care: "management doesnt care",
    "if you exercised normal care, it couldn't have happened"."""
    for match in _CARE.finditer(text, max(0, start - 40), end + 1):
        if match.end() == end:
            phrase = match.group(0).lower()
            if phrase.startswith(("exercis", "taken", "took", "take", "showed", "shown")):
                lead = text[max(0, match.start() - 40) : match.start()].lower()
                if not re.search(r"\b(?:if|had|should\s+have|could\s+have)\b", lead):
                    return None  # "take care when …": advice
                return Hit("hindsight", match.start(), match.end())
            who = _person_before(text, match.start(), groups=True)
            if who is None:
                who = _subject(text, match.start())
            if phrase.startswith("lack") and who is None:
                return None  # "a lack of care in the design"
            if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
                return None
            return Hit("judgement", who, match.end())
    return None


_CHOICE_VERBS = ("selected ", "clicked ", "pressed ", "typed ", "entered ", "hit ", "sent ")


def _instead(text: str, start: int, end: int) -> Hit | None:
    """A person chose the wrong thing: "the employee had selected 'missile alert' rather than
    'test missile alert'"."""
    lead_start = max(0, start - 70)
    lead = text[lead_start:start].lower()
    at = max(map(lead.rfind, _CHOICE_VERBS))  # str.rfind: no regex on the way
    if at < 0 or (at and lead[at - 1].isalnum()) or any(c in lead[at:] for c in ".;!?\n"):
        return None
    if re.match(r"\s+\w+ing\b", text[end : end + 20]):
        return None  # "… rather than waiting": a decision between two courses, not a slip
    who = _person_before(text, lead_start + at, groups=True)
    if who is None:
        who = _subject(text, lead_start + at, groups=False)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("mistake", who, end)


_NOT_FORGETTING = re.compile(
    r"(?:n['’]t|\bnot|\bnever|\bto|\bwill|\bmay|\bmight|\bcan|\bcould)\s+\Z", re.I
)


def _forgotten(text: str, start: int, end: int) -> Hit | None:
    """ "I'd completely forgotten about", "had forgotten to turn the supply back on"."""
    word = _word_at(text, start).lower()
    if word not in ("forgotten", "forget", "forgets", "forgetting"):
        return None
    lead = text[max(0, start - 40) : start]
    if word in ("forget", "forgets") and _NOT_FORGETTING.search(lead):
        return None  # "don't forget", "easy to forget"
    aux = re.search(r"(?:['’]d|\bhad|\bhas|\bhave|\bwas|\bwere)\s+(?:\w+ly\s+)?\Z", lead, re.I)
    if word == "forgotten" and aux is None:
        return None
    at = start - (len(lead) - aux.start()) if aux else start
    who = _person_before(text, at, groups=True) if at else None
    if who is None and aux is not None and lead[aux.start() : aux.start() + 1] in "'’":
        who = at - 1  # "I'd"
        while who > 0 and text[who - 1].isalpha():
            who -= 1
    if who is None:
        return None
    return Hit("negated-duty", who, start + len(word))


_DESTRUCTIVE = (
    r"\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+)?(?:drop\s+(?:table|database)|rm\s+-rf|truncate|"
    r"delete\s+from|shutdown|reboot\s+-f)\b"
)
_TAINTED = (
    r"\s+(?:on\s+)?(?:an?\s+|the\s+)?(?:[\w-]+\s+)?(?:malicious|infected|phishing|suspicious|"
    r"fake|rogue|unapproved|pirated)\b"
)
# credentials put where others can read them: "committed the AWS keys to a public repo"
_SECRETS = (
    r"\s+(?:(?:an?|the|their|his|her|our|its|that|this|those|these|my|production|prod|live|"
    r"private|secret|api|aws|"
    r"access|admin|root|database|db|ssh|signing|service)\s+){0,3}(?:keys?|credentials|"
    r"secrets?|passwords?|tokens?)\b"
)
# things a person can lose or misplace: "an employee lost a notebook with patient data"
_DEVICES = (
    r"\s+(?:(?:an?|the|his|her|their|its|two|several|\d+|unencrypted|company|work|backup|"
    r"usb|external|portable|memory)\s+){0,3}(?:laptops?|notebooks?|phones?|tapes?|drives?|"
    r"sticks?|disks?|discs?|devices?|files?|folders?|documents?|papers?|records?|badges?|"
    r"keys?|tablets?|servers?)\b"
)
# rules and controls a person is said to have broken: "the employee violated the policy"
_RULES = (
    r"\s+(?:(?:an?|the|our|their|his|her|its|company|security|change|data|access|internal|"
    r"several|multiple|[\w-]+['’]s|[A-Z][\w-]*)\s+){0,4}(?:polic(?:y|ies)|procedures?|protocols?|rules?|"
    r"guidelines?|runbooks?|process|controls?|privacy|confidentiality|instructions?|"
    r"safeguards?|checks?|trust|act|law|laws|regulations?|code\s+of\s+conduct|standards?|"
    r"terms)\b"
)
_TAILS: dict[str, tuple[str, ...]] = {
    "typed": (_DESTRUCTIVE,),
    "executed": (_DESTRUCTIVE,),
    "ran": (_DESTRUCTIVE,),
    "issued": (_DESTRUCTIVE,),
    "downloaded": (_TAINTED,),
    "opened": (_TAINTED,),
    "clicked": (_TAINTED,),
    "installed": (_TAINTED,),
    "tripped": (r"\s+(?:over|on)\b",),
    "slept": (r"\s+(?:through|in)\b",),
    "overslept": (r"",),
    "committed": (_SECRETS,),
    "uploaded": (_SECRETS,),
    "posted": (_SECRETS,),
    "pasted": (_SECRETS,),
    "violated": (_RULES,),
    "lost": (_DEVICES,),
    "misplaced": (_DEVICES,),
    "breached": (_RULES,),
    "disregarded": (_RULES,),
    "circumvented": (_RULES,),
    "flouted": (_RULES,),
    "kicked": (r"\s+(?:out|over)\b",),
    "unplugged": (r"\s+(?:the|a|an|multiple|several)\b",),
    "pulled": (r"\s+(?:the\s+)?(?:wrong|plug)\b",),
    "snoop": (r"\s+(?:on|through|into|around)\b",),
    "keyed": (r"\s+in\b",),
    "punched": (r"\s+in\b",),
    "killed": (r"\s+(?:the\s+)?(?:wrong|production|prod|live|primary)\b",),
    "cut": (
        r"\s+(?:an?\s+|the\s+|another\s+|through\s+)?(?:[\w-]+\s+)?(?:cable|cables|line|lines|"
        r"fiber|fibre|wire|wires|power|pipe)\b",
        r"\s+(?:a\s+few\s+|some\s+|several\s+)?corners\b",
    ),
    "severed": (r"\s+(?:an?\s+|the\s+|another\s+)?(?:[\w-]+\s+)?(?:cable|line|fiber|fibre|wire)",),
    "dug": (r"\s+(?:through|into)\b",),
    "ripped": (r"\s+through\b",),
}
_BAD_ACT_OF: dict[str, re.Pattern[str]] = {
    verb: re.compile(re.escape(verb) + r"\w*(?:" + "|".join(tails) + ")", re.I)
    for verb, tails in _TAILS.items()
}


def _bad_act(text: str, start: int, end: int) -> Hit | None:
    """Acts that harm only in what follows: "Someone ran DROP TABLE", "an employee downloaded
    a malicious file", "a construction crew … cut another line", "someone tripped over"."""
    pattern = _BAD_ACT_OF.get(text[start:end].lower())
    match = pattern.match(text, start, start + 60) if pattern else None
    if match is not None and _previous_word(text, start)[0].lower() in DETERMINERS:
        return None  # "restored the lost files": an adjective, not an act
    if match is None:
        if text[start : start + 10].lower() == "killed by " and _person_after(text, start + 9):
            return Hit("person-act", start, start + 9)  # "was killed by someone else"
        return None
    verb = text[start:end].lower()
    kind = (
        "negated-duty"
        if verb in _DUTY_BROKEN
        else "judgement"
        if match.group(0).lower().endswith("corners")
        else "person-act"
    )
    who = _person_before(text, start, groups=True)
    if who is None:
        passive = re.match(r"\s+by\b", text[match.end() : match.end() + 4])
        if passive and _person_after(text, match.end() + 3):
            return Hit(kind, start, match.end() + 3)
        who = _subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit(kind, who, match.end())


_DUTY_BROKEN = frozenset(
    _words("violated breached disregarded circumvented flouted slept overslept")
)


# harms said in the passive, blame when a person is the agent: "the key was leaked by a
# contractor", "the bug was introduced by Sergei" (ACTS, "deleted by", are in `_act`)
PASSIVE_HARMS = ("introduced", "bypassed", "mislocated", "leaked", "damaged")
_BY_AFTER = re.compile(r"(?:\s+[\w-]+ly)?\s+by\b")


def _passive_harm(text: str, start: int, end: int) -> Hit | None:
    by = _BY_AFTER.match(text, end, end + 24)
    if by is None or not _person_after(text, by.end()):
        return None
    return Hit("person-act", start, by.end())


_NOT_BEEN = re.compile(
    r"(?:not|n't)\s+been\s+(?:[\w-]+ly\s+)?[\w-]+(?:\s+(?:to|with|upon))?\s+by\b", re.I
)
_INDEFINITE = re.compile(r"\s+(?:a|an|another|any|anyone|anybody|one|two|a\s+second)\b", re.I)


def _not_done_by(text: str, start: int, end: int) -> Hit | None:
    """A duty not done, in the passive, by someone named: "the instructions had not been
    adhered to by staff". Not "had not been reviewed by a second engineer" (a process)."""
    match = _NOT_BEEN.match(text, start, start + 60)
    if match is None or _INDEFINITE.match(text, match.end()):
        return None
    if not _person_after(text, match.end()):
        return None
    return Hit("negated-duty", start, match.end())


_INSULTS = re.compile(
    r"(?:wanker|moron|morons|bonehead|boneheads|muppet|muppets|numpty|dumbass|clueless|idiocy|"
    r"stupidity|pathetic|cavalier|inattention|imbecile|buffoon|clown|clowns|amateurish|"
    r"amateurs?|fatigue[d]?|absent-minded|nitwits?|foolish|inept|ineptitude|boneheaded|"
    r"bone-headed|misconduct|malpractice|complacent|ashamed|shameful|disgraceful|"
    r"underqualified|under-qualified)\b",
    re.I,
)


_NEGATED = re.compile(
    r"(?:\bnot|n['’]t|\bnever|\bno|\bnothing|\bneither|\bnor)\s+(?:[\w-]+\s+)?\Z", re.I
)


def _insult(text: str, start: int, end: int) -> Hit | None:
    match = _INSULTS.match(text, start, start + 16)
    if match is None or _NEGATED.search(text, max(0, start - 24), start):
        return None  # "incidents are not shameful failures"
    word = match.group(0).lower()
    if word.startswith("fatigue"):
        lead = text[max(0, start - 24) : start].lower()
        if re.search(
            r"(?:alert|alarm|pager|page|on-call|oncall|notification|metal|material|"
            r"decision|change|password|mfa|push|approval)[\s-]+\Z",
            lead,
        ):
            return None  # alert fatigue is the condition a blameless write-up names
    if word in ("clown", "clowns", "amateur", "amateurs") and not re.search(
        r"\b(?:a|an|what|like|bunch\s+of|these|those|the)\s+\Z",
        text[max(0, start - 12) : start],
        re.I,
    ):
        return None
    return Hit("judgement", start, match.end())


_HEADS_ROLL = re.compile(
    r"heads\s+(?:will|should|must|are\s+going\s+to|need\s+to|have\s+to)\s+roll\b", re.I
)


def _heads_roll(text: str, start: int, end: int) -> Hit | None:
    match = _HEADS_ROLL.match(text, start, start + 40)
    return Hit("judgement", start, match.end()) if match else None


_OOPS = re.compile(r"\(?(?:whoops|oops)\)?", re.I)


def _oops(text: str, start: int, end: int) -> Hit | None:
    if not re.match(r"(?:whoops|oops)\b", text[start : start + 7], re.I):
        return None
    if re.match(r"\s+moments?\b", text[start + 4 : start + 16]):
        return None  # "oops moments" as a topic
    return Hit("mistake", start, start + len(_word_at(text, start)))


# --- a person as the subject of a mistaken act (the sixth session) ---------------------
# The cue stands after the act, in its object or an adverbial: "he had run the script on
# production instead of staging", "the clerk withdrew 222 million instead", "Mrs L accessed
# the records without authority". Blame when the subject of the clause is a person (not
# "we", the team's own account) and a verb stands between the subject and the cue.

# nouns that end in -ing: "instead of staging" names a place, not a course
_ING_NOUNS = frozenset(
    _words("""
staging string strings thing things something nothing anything everything building setting
settings morning evening ring ping billing landing heading listing wiring spring ceiling
""")
)
_INSTEAD_OF_COURSE = re.compile(r"\s+of\s+(?:[\w-]+ly\s+)?[\w-]+ing\b", re.I)
_INSTEAD_OF_SKIP = re.compile(
    r"\s+of\s+(?:blam\w*|punish\w*|firing|shaming|naming|labell?ing|asking|the\s+person|"
    r"people|individuals|who)\b",
    re.I,
)
# "without" + what a careful person does first
_WITHOUT_CUE = re.compile(
    r"without\s+(?:(?:any|proper|prior|the|a|an|first|adequate|appropriate|his|her|their|"
    r"formal|written|further|much|even|properly|really)\s+){0,2}(?:authori[sz]ation|authority|"
    r"permission|consent|testing|test|tests|review|reviewing|approval|checking|check|"
    r"backups?|confirmation|confirming|verifying|verification|validating|telling|asking|"
    r"notifying|thinking|reading|looking|noticing|realising|realizing|a\s+second\s+thought|"
    r"a\s+backup|double-checking|a\s+care|care|warning|need|reason|justification)\b",
    re.I,
)
_PERSON_SUBJECTS = frozenset({"he", "she", "i", "someone", "somebody"})
# a verb after the person that is no act of theirs: advice or a state ("user code should …")
_NOT_AN_ACT = frozenset(_words("should would could can may might will must is are am do does"))


def _act_between(text: str, who: int, start: int) -> bool:
    """A verb of the person's own between WHO (the subject) and START (the cue)."""
    span = text[who:start]
    if any(c in span for c in ".;!?\n"):
        return False
    words = _split_words(span)[1:]
    return any(_is_verb(w) or w.lower() in _PAST_ACTS for w in words)


# common irregular or short past forms of acts: "ran", "sent", "put", "did"
_PAST_ACTS = frozenset(
    _words("""
ran sent put did made took hit cut set wrote gave got went let told left kept chose sold
bought lost broke forgot threw drove shut brought caught drew fell hid held knew led meant
paid quit saw shook stole struck swore tore withdrew overrode undid mistook rewrote
""")
)


def _own_subject(text: str, start: int) -> int | None:
    """The person that is the subject of the clause that ends at START, not "we"/"they"."""
    who = _subject(text, start, groups=False)
    if who is None:
        return None
    head = text[who : who + 5].lower()
    if head.startswith(("we ", "they", "who")):
        return None
    return who


def _instead_cue(text: str, start: int, end: int) -> Hit | None:
    """ "… ran the script on production instead of staging", "… withdrew €222 instead", and
    "Instead of replacing the credentials, he wiped the database"."""
    if not _whole_word(text, end) or _INSTEAD_OF_SKIP.match(text, end, end + 30):
        return None
    who = _acting_subject(text, start)
    if who is not None:
        course = _INSTEAD_OF_COURSE.match(text, end, end + 30)
        if course and course.group(0).split()[-1].lower() not in _ING_NOUNS:
            return None  # "… restarted the pods instead of scaling …": a course, not a slip
        return Hit("mistake", who, end)
    return _opening_then_person(text, start, end, "mistake")


def _opening_then_person(text: str, start: int, end: int, pattern: str) -> Hit | None:
    """ "Instead of X-ing …, <person> <verb> …", "Without thinking, he ran …": a sentence
    that opens with the cue, and a person as the subject after the comma."""
    if not _clause_start(text, start):
        return None
    comma = text.find(",", end, end + 160)
    if comma < 0 or any(c in text[end:comma] for c in ".;!?\n"):
        return None
    words = text[comma + 1 : comma + 60].translate(_SPACES).split()[:4]  # ASCII or short
    for index, word in enumerate(words):
        low = word.lower()
        if (
            low in _PERSON_SUBJECTS
            or word in FIRST_NAMES
            or low in ROLES
            or low in PLURAL_ROLES
            or (low in GROUPS and low not in ("we", "they", "team"))
        ):
            rest = [w.lower() for w in words[index + 1 : index + 3]]
            if rest and rest[0].endswith("ly") and len(rest) > 1:
                rest = rest[1:]  # "he quickly ran …"
            if rest and _is_verb(rest[0]) and rest[0] not in _NOT_AN_ACT | _AUXILIARY:
                return Hit(pattern, start, comma)
            return None
        if low not in DETERMINERS and low not in _QUANTITIES and not low.endswith("ly"):
            return None
    return None


def _without_cue(text: str, start: int, end: int) -> Hit | None:
    """ "Mrs L accessed the records without authority", "he pushed it without testing"."""
    match = _WITHOUT_CUE.match(text, start, start + 80)
    if match is None:
        return None
    if _clause_start(text, start):
        return _opening_then_person(text, start, match.end(), "negated-duty")
    who = _acting_subject(text, start)
    return Hit("negated-duty", who, match.end()) if who is not None else None


# first person, owning the slip: "my bad", "I hadn't rebuilt", "I thought I was deleting …"
_MY_BAD = re.compile(r"my\s+(?:bad|blunder|screw-?up|fuck-?up|goof|mess)\b(?!\s+of\b)", re.I)
_I_HAD_NOT = re.compile(
    r"I\s+(?:had\s+not|hadn['’]?t|had\s+never|did\s+not|didn['’]?t|never)\s+(?:even\s+|"
    r"actually\s+|properly\s+|bothered\s+to\s+)?(?:re)?(?:check\w*|test\w*|rebuil\w*|"
    r"build\w*|built|back\w*|verif\w*|updat\w*|upgrad\w*|notic\w*|read|look\w*|run|ran|"
    r"restart\w*|save\w*|saved|push\w*|commit\w*|think|thought|realis\w*|realiz\w*|"
    r"double-check\w*|confirm\w*|validat\w*|review\w*|rotat\w*|remov\w*|renew\w*|"
    r"pay\w*|paid|follow\w*|noticed|catch|caught)\b"
)
_THOUGHT_I_WAS = re.compile(
    r"thought\s+(?:I|he|she)\s+(?:was|were|had\s+been)\s+(?:on|in|logged|"
    r"connected|deleting|removing|dropping|running|editing|working|typing|pointing|"
    r"using|testing)\b",
    re.I,
)


def _first_person(text: str, start: int, end: int) -> Hit | None:
    if text[start : start + 3].lower() == "our":
        return Hit("mistake", start, start + 7)  # "Our bad."
    if text[start : start + 2].lower() == "my":
        match = _MY_BAD.match(text, start, start + 20)
        return Hit("mistake", start, match.end()) if match else None
    if not _starts_word(text, start):
        return None
    match = _I_HAD_NOT.match(text, start, start + 60) or _THOUGHT_I_WAS.match(
        text, start, start + 60
    )
    if match is not None and match.group(0)[:1] in "tT":
        who = _person_before(text, start) if text[start - 2 : start] != ". " else None
        if (
            who is None
            and not _clause_start(text, start)
            and not text[max(0, start - 7) : start]
            .lower()
            .endswith(("yup, ", "yes, ", "yeah, ", "so ", "and "))
        ):
            return None  # "… thought I was …" needs its thinker: "I thought I was …"
        return Hit("mistake", start if who is None else who, match.end())
    if match is None:
        return None
    return Hit("negated-duty" if "thought" not in match.group(0) else "mistake", start, match.end())


# nobody did what should have been done: "no one thought to route power", "nobody checked"
_NOBODY = re.compile(
    r"(?:no\s+one|no-one|nobody)\s+(?:(?:ever|even|really|actually|had|has)\s+)?"
    r"(?:thought\s+to|thought\s+of|double-checked|questioned|remembered)\b",
    re.I,
)


def _nobody(text: str, start: int, end: int) -> Hit | None:
    if not _starts_word(text, start):
        return None
    match = _NOBODY.match(text, start, start + 50)
    return Hit("negated-duty", start, match.end()) if match else None


# a person asleep at work, or of no use: "he fell asleep at his desk", "this guy was useless"
_AT_THE_DESK = re.compile(
    r"\s+(?:at|on)\s+(?:the|his|her|their|my)\s+(?:desk|keyboard|wheel|console|post|switch|"
    r"controls|station|job)\b",
    re.I,
)


def _asleep(text: str, start: int, end: int) -> Hit | None:
    lead = text[max(0, start - 17) : start]
    verb = re.search(r"(?:fell|falls|fallen|was|were|is|been)\s+(?:half-)?\Z", lead, re.I)
    if verb is None:
        return None
    if (
        verb.group(0)[:1].lower() not in "f"
        and "half" not in verb.group(0).lower()
        and not _AT_THE_DESK.match(text, end, end + 30)
    ):
        return None  # "was asleep when the page arrived at 03:00": off duty, not a lapse
    at = max(0, start - 17) + verb.start()
    who = _person_before(text, at, groups=True)
    if who is None:
        who = _own_subject(text, at)
    if who is None:
        return None
    return Hit("judgement", who, end)


def _useless(text: str, start: int, end: int) -> Hit | None:
    lead = text[max(0, start - 12) : start]
    verb = re.search(r"(?:was|were|is|are|been)\s+(?:\w+\s+)?\Z", lead, re.I)
    if verb is None or not _whole_word(text, end):
        return None
    at = max(0, start - 12) + verb.start()
    who = _person_before(text, at, groups=True)
    if who is None:
        who = _own_subject(text, at)
    if who is None:
        return None
    return Hit("judgement", who, end)


# a harm put down to a person: "the breach was attributed to an internal employee"
_ATTRIBUTED_TO = re.compile(
    r"attributed\s+to\s+(?:(?:an?|the|one|our|their|its|a\s+single|[\w-]+)\s+){0,2}?"
    r"([\w-]+)(?=\s*[.,;:!?)]|\s+(?:who|that|which|and|or|in|on|at|for|with|from|during|"
    r"after|before|by|working|named)\b|\s*\Z)",
    re.I,
)


def _attributed(text: str, start: int, end: int) -> Hit | None:
    match = _ATTRIBUTED_TO.match(text, start, start + 60)
    if match is None:
        return None
    head = match.group(1)
    low = head.lower()
    if not (
        (low in ROLES or low in PLURAL_ROLES or low in ("employee", "employees", "staff"))
        and low not in ("user", "agent", "member", "tester", "operator", "users", "operators")
        or head in FIRST_NAMES
    ):
        return None  # "attributed to user traffic", "to a firmware fault"
    return Hit("fault", start, match.end())


# a sanction said actively: "the hospital has fired a nurse", "the bank fired the approver"
_NOT_A_PERSON_AFTER = re.compile(
    r"[\w-]*['’]s\b|\s+(?:account|access|credentials?|session|sessions|key|keys|token|process|"
    r"job|instance|contract|request|alert|alarm)\b",
    re.I,
)


def _fired_someone(text: str, start: int, end: int) -> Hit | None:
    hit = _sanctioned(text, start, end)
    if hit is not None:
        return hit
    word = _word_at(text, start).lower()
    if word not in ("fired", "sacked", "dismissed", "suspended", "disciplined"):
        return None
    stop = start + len(word)
    previous = _previous_word(text, start)[0].lower()
    if previous in _PASSIVE_AUX or previous in DETERMINERS:
        return None  # "was dismissed …" is the passive handler's; "the suspended account"
    if previous in _SIGNALS or text[stop : stop + 1] in ",.;:":
        return None  # "the alert fired, paging the on-call engineer"
    if re.match(r"\s+(?:him|her)\b", text[stop : stop + 5]):
        who = _person_before(text, start, groups=False)  # not "we": "we let him go"?
        return Hit("judgement", start, stop + 4) if who is None or text[who] != "w" else None
    reach = stop + 60
    for stopper in ",.;:!?(\n":
        found = text.find(stopper, stop, reach)
        if found >= 0:
            reach = found
    words = [m for m in _TOKEN.finditer(text, stop, min(len(text), reach))][:5]
    modifiers = 0
    for m in words:
        low = m.group(0).lower()
        if low in DETERMINERS or low in ("two", "three", "several", "both"):
            continue
        bare = low.rstrip("s") if low in PLURAL_ROLES else low
        if (bare in ROLES and bare not in NOT_A_COLLEAGUE) or m.group(0) in FIRST_NAMES:
            if _NOT_A_PERSON_AFTER.match(
                text, m.end() - 2 if low.endswith(("'s", "’s")) else m.end()
            ):
                return None
            if low in ("user", "agent", "member", "tester", "crew"):
                return None
            return Hit("judgement", start, m.end())
        if low in ("staff", "employees", "workers", "contractors", "engineers"):
            return Hit("judgement", start, m.end())
        if low in _PHRASE_ENDS or low in NOT_A_COLLEAGUE or modifiers == 2:
            return None  # "fired off a message", "suspended the service account"
        modifiers += 1
    return None


_SIGNALS = frozenset(
    _words(
        "alert alerts alarm alarms rule rules monitor monitors check checks webhook trigger "
        "pager page event events probe it"
    )
)
_PASSIVE_AUX = frozenset(_words("was were is are be been being get got gets getting"))


# a wrong object, said of a person's act: "a trader placed an erroneous sell order",
# "the developer deployed untested code"
_SEEING = frozenset(
    _words("""
noticed found spotted fixed reverted identified removed rolled corrected saw discovered
detected investigated caught flagged reported reviewed rejected blocked cancelled canceled
replaced deleted dropped traced
""")
)


def _acting_subject(text: str, start: int) -> int | None:
    """The person whose act the cue at START qualifies: the subject of the clause, with an
    act between, and not a responder's look at what went wrong ("the engineer noticed the
    erroneous value", "a user reported wrong labels") nor a condition ("if someone …")."""
    who = _own_subject(text, start)
    if who is None or not _act_between(text, who, start):
        return None
    words = _split_words(text[who:start].lower())
    if _SEEING.intersection(words) or "if" in words or "when" in words:
        return None
    return who


def _object_cue(text: str, start: int, end: int) -> Hit | None:
    if not _whole_word(text, end):
        return None
    who = _acting_subject(text, start)
    return Hit("mistake", who, end) if who is not None else None


# acting against a warning: "despite repeated warnings, some employees sold …"
_DESPITE = re.compile(
    r"despite\s+(?:(?:the|repeated|multiple|several|many|numerous|clear|explicit|prior|"
    r"earlier|previous|our|their|his|her|company|written|a)\s+){0,3}(?:warnings?|alerts?|"
    r"reminders?|instructions?|being\s+(?:told|warned|asked|reminded|instructed)|"
    r"polic(?:y|ies)|training|orders?)\b",
    re.I,
)


def _despite(text: str, start: int, end: int) -> Hit | None:
    match = _DESPITE.match(text, start, start + 80)
    if match is None:
        return None
    if _clause_start(text, start):
        return _opening_then_person(text, start, match.end(), "negated-duty")
    who = _acting_subject(text, start)
    return Hit("negated-duty", who, match.end()) if who is not None else None


# a duty not done, in the present of a timeline or in the past perfect: "Bob does not
# acknowledge", "Tariq … does not notice the flags", "Bob had not reinstalled the app"
_DUTY_VERBS = (
    r"(?:re)?(?:check\w*|test\w*|rebuil\w*|build\w*|built|back\w*|verif\w*|updat\w*|"
    r"upgrad\w*|notic\w*|read|look\w*|run|ran|restart\w*|sav\w*|push\w*|commit\w*|"
    r"realis\w*|realiz\w*|double-check\w*|confirm\w*|validat\w*|review\w*|rotat\w*|"
    r"renew\w*|follow\w*|catch|caught|acknowledg\w*|respond\w*|answer\w*|escalat\w*|"
    r"install\w*|configur\w*|enabl\w*|apply|applied|patch\w*|lock\w*|encrypt\w*|"
    r"report\w*|inform\w*|tell|told|notify|notified|remov\w*|revok\w*|disabl\w*)\b"
)
_NOT_DONE = re.compile(
    r"(?:does\s+not|doesn['’]?t|had\s+not|hadn['’]?t|had\s+never|never)\s+"
    r"(?:even\s+|properly\s+|actually\s+|yet\s+)?" + _DUTY_VERBS,
    re.I,
)


def _not_done(text: str, start: int, end: int) -> Hit | None:
    match = _NOT_DONE.match(text, start, start + 60)
    if match is None:
        return None
    said = match.group(0).lower()
    if said.startswith("never") and not _past(said.split()[-1]):
        return None  # "engineers never test on Fridays": a habit, not the incident
    who = _person_before(text, start)
    if who is None:
        who = _own_subject(text, start)
    if who is None:
        return None
    if said.startswith("does"):
        # the present of a timeline is said of a named person ("10:42 Ingrid does not
        # acknowledge"); of a role it describes a process ("the reviewer does not check …")
        head = _word_at(text, who)
        if not (head in FIRST_NAMES or head.lower() in ("he", "she") or text[who] == "@"):
            return None
    return Hit("negated-duty", who, match.end())


def _past(verb: str) -> bool:
    return verb.endswith("ed") or verb in _PAST_ACTS or verb in ("built", "caught", "told")


# idioms of blame and sanction, whoever the subject: "pointed the finger at a third party",
# "should be a firing offence", "a momentary lapse in attention", "bears responsibility for
# any errors", "heads roll"
_BLAME_IDIOM = re.compile(
    r"(?:the\s+finger\s+at\b|(?:firing|sackable|dismissable|fireable)\s+offen[cs]e\b|"
    r"lapses?\s+(?:in|of)\s+(?:\w+\s+)?(?:attention|concentration|judge?ment|focus|"
    r"vigilance)\b|(?:bears|bore|bear)\s+(?:the\s+|full\s+|sole\s+|some\s+){0,2}"
    r"responsibility\s+for\s+(?:(?:the|any|this|that|these|all|its|their)\s+)?(?:[\w-]+\s+)?"
    r"(?:outage|outages|errors?|incident|failures?|damage|mistakes?|breach|loss|losses|"
    r"blackout|leak|crash)\b|heads\s+(?:roll|rolled|rolling)\b)",
    re.I,
)


def _blame_idiom(text: str, start: int, end: int) -> Hit | None:
    match = _BLAME_IDIOM.match(text, start, start + 60)
    if match is None or _NEGATED.search(text, max(0, start - 24), start):
        return None
    kind = "fault" if match.group(0)[:1].lower() in "tb" else "judgement"
    return Hit(kind, start, match.end())


# a harmful act said as a noun: "@rphlo did a force-push", "did a recursive delete"
_DID_A = re.compile(
    r"did\s+(?:an?|another)\s+(?:quick\s+|careless\s+|blind\s+)?(?:force[\s-]?push|"
    r"forced\s+push|recursive\s+delete|rm\s+-rf|hard\s+reset|mass\s+delete|"
    r"bulk\s+delete|drop\s+table)\b",
    re.I,
)


_TO_REMEDY = re.compile(
    r"\s+(?:\w+\s+){0,3}?(?:to|in\s+order\s+to)\s+(?:remove|revert|undo|fix|clean|purge|"
    r"restore|recover|scrub|rewrite\s+history|drop\s+the\s+leaked)\b",
    re.I,
)


def _did_a(text: str, start: int, end: int) -> Hit | None:
    match = _DID_A.match(text, start, start + 50)
    if match is None or _TO_REMEDY.match(text, match.end(), match.end() + 30):
        return None
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _own_subject(text, start)
    if who is None and not _clause_start(text, start):
        lead = text[max(0, start - 12) : start].lower()
        if not lead.endswith(("but ", "and ", "then ")):
            return None
    if who is not None and text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    return Hit("person-act", start if who is None else who, match.end())


# "the nurse's unauthorised access to …": a person's act named as a misdeed
_OWNER = re.compile(r"(\w+)['’]s\s+\Z")
_UNAUTHORISED_ACT = re.compile(
    r"unauthori[sz]ed\s+(?:access|use|disclosure|viewing|changes?)\b", re.I
)


def _unauthorised(text: str, start: int, end: int) -> Hit | None:
    if text[start - 3 : start] not in ("'s ", "’s "):
        return None  # the common case: "unauthorised access was blocked"
    owner = _OWNER.search(text, max(0, start - 30), start)
    if owner is None:
        return None
    name = owner.group(1)
    if not (name in FIRST_NAMES or name.lower() in ROLES - {"user", "agent", "member"}):
        return None
    act = _UNAUTHORISED_ACT.match(text, start, start + 40)
    if act is None:
        return None
    following = _TOKEN.match(text, act.end() + 1, act.end() + 40)
    if (
        following
        and text[act.end() : act.end() + 1] == " "
        and (following.group(0).lower() not in _PHRASE_ENDS)
    ):
        return None  # "the contractor's unauthorised access alert": a thing's name
    return Hit("person-act", owner.start(), start + 12)


# sorry for the slip, confusion, a bug introduced, harm "managed": "I apologise for
# accidentally pushing …", "I confused the test runner with the docs build", "a regression I
# introduced", "the intern managed to spill coffee on the server"
_SORRY_FOR = re.compile(
    r"(?:apologi[sz]e|apologi[sz]ing|sorry)\s+for\s+(?:(?:accidentally|mistakenly|"
    r"inadvertently|carelessly|not|never)\s+(?:[\w-]+ing)|(?:breaking|deleting|force-?pushing|"
    r"pushing|merging|dropping|wiping|overwriting|committing|leaking|introducing|missing|"
    r"forgetting|messing|screwing|nuking|reverting|removing|killing|corrupting)|"
    r"(?:my|the|this|that)\s+(?:mistake|mess|screw-?up|blunder|slip|oversight|typo))\b",
    re.I,
)


def _sorry_for(text: str, start: int, end: int) -> Hit | None:
    match = _SORRY_FOR.match(text, start, start + 60)
    if match is None:
        return None
    lead = text[max(0, start - 24) : start].lower()
    if not re.search(r"(?:\bi\s+(?:\w+\s+)?|\bi['’]m\s+|^|[.!?]\s+|\n)\Z", lead):
        return None  # "we apologise for the inconvenience": the team's voice, not a confession
    return Hit("mistake", start, match.end())


_CONFUSED = re.compile(r"confused\s+(?:[\w`'’./-]+\s+){1,6}?(?:with|for)\b", re.I)
_HARM_NOUNS = (
    r"(?:regressions?|bugs?|breakage|breaking\s+change|typo|error|errors|issue|vulnerabilit"
    r"(?:y|ies)|security\s+hole|leak|outage|problem)"
)
_INTRODUCED_HARM = re.compile(
    r"introduced\s+(?:an?\s+|the\s+|this\s+|that\s+|some\s+)?(?:[\w-]+\s+)?" + _HARM_NOUNS + r"\b",
    re.I,
)
_HARM_BEFORE = re.compile(
    _HARM_NOUNS + r"\s+(?:that\s+|which\s+)?(?:I|he|she|someone|somebody)\s+\Z", re.I
)
_MANAGED_HARM = re.compile(
    r"managed\s+to\s+(?:\w+\s+)?(?:crash|break|delete|wipe|drop|corrupt|lose|take\s+down|"
    r"knock|spill|brick|nuke|destroy|overwrite|erase|leak|kill|trip|unplug|lock\s+out|"
    r"bring\s+down|shut\s+down)\b",
    re.I,
)


def _person_did(text: str, start: int, end: int) -> Hit | None:
    """confused X with Y, introduced a regression, managed to break …: a person's slip."""
    word = _word_at(text, start).lower()
    if _previous_word(text, start)[0].lower() in ("intentionally", "deliberately", "purposely"):
        return None  # "I intentionally introduced some errors": a test, not a slip
    if word == "confused":
        match = _CONFUSED.match(text, start, start + 80)
    elif word == "introduced":
        passive = _passive_harm(text, start, end)  # "introduced by Priya"
        if passive is not None:
            return passive
        match = _INTRODUCED_HARM.match(text, start, start + 50)
        if match is None and _HARM_BEFORE.search(text, max(0, start - 40), start):
            # "a regression I introduced": the person right before the verb
            before = text[max(0, start - 12) : start].split()
            if before and before[-1].lower() in ("i", "he", "she", "someone", "somebody"):
                return Hit("person-act", start - len(before[-1]) - 1, start + len(word))
            return None
    elif word == "managed":
        match = _MANAGED_HARM.match(text, start, start + 40)
    else:
        return None
    if match is None:
        return None
    who = _person_before(text, start, groups=True)
    if who is None:
        who = _own_subject(text, start)
    if who is None or text[who : who + 3].lower() in ("we ", "we\n"):
        return None
    if word == "confused" and _word_at(text, who).lower() in ("users", "user", "customers"):
        return None  # "users confused the two buttons": the interface's doing
    return Hit("mistake" if word == "confused" else "person-act", who, match.end())


HANDLERS: dict[str, Handler] = {}
for _word in ACTS | NEUTRAL_ACTS:
    HANDLERS[_word] = _act
for _word in ("failed", "did", "didn", "never"):
    HANDLERS[_word] = _negation
for _word in ("forgot", "neglected"):
    HANDLERS[_word] = _forgot
for _word in (
    "mistake",
    "oversight",
    "typo",
    "blunder",
    "goof",
    "boo-boo",
    "screw-up",
    "screwup",
    "cock-up",
    "slip-up",
    "fuck-up",
    "fuckup",
):
    HANDLERS[_word] = _mistake
HANDLERS.update(
    {
        "accident": _accident,
        "wrong": _wrong,
        "fat": _fat,
        "mistyp": _misc_mistake,
        "misclick": _misc_mistake,
        "should": _should,
        "had": _had,
        "error": _error,
        "pebkac": _slang,
        "pebcak": _slang,
        "id10t": _slang,
        "layer": _slang,
        "fault": _fault,
        "blam": _blame_word,
    }
)
for _word in (
    "careless",
    "sloppy",
    "sloppi",
    "tired",
    "disgruntled",
    "irresponsib",
    "incompeten",
    "reckless",
    "hast",
    "negligen",
    "stupid",
    "idiot",
    "clumsy",
    "inattentive",
    "lazy",
    "lazi",
    "rushed",
    "exhausted",
    "rogue",
):
    HANDLERS[_word] = _judgement

_NOT_ATTENDING = _phrase_before(_ATTENTION, 60)
_NOT_CAREFUL = _phrase_before(_CAREFUL, 50)
_NOT_BETTER = _phrase_before(_KNOW_BETTER, 30)
_NO_CLUE = _phrase_before(_CLUE, 30)
_NEW_HANDLERS: dict[str, Handler] = dict(
    {
        "incorrect": _wrong,
        "caused": _caused,
        "triggered": _caused,
        "took": _took_down,
        "brought": _took_down,
        "knocked": _took_down,
        "turned": _took_down,
        "shut": _took_down,
        "switched": _took_down,
        "screwed": _idiom,
        "messed": _idiom,
        "fucked": _idiom,
        "cocked": _idiom,
        "mucked": _idiom,
        "screw": _idiom,
        "fuck": _idiom,
        "dropped": _idiom,
        "attention": _NOT_ATTENDING,
        "careful": _NOT_CAREFUL,
        "better": _NOT_BETTER,
        "clue": _NO_CLUE,
        **{owner + " failure": _failure for owner in _FAILURE_OWNERS},
        "left": _left,
        "disabled": _silenced,
        "silenced": _silenced,
        "muted": _silenced,
        "snoozed": _silenced,
        "punished": _sanctioned,
        "reprimanded": _sanctioned,
        **{word: _sanctioned for word in CRITICISED},
        "terminated": _sanctioned,
        "demoted": _sanctioned,
        "canned": _sanctioned,
        "resign": _resign,
        "accused": _accused,
        "let go": _sanctioned,
        "admitted": _admitted,
        "admits": _admitted,
        "confessed": _admitted,
        "confesses": _admitted,
        **{trigger: _hurry for trigger in _HURRY_TRIGGERS},
        "rather than": _instead,
        "failing to": _failing,
        "not followed": _not_followed,
        "n't followed": _not_followed,
        "not follow": _not_followed,
        "n't follow": _not_followed,
        "not complied": _not_followed,
        "not adhered": _not_followed,
        **{trigger: _care for trigger in _CARE_TRIGGERS},
        "responsible": _responsible,
        "liable for": _responsible,
        "bother": _bothered,
        "ended up": _ended_up,
        "wound up": _ended_up,
        "forgotten": _forgotten,
        "forget": _forgotten,
        "executed": _bad_act,
        "ran": _bad_act,
        "slept": _bad_act,
        "overslept": _bad_act,
        "committed": _bad_act,
        "uploaded": _bad_act,
        "posted": _bad_act,
        "pasted": _bad_act,
        "violated": _bad_act,
        "lost": _bad_act,
        "misplaced": _bad_act,
        "breached": _bad_act,
        "disregarded": _bad_act,
        "circumvented": _bad_act,
        "flouted": _bad_act,
        "downloaded": _bad_act,
        "opened": _bad_act,
        "installed": _bad_act,
        "clicked": _bad_act,
        "tripped": _bad_act,
        "kicked": _bad_act,
        "unplugged": _bad_act,
        "snoop": _bad_act,
        "pulled": _bad_act,
        "keyed": _bad_act,
        "punched": _bad_act,
        "killed": _bad_act,
        "cut": _bad_act,
        "severed": _bad_act,
        "dug": _bad_act,
        "ripped": _bad_act,
        "whoops": _oops,
        "oops": _oops,
        **{
            "heads " + verb: _heads_roll
            for verb in ("will", "should", "must", "need", "have", "are")
        },
        **{adverb: _mistake_adverb for adverb in MISTAKE_ADVERBS},
        **{verb: _passive_harm for verb in PASSIVE_HARMS},
        "mis-located": _passive_harm,
        "not been": _not_done_by,
        "n't been": _not_done_by,
        "instead": _instead_cue,
        "apologize for": _sorry_for,
        "apologise for": _sorry_for,
        "apologizing for": _sorry_for,
        "apologising for": _sorry_for,
        "sorry for": _sorry_for,
        "confused": _person_did,
        "introduced": _person_did,
        "managed to": _person_did,
        "the finger at": _blame_idiom,
        "firing offen": _blame_idiom,
        "sackable offen": _blame_idiom,
        "lapse in": _blame_idiom,
        "lapse of": _blame_idiom,
        "lapses in": _blame_idiom,
        "lapses of": _blame_idiom,
        "bears": _blame_idiom,
        "bore": _blame_idiom,
        "heads roll": _blame_idiom,
        "did a": _did_a,
        "did an": _did_a,
        "unauthori": _unauthorised,
        "erroneous": _object_cue,
        "untested": _object_cue,
        "bogus": _object_cue,
        "despite": _despite,
        "does not": _not_done,
        "doesn": _not_done,
        "had not": _not_done,
        "hadn": _not_done,
        "had never": _not_done,
        "never": _not_done,
        "without": _without_cue,
        "my": _first_person,
        "our bad": _first_person,
        "i had": _first_person,
        "i did": _first_person,
        "i didn": _first_person,
        "i never": _first_person,
        "thought i": _first_person,
        "thought he": _first_person,
        "thought she": _first_person,
        "no one": _nobody,
        "no-one": _nobody,
        "nobody": _nobody,
        "asleep": _asleep,
        "useless": _useless,
        "attributed to": _attributed,
        "fired": _fired_someone,
        "sacked": _fired_someone,
        "dismissed": _fired_someone,
        "suspended": _fired_someone,
        "disciplined": _fired_someone,
    }
)


def _either(first: Handler, second: Handler) -> Handler:
    def handler(text: str, start: int, end: int) -> Hit | None:
        return first(text, start, end) or second(text, start, end)

    return handler


# triggers that count only as whole words ("ran", not "range"; "cut", not "cutover")
WHOLE_WORDS = frozenset(
    w
    for w in ACTS | NEUTRAL_ACTS | set(_NEW_HANDLERS)
    if w
    not in (
        "forget",
        "snoop",
        "fatigue",
        "clue",
        "amateur",
        "clown",
        "moron",
        "bonehead",
        "muppet",
        "wanker",
        "whoops",
        "oops",
        "careful",
        "attention",
        "bother",
        "firing offen",
        "sackable offen",
        "unauthori",
        "heads roll",
    )
)
# triggers that start inside a word: "the defendants' failure", "Sam's failure"
_INSIDE_A_WORD = frozenset({*(o + " failure" for o in ("'s", "s'")), "t care"})
_COMBINED: list[tuple[Handler, Handler, Handler]] = []
for _word, _handler in _NEW_HANDLERS.items():
    if _word in HANDLERS:  # a word with a pattern already: try both
        _both = _either(HANDLERS[_word], _handler)
        _COMBINED.append((_both, HANDLERS[_word], _handler))
        HANDLERS[_word] = _both
    else:
        HANDLERS[_word] = _handler
for _word in (
    "wanker",
    "moron",
    "bonehead",
    "muppet",
    "numpty",
    "dumbass",
    "clueless",
    "idiocy",
    "stupidity",
    "pathetic",
    "cavalier",
    "inattention",
    "imbecile",
    "buffoon",
    "clown",
    "amateur",
    "fatigue",
    "absent-minded",
    "nitwit",
    "foolish",
    "inept",
    "boneheaded",
    "bone-headed",
    "misconduct",
    "malpractice",
    "complacent",
    "ashamed",
    "shameful",
    "disgraceful",
    "underqualified",
    "under-qualified",
):
    HANDLERS[_word] = _insult

PATTERN_OF: dict[Handler, tuple[str, ...]] = {
    _act: ("person-act", "judgement", "negated-duty"),
    _negation: ("negated-duty",),
    _forgot: ("negated-duty",),
    _mistake: ("mistake",),
    _accident: ("mistake",),
    _wrong: ("mistake",),
    _fat: ("mistake",),
    _misc_mistake: ("mistake",),
    _should: ("hindsight",),
    _had: ("hindsight",),
    _error: ("human-error",),
    _slang: ("human-error",),
    _fault: ("fault",),
    _blame_word: ("fault",),
    _judgement: ("judgement",),
    _caused: ("person-act",),
    _took_down: ("person-act",),
    _idiom: ("judgement",),
    _NOT_ATTENDING: ("negated-duty",),
    _NOT_CAREFUL: ("negated-duty",),
    _NOT_BETTER: ("negated-duty",),
    _NO_CLUE: ("negated-duty",),
    _failure: ("negated-duty",),
    _left: ("negated-duty",),
    _silenced: ("negated-duty",),
    _sanctioned: ("judgement",),
    _forgotten: ("negated-duty",),
    _bad_act: ("person-act", "negated-duty", "judgement"),
    _insult: ("judgement",),
    _oops: ("mistake",),
    _heads_roll: ("judgement",),
    _mistake_adverb: ("mistake", "judgement"),
    _passive_harm: ("person-act",),
    _admitted: ("fault",),
    _hurry: ("judgement",),
    _responsible: ("fault",),
    _resign: ("judgement",),
    _instead: ("mistake",),
    _failing: ("negated-duty",),
    _not_followed: ("negated-duty",),
    _care: ("judgement", "hindsight"),
    _accused: ("fault",),
    _bothered: ("negated-duty",),
    _ended_up: ("person-act",),
    _not_done_by: ("negated-duty",),
    _instead_cue: ("mistake",),
    _sorry_for: ("mistake",),
    _person_did: ("mistake", "person-act"),
    _blame_idiom: ("fault", "judgement"),
    _did_a: ("person-act",),
    _unauthorised: ("person-act",),
    _object_cue: ("mistake",),
    _despite: ("negated-duty",),
    _not_done: ("negated-duty",),
    _without_cue: ("negated-duty",),
    _first_person: ("mistake", "negated-duty"),
    _nobody: ("negated-duty",),
    _asleep: ("judgement",),
    _useless: ("judgement",),
    _attributed: ("fault",),
    _fired_someone: ("judgement",),
}
for _both, _one, _other in _COMBINED:
    PATTERN_OF[_both] = PATTERN_OF[_one] + PATTERN_OF[_other]

# Characters that hide a word from the trigger scan: invisible ones inside a word and
# full-width forms (lower-cased, as the scan sees them). Their presence sends the file
# down the slow path: normalise, then scan again.
# Checked with `in` (a fast search each) only in text that is not all ASCII: the invisible
# characters, and full-width vowels for words written in full-width forms.
# They are trigger words too, so that rules.py's one scan reports them (no extra pass here).
HIDING = ("\u00ad", "\u200b", "ａ", "ｅ", "Ｅ")
TRIGGERS: tuple[str, ...] = tuple(HANDLERS)
# what `find` needs of each trigger word, looked up once a word: its handler, its length,
# whether it counts only as a whole word, and whether it may start inside a word (built
# once from HANDLERS, like TRIGGERS: a handler added later is not seen)
_CANDIDATE_OF: dict[str, tuple[Handler, int, bool, bool]] = {
    word: (handler, len(word), word in WHOLE_WORDS, word in _INSIDE_A_WORD)
    for word, handler in HANDLERS.items()
}


def _hides_words(text: str, hits: dict[str, list[int]]) -> bool:
    return not text.isascii() and any(map(text.__contains__, HIDING))


# --- sentences ------------------------------------------------------------------------

_SENTENCE_BREAK = re.compile(
    r"[.!?][\"'”’)\]*_]*\s+|\n[ \t]*\n|\n(?=[ \t]*(?:[-*+][ \t]|\d+[.)][ \t]|#|>|\|))|\|"
)
_BLAMELESS = re.compile(
    r"blameless|blame[\s-]*(?:free|aware)|finger[\s-]*pointing|fault[\s-]*finding|"
    r"blame\s+culture|culture\s+of\s+blame|(?:avoid|avoiding|without|\bno|\bnot|\bnever|"
    r"rather\s+than|instead\s+of|don['’]t|do\s+not|stop)\s+(?:[\w-]+\s+){0,2}"
    r"(?:blame|blaming|fault)\b|(?:human|user|operator)\s+error\s+is\s+(?:never|not|rarely|"
    r"only|a\s+(?:symptom|starting|label))|\bnever\s+a\s+root\s+cause|"
    r"not\s+(?:a\s+)?root\s+cause|(?:human|user|operator)\s+error\W+(?:is|as)\W+(?:\w+\W+){0,3}"
    r"(?:never|not|rarely|symptom)|\bbias\b|\btendency\b|\b(?:old|new)\s+view\b|"
    r"bad\s+apple|attribution\s+error|psychological\s+safety|scapegoat|\bviews?\b|"
    r"\bassumption\b|"
    r"(?:suggest\w*|attach\w*|assign\w*|impl(?:y|ies)|apportion\w*|observe\w*|acknowledg\w*|"
    r"minimi[sz]e\w*|about)\s+(?:\w+\s+)?blame\b|\bof\s+blame\b|"
    r"(?:rather\s+than|instead\s+of)\s+(?:labell?ing|calling|blaming|naming|firing|punishing|"
    r"shaming|faulting|asking\s+who|finding\s+who)\b|"
    r"(?:\bnot|n['’]t|\bnever)\s+(?:about\s+|asking\s+)?who\s+(?:made|did|pushed|caused|broke|"
    r"clicked|deleted|ran|was|is)\b",
    re.I,
)
_URL_TOKEN = re.compile(r"\S*(?:://|www\.|/)\S*")


_REACH = 600  # the longest sentence looked at, each side of a hit


def _sentence(text: str, start: int, floor: int) -> tuple[int, int]:
    """The sentence around START. Where no sentence break is within reach (a run-on line),
    the sentence starts on a fixed grid, so that the hits of one stretch share a sentence
    and are judged once: the work stays linear in the length of the line."""
    lo = max(floor, start - _REACH)
    begin = lo if lo == floor else floor + (start - floor) // _REACH * _REACH
    for match in _SENTENCE_BREAK.finditer(text, lo, start):
        begin = match.end()
    after = _SENTENCE_BREAK.search(text, start, min(len(text), start + _REACH))
    return begin, after.start() if after else min(len(text), start + _REACH)


def _in_quoted_title(text: str, begin: int, start: int, end: int) -> bool:
    """Inside "A Quoted Title", “a quoted phrase that reads as a title” or [link text]."""
    for opener, closer in (('"', '"'), ("“", "”"), ("[", "]"), ("*", "*")):
        left = text.rfind(opener, begin, start)
        if left < 0:
            continue
        right = text.find(closer, end, end + 200)
        if right < 0 or (opener == closer and text.count(opener, begin, start) % 2 == 0):
            continue
        if opener != closer and text.find(closer, left, start) >= 0:
            continue
        if opener == "*" and text[left + 1 : left + 2].isspace():
            continue
        inner = text[left + 1 : right].split()
        long_words = [w for w in inner if len(w) > 3]
        capitals = sum(1 for w in long_words if w[:1].isupper())
        if long_words and capitals * 2 >= len(long_words):
            return True
    return False


def _mentioned(text: str, hit: Hit) -> bool:
    """The phrase in quotes on its own, talked about rather than used: 'never write
    "human error"'."""
    before = text[max(0, hit.start - 1) : hit.start]
    after = text[hit.end : hit.end + 2]
    if re.match(r".\s+(?:errors?|mistakes?|trades?|slips?)\b", text[hit.end : hit.end + 12], re.I):
        return False  # used, not mentioned: "a ‘fat finger’ error"
    return (
        before in ('"', "“", "'", "‘")
        and after[:1] in ('"', "”", "'", "’", ".", ",")
        and any(q in after for q in ('"', "”", "'", "’"))
    )


_LOOK_BACK = 4096  # how far back a line start is sought before the line starts are listed
_LONGEST_TOKEN = 512  # a run of this many characters without a space is not prose
_TAG_REACH = 512  # how far back an open HTML tag is sought


@dataclass
class _Body:
    """The parts of a file that are not prose, found once, when a hit needs them: comments
    and fences, line starts (for long lines), and the code spans of each line that has a
    backtick. Each is computed in one linear pass and looked up by bisection, so that the
    cost of a hit does not grow with the length of its line or the number of comments."""

    text: str
    start: int
    _masked: list[tuple[int, int]] | None = None
    _mask_starts: list[int] | None = None
    _line_starts: list[int] | None = None
    _code: dict[int, list[tuple[int, int]]] | None = None

    def masked(self, position: int) -> bool:
        if self._masked is None:
            from .parse import comment_and_fence_spans  # the scanner's own, linear

            self._masked = [
                (self.start + lo, self.start + hi)
                for lo, hi, _ in comment_and_fence_spans(self.text[self.start :])
            ]
            self._mask_starts = [lo for lo, _ in self._masked]
        assert self._mask_starts is not None
        index = bisect.bisect_right(self._mask_starts, position) - 1
        return index >= 0 and position < self._masked[index][1]

    def line_start(self, position: int) -> int:
        near = self.text.rfind("\n", max(0, position - _LOOK_BACK), position)
        if near >= 0 or position <= _LOOK_BACK:
            return near + 1
        if self._line_starts is None:  # a long line: list the line starts once
            self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(self.text))]
        return self._line_starts[bisect.bisect_right(self._line_starts, position) - 1]

    def in_code(self, line_start: int, position: int) -> bool:
        """Whether POSITION lies inside an inline code span of the line at LINE_START."""
        if self._code is None:
            self._code = {}
        spans = self._code.get(line_start)
        if spans is None:
            line_end = self.text.find("\n", line_start)
            spans = code_spans(self.text, line_start, line_end if line_end >= 0 else len(self.text))
            self._code[line_start] = spans
        index = bisect.bisect_right(spans, (position, len(self.text))) - 1
        return index >= 0 and position < spans[index][1]


_NEWLINE = re.compile("\n")
_BACKTICKS = re.compile("`+")


def code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The inline code spans of TEXT[START:END] (one line), as (opener, closer end), in
    order: a backtick run opens a span closed by the next run of the same length; a run with
    no such closer is literal. Linear: each run's next run of the same length is found in
    one pass from the right (parse.in_code_span does the same for one position)."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text, start, end)]
    following: list[int | None] = [None] * len(runs)
    last: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        size = runs[i][1] - runs[i][0]
        following[i] = last.get(size)
        last[size] = i
    spans = []
    i = 0
    while i < len(runs):
        closer = following[i]
        if closer is None:
            i += 1
            continue
        spans.append((runs[i][0], runs[closer][1]))
        i = closer + 1
    return spans


def _not_prose(body: _Body, hit: Hit, trigger_at: int) -> bool:
    text = body.text
    if body.masked(trigger_at):
        return True
    line_start = body.line_start(trigger_at)
    backtick = trigger_at - line_start > _LOOK_BACK or text.find("`", line_start, trigger_at) >= 0
    if backtick and body.in_code(line_start, trigger_at):
        return True
    token_start = trigger_at
    floor = max(0, trigger_at - _LONGEST_TOKEN)
    while token_start > floor and not text[token_start - 1].isspace():
        token_start -= 1
    token_end = trigger_at
    ceiling = min(len(text), trigger_at + _LONGEST_TOKEN)
    while token_end < ceiling and not text[token_end].isspace():
        token_end += 1
    if token_end - token_start >= _LONGEST_TOKEN:
        return True  # hundreds of characters without a space: not prose
    token = text[token_start:token_end]
    if "/" in token or "://" in token or "www." in token or "](" in token or token.startswith("<"):
        return True
    tag_open = text.rfind("<", max(line_start, trigger_at - _TAG_REACH), trigger_at)
    return (
        tag_open >= 0
        and text.find(">", tag_open, trigger_at) < 0
        and re.match(r"</?[A-Za-z]", text[tag_open : tag_open + 3]) is not None
    )


# --- the scan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BlameFinding:
    offset: int  # in the text given, where the blame-laden phrase starts
    phrase: str
    pattern: str
    suggestion: str


def find(
    text: str,
    body_start: int,
    hits: dict[str, list[int]],
    terms: dict[str, str] | None = None,
    disabled: Iterable[str] = (),
) -> list[BlameFinding]:
    """Blame-laden sentences in TEXT's body (from BODY_START), one finding per sentence.

    HITS: where each trigger word occurs in TEXT lower-cased (rules.py's one scan), for
    the words of `TRIGGERS` and of `term_triggers(terms)`.
    """
    terms = terms or {}
    off = frozenset(disabled)
    if _hides_words(text, hits):
        return _find_hidden(text, body_start, terms, off)
    body = _Body(text, body_start)
    found: dict[int, BlameFinding] = {}
    practice: dict[int, bool] = {}  # sentence start -> about blameless practice
    candidates: list[tuple[int, Hit, int]] = []
    for word, positions in hits.items():
        entry = _CANDIDATE_OF.get(word)
        if entry is None:
            continue
        handler, size, whole, inside = entry
        if off and all(p in off for p in PATTERN_OF[handler]):
            continue
        for position in positions:
            # inline, for speed: most occurrences are inside longer words ("because")
            if position < body_start:
                continue
            if position and not inside:
                before = text[position - 1]
                if before.isalnum() or before in "_/":
                    continue
            if whole and text[position + size : position + size + 1].isalnum():
                continue
            hit = handler(text, position, position + size)
            if hit is not None and hit.pattern not in off:
                candidates.append((hit.start, hit, position))
    if terms:
        candidates.extend(_term_hits(text, body_start, hits, terms))
    for _, hit, trigger_at in sorted(candidates, key=lambda c: c[0]):
        if _not_prose(body, hit, trigger_at):
            continue
        begin, finish = _sentence(text, max(hit.start, body_start), body_start)
        if begin in found:
            continue
        if begin not in practice:
            practice[begin] = _BLAMELESS.search(text, begin, finish) is not None
        if (
            practice[begin]
            or _in_quoted_title(text, begin, hit.start, hit.end)
            or _mentioned(text, hit)
        ):
            continue
        phrase = " ".join(text[hit.start : hit.end].split())
        suggestion = (
            terms.get(hit.pattern[5:], TERM_SUGGESTION)
            if hit.pattern.startswith("term:")
            else PATTERNS[hit.pattern]
        )
        found[begin] = BlameFinding(hit.start, phrase, hit.pattern, suggestion)
    return sorted(found.values(), key=lambda f: f.offset)


def term_triggers(terms: Iterable[str]) -> tuple[str, ...]:
    """The trigger words of a team's own terms: each term's first word, lower-cased."""
    return tuple(sorted({_first_word(term) for term in terms if _first_word(term)}))


def _first_word(term: str) -> str:
    words = term.lower().replace("’", "'").split()
    return words[0] if words else ""


@lru_cache(maxsize=64)
def _term_pattern(term: str) -> re.Pattern[str]:
    parts = [re.escape(word).replace("'", "['’]") for word in term.split()]
    body = r"\s+".join(parts)
    lead = r"\b" if term[:1].isalnum() else r"(?<=\w)" if term.startswith("'") else ""
    tail = r"\b" if term[-1:].isalnum() else ""
    return re.compile(lead + body + tail, re.I)


def _term_hits(
    text: str, body_start: int, hits: dict[str, list[int]], terms: dict[str, str]
) -> Iterable[tuple[int, Hit, int]]:
    for term in terms:
        first = _first_word(term)
        for position in [*hits.get(first, ()), *hits.get(first.replace("'", "’"), ())]:
            if position < body_start:
                continue
            match = _term_pattern(term).match(text, position)
            if match:
                yield match.start(), Hit("term:" + term, match.start(), match.end()), position


# --- the slow path: text that hides words -------------------------------------------------

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def normalise(text: str) -> tuple[str, list[int]]:
    """TEXT with invisible characters taken out and full-width forms folded, and for each
    character of the result the offset it came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in "\u00ad\u200b\u200c\u200d\u2060\ufeff":
            continue
        out.append(chr(_FULLWIDTH.get(ord(char), ord(char))))
        origin.append(index)
    origin.append(len(text))
    return "".join(out), origin


@lru_cache(maxsize=8)
def _trigger_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def _find_hidden(
    text: str, body_start: int, terms: dict[str, str], off: frozenset[str]
) -> list[BlameFinding]:
    clean, origin = normalise(text)
    lowered = clean.lower()
    if len(lowered) != len(clean):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in clean)
    words = tuple(HANDLERS) + term_triggers(terms)
    hits: dict[str, list[int]] = {}
    for match in _trigger_pattern(words).finditer(lowered):
        hits.setdefault(match.group(0), []).append(match.start())
    # the regex finds the longest word at each place; the scan also reports shorter ones
    for word in words:
        for longer in [w for w in hits if w != word and w.startswith(word)]:
            hits.setdefault(word, []).extend(hits[longer])
    start = next(i for i, o in enumerate(origin) if o >= body_start)
    found = find(clean, start, hits, terms, off)
    return [BlameFinding(origin[f.offset], f.phrase, f.pattern, f.suggestion) for f in found]
