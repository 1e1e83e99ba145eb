"""Measure PM401 on the secret scanners' own fixtures, side by side with detect-secrets.

    .venv/bin/python benchmarks/measure_secrets.py DATA [--detect-secrets PYTHON] [--show N]

DATA is a folder outside the repository holding the peers' test material, fetched there and
never committed:

    DATA/peers/gitleaks/cmd/generate/config/rules/*.go     (gitleaks: true positives)
    DATA/peers/detect-secrets/tests/plugins/*_test.py       (detect-secrets: should_flag=True)
    DATA/peers/secretlint/packages/@secretlint/secretlint-rule-*/test/snapshots/ng.*/
                                                            (secretlint: reported ranges)

From these the script takes every secret VALUE (gitleaks' generated samples are drawn from
their regular expressions with a fixed seed) and writes DATA/sets/:

    a-assigned.txt   each value as `name = value`
    b-bare.txt       each value bare in a sentence:
                     "The value found in the CI log was VALUE (now revoked)."
    c-ordinary.txt   ordinary post-mortem lines that hold no secret (written for this
                     measurement: ARNs, paths, dates, hashes, UUIDs, commit SHAs, k8s names…),
                     then every line of the sample post-mortems in postmortems/

PM401 (`core.secrets.find_secrets`, what `check` runs) and detect-secrets (its default
plugins and filters, run by PYTHON from a separate virtual environment, e.g. DATA/venv/bin/
python with `pip install detect-secrets`) scan the same files; a line counts as found when
the scanner reports anything on it.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tooling"))

from postmortem_kb.core.secrets import _prefix, find_secrets, is_placeholder  # noqa: E402

SENTENCE = "The value found in the CI log was {} (now revoked)."

# Ordinary lines of post-mortems that hold no secret (written for this measurement).
ORDINARY = [
    "secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/payments-db-AbCdEf",
    "role_arn: arn:aws:iam::123456789012:role/etl-readonly-2024",
    "The bucket arn:aws:s3:::acme-exports-prod was public for 41 hours.",
    "kms_key: arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
    "secretName: tls-cert-prod",
    "secret: payments-db-credentials",
    "        secretKeyRef: {name: payments-db, key: password}",
    "access_key_last_used: 2026-05-19T10:02:00Z",
    "token_expires_at: 2026-05-20T00:00:00Z",
    "pwd: /home/deploy/app",
    "password_file: /etc/ci/registry-password",
    "vault: secret/data/payments/db",
    "token_path: secret/data/ci/registry",
    "password: [REDACTED]",
    "The key AKIA[REDACTED] was deactivated at 10:48.",
    "token: ghp_[REDACTED] (revoked)",
    "api_key: ${DATADOG_API_KEY}",
    "password: $DB_PASSWORD",
    "token: <registry-token>",
    "Fixed in commit 3f9c2a7e1b4d8f6a0c5e9b2d7f1a3c8e4b6d0f2a on main.",
    "Reverted by 9b1d4e7 (see PR #4411).",
    "sha256 of the dump: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "md5 of the sample: 44d88612fea8a8f36de82e1278abb02f",
    "image: registry.example.com/payments/api@sha256:"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "CloudTrail event id 3b2a1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d shows the AssumeRole call.",
    "Request id 7f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b returned 403.",
    "Pod payments-api-7d9f8b6c5-x2k4p restarted 14 times.",
    "Deployment ledger-worker-5c8d7f9b4d-qz7lm was scaled to zero.",
    "Node ip-10-42-7-19.eu-west-1.compute.internal was drained.",
    "The runner i-0a1b2c3d4e5f67890 was terminated and its volume vol-0123456789abcdef0 kept.",
    "Security group sg-0f1e2d3c4b5a69788 allowed 0.0.0.0/0 on port 3000.",
    "See https://github.com/example-org/payments/blob/main/docs/runbooks/secret-exposure.md",
    "Dashboard: https://grafana.example.com/d/aBcD1234/payments-overview?orgId=1",
    "The alert came from 198.51.100.77 and 2001:db8::7334.",
    "Timeline 2026-05-19 10:02 UTC to 2026-05-19 10:48 UTC.",
    "occurred_at: 2026-05-19T10:02:00Z",
    "Ticket SEC-1931 tracks the rotation; PM-2026-004 is the earlier leak.",
    "The policy AWSReadOnlyAccessPolicyForBackups2024 was attached to the role.",
    "Terraform module registry.terraform.io/hashicorp/aws v5.31.0 pinned.",
    "integrity sha512-9Hx2mQpL7wZ4vN8cT1rY5bK3jD6fS0aG2hE4uI7oP9qW1eR3tY5uI7oP9aS2dF==",
    "npm package @example/internal-sdk@4.12.0 was downloaded 14 times.",
    "The token was revoked 17 minutes after the alert; all secrets were rotated.",
    "We rotated the API key and the client secret within four days.",
    "Password resets were forced for 212 accounts.",
    "The credential report listed 3 users without MFA.",
    "The secret store (AWS Secrets Manager) now holds the registry token.",
    "export AWS_PROFILE=prod-readonly",
    "kubectl -n payments get secret ledger-db -o yaml",
    "curl -u admin https://api.example.com/v1/health",
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com/v1/export',
    "postgres://app:${DB_PASSWORD}@db.internal:5432/ledger",
    "https://user:<password>@git.example.com/repo.git",
    "GitHub Actions run 7712345678 failed at step 4.",
    "Build #20261119.3 on agent build-agent-07 was infected.",
    "Feature flag checkout_v2_rollout_percentage set to 0.",
    "Span 4bf92f3577b34da6a3ce929d0e0e4736 shows the slow query.",
    "The certificate serial 04:1f:2a:9c:7d:3e expired at 00:00 UTC.",
    "Ledger backup s3://acme-backups/ledger/2026-05-18T23-00-00Z.dump was empty.",
    "Slack channel #inc-2026-05-19-registry-token was opened.",
    "The YubiKey serial 18842113 was reissued.",
    "x-amz-cf-id: x3n6KY8hW2GhXxz5fJZ0rGf6OMRqVWvE5bqKQxTDJ1Wm0hM9aNqYtQ==",
    "Host key fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU was unchanged.",
    "Charge ch_3MmlLrLkdIwHu7ix0snN0B15 was refunded; customer cus_NffrFeUfNV2Hib notified.",
    "GitHub node id MDQ6VXNlcjU4MzIzMQ== belongs to the bot account.",
    "The shared file id 1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUvW was unshared.",
    "X-Ray trace Root=1-5f84c7a5-7b0e3c4d5e6f7a8b9c0d1e2f shows the retry storm.",
    "The campaign used https://login-micros0ft-support.example.net/oauth2/authorize?client_id=4f2a",
    "Package lock entry resolved https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
    "Alert rule payments_ledger_backup_size_below_threshold_2026 fired.",
    "Terraform state key env/prod/eu-west-1/payments/terraform.tfstate was locked.",
    "The build cache key Linux-node-modules-4f2a9c1e was evicted.",
    "Base image node:20.11.1-bookworm-slim was rebuilt.",
]


# --- gitleaks: values of the true positives in cmd/generate/config/rules/*.go ------------

_UTILS = {
    "Numeric": "[0-9]{%s}",
    "Hex": "[a-f0-9]{%s}",
    "AlphaNumeric": "[a-z0-9]{%s}",
    "AlphaNumericExtendedShort": "[a-z0-9_-]{%s}",
    "AlphaNumericExtended": "[a-z0-9=_\\-]{%s}",
    "AlphaNumericExtendedLong": "[a-z0-9\\/=_\\+\\-]{%s}",
}


_SHORTHAND = {
    "w": [chr(c) for c in range(48, 58)]
    + [chr(c) for c in range(65, 91)]
    + [chr(c) for c in range(97, 123)]
    + ["_"],
    "d": [chr(c) for c in range(48, 58)],
}


def _sample(regex: str, rng: random.Random) -> str | None:
    """A string matching a simple regular expression (classes, literals, {n}, {n,m})."""
    out, i = [], 0
    while i < len(regex):
        c = regex[i]
        if c == "[":
            j = i + 1
            chars: list[str] = []
            while regex[j] != "]":
                a = regex[j]
                if a == "\\":
                    j += 1
                    a = regex[j]
                    if a in _SHORTHAND:
                        chars += _SHORTHAND[a]
                        j += 1
                        continue
                if j + 2 < len(regex) and regex[j + 1] == "-" and regex[j + 2] != "]":
                    b = regex[j + 2]
                    chars += [chr(x) for x in range(ord(a), ord(b) + 1)]
                    j += 3
                else:
                    chars.append(a)
                    j += 1
            atom: list[str] = chars
            i = j + 1
        elif c == "\\":
            atom = _SHORTHAND.get(regex[i + 1], [regex[i + 1]])
            i += 2
        elif c in "()|?*+.^$":
            return None
        else:
            atom = [c]
            i += 1
        count = 1
        m = re.match(r"\{(\d+)(?:(,)(\d*))?\}", regex[i:])
        if m:
            low = int(m.group(1))
            high = int(m.group(3)) if m.group(3) else low + 8 if m.group(2) else low
            count = rng.randint(low, high)
            i += m.end()
        out += [rng.choice(atom) for _ in range(count)]
    return "".join(out)


def _go_string(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    return ast.literal_eval(token)


_GO_ATOM = re.compile(
    r'\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|utils\.(\w+)\(\s*(?:"(\d+)")?\s*\)'
    r"|secrets\.NewSecret\()"
)


def _go_expr(
    text: str, pos: int, rng: random.Random, as_regex: bool = False
) -> tuple[str | None, int]:
    """Evaluate a Go string expression at text[pos:]: literals, `+`, utils patterns and
    secrets.NewSecret(...). Returns (value or None, end)."""
    parts: list[str | None] = []
    while True:
        m = _GO_ATOM.match(text, pos)
        if not m:
            return None, pos
        pos = m.end()
        if m.group(1) or m.group(2):
            parts.append(_go_string(m.group(1) or m.group(2)))
        elif m.group(3):
            name = m.group(3)
            if name == "Hex8_4_4_4_12":
                parts.append("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
            elif name in _UTILS and m.group(4):
                parts.append(_UTILS[name] % m.group(4))
            else:
                return None, pos
            if not as_regex:
                parts[-1] = _sample(parts[-1] or "", rng)
        else:  # NewSecret(regex)
            regex, pos = _go_expr(text, pos, rng, as_regex=True)
            close = re.match(r"\s*\)", text[pos:])
            if regex is None or not close:
                return None, pos
            pos += close.end()
            parts.append(regex if as_regex else _sample(regex, rng))
        plus = re.match(r"\s*\+", text[pos:])
        if not plus:
            break
        pos += plus.end()
    if any(p is None for p in parts):
        return None, pos
    return "".join(p for p in parts if p is not None), pos


_ASSIGNED = re.compile(
    r"""^\s*[\w.\-"'$\[\]]+\s*(?::=|=|:(?!//)|=>)\s*["'`]?"""
    r"""([^"'`\s;,]+)["'`;,]*\s*$"""
)


