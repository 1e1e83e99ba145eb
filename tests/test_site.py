"""The incident library site: real MkDocs builds of real knowledge bases in tmp_path."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import REPO, complete_postmortem_text, run_cli
from postmortem_kb.core.config import config_from_options
from postmortem_kb.core.errors import ConfigError
from postmortem_kb.mkdocs.plugin import PostmortemsConfig
from test_site_support import build, output_texts, write_kb

EPOCH = "1790812800"  # 2026-10-01: A2 of the fixture (due 2026-08-31, in progress) is overdue


@pytest.fixture(scope="module")
def epoch():
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    yield EPOCH
    if saved is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = saved


@pytest.fixture(scope="module")
def kb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kb(tmp_path_factory.mktemp("site") / "kb")


@pytest.fixture(scope="module")
def site(kb_root: Path, epoch: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture knowledge base built for the restricted audience (everything visible)."""
    return build(
        kb_root, tmp_path_factory.mktemp("out") / "site", "--strict", "--audience", "restricted"
    )


def page(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def pm_page(site: Path, pm_id: str) -> str:
    return next(site.glob(f"2026/{pm_id}-*/index.html")).read_text(encoding="utf-8")


# --- the repository's own sample knowledge base ----------------------------------------


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("samples")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "overrides", root / "overrides")
    shutil.copytree(REPO / "postmortems", root / "postmortems")
    return root


