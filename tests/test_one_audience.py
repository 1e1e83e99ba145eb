"""One audience for the command line and the site: by default `stats`, `actions`, `export`
and `controls` answer for the site's audience and scope, so the same question gets the same
number everywhere. The site is built for real and its figures read back from its pages."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from test_site_support import build

EPOCH = "1790812800"  # 2026-10-01
AS_OF = "2026-10-01"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("one-audience")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "overrides", root / "overrides")
    shutil.copytree(REPO / "postmortems", root / "postmortems")
    return root


def site_figures(root: Path, site: Path, *args: str) -> dict[str, int]:
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        build(root, site, *args)
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    metrics = (site / "library" / "metrics" / "index.html").read_text(encoding="utf-8")
    tracker = (site / "library" / "actions" / "index.html").read_text(encoding="utf-8")
    home = (site / "index.html").read_text(encoding="utf-8")
    counted = re.search(r"(\d+) post-mortems? counted", metrics)
    actions = re.search(r"as of " + AS_OF + r": (\d+), of which (\d+) overdue", tracker)
    listed = re.search(
        r'class="pm-library-count">(?:The \d+ most recent of )?([\d,]+) post-m', home
    )
    assert counted and actions and listed
    return {
        "stats": int(counted.group(1)),
        "open": int(actions.group(1)),
        "overdue": int(actions.group(2)),
        "library": int(listed.group(1).replace(",", "")),
    }


def command_figures(root: Path, *args: str) -> dict[str, int]:
    def data(*command: str):  # type: ignore[no-untyped-def]
        result = run_cli("-C", str(root), *command, *args)
        assert result.exit_code == 0, result.stderr
        return result.json()

    stats = data("stats", "--format", "json", "--as-of", AS_OF)
    open_rows = data("actions", "--status", "open", "--format", "json", "--as-of", AS_OF)
    exported = data("export", "--format", "json", "--as-of", AS_OF)
    return {
        "stats": stats["count"],
        "open": len(open_rows),
        "overdue": sum(bool(r["overdue"]) for r in open_rows),
        "library": len(exported),
    }


def test_default_commands_give_the_sites_figures(samples: Path, tmp_path: Path):
    site = site_figures(samples, tmp_path / "site")
    commands = command_figures(samples)
    assert site == commands
    # the samples hold restricted post-mortems that the default (internal) site leaves out
    everything = command_figures(samples, "--audience", "restricted")
    assert everything["stats"] > commands["stats"]


def test_another_audience_gives_that_sites_figures(samples: Path, tmp_path: Path):
    site = site_figures(samples, tmp_path / "site", "--audience", "public")
    assert site == command_figures(samples, "--audience", "public")
    assert site["stats"] < command_figures(samples)["stats"]