def _value_of_line(line: str) -> str | None:
    line = line.strip()
    if "\n" in line:
        return None
    m = _ASSIGNED.match(line)
    if m:
        return m.group(1)
    return line if line and not re.search(r"\s", line) else None


def gitleaks_values(folder: Path, rng: random.Random) -> list[tuple[str, str]]:
    found = []
    for path in sorted(folder.glob("*.go")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"GenerateSampleSecrets?\(\s*(\"[^\"]*\")\s*,", text):
            value, _ = _go_expr(text, m.end(), rng)
            if value:
                found.append((f"{_go_string(m.group(1)).lower()}_token", value))
        for m in re.finditer(r"tps\s*(?::=|=)\s*(?:\[\]string\{|append\(tps,)", text):
            pos = m.end()
            while True:
                skip = re.match(r"\s*(?://[^\n]*\s*)*", text[pos:])
                pos += skip.end() if skip else 0
                if text[pos : pos + 1] in ("}", ")", ""):
                    break
                value, end = _go_expr(text, pos, rng)
                if value is not None:
                    bare = _value_of_line(value)
                    if bare:
                        found.append((path.stem + "_token", bare))
                depth, i = 0, end
                while i < len(text):  # to the next top-level comma
                    ch = text[i]
                    if ch in "({[":
                        depth += 1
                    elif ch in ")}]":
                        if depth == 0:
                            break
                        depth -= 1
                    elif ch == "," and depth == 0:
                        i += 1
                        break
                    elif ch == '"':
                        i = text.index('"', i + 1) if text[i + 1 : i + 2] != '"' else i + 1
                        while text[i - 1] == "\\" and text[i - 2] != "\\":
                            i = text.index('"', i + 1)
                    elif ch == "`":
                        i = text.index("`", i + 1)
                    i += 1
                pos = i
                if text[pos - 1 : pos] != ",":
                    break
    return found