def test_sample_knowledge_base_builds_strict(samples: Path, tmp_path: Path):
    result = run_cli("build", "--strict", "-C", str(samples), "--site-dir", str(tmp_path / "s"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "s" / "index.html").is_file()
    assert (tmp_path / "s" / "library" / "metrics" / "index.html").is_file()


def test_public_build_of_samples_holds_nothing_of_the_others(samples: Path, tmp_path: Path):
    from postmortem_kb.core.config import load_config
    from postmortem_kb.core.knowledge_base import load

    postmortems, _ = load(load_config(samples))
    hidden = [pm for pm in postmortems if pm.visibility != "public"]
    shown = [pm for pm in postmortems if pm.visibility == "public" and pm.status != "draft"]
    assert hidden and shown, "the samples should hold post-mortems of several audiences"
    markers = [m for pm in hidden for m in (pm.id, pm.slug, pm.title)]
    site = build(samples, tmp_path / "public", "--strict", "--audience", "public")
    texts = output_texts(site)
    found = [(m, rel) for rel, text in texts.items() for m in markers if m.casefold() in text]
    assert found == []
    assert all(any(pm.id.casefold() in t for t in texts.values()) for pm in shown)


# --- validation: the same findings as `postmortem check` -------------------------------


@pytest.fixture
def broken_kb(kb: Path) -> Path:
    text = complete_postmortem_text("PM-2026-001", "published", "public")
    text = re.sub(
        r"## 9\. Assess Backup and Recovery Function\n.*?(?=\n## 10\.)", "", text, flags=re.S
    )
    text = text.replace("- [x] ", "- [ ] ", 1)
    (kb / "postmortems" / "2026").mkdir(parents=True, exist_ok=True)
    (kb / "postmortems" / "2026" / "PM-2026-001-broken.md").write_text(text, encoding="utf-8")
    return kb


def test_strict_build_of_broken_post_mortem_fails_naming_file_and_line(
    broken_kb: Path, tmp_path: Path
):
    check = run_cli("check", "--format", "json", "-C", str(broken_kb)).json()["findings"]
    errors = [f for f in check if f["severity"] == "error"]
    assert len(errors) >= 2
    result = run_cli("build", "--strict", "-C", str(broken_kb), "--site-dir", str(tmp_path / "s"))
    assert result.exit_code == 1
    for f in errors:  # every error listed before failing, with file, line and message
        assert f"{f['path']}:{f['line']}: {f['rule']} {f['message']}" in result.stderr
    assert "Error:" in result.stderr and "Traceback" not in result.stderr


def test_build_without_strict_lists_findings_and_succeeds(broken_kb: Path, tmp_path: Path):
    result = run_cli("build", "-C", str(broken_kb), "--site-dir", str(tmp_path / "s"))
    assert result.exit_code == 0
    assert "postmortems/2026/PM-2026-001-broken.md:" in result.stderr
    assert (tmp_path / "s" / "2026" / "PM-2026-001-broken" / "index.html").is_file()


def test_checker_warnings_do_not_fail_strict(kb: Path, tmp_path: Path):
    text = complete_postmortem_text("PM-2026-001", "published", "public")
    text = text.replace("## Summary\n", "## Summary\n\nIt was human error.\n", 1)
    (kb / "postmortems" / "2026").mkdir(parents=True, exist_ok=True)
    (kb / "postmortems" / "2026" / "PM-2026-001-x.md").write_text(text, encoding="utf-8")
    result = run_cli("build", "--strict", "-C", str(kb), "--site-dir", str(tmp_path / "s"))
    assert result.exit_code == 0, result.stderr
    assert "PM501" in result.stderr


def test_plain_mkdocs_strict_fails_too(broken_kb: Path, tmp_path: Path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "-d", str(tmp_path / "s")],
        cwd=broken_kb,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert "postmortems/2026/PM-2026-001-broken.md:" in done.stderr


# --- configuration ----------------------------------------------------------------------


def test_plugin_settings_are_the_core_settings():
    for name, option in PostmortemsConfig._schema:
        config_from_options(Path("."), {name: option.default} if option.default is not None else {})
    with pytest.raises(ConfigError, match="unknown"):
        config_from_options(Path("."), {"no_such_setting": 1})


def test_bad_plugin_setting_exits_2(kb: Path):
    text = (kb / "mkdocs.yml").read_text(encoding="utf-8")
    (kb / "mkdocs.yml").write_text(
        text.replace("audience: internal", "audience: secret"), encoding="utf-8"
    )
    result = run_cli("build", "-C", str(kb))
    assert result.exit_code == 2
    assert "audience" in result.stderr and "Traceback" not in result.stderr


def test_broken_theme_exits_2(kb: Path):
    text = (kb / "mkdocs.yml").read_text(encoding="utf-8")
    (kb / "mkdocs.yml").write_text(
        text.replace("name: material", "name: no-such-theme"), encoding="utf-8"
    )
    result = run_cli("build", "-C", str(kb))
    assert result.exit_code == 2
    assert "mkdocs.yml" in result.stderr


def test_fresh_knowledge_base_builds_strict(kb: Path, tmp_path: Path):
    result = run_cli("build", "--strict", "-C", str(kb), "--site-dir", str(tmp_path / "s"))
    assert result.exit_code == 0, result.stderr
    assert "0 post-mortems" in (tmp_path / "s" / "index.html").read_text(encoding="utf-8")


def test_skeleton_overrides_match_the_repository():
    skeleton = REPO / "tooling" / "postmortem_kb" / "templates" / "skeleton"
    ours = sorted(
        p.relative_to(REPO / "overrides") for p in (REPO / "overrides").rglob("*") if p.is_file()
    )
    theirs = sorted(
        p.relative_to(skeleton / "overrides")
        for p in (skeleton / "overrides").rglob("*")
        if p.is_file()
    )
    assert ours == theirs
    for rel in ours:
        assert (REPO / "overrides" / rel).read_bytes() == (
            skeleton / "overrides" / rel
        ).read_bytes(), rel
    repo_yml = yaml.safe_load((REPO / "mkdocs.yml").read_text().replace("!!python/name:", ""))
    skel_yml = yaml.safe_load((skeleton / "mkdocs.yml").read_text().replace("!!python/name:", ""))
    repo_yml.pop("site_name"), skel_yml.pop("site_name")
    # the samples' open actions are fictional: the repository's weekly workflow reports them
    # without failing (see mkdocs.yml); everything else is the same as a new knowledge base
    for plugin in repo_yml["plugins"]:
        if isinstance(plugin, dict) and "postmortems" in plugin:
            assert plugin["postmortems"].pop("overdue_fail_days") == 3650
    assert repo_yml == skel_yml


# --- what the site holds ----------------------------------------------------------------


def test_nothing_is_written_into_docs_dir(kb_root: Path, site: Path):
    docs = kb_root / "postmortems"
    assert not (docs / "library").exists()
    assert sorted(p.name for p in docs.iterdir()) == ["2026", "guide", "index.md", "templates"]


def test_templates_are_not_in_the_site(site: Path):
    assert not (site / "templates").exists()
    assert "templates/" not in page(site, "sitemap.xml")


def test_generated_pages(site: Path):
    for rel in (
        "index.html",
        "library/types/index.html",
        "library/quarters/index.html",
        "library/severities/index.html",
        "library/services/index.html",
        "library/tags/index.html",
        "library/actions/index.html",
        "library/metrics/index.html",
    ):
        assert (site / rel).is_file(), rel
    types = page(site, "library/types/index.html")
    assert 'id="unauthorized-access"' in types
    assert '<a href="../../2026/PM-2026-003-zzrestrictedslug/">PM-2026-003</a>' in types
    services = page(site, "library/services/index.html")
    assert 'id="zzinternalservice"' in services


def test_home_table_is_a_plain_table_with_filter_data(site: Path):
    home = page(site, "index.html")
    table = home[home.index('<table class="pm-library') : home.index("</table>")]
    assert table.count("<tr data-type=") == 3
    assert 'data-severity="SEV2"' in table and 'data-status="published"' in table
    assert '<a href="2026/PM-2026-001-zzpublicslug/">PM-2026-001</a>' in table
    assert "library.js" in home
    for column in ("ID", "Title", "Date", "Quarter", "Type", "Severity", "Status", "Services"):
        assert f">{column}</th>" in table


def test_tracker_lists_overdue_and_open_items_by_owner(site: Path):
    tracker = page(site, "library/actions/index.html")
    overdue = tracker[tracker.index('id="overdue"') : tracker.index('id="by-owner"')]
    assert "A2 Replace long-lived registry tokens" in overdue
    assert "days overdue" in overdue
    assert "A4 Alert on artifact-registry access" not in overdue
    by_owner = tracker[tracker.index('id="by-owner"') :]
    assert 'id="owner-security-operations"' in by_owner
    assert "A4 Alert on artifact-registry access" in by_owner
    assert "A1 Enable secret scanning" not in tracker  # done
    assert 'href="../../2026/PM-2026-002-zzinternalslug/"' in tracker
    assert "as of 2026-10-01" in tracker


def test_metrics_page_has_inline_svg_charts_each_with_a_table(site: Path):
    metrics = page(site, "library/metrics/index.html")
    figures = metrics.split('<div class="pm-figure">')[1:]
    assert len(figures) == 5
    for figure in figures:
        assert '<svg class="pm-chart" role="img"' in figure
        assert '<table class="pm-figures">' in figure
    assert "Median" in metrics and "Closure rate" in metrics
    assert not re.search(
        r'(src|href)="https?://[^"]*\.(js|css|svg)',
        metrics.split('<div class="pm-figure">', 1)[1].split("</article>")[0],
    )


def test_incident_page_header_timeline_and_footer(site: Path):
    html = pm_page(site, "PM-2026-001")
    header = html[html.index('<div class="pm-header"') :]
    assert html.index("</h1>") < html.index('<div class="pm-header"')
    for badge in (
        "pm-badge--id",
        "pm-badge--type",
        "pm-badge--severity",
        "pm-badge--status",
        "pm-badge--visibility",
    ):
        assert badge in header
    assert "Occurred" in header and "Resolved" in header
    assert "to detect" in header and "to contain" in header and "to resolve" in header
    assert '<meter class="pm-meter"' not in header  # published: no authoring meter
    assert "days overdue" in html.split('<table class="pm-action-items">', 1)[1]
    assert "Security Operations" in header
    assert 'href="../../library/services/#ci-runner"' in header
    assert '<table class="pm-timeline">' in html
    assert 'id="related-incidents"' in html and "same service" in html
    assert "blameless" in html


def test_in_review_post_mortem_has_a_banner(kb_root: Path, epoch: str, tmp_path: Path):
    path = kb_root / "postmortems" / "2026" / "PM-2026-002-zzinternalslug.md"
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(
            original.replace("status: published", "status: in-review"), encoding="utf-8"
        )
        site = build(kb_root, tmp_path / "s", "--audience", "internal")
    finally:
        path.write_text(original, encoding="utf-8")
    assert "pm-banner--in-review" in pm_page(site, "PM-2026-002")
    assert '<meter class="pm-meter"' in pm_page(site, "PM-2026-002")
    assert "pm-banner" not in pm_page(site, "PM-2026-001")


def test_nav_holds_no_post_mortem_and_page_weight_does_not_grow(tmp_path: Path, epoch: str):
    small = write_kb(tmp_path / "small")
    big = write_kb(tmp_path / "big")
    base = complete_postmortem_text("PM-2026-100", "published", "public")
    for n in range(100, 140):
        (big / "postmortems" / "2026" / f"PM-2026-{n}-extra-{n}.md").write_text(
            base.replace("PM-2026-100", f"PM-2026-{n}"), encoding="utf-8"
        )
    sizes = []
    for root in (small, big):
        site = build(root, tmp_path / f"site-{root.name}", "--audience", "public")
        html = pm_page(site, "PM-2026-001")
        sizes.append(len(html))
        nav = html[html.index('<nav class="md-tabs"') : html.index("md-nav--secondary")]
        assert "Action tracker" in nav
        assert "PM-2026-" not in nav
    assert abs(sizes[1] - sizes[0]) < 3000, sizes  # at most the few related incidents


def test_same_input_same_output(kb_root: Path, site: Path, epoch: str, tmp_path: Path):
    again = build(kb_root, tmp_path / "again", "--strict", "--audience", "restricted")
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_plain_mkdocs_build_with_audience_variable_matches(
    kb_root: Path, epoch: str, tmp_path: Path
):
    ours = build(kb_root, tmp_path / "ours", "--audience", "public")
    mkdocs = Path(sys.executable).parent / "mkdocs"
    done = subprocess.run(
        [str(mkdocs), "build", "-q", "-d", str(tmp_path / "plain")],
        cwd=kb_root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "POSTMORTEM_AUDIENCE": "public", "SOURCE_DATE_EPOCH": EPOCH},
    )
    assert done.returncode == 0, done.stderr
    plain = tmp_path / "plain"
    a = {p.relative_to(ours): p.read_bytes() for p in ours.rglob("*") if p.is_file()}
    b = {p.relative_to(plain): p.read_bytes() for p in plain.rglob("*") if p.is_file()}
    assert a == b


