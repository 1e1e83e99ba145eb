"""Configuration values are checked when mkdocs.yml is read: exit 2 naming the key, never a
traceback, never a value silently turned into something else (`blame_terms: [null]`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, run_process


def configure(kb: Path, settings: str) -> None:
    """Set one plugin setting (replacing the line that sets it, if any)."""
    config = kb / "mkdocs.yml"
    key = settings.strip().split(":", 1)[0]
    lines = [x for x in config.read_text().split("\n") if not x.startswith(f"      {key}:")]
    config.write_text(
        "\n".join(lines).replace("      id_prefix: PM\n", f"      id_prefix: PM\n{settings}", 1)
    )


@pytest.mark.parametrize(
    "settings, key",
    [
        ('      title_format: "{type_name.x}"\n', "title_format"),
        ('      title_format: "{type_name[x]}"\n', "title_format"),
        ('      title_format: "{type_name:999999999999}"\n', "title_format"),
        ('      title_format: "{type_name:1000000000}"\n', "title_format"),
        ('      title_format: "{type_name!r}"\n', "title_format"),
        ('      title_format: "{type_name:{quarter}}"\n', "title_format"),
        ('      title_format: "{0}"\n', "title_format"),
        ('      title_format: "{}"\n', "title_format"),
        ('      title_format: "{unknown}"\n', "title_format"),
        ('      title_format: "{type_name"\n', "title_format"),
        ('      title_format: "}"\n', "title_format"),
        ("      title_format: 12\n", "title_format"),
        ("      blame_terms: [null]\n", "blame_terms"),
        ("      blame_terms: ['']\n", "blame_terms"),
        ("      blame_terms: [[a, b]]\n", "blame_terms"),
        ("      blame_terms: {rookie: null}\n", "blame_terms"),
        ("      blame_terms: {rookie: 3}\n", "blame_terms"),
        ("      blame_terms: rookie\n", "blame_terms"),
        ("      types: [null]\n", "types"),
        ("      types: [1]\n", "types"),
        ("      types: [Insider Threat]\n", "types"),
        ("      types: {insider-threat: [a]}\n", "types"),
        ("      types: []\n", "types"),
        ("      include_drafts: maybe\n", "include_drafts"),
        ("      overdue_fail_days: 1e999\n", "overdue_fail_days"),
        ("      overdue_fail_days: 99999999999999999999\n", "overdue_fail_days"),
        ("      overdue_fail_days: -1\n", "overdue_fail_days"),
        ("      overdue_fail_days: '30'\n", "overdue_fail_days"),
        ("      evidence_max_bytes: .inf\n", "evidence_max_bytes"),
        ("      evidence_max_bytes: true\n", "evidence_max_bytes"),
        ("      audience: everyone\n", "audience"),
    ],
)
def test_bad_value_is_exit_2_naming_the_key(kb: Path, settings: str, key: str) -> None:
    configure(kb, settings)
    for command in (["check"], ["stats"], ["actions"]):
        result = run_cli(*command, cwd=kb)
        assert result.exit_code == 2, (command, result.output, result.stderr)
        assert "mkdocs.yml" in result.stderr and key in result.stderr, result.stderr


@pytest.mark.parametrize(
    "settings",
    [
        '      title_format: "{severity} {type_name:<20} in {quarter}"\n',
        '      title_format: "{{literal}} {id}"\n',
        "      blame_terms: [rookie mistake]\n",
        "      blame_terms: {rookie mistake: describe the missing check}\n",
        "      types: [insider-threat, data-breach]\n",
        "      types: {insider-threat: Insider threat}\n",
        "      include_drafts: true\n",
        "      overdue_fail_days: 0\n",
    ],
)
def test_good_values_are_accepted(kb: Path, settings: str) -> None:
    configure(kb, settings)
    result = run_cli("check", cwd=kb)
    assert result.exit_code == 0, result.stderr


def test_title_format_with_width_makes_a_title(kb: Path) -> None:
    configure(kb, '      title_format: "{severity}: {type_name:>12}"\n')
    result = run_cli(
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV2",
        "--no-git",
        "--occurred",
        "2026-03-01T10:00:00Z",
        cwd=kb,
    )
    assert result.exit_code == 0, result.stderr
    text = (kb / result.output.strip().splitlines()[-1]).read_text()
    assert (
        "title: 'SEV2:      Malware'" in text
        or 'title: "SEV2:      Malware"' in text
        or "title: SEV2:      Malware" in text
    )


@pytest.mark.parametrize(
    "line, key", [("docs_dir: [a]\n", "docs_dir"), ("site_url: {a: b}\n", "site_url")]
)
def test_site_settings_of_the_wrong_type_are_exit_2(kb: Path, line: str, key: str) -> None:
    config = kb / "mkdocs.yml"
    text = "\n".join(x for x in config.read_text().split("\n") if not x.startswith(key + ":"))
    config.write_text(text + "\n" + line)
    result = run_process("check", cwd=kb)
    assert result.returncode == 2 and key in result.stderr and "Traceback" not in result.stderr


def test_a_setting_written_twice_is_exit_2_with_its_line(kb: Path) -> None:
    config = kb / "mkdocs.yml"
    text = config.read_text().replace(
        "      audience: internal\n", "      audience: internal\n      audience: restricted\n"
    )
    config.write_text(text)
    result = run_process("check", cwd=kb)
    line = text.split("\n").index("      audience: restricted") + 1
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"mkdocs.yml:{line}:" in result.stderr and "`audience` appears twice" in result.stderr