# --- detect-secrets: payloads with should_flag True in its plugin tests ------------------


def detect_secrets_values(folder: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(folder.glob("*_test.py")):
        if path.stem in ("ip_public_test", "base_test"):
            continue  # public IP addresses are no credential; base_test has no payloads
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Tuple) or len(node.elts) != 2:
                continue
            try:
                payload, flag = ast.literal_eval(node)
            except (ValueError, SyntaxError, TypeError):
                continue
            if flag is True and isinstance(payload, str):
                value = _value_of_line(payload)
                if value:
                    found.append((path.stem.replace("_test", ""), value))
    return found


# --- secretlint: what each rule reports in its ng.* snapshots ----------------------------

_SECRETLINT_SKIP = (
    "no-homedir",
    "no-dotenv",
    "no-k8s-kind-secret",
    "filter-comments",
    "pattern",
    "example",
)


def secretlint_values(folder: Path) -> list[tuple[str, str]]:
    found = []
    for output in sorted(folder.glob("secretlint-rule-*/test/snapshots/ng.*/output.json")):
        rule = output.parts[-5].replace("secretlint-rule-", "")
        if rule.startswith("preset") or rule in _SECRETLINT_SKIP:
            continue
        data = json.loads(output.read_text(encoding="utf-8"))
        source = data.get("sourceContent", "")
        for message in data.get("messages", []):
            start, end = message["range"]
            value = source[start:end].strip().split("\n")[0].strip()
            if value:
                found.append((rule.replace("-", "_"), value))
    return found