# --- the commands -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["build", "serve"])
def test_help(command: str):
    result = run_cli(command, "--help")
    assert result.exit_code == 0 and "--audience" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def _wait_for(url: str, want: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        try:
            last = _get(url)
            if want in last:
                return last
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{want!r} not served at {url} within {seconds}s")


def test_serve_shows_drafts_and_reloads_on_change(tmp_path: Path):
    root = write_kb(tmp_path / "kb")
    port = _free_port()
    exe = Path(sys.executable).parent / "postmortem"
    process = subprocess.Popen(
        [str(exe), "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        home = _wait_for(base, "pm-library")
        assert "PM-2026-004" in home  # the draft, shown in the preview
        draft = _wait_for(base + "2026/PM-2026-004-zzdraftslug/", "pm-banner--draft")
        assert "livereload" in draft
        path = root / "postmortems" / "2026" / "PM-2026-001-zzpublicslug.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "title: Incident public", "title: Renamed zzlivereload"
            ),
            encoding="utf-8",
        )
        _wait_for(base, "zzlivereload")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")


def test_incident_page_shows_git_history(tmp_path: Path, epoch: str):
    root = write_kb(tmp_path / "kb")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Responder",
        "GIT_AUTHOR_EMAIL": "ada@x.test",
        "GIT_COMMITTER_NAME": "Ada Responder",
        "GIT_COMMITTER_EMAIL": "ada@x.test",
        "GIT_AUTHOR_DATE": "2026-06-01T10:00:00Z",
        "GIT_COMMITTER_DATE": "2026-06-01T10:00:00Z",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "Add post-mortems\n\nReviewed-by: Grace Lead <grace@x.test>")
    site = build(root, tmp_path / "s", "--audience", "public")
    html = pm_page(site, "PM-2026-001")
    history = html[html.index('id="history"') :]
    assert "2026-06-01 by Ada Responder" in history
    assert "Grace Lead" in history


