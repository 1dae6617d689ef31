"""Words of a text for matching: the search analyzer's jieba segmentation, without stop words,
single characters or numbers, with synonyms folded onto one word (老人 / 长者 / 老年人 → one
term) so that a company writing 长者 finds a project about 老人. PURE (no Flask, no database).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from marketplace.search.analysis import STOP_WORDS, is_cjk, segment, synonym_groups

# Field weights for a project's text: the title says what the project is, the description is long
# and repeats itself, so one word of title counts as three of description.
FIELD_WEIGHTS = (("title", 3), ("tags", 2), ("summary", 2), ("description", 1))
# A long description adds little beyond its first paragraphs and costs segmentation time.
DESCRIPTION_CHARS = 600

# Words that appear in almost every project and say nothing about its fit.
_GENERIC_TEXT = """
    项目 公益 活动 服务 开展 社会 组织 我们 通过 进行 提供 计划 希望 支持 帮助 爱心 关爱 企业 贵司
    公司 一起 温州 需要 更多 相关 工作 资金 善款 用于 每月 每周 以及 他们 可以 参与 孩子们
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())


@lru_cache(maxsize=1)
def _canonical() -> dict[str, str]:
    """Every synonym → the first word (in sort order) of all the groups it belongs to."""
    mapping: dict[str, str] = {}
    for group in synonym_groups():
        head = min(group)
        for word in group:
            mapping[word] = min(head, mapping.get(word, head))
    return mapping


def words(text: str) -> list[str]:
    """Meaningful words of ``text`` in order, folded onto their synonym group, repeats kept."""
    canonical = _canonical()
    out: list[str] = []
    for line in segment(text):
        for word in line:
            if word in STOP_WORDS or word in _GENERIC or len(word) < 2 or word.isdigit():
                continue
            if not is_cjk(word) and not word.isalpha():
                continue
            out.append(canonical.get(word, word))
    return out


def weighted_terms(fields: dict[str, str]) -> dict[str, int]:
    """Term frequencies of a project's text with ``FIELD_WEIGHTS`` applied."""
    counts: Counter[str] = Counter()
    for name, weight in FIELD_WEIGHTS:
        text = fields.get(name) or ""
        if name == "description":
            text = text[:DESCRIPTION_CHARS]
        for word in words(text):
            counts[word] += weight
    return dict(counts)