# --- the sets, the scanners, the figures -------------------------------------------------


def build(data: Path) -> dict[str, list[tuple[str, str]]]:
    rng = random.Random(20261129)
    peers = data / "peers"
    values = {
        "gitleaks": gitleaks_values(peers / "gitleaks/cmd/generate/config/rules", rng),
        "detect-secrets": detect_secrets_values(peers / "detect-secrets/tests/plugins"),
        "secretlint": secretlint_values(peers / "secretlint/packages/@secretlint"),
    }
    seen: set[str] = set()
    unique: dict[str, list[tuple[str, str]]] = {}
    for peer, pairs in values.items():
        unique[peer] = []
        for name, value in pairs:
            if value not in seen and len(value) >= 8:
                seen.add(value)
                unique[peer].append((name, value))
    return unique


def write_sets(data: Path, values: dict[str, list[tuple[str, str]]]) -> dict[str, Path]:
    out = data / "sets"
    out.mkdir(parents=True, exist_ok=True)
    pairs = [(peer, name, value) for peer, items in values.items() for name, value in items]
    (out / "peers.tsv").write_text("".join(f"{p}\t{n}\n" for p, n, _ in pairs), encoding="utf-8")
    (out / "a-assigned.txt").write_text(
        "".join(f"{n} = {v}\n" for _, n, v in pairs), encoding="utf-8"
    )
    (out / "b-bare.txt").write_text(
        "".join(SENTENCE.format(v) + "\n" for _, _, v in pairs), encoding="utf-8"
    )
    samples = []
    for path in sorted((REPO / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md")):
        samples += [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    (out / "c-ordinary.txt").write_text("\n".join(ORDINARY + samples) + "\n", encoding="utf-8")
    return {"a": out / "a-assigned.txt", "b": out / "b-bare.txt", "c": out / "c-ordinary.txt"}


def pm401(path: Path) -> tuple[set[int], float]:
    text = path.read_text(encoding="utf-8")
    start = time.perf_counter()
    lines = {hit.line for hit in find_secrets(text)}
    return lines, time.perf_counter() - start


_DETECT_SECRETS_RUNNER = """
import json, sys, time
from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings
out = {}
for path in sys.argv[1:]:
    collection = SecretsCollection()
    start = time.perf_counter()
    with default_settings():
        collection.scan_file(path)
    lines = sorted({s.line_number for _, s in collection})
    out[path] = [lines, time.perf_counter() - start]
print(json.dumps(out))
"""


def detect_secrets(python: str, paths: list[Path]) -> dict[str, tuple[set[int], float]]:
    result = subprocess.run(
        [python, "-c", _DETECT_SECRETS_RUNNER, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    return {p: (set(lines), seconds) for p, (lines, seconds) in data.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument(
        "--detect-secrets",
        dest="ds_python",
        help="python of a virtual environment with detect-secrets installed "
        "(default: DATA/venv/bin/python when it exists)",
    )
    parser.add_argument("--show", type=int, default=0, help="print N misses and false alarms")
    args = parser.parse_args()
    values = build(args.data)
    sets = write_sets(args.data, values)
    peers = [
        line.split("\t")[0]
        for line in (args.data / "sets" / "peers.tsv").read_text(encoding="utf-8").splitlines()
    ]
    ds_python = args.ds_python or (
        str(args.data / "venv/bin/python") if (args.data / "venv/bin/python").exists() else None
    )
    ours = {k: pm401(p) for k, p in sets.items()}
    theirs = detect_secrets(ds_python, list(sets.values())) if ds_python else {}

    counts = {peer: peers.count(peer) for peer in dict.fromkeys(peers)}
    lines = {k: p.read_text(encoding="utf-8").splitlines() for k, p in sets.items()}
    print(
        f"values: {len(peers)} ({', '.join(f'{p} {n}' for p, n in counts.items())}); "
        f"ordinary lines: {len(lines['c'])} "
        f"({len(ORDINARY)} written, the rest from the sample post-mortems)"
    )
    print()
    print("| set | lines | PM401 | detect-secrets |")
    print("|---|---|---|---|")
    names = {
        "a": "(a) `name = value`",
        "b": "(b) bare in a sentence",
        "c": "(c) ordinary lines: false alarms",
    }

    def cell(found: int, total: int, key: str) -> str:
        return f"{found} ({found / total:.0%})" if key != "c" else str(found)

    for key, path in sets.items():
        total = len(lines[key])
        ds = theirs.get(str(path))
        print(
            f"| {names[key]} | {total} | {cell(len(ours[key][0]), total, key)} | "
            f"{cell(len(ds[0]), total, key) if ds else '-'} |"
        )
    # values that PM401 treats as placeholders on purpose (all one character, `xxxx`,
    # `EXAMPLE`, `fake`, `<…>`): the recall on the others too
    values = [
        line[len(SENTENCE.split("{}")[0]) : -len(SENTENCE.split("{}")[1])] for line in lines["b"]
    ]
    real = [i for i, v in enumerate(values, 1) if not is_placeholder(v, _prefix(v))]
    ds_b = theirs[str(sets["b"])][0] if theirs else set()
    print(
        f"| (b) without the {len(values) - len(real)} placeholders | {len(real)} | "
        f"{cell(len(ours['b'][0] & set(real)), len(real), 'b')} | "
        f"{cell(len(ds_b & set(real)), len(real), 'b') if theirs else '-'} |"
    )
    print()
    by_peer = []
    for peer, n in counts.items():
        rows = {i for i, p in enumerate(peers, 1) if p == peer}
        text = f"{peer}: PM401 {len(rows & ours['b'][0])}"
        if theirs:
            text += f", detect-secrets {len(rows & ds_b)}"
        by_peer.append(f"{text} of {n}")
    print("(b) by peer: " + "; ".join(by_peer))
    size = sum(p.stat().st_size for p in sets.values())
    print(
        f"time over the three sets ({size / 1000:.0f} kB): PM401 "
        f"{sum(t for _, t in ours.values()):.3f} s"
        + (f", detect-secrets {sum(t for _, t in theirs.values()):.3f} s" if theirs else "")
    )
    if args.show:
        bare = (args.data / "sets" / "b-bare.txt").read_text(encoding="utf-8").splitlines()
        missed = [
            (peers[i - 1], bare[i - 1]) for i in range(1, len(bare) + 1) if i not in ours["b"][0]
        ]
        print(f"\nPM401 misses in (b), first {args.show}:")
        for peer, line in missed[: args.show]:
            print(f"  {peer}: {line[34:-15]}")
        ordinary = sets["c"].read_text(encoding="utf-8").splitlines()
        print("\nPM401 false alarms in (c):")
        for i in sorted(ours["c"][0]):
            print(f"  {ordinary[i - 1][:110]}")
        if theirs:
            print("\ndetect-secrets false alarms in (c):")
            for i in sorted(theirs[str(sets["c"])][0]):
                print(f"  {ordinary[i - 1][:110]}")


if __name__ == "__main__":
    main()