def test_incident_page_without_git_has_no_history(site: Path):
    assert 'id="history"' not in pm_page(site, "PM-2026-001")


def test_knowledge_base_without_home_page_gets_one(tmp_path: Path, epoch: str):
    root = write_kb(tmp_path / "kb")
    (root / "postmortems" / "index.md").unlink()
    site = build(root, tmp_path / "s", "--strict", "--audience", "public")
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Incident library" in home and "PM-2026-001" in home


def test_own_page_in_place_of_a_generated_one_is_named(tmp_path: Path, epoch: str):
    root = write_kb(tmp_path / "kb")
    (root / "postmortems" / "library").mkdir()
    (root / "postmortems" / "library" / "metrics.md").write_text("# Mine\n", encoding="utf-8")
    result = run_cli("build", "--strict", "-C", str(root), "--site-dir", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "postmortems/library/metrics.md exists" in result.stderr


def test_guide_pages_lose_blocks_above_the_audience_too(tmp_path: Path, epoch: str):
    root = write_kb(tmp_path / "kb")
    (root / "postmortems" / "handbook.md").write_text(  # init writes guide/ itself
        "# Guide\n\nFor all.\n\n!!! restricted\n    zzguiderestricted\n\nAgain for all.\n",
        encoding="utf-8",
    )
    site = build(root, tmp_path / "s", "--strict", "--audience", "internal")
    guide = (site / "handbook" / "index.html").read_text(encoding="utf-8")
    assert "Again for all." in guide and "zzguiderestricted" not in guide
    assert "zzguiderestricted" not in "".join(output_texts(site).values())
    assert 'href="handbook/"' in (site / "index.html").read_text(encoding="utf-8")  # in the nav


def test_audience_option_wins_over_the_variable_and_is_not_left_behind(
    tmp_path: Path, epoch: str, monkeypatch: pytest.MonkeyPatch
):
    root = write_kb(tmp_path / "kb")
    monkeypatch.setenv("POSTMORTEM_AUDIENCE", "restricted")
    site = build(root, tmp_path / "s", "--audience", "public")
    assert not any("zzrestricted" in t for t in output_texts(site).values())
    assert os.environ["POSTMORTEM_AUDIENCE"] == "restricted"
    monkeypatch.delenv("POSTMORTEM_AUDIENCE")
    build(root, tmp_path / "s2", "--audience", "internal")
    assert "POSTMORTEM_AUDIENCE" not in os.environ
