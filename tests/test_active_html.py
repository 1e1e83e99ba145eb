"""PM402 decided on what the browser gets, and the one sanitizer policy the site uses.

Each named form of active HTML is reported on the source line it came from; ordinary prose
that merely mentions HTML or JavaScript is not. The sanitizer keeps what Material's pages
need and removes everything PM402 reports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli
from postmortem_kb.core import sanitize
from postmortem_kb.core.sanitize import Renderer

# (name, Markdown, line of the finding within it)
ACTIVE = [
    ("script element", "<script>steal()</script>", 1),
    ("img onerror on a later line", 'Text.\n\n<img src="x"\n     onerror="steal()">', 4),
    (
        "quoted in backticks, then active",
        "Quoted: `<img src=x onerror=steal()>`.\n\n<img src=x onerror=steal()>",
        3,
    ),
    ("svg slash onload", "<svg/onload=steal()>", 1),
    ("details ontoggle", "<details open ontoggle=steal()>x</details>", 1),
    ("attribute list on an image", "![x](y.png){onerror=steal()}", 1),
    ("attribute list on a heading", "### Heading {: onmouseover=steal() }", 1),
    ("tab-split javascript in an HTML link", '<a href="java&#x09;script:steal()">x</a>', 1),
    ("entity javascript in a Markdown link", "[x](jav&#x61;script:steal())", 1),
    ("javascript in a Markdown link", "Intro.\n\n[x](javascript:steal())", 3),
    ("javascript in a reference definition", "[x][r]\n\n[r]: javascript&colon;steal()", 3),
    ("newline-split javascript in a Markdown link", "[x](javas\ncript:steal())", 1),
    ("reference definition on the next line", "[x][r]\n\n[r]:\n    javascript:steal()", 4),
    ("vbscript link", '<a href="vbscript:msgbox(1)">x</a>', 1),
    ("data URL link", "[x](data:text/html;base64,PHNjcmlwdD4=)", 1),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example">', 1),
    ("iframe", '<iframe src="https://example.com"></iframe>', 1),
    ("object", '<object data="x.swf"></object>', 1),
    ("embed", '<embed src="x.swf">', 1),
    ("base", '<base href="https://evil.example/">', 1),
    ("form action", '<form action="https://evil.example"><input name=q></form>', 1),
    ("button formaction", '<button formaction="https://evil.example">go</button>', 1),
    ("comment trick", "<!--> <img src=x onerror=steal()> -->", 1),
    ("unclosed fence", "Text.\n\n````\n\n<img src=x onerror=steal()>", 5),
    ("noscript trick", '<noscript><p title="</noscript><img src=x onerror=steal()>">', 1),
    ("svg link", '<svg><a xlink:href="javascript:steal()"><text>x</text></a></svg>', 1),
    ("handler in md_in_html", '<div markdown="1" onclick="steal()">\n\n*x*\n\n</div>', 1),
]

HARMLESS = [
    ("prose starting JavaScript:", "JavaScript: the payload ran in the support widget."),
    ("prose with Data:", "Data: 14 GB were exported before containment."),
    ("inline code shows a script", "The payload was `<script>alert(1)</script>` in a comment."),
    ("inline code shows a handler", "The filter missed `<img src=x onerror=alert(1)>`."),
    ("fenced code", "```html\n<img src=x onerror=alert(1)>\n<script>x()</script>\n```"),
    ("entities shown as text", "We saw &lt;script&gt; and &#60;svg onload&#62; in logs."),
    ("comparisons", "Latency was < 200 ms and error rate > 2% for a while; a<b."),
    ("autolink", "See <https://example.com/docs> and <mailto:soc@example.com>."),
    ("path mentioning javascript:", "[docs](https://example.com/javascript:guide)"),
    ("attribute list without handlers", "### Heading { #custom-id .important }"),
    ("data image", '<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">'),
    ("harmless tags", "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>; <mark>note</mark>."),
    ("details without handlers", "<details><summary>More</summary>\n\nText.\n\n</details>"),
    ("a comment", "<!-- guidance for the author -->\nText."),
    ("an http link", '<a href="https://example.com" title="JavaScript: docs">x</a>'),
]


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    """Markdown set up as a knowledge base from `postmortem init` sets it up."""
    root = tmp_path_factory.mktemp("kb") / "kb"
    assert run_cli("init", str(root)).exit_code == 0
    return sanitize.renderer_for(root)


@pytest.mark.parametrize("name,markdown,line", ACTIVE, ids=[a[0] for a in ACTIVE])
def test_active_html_is_found_on_its_line(
    renderer: Renderer, name: str, markdown: str, line: int
) -> None:
    found = sanitize.active_lines(markdown, 10, renderer)
    assert [at for at, _ in found] == [9 + line], found


@pytest.mark.parametrize("name,markdown,line", ACTIVE, ids=[a[0] for a in ACTIVE])
def test_the_sanitizer_removes_what_pm402_reports(
    renderer: Renderer, name: str, markdown: str, line: int
) -> None:
    cleaned = sanitize.clean(renderer.render(markdown))
    assert sanitize.active_parts(cleaned) == [], cleaned


@pytest.mark.parametrize("name,markdown", HARMLESS, ids=[h[0] for h in HARMLESS])
def test_ordinary_prose_is_not_active_html(renderer: Renderer, name: str, markdown: str) -> None:
    assert sanitize.active_lines(markdown, 1, renderer) == []


def test_a_long_line_of_unclosed_tags_is_decided_without_rendering(renderer: Renderer) -> None:
    # Python-Markdown's HTML reader rescans from every `<` without `>`: 48 KB of `<a `
    # would take it tens of seconds. The check costs that first and refuses the line.
    text = "Fine line.\n" + "<a " * 16000 + "\n"
    (finding,) = sanitize.active_lines(text, 1, renderer)
    assert finding[0] == 2 and "never closes" in finding[1]


def test_check_reports_pm402_with_file_and_line(kb: Path, write_pm) -> None:
    text = complete_postmortem_text().replace(
        "## Summary\n", "## Summary\n\nThe page had\n<img src=x\n onerror=steal()>.\n", 1
    )
    write_pm(text)
    line = text.split("\n").index(" onerror=steal()>.") + 1
    result = run_cli("-C", str(kb), "check", "--format", "json")
    assert result.exit_code == 1
    (finding,) = result.json()["findings"]
    assert (finding["rule"], finding["line"]) == ("PM402", line)
    assert "onerror" in finding["message"]


def test_html_in_front_matter_is_shown_as_text_not_reported(kb: Path, write_pm) -> None:
    # Every front-matter value is escaped wherever the site places it (tests in
    # test_script_payloads.py), so a title that names a payload is ordinary text.
    text = complete_postmortem_text()
    title = next(line for line in text.split("\n") if line.startswith("title: "))
    write_pm(text.replace(title, 'title: "Stored XSS: <script> tags in support tickets"', 1))
    assert run_cli("-C", str(kb), "check", "--format", "json").json()["findings"] == []


def test_new_writes_a_title_into_the_body_as_text(kb: Path) -> None:
    result = run_cli(
        "-C",
        str(kb),
        "new",
        "--no-git",
        "--type",
        "phishing",
        "--severity",
        "SEV3",
        "--owner",
        "SecOps",
        "--occurred",
        "2026-03-01 10:00",
        "--title",
        "<svg/onload=steal()> x {: onclick=steal() }",
    )
    assert result.exit_code == 0, result.output + result.stderr
    text = (kb / result.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert "# PM-2026-001: &lt;svg/onload=steal()&gt; x \\{: onclick=steal() \\}" in text
    findings = run_cli("-C", str(kb), "check", "--format", "json").json()["findings"]
    assert "PM402" not in {f["rule"] for f in findings}


MATERIAL_FEATURES = """# Title

