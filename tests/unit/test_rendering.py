from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from marketplace.rendering import ALLOWED_TAGS, render_markdown


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def assert_safe(html: str) -> None:
    """Judge the output as a browser would: decoded attribute values, every tag and attribute."""
    parsed = parse(html)
    assert set(parsed.tags) <= ALLOWED_TAGS, parsed.tags
    for tag, name, value in parsed.attributes:
        assert not name.startswith("on"), (tag, name)
        assert name in {"href", "title", "rel", "align"}, (tag, name)
        if name == "href":
            assert re.match(r"(https?://|mailto:)", value), value
    lowered = html.lower()
    for marker in ("<script", "<svg", "<iframe", "<img", "<style", "<object", "<embed", "style=", "<!--"):
        assert marker not in lowered, marker


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<p onclick="alert(1)">x</p>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="java\u200bscript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\u200bscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](https://tracker.example/pixel.png)",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    "<form action=https://evil.example><input name=p><button>go</button></form>",
    "<object data=https://evil.example/x.swf></object><embed src=https://evil.example/x.swf>",
    "<!-- <script>alert(1)</script> -->",
    "<style>body{display:none}</style>",
    '<div style="position:fixed;top:0">overlay</div>',
    "<base href=https://evil.example/>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "[x](//evil.example/path)",
    "[x](/staff/projects/1/publish)",
    '<a href="#top">x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payloads_never_survive(payload: str) -> None:
    assert_safe(render_markdown(payload))
    assert_safe(render_markdown(f"正文\n\n{payload}\n\n结尾"))
    assert_safe(render_markdown(f"- 列表 {payload}"))


def test_script_content_is_dropped_not_shown() -> None:
    html = render_markdown("<script>alert(1)</script>好")
    assert "alert" not in html
    assert "好" in html


def test_dangerous_links_keep_their_text_but_lose_the_href() -> None:
    html = render_markdown("[点这里](javascript:alert(1))")
    assert "点这里" in html
    assert "href" not in html


def test_relative_and_protocol_relative_links_are_denied() -> None:
    assert "href" not in render_markdown("[x](/logout)")
    assert "href" not in render_markdown("[x](//evil.example)")
    assert "href" not in render_markdown("[x](page.html)")


def test_markdown_basics_render() -> None:
    html = render_markdown(
        "## 项目介绍\n\n我们为**留守儿童**提供*课后*辅导。\n\n"
        "- 周一\n- 周三\n\n1. 报名\n2. 参加\n\n> 引用\n\n`code`\n\n---\n"
    )
    assert "<h3>项目介绍</h3>" in html
    assert "<strong>留守儿童</strong>" in html
    assert "<em>课后</em>" in html
    assert "<ul>\n<li>周一</li>\n<li>周三</li>\n</ul>" in html
    assert "<ol>\n<li>报名</li>\n<li>参加</li>\n</ol>" in html
    assert "<blockquote>" in html
    assert "<code>code</code>" in html
    assert "<hr>" in html


def test_links_get_rel_and_keep_title() -> None:
    html = render_markdown('[官网](https://example.org/about?a=1&b=2 "关于我们")')
    assert 'href="https://example.org/about?a=1&amp;b=2"' in html
    assert 'title="关于我们"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_author_rel_and_target_are_replaced() -> None:
    parsed = parse(render_markdown('<a href="https://example.org" rel="opener" target="_blank">x</a>'))
    assert [(name, value) for tag, name, value in parsed.attributes if name != "href"] == [
        ("rel", "noopener noreferrer nofollow")
    ]


def test_mailto_autolink_survives() -> None:
    html = render_markdown("联系 <help@example.org>")
    parsed = parse(html)
    assert ("a", "href", "mailto:help@example.org") in parsed.attributes


def test_headings_are_shifted_below_the_page_title() -> None:
    html = render_markdown("# 一\n\n## 二\n\n### 三\n\n#### 四\n\n###### 六")
    assert "<h1" not in html
    assert "<h2>一</h2>" in html
    assert "<h3>二</h3>" in html
    assert "<h4>三</h4>" in html
    assert "<h4>四</h4>" in html
    assert "<h4>六</h4>" in html


def test_tables_keep_alignment_without_style() -> None:
    html = render_markdown("| 用途 | 金额 |\n|:--|--:|\n| 图书 | 500 |\n")
    assert '<th align="left">用途</th>' in html
    assert '<td align="right">500</td>' in html
    assert "style" not in html


def test_code_blocks_escape_html() -> None:
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in html
    assert_safe(html)


def test_plain_text_is_escaped() -> None:
    assert render_markdown("1 < 2 & 3 > 2") == "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_input(text: str) -> None:
    assert render_markdown(text) == ""
