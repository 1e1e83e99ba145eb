"""The audience cut enforced on the parse that renders: a Python-Markdown extension.

`audience.cut_marked_blocks` blanks out the blocks above the audience before Markdown is
rendered, and the models every output reads come from that same cut text. This extension
checks the renderer's own parse afterwards, so that no look-alike fence, comment or quote can
make the two disagree and publish a block: any element the renderer produced with an audience
class above the build's audience (an admonition, `<details>`, an attribute list, raw HTML), or
a paragraph that starts like an audience marker, is dropped from the page and recorded as a
problem; the site door fails the build on it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .audience import LEVELS, may_see

_CLASS_WORD = re.compile(r"(?<![A-Za-z0-9])(restricted|internal)(?![A-Za-z0-9])", re.I)
_RAW_CLASS = re.compile(r"\bclass\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_MARKER_TEXT = re.compile(
    r"^\s*(?:!!!|\?\?\?)\+?[^\"'\n]*?(?<![A-Za-z0-9])"
    r"(?:restricted|internal)(?![A-Za-z0-9])",
    re.I,
)


class AudienceGuard:
    """Shared between the plugin and the extension: the audience of the build, the page
    being rendered, and what the renderer found that the cut missed."""

    def __init__(self, audience: str) -> None:
        self.audience = audience
        self.page = ""
        self.problems: list[str] = []
        self._seen: dict[str, str | None] = {}  # class attributes repeat on every page

    def above(self, classes: str) -> str | None:
        """The audience named in CLASSES that this build's audience may not see, if any."""
        try:
            return self._seen[classes]
        except KeyError:
            pass
        found = None
        for match in _CLASS_WORD.finditer(classes):
            level = match.group(1).lower()
            if level in LEVELS and not may_see(self.audience, level):
                found = level
                break
        if len(self._seen) < 10_000:
            self._seen[classes] = found
        return found


class _Cut(Treeprocessor):
    def __init__(self, md: Markdown, guard: AudienceGuard) -> None:
        super().__init__(md)
        self.guard = guard

    def run(self, root: etree.Element) -> None:
        guard = self.guard
        drop: list[tuple[etree.Element, etree.Element]] = []
        for parent in root.iter():
            for child in parent:
                classes = child.get("class")  # most elements have none: nothing to match
                level = guard.above(classes) if classes else None
                if (
                    level is None
                    and child.tag == "p"
                    and child.text
                    and _MARKER_TEXT.match(child.text)
                ):
                    level = "restricted"
                if level is not None:
                    drop.append((parent, child))
        for parent, child in drop:
            title = " ".join("".join(child.itertext()).split())[:60]
            guard.problems.append(
                f"{guard.page}: a block marked `{child.get('class') or title}`"
                f" reached the renderer of the {guard.audience} build "
                f'("{title}"): write it as `!!! restricted "Title"` at '
                "the start of a line with its content indented; it was "
                "not published"
            )
            parent.remove(child)
        stash = self.md.htmlStash
        for index, raw in enumerate(stash.rawHtmlBlocks):
            text = raw if isinstance(raw, str) else etree.tostring(raw, encoding="unicode")
            for value in _RAW_CLASS.findall(text):
                if guard.above(value):
                    guard.problems.append(
                        f"{guard.page}: raw HTML with class {value} cannot "
                        "be cut for an audience: write the block as "
                        '`!!! restricted "Title"`; it was not published'
                    )
                    stash.rawHtmlBlocks[index] = ""
                    break


class AudienceExtension(Extension):
    """Registered by the `postmortems` plugin for every page of a build."""

    def __init__(self, guard: AudienceGuard, **kwargs: Any) -> None:
        self.guard = guard
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        # After attribute lists (priority 8) and before the raw HTML goes back in.
        md.treeprocessors.register(_Cut(md, self.guard), "postmortems_audience", 1)