!!! note "A note"
    Inside.

??? warning "Folded"
    Hidden.

| Left | Right |
|:-----|------:|
| a    | 1     |

- [x] done
- [ ] open

Text with a footnote.[^1]

[^1]: The note.

```python
print("hi")
```

## Heading { #custom .cls }

[link](https://example.com "title") ![img](pic.png){ width="20" }
"""


def test_the_policy_keeps_what_material_needs() -> None:
    renderer = Renderer(
        [
            "admonition",
            "attr_list",
            "md_in_html",
            "tables",
            "toc",
            "footnotes",
            "pymdownx.details",
            "pymdownx.superfences",
            "pymdownx.tasklist",
        ],
        {"toc": {"permalink": True}, "pymdownx.tasklist": {"custom_checkbox": True}},
    )
    html = renderer.render(MATERIAL_FEATURES)
    cleaned = sanitize.clean(html)
    for kept in (
        'class="admonition note"',
        'class="admonition-title"',
        "<details",
        "<summary>",
        'type="checkbox"',
        'class="task-list-item"',
        'class="headerlink"',
        'href="#fn:1"',
        'id="fn:1"',
        'class="footnote-ref"',
        'class="highlight"',
        '<span class="nb">print</span>',
        'id="custom"',
        'title="title"',
        'src="pic.png"',
        'width="20"',
    ):
        assert kept in html and kept in cleaned, kept
    assert 'style="text-align: right;"' in html and 'style="text-align:right"' in cleaned
