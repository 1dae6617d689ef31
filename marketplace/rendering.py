"""User Markdown → safe HTML: render with ``markdown``, then sanitise with ``nh3``.

The Markdown library passes raw HTML through untouched; that is acceptable only because nh3 runs
afterwards on the whole output with a tight allow-list. Never mark user text ``|safe`` without
going through :func:`render_markdown`.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre",
        "h2", "h3", "h4", "a", "hr",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}}
# Only table cell alignment, and only as the attribute the tables extension writes (no style).
_ALIGN_VALUES = {"align": {"left", "center", "right"}}
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Their text is code or markup, not prose: drop it with the tag instead of showing it as text.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "template", "noscript", "iframe", "svg", "math", "textarea"}
)

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes=ALLOWED_ATTRIBUTES,
    tag_attribute_values={"th": _ALIGN_VALUES, "td": _ALIGN_VALUES},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    # A relative href would resolve against our own origin (e.g. /staff/…/publish) and a
    # protocol-relative one against any host: user content may only link to full URLs.
    url_relative="deny",
    link_rel=LINK_REL,
    strip_comments=True,
)


class _ShiftHeadings(Treeprocessor):
    """The page owns <h1> (the project title): user "#" becomes h2, and nothing goes below h4."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1] in "123456":
                element.tag = f"h{min(int(element.tag[1]) + 1, 4)}"


class _ShiftHeadingsExtension(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Low priority: after every block is built, before serialisation.
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 1)


def _markdown() -> markdown.Markdown:
    # A Markdown instance keeps state between conversions and is not thread-safe: one per call.
    return markdown.Markdown(
        extensions=["fenced_code", "tables", "sane_lists", _ShiftHeadingsExtension()],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def render_markdown(text: str) -> str:
    """Render user-written Markdown to HTML that is safe to insert into a page."""
    if not text or not text.strip():
        return ""
    return _render(text)


@functools.lru_cache(maxsize=512)
def _render(text: str) -> str:
    # The same text gives the same HTML: a project page shows the same description at every visit,
    # and building a Markdown parser, converting and sanitising cost ~2 ms each time.
    return _cleaner.clean(_markdown().convert(text))
