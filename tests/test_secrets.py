"""PM401: secrets where post-mortems hold them, in both directions, and in evidence.

The token-shaped values below are made up for these tests (random letters and digits after
the provider's documented prefix); they were never issued by anyone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli
from postmortem_kb.core.secrets import find_secrets

R20 = "Xk8mQ2wLp9RzT4vNc7Yb"  # twenty characters of made-up randomness
R40 = R20 + "Hd3JfA6sG1qW5eE0tUy2"
HEX32 = "9c4e1a7b3d5f8e2c6a0b4d9f1e3c7a5b"

# (what it is, a line that holds it)
SECRETS = [
    ("AWS AKIA", "The key AKIAQYLPMN3ZR7WXJ2KD was used from outside."),
    ("AWS ASIA", "temporary credentials ASIAQYLPMN3ZR7WXJ2KD were issued"),
    ("AWS ABIA", "bearer ABIAQYLPMN3ZR7WXJ2KD"),
    ("AWS ACCA", "context key ACCAQYLPMN3ZR7WXJ2KD"),
    ("GCP service-account key id", '  "private_key_id": "' + HEX32 + "0a1b2c3d" + '",'),
    ("GCP private key in JSON", '  "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ...",'),
    ("Google API key", "maps key AIzaSyD8fK2mQ9xLw3RzT7vNp1YbC4dHs6JgE0a"),
    ("Google OAuth client secret", "GOCSPX-" + R20 + "Hd3JfA6s"),
    (
        "Azure storage key",
        "DefaultEndpointsProtocol=https;AccountName=prodlogs;AccountKey="
        + R40 * 2
        + "Ab12Cd==;EndpointSuffix=core.windows.net",
    ),
    ("Azure AD client secret", "client secret abc8Q~" + R20 + "Hd3JfA6sG1qW5"),
    ("Azure SAS", "https://prodlogs.blob.core.windows.net/c?sv=2022-11-02&sig=" + R40 + "%3D"),
    ("GitHub ghp_", "token ghp_" + R20 + "Hd3JfA6sG1qW5eE0"),
    ("GitHub gho_", "gho_" + R20 + "Hd3JfA6sG1qW5eE0"),
    ("GitHub ghu_", "ghu_" + R20 + "Hd3JfA6sG1qW5eE0"),
    ("GitHub ghs_", "ghs_" + R20 + "Hd3JfA6sG1qW5eE0"),
    ("GitHub ghr_", "ghr_" + R20 + "Hd3JfA6sG1qW5eE0"),
    ("GitHub fine-grained", "github_pat_11ABCDEFG0" + R40 + "_" + R40),
    ("GitLab glpat-", "glpat-" + R20),
    ("GitLab gldt-", "deploy token gldt-" + R20),
    ("GitLab glrt-", "runner glrt-" + R20),
    ("GitLab glptt-", "trigger glptt-" + HEX32 + "01234567"),
    ("GitLab GR1348941", "registration GR1348941" + R20),
    ("GitLab glcbt-", "glcbt-" + R20),
    ("npm", "npm_" + R20 + "Hd3JfA6sG1qW5eE0"),
    ("PyPI", "pypi-AgEIcHlwaS5vcmcCJDU3OTM5ZjQ1LTE0ZjYtNDhmMy1hZjQ4LWRmOTk0YmE5ZmU3YwACKl"),
    ("Docker Hub", "dckr_pat_" + R20 + "Hd3JfA6s"),
    ("Docker config auth", '"auth": "ZGVwbG95OlRyMHViNGRvcjN4UmVn"'),
    ("Slack xoxb", "xoxb-2847592011-8302918475-" + R20),
    ("Slack xoxp", "xoxp-2847592011-8302918475-" + R20),
    ("Slack xapp-", "xapp-1-A0123BCDEFG-1234567890123-" + HEX32),
    ("Slack xoxe-", "refresh xoxe-1-" + R40),
    ("Slack webhook", "https://hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/" + R20),
    ("Discord webhook", "https://discord.com/api/webhooks/123456789012345678/" + R40 + R20),
    ("Stripe sk_live_", "sk_live_51Hx" + R20),
    ("Stripe sk_test_", "sk_test_51Hx" + R20),
    ("Stripe rk_live_", "rk_live_51Hx" + R20),
    ("OpenAI sk-proj-", "sk-proj-" + R40),
    ("OpenAI sk-", "sk-" + R20 + "T3BlbkFJ" + R20),
    ("Anthropic", "sk-ant-api03-" + R40 + R40 + "-AA"),
    ("Hugging Face", "hf_" + "XkmQwLpRzTvNcYbHdJXkmQwLpRzTvNcYb"),
    ("Datadog", "DD_API_KEY=" + HEX32),
    ("Datadog in prose", "the Datadog API key " + HEX32 + " was in the log"),
    ("New Relic", "NRAK-4F7Y2Q9X8W3Z1B6C5D0E7G2H9J4"),
    ("Sentry DSN", "https://" + HEX32 + "@o123456.ingest.sentry.io/4505"),
    ("Grafana glc_", "glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrLTEyMzQ1Ni1ncmFmYW5hIiwiayI6IjEyMyJ9"),
    ("Grafana glsa_", "glsa_" + R20 + "Hd3JfA6sG1qW_0a1b2c3d"),
    ("SendGrid", "SG." + R20 + "Hd.3JXk8mQ2wLp9RzT4vNc7YbHd3JXk8mQ2wLp9RzT4vNc7Y"),
    ("Twilio API key", "SK" + HEX32),
    ("private key block", "-----BEGIN RSA PRIVATE KEY-----"),
    ("OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    (
        "JWT",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("URL password https", "cloned from https://deploy:Tr0ub4dor3x@git.example.com/repo.git"),
    ("URL password postgres", "DATABASE_URL postgres://app:Tr0ub4dor3x@db.internal:5432/ledger"),
    ("URL password mongodb+srv", "mongodb+srv://svc:9xK2mQpL7w@cluster0.abc.mongodb.net/app"),
    ("URL token", "https://x-access-token:ghs_" + R20 + "Hd3JfA6sG1qW5eE0@github.com/o/r"),
    ("curl -u", "curl -u admin:S3cretPass99 https://api.example.com/v1/export"),
    ("curl --user", "curl --user 'svc-backup:Vx9!rT2#pL' https://backup.example.com"),
    ("Authorization Basic", "Authorization: Basic YWRtaW46UzNjcmV0UGFzczk5"),
    ("Authorization Bearer", '-H "Authorization: Bearer ' + R20 + 'Hd3J"'),
    (
        "generic high entropy",
        "The value found in the CI log was " + R20 + "Hd3JfA6s (now revoked).",
    ),
    ("password assignment", "password: Hunter2024!"),
    ("env password", "DB_PASSWORD=s3cr3tP4ss"),
    ("secret access key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Mv2Tk1"),
    ("connection string password", "Server=db;User Id=sa;Password=Pq7!xZ2#rT;"),
    ("generic lower-case letters and digits", "then 9nq2vkx7tm4wz8hp3rj6 was used"),
    ("generic upper-case with dashes", "key A3-QW7ZK2-9XJ4RT2VBN8M3K7Q2PL-X98WZR4"),
    ("generic dotted", "token dp.pt.k7x2m9q4w8z3v6b1n5r0t7y2u4i9o3p6a8s1d5f"),
    ("generic prefix and hex", "CLOJARS_" + HEX32 + HEX32[:16]),
    ("generic mixed-case hex", "6d2FabeB6ADd229Bc199FabA28fD3efb57dF0bD3"),
]

NOT_SECRETS = [
    ("AWS documented example", "The key AKIAIOSFODNN7EXAMPLE is from the AWS docs."),
    ("ends in EXAMPLE", "key AKIAQYLPMN3ZR7WEXAMPLE"),
    ("AWS example secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("all x", "AKIAXXXXXXXXXXXXXXXX"),
    ("all x token", "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("all same character", "sk_live_000000000000000000000000"),
    ("angle placeholder", "token: <github-token>"),
    ("env var", "token: $GITHUB_TOKEN"),
    ("env var braces", "password: ${DB_PASSWORD}"),
    ("ARN", "secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"),
    ("vault path", "secret: vault:secret/data/payments/db#password"),
    ("vault kv path", "token_path: secret/data/ci/registry"),
    ("k8s secret name", "secretName: tls-cert-prod"),
    ("k8s secret ref", "        secretKeyRef: {name: payments-db, key: password}"),
    ("date", "access_key_last_used: 2026-05-19T10:02:00Z"),
    ("path", "pwd: /home/deploy/app"),
    ("redacted", "password: [REDACTED]"),
    ("redacted prefix", "The key AKIA[REDACTED] and token ghp_[REDACTED] were rotated."),
    ("stars", "password: ********"),
    ("prose about tokens", "The token was revoked 17 minutes later; the secret was rotated."),
    ("commit SHA", "Fixed in commit 3f9c2a7e1b4d8f6a0c5e9b2d7f1a3c8e4b6d0f2a."),
    ("SHA-256", "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ("UUID", "CloudTrail event 3b2a1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
    ("k8s pod", "pod payments-api-7d9f8b6c5-x2k4p restarted 14 times"),
    ("URL", "see https://github.com/example/repo/blob/main/docs/runbook.md"),
    ("IAM role ARN", "role arn:aws:iam::123456789012:role/etl-readonly-2024"),
    ("header with variable", 'curl -H "Authorization: Bearer $TOKEN" https://api.example.com'),
    ("curl -u without password", "curl -u admin https://api.example.com"),
    ("URL with placeholder password", "postgres://app:<password>@db.internal:5432/ledger"),
    ("URL with variable password", "postgres://app:${DB_PASS}@db.internal/ledger"),
    (
        "SRI hash",
        "integrity sha512-9Hx2mQpL7wZ4vN8cT1rY5bK3jD6fS0aG2hE4uI7oP9qW1eR3tY5uI7oP9aS2dF==",
    ),
    ("image digest", "registry.example.com/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"),
    ("camel-case name", "policy AWSReadOnlyAccessPolicyForBackups2024 was attached"),
    ("token ttl", "token_ttl: 3600"),
    ("key id", "kms key_id: mrk-1234abcd12ab34cd56ef1234567890ab"),
    ("truncated key", "The key AKIAQYLP… (truncated in the alert) was disabled."),
    ("secret manager name", "secret_name: prod/payments/db"),
    ("code", "token = match.group(0)"),
    ("variable name", "token: GITHUB_TOKEN"),
    ("workflow secret reference", "secret: secrets.DEPLOY_KEY"),
    ("SSH host key fingerprint", "fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"),
    ("Stripe object ids", "charge ch_3MmlLrLkdIwHu7ix0snN0B15 for cus_NffrFeUfNV2Hib"),
    (
        "labelled request id",
        "x-amz-cf-id: x3n6KY8hW2GhXxz5fJZ0rGf6OMRqVWvE5bqKQxTDJ1Wm0hM9aNqYtQ==",
    ),
    ("camel-case policy name", "AWSReadOnlyAccessPolicyForBackups2024"),
    ("host name", "ip-10-42-7-19.eu-west-1.compute.internal"),
    (
        "AWS resource id",
        "volume vol-0123456789abcdef0 and key mrk-1234abcd12ab34cd56ef1234567890ab",
    ),
]


@pytest.mark.parametrize("what, line", SECRETS, ids=[w for w, _ in SECRETS])
def test_each_kind_of_secret_is_found(what: str, line: str) -> None:
    text = f"intro line\n{line}\nlast line\n"
    hits = find_secrets(text)
    assert [h.line for h in hits] == [2], what


@pytest.mark.parametrize("what, line", NOT_SECRETS, ids=[w for w, _ in NOT_SECRETS])
def test_placeholders_and_references_are_not_secrets(what: str, line: str) -> None:
    assert find_secrets(f"intro line\n{line}\nlast line\n") == [], what


SPLIT = [
    ("bold inside", "The key AKIA**QYLPMN3ZR7WXJ2KD** was used."),
    ("italic inside", "The key AKIAQYLP*MN3ZR7WXJ2KD* was used."),
    ("escaped underscore", "token ghp\\_" + R20 + "Hd3JfA6sG1qW5eE0"),
    ("entity", "The key AKIA&#81;YLPMN3ZR7WXJ2KD was used."),
    ("hex entity", "The key AKIA&#x51;YLPMN3ZR7WXJ2KD was used."),
    ("tag", "The key <span>AKIA</span>QYLPMN3ZR7WXJ2KD was used."),
    ("zero-width space", "The key AKIA\u200bQYLPMN3ZR7WXJ2KD was used."),
    ("zero-width space in the prefix", "The key AK\u200bIAQYLPMN3ZR7WXJ2KD was used."),
    ("soft hyphen", "The key AKIA\u00adQYLPMN3ZR7WXJ2KD was used."),
    ("strikethrough", "The key AKIA~~QYLP~~MN3ZR7WXJ2KD was used."),
]


@pytest.mark.parametrize("what, line", SPLIT, ids=[w for w, _ in SPLIT])
def test_a_key_split_by_markdown_is_found_as_the_page_shows_it(what: str, line: str) -> None:
    hits = find_secrets(f"intro\n{line}\n")
    assert [(h.line, h.rendered) for h in hits] == [(2, True)], what
    assert "split by Markdown" in hits[0].message()


def test_markdown_around_a_placeholder_does_not_make_it_a_secret() -> None:
    assert (
        find_secrets(
            "The key **AKIA[REDACTED]** and `ghp_[REDACTED]` and AKIA&#88;XXXXXXXXXXXXXXX\n"
        )
        == []
    )


# --- end to end: `postmortem check` on a real knowledge base -----------------------------


def check_json(kb: Path) -> dict:
    result = run_cli("-C", str(kb), "check", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result.json()


def _with_summary(extra: str) -> str:
    return re.sub(
        r"^## Summary\n",
        f"## Summary\n\n{extra}\n",
        complete_postmortem_text(),
        count=1,
        flags=re.M,
    )


@pytest.mark.parametrize(
    "where, extra",
    [
        ("prose", "The leaked key was AKIAQYLPMN3ZR7WXJ2KD; it is revoked."),
        ("table", "| Kind | Value |\n|---|---|\n| key | AKIAQYLPMN3ZR7WXJ2KD |"),
        ("code", "```\nexport AWS_ACCESS_KEY_ID=AKIAQYLPMN3ZR7WXJ2KD\n```"),
        ("inline code", "The key `AKIAQYLPMN3ZR7WXJ2KD` was used."),
        ("comment", "<!-- AKIAQYLPMN3ZR7WXJ2KD -->"),
        ("split", "The key AKIA**QYLPMN3ZR7WXJ2KD** was used."),
    ],
)
def test_check_reports_the_line_and_never_the_secret(
    kb: Path, write_pm, where: str, extra: str
) -> None:
    text = _with_summary(extra)
    write_pm(text)
    findings = check_json(kb)["findings"]
    assert [f["rule"] for f in findings] == ["PM401"], where
    line = text.split("\n")[findings[0]["line"] - 1]
    assert "AKIA" in line
    message = findings[0]["message"]
    assert "AWS access key" in message and "[REDACTED]" in message and "rotate" in message
    assert "QYLPMN3ZR7WXJ2KD" not in message


def test_check_finds_a_secret_in_the_front_matter(kb: Path, write_pm) -> None:
    text = complete_postmortem_text().replace(
        "owner: Security Operations",
        "owner: Security Operations xoxb-2847592011-8302918475-" + R20,
        1,
    )
    write_pm(text)
    findings = check_json(kb)["findings"]
    assert [(f["rule"], f["line"]) for f in findings] == [("PM401", 8)]
    assert R20 not in json.dumps(findings)


def test_check_is_quiet_on_placeholders_in_a_postmortem(kb: Path, write_pm) -> None:
    write_pm(_with_summary("\n".join(line for _, line in NOT_SECRETS)))
    assert [f for f in check_json(kb)["findings"] if f["rule"] == "PM401"] == []


def test_a_marker_naming_pm401_silences_it_on_its_line(kb: Path, write_pm) -> None:
    write_pm(_with_summary("Test key AKIAQYLPMN3ZR7WXJ2KD <!-- postmortem-ignore PM401 -->"))
    assert check_json(kb)["findings"] == []


def test_the_sample_postmortems_have_no_secret() -> None:
    root = Path(__file__).resolve().parent.parent
    result = run_cli("-C", str(root), "check", "--format", "json")
    assert [f for f in result.json()["findings"] if f["rule"] == "PM401"] == []


# --- evidence ----------------------------------------------------------------------------


@pytest.fixture
def pm_kb(kb: Path, write_pm) -> Path:
    write_pm(complete_postmortem_text())
    return kb


def evidence_folder(kb: Path) -> Path:
    return kb / "postmortems" / "2026" / "PM-2026-001" / "evidence"


def test_evidence_note_with_a_secret_is_refused(pm_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "ci.log"
    source.write_text("build ok\n", encoding="utf-8")
    note = "CI log; the token was ghp_" + R20 + "Hd3JfA6sG1qW5eE0"
    result = run_cli(
        "-C", str(pm_kb), "evidence", "add", "PM-2026-001", str(source), "--note", note
    )
    assert result.exit_code == 2
    assert "GitHub token" in result.stderr and "--force" in result.stderr
    assert R20 not in result.stderr + result.output
    assert not evidence_folder(pm_kb).exists()  # nothing written


def test_evidence_url_with_a_password_is_refused(pm_kb: Path) -> None:
    result = run_cli(
        "-C",
        str(pm_kb),
        "evidence",
        "add",
        "PM-2026-001",
        "https://deploy:Tr0ub4dor3x@logs.example.com/export.json",
    )
    assert result.exit_code == 2 and "password in a URL" in result.stderr
    assert "Tr0ub4dor3x" not in result.stderr


def test_evidence_note_without_a_secret_is_recorded(pm_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "ci.log"
    source.write_text("build ok\n", encoding="utf-8")
    result = run_cli(
        "-C",
        str(pm_kb),
        "evidence",
        "add",
        "PM-2026-001",
        str(source),
        "--note",
        "CI log of run 4411; token ghp_[REDACTED] revoked",
    )
    assert result.exit_code == 0, result.stderr
    assert check_json(pm_kb)["findings"] == [] or all(
        f["rule"] == "PM602" for f in check_json(pm_kb)["findings"]
    )


def test_forced_note_is_recorded_and_check_still_reports_it(pm_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "ci.log"
    source.write_text("build ok\n", encoding="utf-8")
    result = run_cli(
        "-C",
        str(pm_kb),
        "evidence",
        "add",
        "PM-2026-001",
        str(source),
        "--note",
        "key AKIAQYLPMN3ZR7WXJ2KD",
        "--force",
    )
    assert result.exit_code == 0, result.stderr
    manifest = evidence_folder(pm_kb) / "manifest.json"
    findings = [f for f in check_json(pm_kb)["findings"] if f["rule"] == "PM401"]
    assert [f["path"] for f in findings] == ["postmortems/2026/PM-2026-001/evidence/manifest.json"]
    lines = manifest.read_text(encoding="utf-8").split("\n")
    assert lines[findings[0]["line"] - 1].strip().startswith('"note":')
    assert "QYLPMN3ZR7WXJ2KD" not in findings[0]["message"]


def test_check_reports_a_secret_in_a_copied_text_file(pm_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "runner.log"
    source.write_text(
        "step 1 ok\nstep 2 ok\nexport NPM_TOKEN=npm_" + R20 + "Hd3JfA6sG1qW5eE0\nstep 4 ok\n",
        encoding="utf-8",
    )
    assert run_cli("-C", str(pm_kb), "evidence", "add", "PM-2026-001", str(source)).exit_code == 0
    findings = [f for f in check_json(pm_kb)["findings"] if f["rule"] == "PM401"]
    assert [(f["path"], f["line"]) for f in findings] == [
        ("postmortems/2026/PM-2026-001/evidence/runner.log", 3)
    ]
    assert "npm token" in findings[0]["message"] and R20 not in findings[0]["message"]
    result = run_cli("-C", str(pm_kb), "check")
    assert result.exit_code == 1
    assert (
        "postmortems/2026/PM-2026-001/evidence/runner.log\n     3  error    PM401" in result.output
    )
    assert "in 1 of 1 post-mortem" in result.output


def test_check_passes_clean_and_binary_evidence(pm_kb: Path, tmp_path: Path) -> None:
    clean = tmp_path / "timeline.txt"
    clean.write_text("10:02 commit pushed\n10:48 token revoked ([REDACTED])\n", encoding="utf-8")
    binary = tmp_path / "capture.pcap"
    binary.write_bytes(b"\xd4\xc3\xb2\xa1\x00\x00AKIAQYLPMN3ZR7WXJ2KD\x00")
    for source in (clean, binary):
        assert (
            run_cli("-C", str(pm_kb), "evidence", "add", "PM-2026-001", str(source)).exit_code == 0
        )
    assert [f for f in check_json(pm_kb)["findings"] if f["rule"] == "PM401"] == []
