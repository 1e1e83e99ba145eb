"""Secrets in text (PM401): provider tokens, keys, credentials in URLs and headers, secret
assignments and long random strings, on the text as written and as a page would show it.

Every pattern is tried only where one of its trigger words occurs (`TRIGGERS`, found by the
one Aho-Corasick pass in `rules._triggers`); the generic high-entropy rule looks only at
lines that hold a run of 20 token characters, found with one `bytes.translate`. A value that
is a placeholder or a reference (`AKIAXXXX…`, `…EXAMPLE`, `<token>`, `$VAR`, ARNs, vault
paths, dates, paths, names such as `tls-cert-prod`, `[REDACTED]`) is not a secret.
Nothing here ever returns the secret itself: a hit says which kind it is and where.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .triggers import TriggerScan

FIX = "remove it, write `[REDACTED]` instead, and rotate the secret"


@dataclass(frozen=True)
class SecretHit:
    """A secret of some kind on a line (1-based) of the scanned text; never the value."""

    line: int
    kind: str
    rendered: bool = False  # found only in the text as rendered (split by Markdown)

    def message(self) -> str:
        how = (
            (" (split by Markdown, an entity or an invisible character; the page shows it whole)")
            if self.rendered
            else ""
        )
        return f"this line holds {self.kind}{how}: {FIX}"


@dataclass(frozen=True, eq=False)
class _Family:
    kind: str
    triggers: tuple[str, ...]  # lower-case; () = only on lines with a long token run
    pattern: re.Pattern[str]
    group: int = 0  # the group holding the secret value, checked for placeholders
    # the trigger as it must be written (`ASIA`, not `Asia`); for a family without
    # triggers, what its line must hold before the pattern is tried
    cased: tuple[str, ...] = ()
    anchored: bool = True  # the pattern starts where its trigger does


def _family(
    kind: str, triggers: tuple[str, ...], pattern: str, group: int = 0, cased: tuple[str, ...] = ()
) -> _Family:
    anchored = not set(triggers) & _UNANCHORED
    return _Family(kind, triggers, re.compile(pattern), group, cased, anchored)


# Triggers that are context, not where the pattern starts: those families are sought on the
# whole line; the others are matched right where their trigger occurs.
_UNANCHORED = frozenset(
    {
        "curl",
        "authorization",
        "password=",
        "pwd=",
        "sentry",
        "datadog",
        "dd_api",
        "dd_app",
        "dd-api",
        "dd-app",
        "discord",
        "heroku",
        "cloudflare",
        "private key",
        "accountkey=",
        "sig=",
        "hooks.slack.com",
        "webhook.office.com",
        "private_key_id",
        "nral",
        "sntry",
        "@",
    }
)


_B = r"(?<![A-Za-z0-9_])"  # a token starts here (no `\b`: `_` and `-` start some tokens)
_E = r"(?![A-Za-z0-9])"

FAMILIES: tuple[_Family, ...] = (
    # private keys first: one line, one finding, and the most specific kind wins
    _family("a private key", ("private key",), r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"),
    _family("a private key", ("putty-user-key-file",), r"PuTTY-User-Key-File-\d"),
    _family("an age secret key", ("age-secret-key-",), r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    # cloud
    _family(
        "an AWS access key id",
        ("akia", "asia", "abia", "acca", "a3t"),
        _B + r"((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})" + _E,
        1,
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    ),
    _family(
        "a GCP service-account key id",
        ("private_key_id",),
        r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"",
        1,
    ),
    _family("a Google API key", ("aiza",), _B + r"(AIza[0-9A-Za-z_\-]{35})", 1),
    _family("a Google OAuth client secret", ("gocspx-",), _B + r"(GOCSPX-[0-9A-Za-z_\-]{28})", 1),
    _family(
        "an Azure storage account key",
        ("accountkey=",),
        r"(?i:AccountKey)=([A-Za-z0-9+/]{80,}={0,2})",
        1,
    ),
    _family(
        "an Azure AD client secret",
        (),
        _B + r"([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})" + _E,
        1,
        ("Q~",),
    ),
    _family("an Azure SAS token", ("sig=",), r"[?&]sig=([A-Za-z0-9%+/=]{30,})", 1),
    # VCS and CI
    _family(
        "a GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        _B + r"(gh[pousr]_[A-Za-z0-9]{30,})",
        1,
    ),
    _family("a GitHub token", ("github_pat_",), _B + r"(github_pat_[A-Za-z0-9_]{40,})", 1),
    _family(
        "a GitLab token",
        (
            "glpat-",
            "gldt-",
            "glrt-",
            "glrtr-",
            "glptt-",
            "glcbt-",
            "glft-",
            "glimt-",
            "glagent-",
            "gloas-",
            "glsoat-",
            "glffct-",
            "glwt-",
            "gr1348941",
        ),
        _B + r"((?:glpat|gldt|glrtr?|glptt|glcbt|glft|glimt|glagent|gloas|glsoat|glffct|"
        r"glwt)-[0-9A-Za-z_.\-]{20,}|GR1348941[0-9A-Za-z_\-]{20,})",
        1,
    ),
    # registries
    _family("an npm token", ("npm_",), _B + r"(npm_[A-Za-z0-9]{36})" + _E, 1),
    _family("a PyPI token", ("pypi-",), _B + r"(pypi-[A-Za-z0-9_\-]{50,})", 1),
    _family("a Docker Hub token", ("dckr_",), _B + r"(dckr_(?:pat|oat)_[A-Za-z0-9_\-]{20,})", 1),
    _family("a RubyGems token", ("rubygems_",), _B + r"(rubygems_[a-f0-9]{48})", 1),
    _family(
        "a registry credential",
        (),
        r"\"auth\"\s*:\s*\"([A-Za-z0-9+/]{16,}={0,2})\"",
        1,
        ('"auth"',),
    ),
    # chat
    _family(
        "a Slack token", ("xox",), _B + r"(xox(?:[abposr]|e(?:\.xox[bp])?)-[A-Za-z0-9-]{10,})", 1
    ),
    _family("a Slack app token", ("xapp-",), _B + r"(xapp-\d-[A-Za-z0-9-]{20,})", 1),
    _family(
        "a Slack webhook URL",
        ("hooks.slack.com",),
        r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/+\-]{20,})",
        1,
    ),
    _family(
        "a Discord webhook URL",
        ("discord",),
        r"discord(?:app)?\.com/api/webhooks/\d+/([A-Za-z0-9_\-]{40,})",
        1,
    ),
    _family(
        "a Discord bot token",
        (),
        _B + r"([MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,})",
        1,
        (".",),
    ),
    _family("a Telegram bot token", (), r"(?<![0-9])(\d{8,10}:AA[0-9A-Za-z_\-]{33})", 1, (":AA",)),
    _family(
        "a Microsoft Teams webhook URL",
        ("webhook.office.com",),
        r"webhook\.office\.com/webhookb2/([A-Za-z0-9@/\-]{40,})",
        1,
    ),
    # payments
    _family(
        "a Stripe secret key",
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
        _B + r"([sr]k_(?:live|test)_[0-9A-Za-z]{16,})",
        1,
    ),
    _family("a Stripe webhook secret", ("whsec_",), _B + r"(whsec_[A-Za-z0-9]{24,})", 1),
    _family("a Square token", ("sq0",), _B + r"(sq0(?:atp|csp)-[0-9A-Za-z_\-]{22,})", 1),
    # AI APIs
    _family(
        "an Anthropic API key", ("sk-ant-",), _B + r"(sk-ant-[a-z0-9]+-[A-Za-z0-9_\-]{20,})", 1
    ),
    _family(
        "an OpenAI API key",
        ("sk-",),
        _B + r"(sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_\-]{20,})",
        1,
    ),
    _family(
        "a Hugging Face token",
        ("hf_", "api_org_"),
        _B + r"((?:hf_|api_org_)[A-Za-z0-9]{30,})" + _E,
        1,
    ),
    # observability
    _family(
        "a New Relic key",
        ("nrak-", "nraa-", "nrii-", "nrjs-", "nral"),
        _B + r"(NR(?:AK|AA|II|JS)-[A-Za-z0-9]{19,}|[a-f0-9]{36}NRAL)" + _E,
        1,
    ),
    _family(
        "a Sentry DSN or token",
        ("sentry", "sntry"),
        r"(?:https?://([0-9a-f]{32}(?::[0-9a-f]{32})?)@[A-Za-z0-9.\-]*sentry"
        r"|" + _B + r"(sntry[su]_[A-Za-z0-9+/=_]{40,}))",
    ),
    _family(
        "a Grafana token",
        ("glc_", "glsa_", "eyjrijoi"),
        _B + r"(glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"
        r"|eyJrIjoi[A-Za-z0-9]{60,}={0,2})",
        1,
    ),
    _family(
        "a Datadog key",
        ("datadog", "dd_api", "dd_app", "dd-api", "dd-app"),
        r"(?i:datadog|dd)[\w.\- ]{0,20}?(?i:api|app(?:lication)?)[_\- ]?(?i:key)\W{0,6}"
        r"([a-f0-9]{32}(?:[a-f0-9]{8})?)" + _E,
        1,
    ),
    # mail, messaging
    _family(
        "a SendGrid API key",
        ("sg.",),
        _B + r"(SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{16,64}|SG\.[A-Za-z0-9=_\-.]{60,70})",
        1,
        ("SG.",),
    ),
    _family("a Twilio API key", (), _B + r"(SK[0-9a-f]{32})" + _E, 1, ("SK",)),
    _family("a Mailgun key", ("key-",), _B + r"(key-[0-9a-f]{32})" + _E, 1),
    _family("a Mailchimp API key", (), _B + r"([0-9a-f]{32}-us\d{1,2})" + _E, 1, ("-us",)),
    # other widely used services with a distinct prefix
    _family(
        "a Shopify token",
        ("shpat_", "shpss_", "shpca_", "shppa_"),
        _B + r"(shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32})",
        1,
    ),
    _family(
        "a HashiCorp Vault token",
        ("hvs.", "hvb.", "hvr."),
        _B + r"(hv[sbr]\.[A-Za-z0-9_\-]{24,})",
        1,
    ),
    _family("a Databricks token", ("dapi",), _B + r"(dapi[a-fA-F0-9]{32}(?:-\d)?)" + _E, 1),
    _family(
        "a DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        _B + r"(do[opr]_v1_[a-f0-9]{64})",
        1,
    ),
    _family("a Linear API key", ("lin_api_",), _B + r"(lin_api_[A-Za-z0-9]{40})", 1),
    _family(
        "a Notion token",
        ("secret_", "ntn_"),
        _B + r"(secret_[A-Za-z0-9]{43}|ntn_[0-9]{11}"
        r"[A-Za-z0-9]{32,35})" + _E,
        1,
    ),
    _family("a Figma token", ("figd_",), _B + r"(figd_[A-Za-z0-9_\-]{40})", 1),
    _family("a 1Password token", ("ops_ey",), _B + r"(ops_eyJ[A-Za-z0-9+/=]{50,})", 1),
    _family("a Tailscale key", ("tskey-",), _B + r"(tskey-[a-z]+-[A-Za-z0-9\-]{20,})", 1),
    _family(
        "a Vercel token",
        ("vcp_", "vci_", "vca_", "vcr_", "vck_"),
        _B + r"(vc[piark]_[A-Za-z0-9]{24,})",
        1,
    ),
    _family("a Groq API key", ("gsk_",), _B + r"(gsk_[A-Za-z0-9]{48,})", 1),
    _family(
        "a Cloudflare token",
        ("cloudflare",),
        r"(?i:cloudflare)[\w.\-]{0,20}(?i:key|token)\W{0,6}([A-Za-z0-9_\-]{37,40})" + _E,
        1,
    ),
    _family(
        "a Heroku API key",
        ("heroku",),
        r"(?i:heroku)[\w.\-]{0,20}(?i:key|token)\W{0,6}([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"
        r"[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|HRKU-[A-Za-z0-9_\-]{30,})",
        1,
    ),
    _family(
        "a JSON web token",
        ("eyj",),
        _B + r"(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{10,})",
        1,
    ),
    # credentials in URLs, commands and headers
    _family(
        "a password in a URL",
        ("@",),
        r"(?<=[A-Za-z0-9])://([^\s:/@?#\"'<>`]{1,64}):([^\s/@\"'<>`]{1,128})@[A-Za-z0-9\[]",
        2,
    ),
    _family(
        "a password in a curl command",
        ("curl",),
        r"(?<!\S)(?:-u|--user)(?:\s+|=)[\"']?[^\s:\"']+:([^\s\"']+)",
        1,
    ),
    _family(
        "a credential in an Authorization header",
        ("authorization",),
        r"(?i:authorization)\W{1,4}(?i:basic|bearer|token|digest)\s+"
        r"([A-Za-z0-9._~+/=\-]{8,})",
        1,
    ),
    _family(
        "a password in a connection string",
        ("password=", "pwd="),
        r"(?i:password|pwd)=([^;\s\"'&<>]{4,})(?:;|\s|$|&)",
        1,
    ),
)

# A secret-looking name followed by `=`/`:` and a value; tried only where a name occurs.
ASSIGNMENT_NAMES = (
    "passw",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "access-key",
    "accesskey",
    "private_key",
    "privatekey",
    "credential",
    "client_secret",
    "auth_key",
    "passphrase",
)
_ASSIGNMENT_SET = frozenset(ASSIGNMENT_NAMES)
_PASSWORD_NAMES = ("passw", "pwd", "passphrase")
_OPERATOR = r"(?:[\"']?[ \t]*(?:=|:=|::=|:::=|\?=|:|=>|\.=))"
_ASSIGNMENT = re.compile(r"([A-Za-z0-9_.\-]*)" + _OPERATOR + r"[ \t]*[\"'`]?([^\s\"'`,;)\]}]{6,})")
_OPERATOR_AFTER = re.compile(r"[A-Za-z0-9_.\-]*" + _OPERATOR)
# names that point at a secret, or say something about it, rather than hold it
_REFERENCE_NAME = re.compile(
    r"(?i)(?:arn|name|names|ref|refs|path|paths|file|dir|url|uri|endpoint|type|kind|length|"
    r"ttl|expiry|expires|expiration|version|count|policy|rotation|prefix|header|env|var|"
    r"manager|store|provider|label|source|last_used|used|at|date|time|age|id_format|"
    r"scope|scopes|format|mode|hint|field|key_id|lifetime|created|updated|status|enabled)$"
)

_PLACEHOLDER_WORDS = re.compile(
    r"(?i)redacted|removed|rotated|revoked|changeme|change_me|placeholder|dummy|example|"
    r"sample|your[_\-]|insert|replace|fake|\.\.\.|…|\*\*\*|"
    r"^x+$|xxxx|<[^>]*>|\$\{|\$\(|^\$[A-Za-z_]|\{\{|%\(|%s|\benv\b"
)
_REFERENCE_VALUE = re.compile(
    r"(?i)^(?:arn:|vault:|secret/|kv/|secrets?manager|projects/[^/]+/secrets/|"
    r"https?://|ssm:|/|~/|\./|\.\./|[A-Za-z]:\\|\d{4}-\d\d-\d\d|\d+$|"
    r"(?:true|false|none|null|yes|no|required|optional)$)"
)
_KEBAB_NAME = re.compile(r"^[a-z][a-z]*(?:[\-_.][a-z0-9]+)*$")
# code and names of variables: `token = match.group(0)`, `token: GITHUB_TOKEN`,
# `secret: secrets.DEPLOY_KEY`
_CODE_OR_NAME = re.compile(
    r"^(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\(.*"
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+"
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+(?:_[a-z]+)+)$"
)


def is_placeholder(value: str, prefix: str = "") -> bool:
    """A value that stands for a secret without being one."""
    if _PLACEHOLDER_WORDS.search(value) or "EXAMPLE" in value:
        return True  # AWS's documented keys: AKIAIOSFODNN7EXAMPLE, …/bPxRfiCYEXAMPLEKEY
    body = value[len(prefix) :] if prefix and value.startswith(prefix) else value
    body = body.strip("=")
    distinct = set(body.lower()) - set("-_.")
    return len(distinct) <= 2 or set(body.lower()) <= set("x*#.0-_")


def _is_reference(value: str) -> bool:
    return bool(_REFERENCE_VALUE.match(value))


_CLASSES = (str.islower, str.isupper, str.isdigit)


def _classes(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def assigned_value_is_secret(name: str, value: str) -> bool:
    """Whether `name = value` assigns a real secret (not a placeholder or a reference)."""
    if _REFERENCE_NAME.search(name.rstrip("\"'")):
        return False
    value = value.rstrip(".")
    if is_placeholder(value) or _is_reference(value):
        return False
    lowered = name.lower()
    if any(p in lowered for p in _PASSWORD_NAMES):
        return _classes(value) >= 2 or len(value) >= 12
    if _KEBAB_NAME.match(value) or _UUID.fullmatch(value) or _CODE_OR_NAME.match(value):
        return False  # `secretName: tls-cert-prod`: a name, not its value
    return _classes(value) >= 2 and entropy(value) >= 2.5


# --- the generic rule: a long random string ------------------------------------------------

# A line is looked at when it holds 16 letters, digits, `_`, `+` or `=` in a row; `-`, `.`
# and `/` end a run, so hyphenated words, host names, URLs and paths do not make a line a
# candidate (a token with them is still taken whole, and judged whole, once its line is).
_RUN_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=_")
_RUN_TABLE = bytes(97 if i in _RUN_BYTES else (10 if i == 10 else 32) for i in range(256))
GENERIC_MIN = 16  # letters and digits in the token, separators not counted
_RUN = b"a" * GENERIC_MIN
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_\-.~])[A-Za-z0-9+/=_\-.~]{" + str(GENERIC_MIN) + ",}")
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")  # one case: a hash, a commit, an id
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SRI = re.compile(r"(?i)sha(?:1|224|256|384|512)[-_]")
_SEPARATORS = re.compile(r"[/_\-.+=~]+")
_RUNS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_WORDLIKE = re.compile(r"(?i)(?!.*[bcdfghjklmnpqrstvwxz]{4})[a-z]{4,}")
_VOWELS = frozenset("aeiouyAEIOUY")
# Before the token, a label that makes it an identifier, not a credential.
_ID_LABEL = re.compile(
    r"(?i)(?:\bids?|_id|-id|\bidentifier|\btrace|\bspan|\brequest|"
    r"\bcorrelation|\bfingerprint|\bdigest|\bchecksum|\bhash|\bnonce|"
    r"\betag|\bsha\d*|\bmd5|\bcommit|\bnode)\W{0,4}$"
)
# Object ids of well-known services (not secrets): Stripe's `ch_…`, `cus_…` and the like;
# AWS resource ids (`mrk-…`, `vol-…`).
_ID_PREFIX = re.compile(
    r"(?:ch|cus|pi|pm|py|evt|in|ii|sub|si|price|prod|txn|re|src|seti|"
    r"acct|po|tr|card|ba|req|mrk|vol|snap|ami|sg|subnet|vpc|eni|i|r)[_\-]"
    r"[A-Za-z0-9]+$"
)
# A distinctive prefix and a long hex body: `CLOJARS_…`, `PMAK-…`, `shippo_live_…`
_PREFIXED_HEX = re.compile(
    r"[A-Za-z][A-Za-z0-9]*(?:[_\-][A-Za-z0-9]+)*?[_\-]"
    r"(?:[0-9a-f]{32,}|[0-9A-F]{32,})(?:[_\-][A-Za-z0-9]+)*"
)
GENERIC_ENTROPY = 3.3  # bits a character; random letters and digits have 4 or more


def _random_looking(token: str) -> bool:
    """A string that reads as random letters and digits (a key or token), and not a hash,
    UUID, integrity value, id, path, slug, host or camel-case name."""
    token = token.strip("=-_/.~+")
    if _SRI.match(token) or is_placeholder(token):
        return False
    parts = [p for p in _SEPARATORS.split(token) if p]
    alnum = "".join(parts)
    if len(alnum) < GENERIC_MIN or _UUID.search(token) and len(_UUID.sub("", token)) < 8:
        return False
    if _ID_PREFIX.match(token):
        return False
    if _PREFIXED_HEX.fullmatch(token) and not _HEX.fullmatch(parts[0]):
        return True
    random_chars = transitions = 0
    for part in parts:
        if len(part) >= 8 and _HEX.fullmatch(part) or part.isdigit():
            continue  # hashes, commits, numbers
        runs = _RUNS.findall(part)
        for run in runs:
            if len(run) >= 4 and (
                run.isdigit()
                or _WORDLIKE.fullmatch(run)
                and sum(c in _VOWELS for c in run) * 4 >= len(run)
            ):
                continue  # a number, or a word of a name (`ReadOnlyAccess2024`)
            random_chars += len(run)
        transitions += len(runs) - 1
    if random_chars < GENERIC_MIN or random_chars * 2 < len(alnum) or transitions < 4:
        return False
    return entropy(alnum) >= GENERIC_ENTROPY


_RunLine = tuple[int, int, list[re.Match[str]]]
_TRANSITION = re.compile(r"[A-Za-z](?=[0-9])|[0-9](?=[A-Za-z])|[a-z](?=[A-Z])")


def _random_lines(text: str, raw: bytes) -> list[_RunLine]:
    """The lines with a token that may be random (at least 16 characters, three changes
    between digits, lower and upper case), with those tokens: what the generic rule and the
    families without a trigger word look at."""
    found = []
    for start, end in _generic_spans(text, raw):
        tokens = [
            m
            for m in _TOKEN.finditer(text, start, end)
            if len(_TRANSITION.findall(m.group(0))) >= 3
        ]
        if tokens:
            found.append((start, end, tokens))
    return found


def _generic_spans(text: str, raw: bytes) -> list[tuple[int, int]]:
    """(start, end) of the lines holding a run of GENERIC_MIN token characters: one
    `bytes.translate` and `find`, instead of a regular expression over every character."""
    data = raw.translate(_RUN_TABLE)
    at = data.find(_RUN)
    if at < 0:
        return []
    spans = []
    while at >= 0:
        spans.append(_line_span(text, at))
        end = data.find(b"\n", at)
        if end < 0:
            break
        at = data.find(_RUN, end)
    return spans


# --- rendering: what a page shows --------------------------------------------------------

# (not U+2061-2064: `in` looks for them at memchr speed only when their low byte is rare, and
# theirs are `a`-`d`)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9\-]*(?:\s[^<>]*)?/?>")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# (a backtick is no splitter worth a second look: `AKIA`…` shows as two code spans)
_SPLIT_CHARS = (("&", ("&#",)), ("\\", ("\\_", "\\-", "\\*")), *((c, (c,)) for c in _INVISIBLE))
_SPLITTER = re.compile(r"[*<&\\~" + _INVISIBLE + "]")


def rendered(line: str) -> str:
    """The line as a page shows its characters: emphasis markers, backslash escapes, tags and
    invisible characters gone, entities decoded. Line-for-line, so lines map back."""
    line = _INVISIBLE_RE.sub("", line)
    if "&" in line:
        line = html.unescape(line)
        line = _INVISIBLE_RE.sub("", line)
    if "<" in line:
        line = _TAG.sub("", line)
    if "\\" in line:
        line = _ESCAPE.sub(r"\1", line)
    return line.replace("*", "").replace("~~", "").replace("`", "")


# --- scanning ----------------------------------------------------------------------------

_BY_TRIGGER: dict[str, tuple[_Family, ...]] = {
    t: tuple(f for f in FAMILIES if t in f.triggers) for f in FAMILIES for t in f.triggers
}
_RUN_FAMILIES = tuple(f for f in FAMILIES if not f.triggers)
# A line split by Markdown is scanned again as rendered where a token prefix or a split
# mark occurs (not for words of context, nor for prefixes too common to say much).
_CONTEXT_TRIGGERS = _UNANCHORED | {"@", "key-", "secret_"}
# One-character triggers are found with `str.find` (memchr speed), not in the shared pass,
# where every first character outside the letters slows the scan of every file.
_CHARS = frozenset(t for t in _BY_TRIGGER if len(t) == 1)
_RENDER_TRIGGERS = frozenset(_BY_TRIGGER) - _CONTEXT_TRIGGERS - _CHARS
TRIGGERS: frozenset[str] = (frozenset(_BY_TRIGGER) | set(ASSIGNMENT_NAMES)) - _CHARS


@lru_cache(maxsize=1)
def _own_scan() -> TriggerScan:
    return TriggerScan(TRIGGERS)


def triggers_in(text: str) -> dict[str, list[int]]:
    """Where each trigger word occurs in `text` (lower-cased), for texts that are not
    post-mortems (evidence notes and files)."""
    return _own_scan().find(text)


def _line_span(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _line_spans(text: str, positions: Iterable[int]) -> set[tuple[int, int]]:
    """The line spans of POSITIONS, each line's found once: many positions on one long line
    cost one scan of it, not one each."""
    spans = set()
    span = (0, -1)
    for pos in sorted(positions):
        if not span[0] <= pos <= span[1]:
            span = _line_span(text, pos)
            spans.add(span)
    return spans


def _line_numbers(text: str, offsets: Iterable[int]) -> dict[int, int]:
    """Line number (from 1) of each offset, counted once from left to right."""
    numbers = {}
    line = 1
    previous = 0
    for offset in sorted(set(offsets)):
        line += text.count("\n", previous, offset)
        previous = offset
        numbers[offset] = line
    return numbers


def _value_of(family: _Family, match: re.Match[str]) -> str:
    if family.group:
        return match.group(family.group) or ""
    return next((g for g in match.groups() if g), match.group(0))


def _positions(text: str, char: str) -> list[int]:
    found = []
    at = text.find(char)
    while at >= 0:
        found.append(at)
        at = text.find(char, at + 1)
    return found


def _family_hits(
    text: str, found: Mapping[str, Sequence[int]], run_lines: Sequence[_RunLine]
) -> list[tuple[int, str]]:
    """(offset, kind) of every family match that is not a placeholder, sought only where a
    trigger word occurs (on its line, or right there for a token prefix) or, for families
    without one, on lines with a long token run."""
    hits: list[tuple[int, str]] = []
    tried: set[tuple[int, int, int]] = set()
    found = {**found, **{c: _positions(text, c) for c in _CHARS if c in text}}
    span = (0, -1)  # the line found last: many triggers on one long line share it
    for trigger in [t for t in found if t in _BY_TRIGGER]:
        for family in _BY_TRIGGER[trigger]:
            for pos in found[trigger]:
                if family.cased and text[pos : pos + len(trigger)] not in family.cased:
                    continue
                if family.anchored:
                    match = family.pattern.match(text, pos)
                    if match:
                        _keep(family, match, hits)
                    continue
                if not span[0] <= pos <= span[1]:
                    span = _line_span(text, pos)
                start, end = span
                if (id(family), start, end) in tried:
                    continue
                tried.add((id(family), start, end))
                for match in family.pattern.finditer(text, start, end):
                    _keep(family, match, hits)
    for start, end, _ in run_lines:
        line = text[start:end]
        for family in _RUN_FAMILIES:
            if family.cased and not any(mark in line for mark in family.cased):
                continue
            for match in family.pattern.finditer(text, start, end):
                _keep(family, match, hits)
    return hits


def _keep(family: _Family, match: re.Match[str], hits: list[tuple[int, str]]) -> None:
    value = _value_of(family, match)
    if family.kind == "a password in a URL":
        if _url_password_is_placeholder(match.group(1), value):
            return
    elif family.kind in _VALUE_CHECKED:
        if not _value_is_real(value):
            return
    elif is_placeholder(value, _prefix(value)):
        return
    hits.append((match.start(), family.kind))


_VALUE_CHECKED = {
    "a password in a curl command",
    "a credential in an Authorization header",
    "a password in a connection string",
}


def _value_is_real(value: str) -> bool:
    value = value.rstrip(".,)")
    return not (is_placeholder(value) or _is_reference(value) or len(value) < 4)


def _url_password_is_placeholder(user: str, password: str) -> bool:
    return (
        is_placeholder(password)
        or password.startswith(("$", "%", "{", "<", "[", ":"))
        or password.lower() in ("password", "pass", "passwd", "secret", "pw", "pwd")
        and user.lower() in ("user", "username", "usr", "login", "name")
    )


def _prefix(value: str) -> str:
    match = re.match(r"[A-Za-z0-9]{2,8}(?:[_\-][A-Za-z0-9]{2,8})?[_\-]", value)
    if match and len(match.group(0)) < len(value) - 8:
        return match.group(0)
    if value[:4] in ("AKIA", "ASIA", "ABIA", "ACCA", "AIza"):
        return value[:4]
    return ""


_PROSE_AFTER = frozenset(" ,.;)]|")
_PLURAL_AFTER = frozenset(" \n,.;)]|")
_OPERATOR_START = frozenset(("=", ":", " ", "\t", "", '"', "'"))


def _is_prose(after: str) -> bool:
    """After a secret-looking name: prose (`token was`, `tokens are`, `token's`, `token.`),
    not an assignment (`token:`, `token =`, `token_url:`, `tokenUrl:`)."""
    first, second = after[:1], after[1:2]
    if first == "\n" or first in _PROSE_AFTER and second not in _OPERATOR_START:
        return True
    return (first == "s" and second in _PLURAL_AFTER) or (first in "'’" and second == "s")


_NAME_BEFORE = frozenset(" \t\n\"'{(,;[|*`>$")
# `_is_prose` of the two characters after a name, kept as found (a few thousand at most):
# few pairs recur
_PROSE: dict[str, bool] = {}


def _assignment_hits(text: str, found: Mapping[str, Sequence[int]]) -> list[tuple[int, str]]:
    hits = []
    for name in [n for n in found if n in _ASSIGNMENT_SET]:
        size = len(name)
        for pos in found[name]:
            end = pos + size
            after = text[end : end + 2]
            prose = _PROSE.get(after)  # (a name occurs dozens of times in a file, mostly in prose)
            if prose is None:
                prose = _is_prose(after)
                if len(_PROSE) < 4096:
                    _PROSE[after] = prose
            if prose:
                continue  # "the token was revoked", "tokens, keys": no value is assigned
            if not _OPERATOR_AFTER.match(text, end):
                continue  # prose ("the token was revoked"): no value is assigned
            start = pos
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
                start -= 1
            if start > 0 and text[start - 1] not in _NAME_BEFORE:
                continue  # `…:secret:prod/db` inside an ARN or a URL is no assignment
            match = _ASSIGNMENT.match(text, start)
            if (
                match
                and name in match.group(1).lower()
                and assigned_value_is_secret(match.group(1), match.group(2))
            ):
                hits.append(
                    (pos, f"a value assigned to `{match.group(1)}` that looks like a real secret")
                )
    return hits


GENERIC_KIND = "a long random string that looks like a key or token"


def find_secrets(
    text: str,
    found: Mapping[str, Sequence[int]] | None = None,
    render: bool = True,
    raw: bytes | None = None,
) -> list[SecretHit]:
    """Every line of `text` that holds a secret, once, with its kind (never its value).

    `found`: where the trigger words occur in the lower-cased text (from the shared trigger
    pass); computed here when not given. `render`: also scan, as a page shows them, the
    lines that Markdown, entities, tags or invisible characters could split. `raw`:
    `text.encode("ascii", "replace")` when the caller has it (one byte a character, anything
    else `?`, so offsets stay those of `text`)."""
    if raw is None:
        raw = text.encode("ascii", "replace")
    if found is None:
        found = _own_scan().find(text, raw)
    run_lines = _random_lines(text, raw)
    offsets = _family_hits(text, found, run_lines) + _assignment_hits(text, found)
    hits: dict[int, SecretHit] = {}
    numbers = _line_numbers(text, [offset for offset, _ in offsets])
    for offset, kind in offsets:
        line = numbers[offset]
        hits.setdefault(line, SecretHit(line, kind))
    if render:
        # The page shows a key whole that the source splits with emphasis, an entity, a
        # tag, a backslash or an invisible character: scan such lines again as rendered.
        positions = [pos for word in found if word in _RENDER_TRIGGERS for pos in found[word]]
        # entities, backslash escapes and invisible characters can break the prefix too
        for char, marks in _SPLIT_CHARS:
            if char in text:
                positions.extend(
                    pos
                    for pos in _positions(text, char)
                    if any(mark in text[pos : pos + 2] for mark in marks)
                )
        spans = _line_spans(text, positions)
        starts = _line_numbers(text, [start for start, _ in spans])
        for start, end in sorted(spans):
            line_text = text[start:end]
            if not _SPLITTER.search(line_text):
                continue
            line = starts[start]
            if line in hits:
                continue
            shown = rendered(line_text)
            if shown != line_text:
                again = find_secrets(shown, render=False)
                if again:
                    hits[line] = SecretHit(line, again[0].kind, rendered=True)
    run_starts = _line_numbers(text, [start for start, _, _ in run_lines])
    for start, _, tokens in run_lines:
        line = run_starts[start]
        if line not in hits and any(
            _random_looking(m.group(0)) and not _ID_LABEL.search(text, start, m.start())
            for m in tokens
        ):
            hits[line] = SecretHit(line, GENERIC_KIND)
    return sorted(hits.values(), key=lambda h: h.line)


def secret_kind(text: str) -> str | None:
    """The kind of the first secret in `text` (an evidence note, say), or None."""
    hits = find_secrets(text)
    return hits[0].kind if hits else None
