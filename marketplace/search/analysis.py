"""Chinese text analysis for the search index: jieba segmentation, per-character tokens, pinyin and
synonyms. No Whoosh index access here (the Whoosh ``Analyzer`` wrapper at the bottom only adapts the
token stream), so the functions can be used by the engine at index time and at query time alike.

Index time (one jieba pass per text, memoised so the fields that share a text share the pass):

* word fields: jieba *precise* segmentation; every word gets the next position and the
  dictionary sub-words of a long word (search mode: 鹿城区 → 鹿城 / 城区) share that word's
  position, so positions are numbered in order and quoted phrases match word sequences;
* a character field over the short texts (title, summary, tags): every CJK character and every
  pair of adjacent characters, so a single character inside a word (书 in
  图书) and words that jieba cut differently in context (助餐 in 长者助餐点 → 助 / 餐点) are still
  found there (the description is left out: it would more than double the indexing time);
* a pinyin field for titles and tags: full pinyin of every two adjacent characters (jinglao), of
  every word and of every two adjacent words, initials of every word (jl), whole-text pinyin.

jieba runs in precise mode without its HMM (see ``_cut_run``), through a faster re-implementation
of the same dictionary path search (``_cut_dag``, identical output). Query time uses the same
normalisation and segmentation (no sub-words), see ``query_words``.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Analyzer, Token

log = logging.getLogger(__name__)

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")
MAX_TOKEN_LENGTH = 40  # longer runs (a 10,000-digit number) are cut, never indexed whole

# Chinese function words and English stop words: neither indexed as words nor searched (a query of
# only stop words lists everything). They take no position: a quoted "爱心的家" is the words 爱心,
# 家 in sequence. The character field keeps every character.
_STOP_WORDS_TEXT = """
    的 了 和 与 及 在 是 为 等 之 或 也 而 并 其 于 着 吗 呢 吧 啊 呀
    a an and are as at be but by for from has have if in into is it its of on or such than that the
    their then there these they this to was we were which with
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{_CJK}]+")
# A token is a run of CJK characters or a run of other letters/digits (Latin, digits, kana, ...).
_PARTS = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")
_IS_CJK = re.compile(f"^[{_CJK}]+$")
_ASCII_WORD = re.compile(r"^[a-z]+$")

_ready = False
_ready_lock = threading.Lock()
_cache_dir: Path | None = None


# --- setup -----------------------------------------------------------------------------------------


def _default_cache_dir() -> Path:
    configured = os.environ.get("MARKETPLACE_JIEBA_CACHE_DIR")
    if configured:
        return Path(configured)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"qingqinchou-jieba-{uid}"


def _private_dir(path: Path) -> Path:
    """A directory only this user can write, so nobody can plant a jieba cache (jieba loads it
    with ``marshal``)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            raise PermissionError(f"{path} is not a private directory")
        return path
    except OSError:
        return Path(tempfile.mkdtemp(prefix="qingqinchou-jieba-"))


def warm_up(cache_dir: Path | None = None) -> None:
    """Initialise jieba (its cache file in ``cache_dir`` — by default a private per-user directory
    under the system temp dir, or ``$MARKETPLACE_JIEBA_CACHE_DIR`` — never ``/tmp/jieba.cache``),
    teach it the synonym words, and load pypinyin. Once per process; later calls return at once."""
    global _ready, _cache_dir
    if _ready:
        return
    with _ready_lock:
        if _ready:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        _cache_dir = _private_dir(Path(cache_dir) if cache_dir else _default_cache_dir())
        jieba.dt.tmp_dir = str(_cache_dir)
        jieba.dt.cache_file = "qingqinchou-jieba.cache"
        jieba.dt.initialize()
        # Synonym entries become dictionary words so they are cut whole (认知症, 老年痴呆, …) at
        # index and query time alike. Deterministic: every process adds the same words in order.
        freq = jieba.dt.FREQ
        for word in sorted({w for group in synonym_groups() for w in group}):
            if _IS_CJK.match(word) and len(word) > 1 and not freq.get(word):
                jieba.dt.add_word(word)
        global _log_total
        _log_total = math.log(jieba.dt.total)
        _LOG_PROB.clear()
        import pypinyin  # noqa: F401  (loads its dictionaries now, not in the first request)

        _pinyin_run("预热")
        _ready = True


def _jieba():
    if not _ready:
        warm_up()
    import jieba

    return jieba.dt


# --- normalisation and segmentation --------------------------------------------------------------


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits → ASCII) and lower case."""
    if not text:
        return ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def is_cjk(word: str) -> bool:
    return bool(_IS_CJK.match(word))


def _split_word(word: str) -> list[str]:
    """One jieba word → clean tokens: CJK runs and letter/digit runs; punctuation and spaces go."""
    parts = _PARTS.findall(word)
    return [p[:MAX_TOKEN_LENGTH] for p in parts]


# jieba cuts each run of Chinese/Latin/digit characters between punctuation on its own, so cutting
# run by run gives the same words — and runs repeat a lot (boilerplate such as 反响热烈 or
# 所有财务信息将按月在平台公开), so they are memoised.
_JIEBA_RUN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-]+)")


_LOG_PROB: dict[str, float] = {}  # word → log(frequency / total), filled as words are met
_log_total = 0.0
_LOG_TABLE: dict[str, float | None] | None = None  # every dictionary entry at once, for bulk indexing
_MISSING = object()


def prepare_bulk_indexing() -> None:
    """Precompute jieba's whole dictionary as log probabilities (~0.3 s, ~25 MB): bulk indexing
    then segments faster. Call before forking index-building workers; not needed for queries."""
    global _LOG_TABLE
    if _LOG_TABLE is None:
        freq = _jieba().FREQ
        log_total = _log_total
        _LOG_TABLE = {word: (math.log(f) - log_total if f else None) for word, f in freq.items()}


def _cut_dag(sentence: str) -> list[str]:
    """jieba's precise mode without HMM (``Tokenizer.__cut_DAG_NO_HMM``: the most probable path
    through the dictionary DAG, single Latin letters/digits glued together) — the same words,
    computed in one backward pass without jieba's per-character generators and logarithms."""
    freq = _jieba().FREQ
    log_prob = _LOG_PROB
    log_total = _log_total
    n = len(sentence)
    best = [0.0] * (n + 1)
    end = list(range(n))
    table = _LOG_TABLE
    if table is not None:  # bulk indexing: one lookup per fragment
        for idx in range(n - 1, -1, -1):
            best_value: float | None = None
            i = idx
            frag = sentence[idx]
            while i < n:
                lp = table.get(frag, _MISSING)
                if lp is _MISSING:
                    break
                if lp is not None:
                    value = lp + best[i + 1]  # type: ignore[operator]
                    if best_value is None or value >= best_value:
                        best_value = value
                        end[idx] = i
                i += 1
                frag = sentence[idx : i + 1]
            best[idx] = -log_total + best[idx + 1] if best_value is None else best_value
        return _glue(sentence, end)
    for idx in range(n - 1, -1, -1):
        best_value: float | None = None
        i = idx
        frag = sentence[idx]
        while i < n:
            f = freq.get(frag)
            if f is None:
                break
            if f:
                lp = log_prob.get(frag)
                if lp is None:
                    lp = log_prob[frag] = math.log(f) - log_total
                value = lp + best[i + 1]
                if best_value is None or value >= best_value:  # ties: the longer word, as jieba
                    best_value = value
                    end[idx] = i
            i += 1
            frag = sentence[idx : i + 1]
        if best_value is None:
            best_value = -log_total + best[idx + 1]
        best[idx] = best_value
    return _glue(sentence, end)


def _glue(sentence: str, end: list[int]) -> list[str]:
    """Words along the chosen path; single Latin letters and digits glued together (as jieba)."""
    n = len(sentence)
    out: list[str] = []
    buf = ""
    x = 0
    while x < n:
        y = end[x] + 1
        word = sentence[x:y]
        if y - x == 1 and word.isascii() and word.isalnum():
            buf += word
        else:
            if buf:
                out.append(buf)
                buf = ""
            out.append(word)
        x = y
    if buf:
        out.append(buf)
    return out


@lru_cache(maxsize=131072)
def _cut_run(run: str) -> tuple[str, ...]:
    """jieba precise mode over one run, cleaned. Without jieba's HMM new-word guessing: it is
    slower, and it guesses differently in different contexts, so a word in a query could be cut
    otherwise than the same word inside a document; unknown words become single characters on
    both sides instead."""
    out: list[str] = []
    append = out.append
    for word in _cut_dag(run):
        if word.isalnum():  # the usual case: one clean CJK or Latin/digit word
            append(word if len(word) <= MAX_TOKEN_LENGTH else word[:MAX_TOKEN_LENGTH])
        elif len(word) > 1:
            out.extend(_split_word(word))
    return tuple(out)


@lru_cache(maxsize=2048)
def _cut_line(line: str) -> tuple[str, ...]:
    """Clean precise-mode words of one normalised line (memoised: the fields that share a text —
    title words and title pinyin — share one pass)."""
    out: list[str] = []
    for i, part in enumerate(_JIEBA_RUN.split(line)):
        if not part:
            continue
        if i % 2:
            out.extend(_cut_run(part))
        else:  # between runs: spaces, punctuation, other scripts (kept letter by letter, as jieba)
            out.extend(ch for ch in part if ch.isalnum())
    return tuple(out)


def segment(text: str) -> list[list[str]]:
    """Normalised text → lines → precise-mode words (stop words kept)."""
    return [list(_cut_line(line)) for line in normalize(text).splitlines() if line.strip()]


def _subwords(word: str, freq: dict[str, int]) -> list[str]:
    """jieba search mode's extra dictionary words inside a long word (2- and 3-character grams)."""
    n = len(word)
    subs = [word[i : i + 2] for i in range(n - 1) if freq.get(word[i : i + 2])]
    if n > 3:
        subs += [word[i : i + 3] for i in range(n - 2) if freq.get(word[i : i + 3])]
    return subs


def word_positions(text: str) -> dict[str, list[int]]:
    """Index tokens of a word field: term → sorted positions. Words are numbered in order, stop
    words are dropped without taking a position, dictionary sub-words of a long word (search
    mode) share that word's position, and each new line (e.g. the next tag) leaves a gap so
    phrases do not run across lines."""
    positions: dict[str, list[int]] = {}
    freq = _jieba().FREQ
    stop = STOP_WORDS
    pos = 0
    for words in segment(text):
        for word in words:
            if word in stop:
                continue
            plist = positions.get(word)
            if plist is None:
                positions[word] = [pos]
            elif plist[-1] != pos:
                plist.append(pos)
            if len(word) > 2 and not word.isascii():
                for sub in _subwords(word, freq):
                    plist = positions.get(sub)
                    if plist is None:
                        positions[sub] = [pos]
                    elif plist[-1] != pos:
                        plist.append(pos)
            pos += 1
        pos += 1
    return positions


def word_tokens(text: str) -> list[tuple[str, int]]:
    """The same tokens as ``word_positions`` as (term, position) pairs in position order."""
    pairs = [(term, p) for term, plist in word_positions(text).items() for p in plist]
    pairs.sort(key=lambda tp: tp[1])
    return pairs


def split_pieces(word: str) -> list[str]:
    """A long word cut into shorter dictionary words (垃圾分类 → 垃圾 / 分类, 四点钟课堂 → 四点 / 钟 /
    课堂): how a document may have cut the same characters in another context."""
    freq = _jieba().FREQ
    pieces: list[str] = []
    i, n = 0, len(word)
    while i < n:
        for size in (3, 2, 1):
            piece = word[i : i + size]
            if size == 1 or (len(piece) == size and piece != word and freq.get(piece)):
                pieces.append(piece)
                i += size
                break
    return pieces


def char_tokens(text: str) -> list[str]:
    """Every CJK character and every pair of adjacent CJK characters (with repeats)."""
    out: list[str] = []
    for run in CJK_RUN.findall(normalize(text)):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def char_grams(word: str) -> list[str]:
    """Query side of the character field: a single character, or the adjacent pairs of a word."""
    if len(word) == 1:
        return [word]
    return [word[i : i + 2] for i in range(len(word) - 1)]


# --- pinyin --------------------------------------------------------------------------------------

# Syllables a user may type (lazy style, ü as v). The nasal interjections m, n, ng, hm are left out
# so strings of consonants read as initials, not as syllables.
_SYLLABLES_TEXT = """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang
    cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang
    chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dian diao
    die ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga
    gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao
    he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing
    jiong jiu ju juan jue jun ka kai kan kang kao ke ken keng kong kou ku kua kuai kuan kuang kui kun
    kuo la lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan
    lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai
    nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nun nuo nv nve
    o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao
    qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run
    ruo sa sai san sang sao se sen seng sha shai shan shang shao she shen sheng shi shou shu shua
    shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti
    tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian
    xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu
    yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhen zheng zhi
    zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
"""
PINYIN_SYLLABLES = frozenset(_SYLLABLES_TEXT.split())
_MAX_SYLLABLE = max(len(s) for s in PINYIN_SYLLABLES)
_VOWELS = frozenset("aeiouv")


@lru_cache(maxsize=8192)
def split_pinyin(text: str) -> tuple[str, ...] | None:
    """'jinglao' → ('jing', 'lao'); None when the string is not a sequence of syllables. Prefers the
    split with the fewest syllables (xian, not xi an)."""
    if not text or not _ASCII_WORD.match(text) or len(text) > 60:
        return None
    n = len(text)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 1, min(n, i + _MAX_SYLLABLE) + 1):
            piece = text[i:j]
            if piece in PINYIN_SYLLABLES:
                cand = (*best[i], piece)  # type: ignore[misc]
                if best[j] is None or len(cand) < len(best[j]):  # type: ignore[arg-type]
                    best[j] = cand
    return best[n]


def looks_like_initials(text: str) -> bool:
    """'jl', 'zcd': 2–8 letters without vowels are read as pinyin initials."""
    return 2 <= len(text) <= 8 and bool(_ASCII_WORD.match(text)) and not (set(text) & _VOWELS)


def _pinyin_run(run: str) -> list[str]:
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(run, errors=lambda chars: ["?"] * len(chars))
    if len(syllables) != len(run):  # never expected for a pure CJK run; stay aligned regardless
        syllables = [(lazy_pinyin(ch, errors=lambda c: ["?"]) or ["?"])[0] for ch in run]
    return [s if s.isascii() and s.isalpha() else "?" for s in syllables]


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    """The syllables of one jieba word (pypinyin reads polyphones in the context of the word)."""
    return tuple(_pinyin_run(word))


def _words_at(norm: str) -> list[tuple[int, str]]:
    """(offset, word) of each word of normalised text, from the memoised jieba pass."""
    out: list[tuple[int, str]] = []
    cursor = 0
    for words in segment(norm):
        for word in words:
            at = norm.find(word, cursor)
            if at >= 0:
                out.append((at, word))
                cursor = at + len(word)
    return out


def _syllables_at(norm: str, words: list[tuple[int, str]]) -> dict[int, str]:
    """Offset → syllable for every CJK character, read word by word (cached per word)."""
    syllable_at: dict[int, str] = {}
    for at, word in words:
        if is_cjk(word):
            for k, syllable in enumerate(_word_pinyin(word)):
                syllable_at[at + k] = syllable
    return syllable_at


def pinyin_of_runs(text: str) -> list[tuple[str, list[str]]]:
    """Each CJK run of the normalised text with one lazy-style syllable per character."""
    norm = normalize(text)
    syllable_at = _syllables_at(norm, _words_at(norm))
    return [
        (m.group(), [syllable_at.get(m.start() + k, "?") for k in range(len(m.group()))])
        for m in CJK_RUN.finditer(norm)
    ]


@lru_cache(maxsize=4096)
def _text_pinyin_tokens(norm: str) -> frozenset[str]:
    tokens: set[str] = set()
    words = _words_at(norm)
    syllable_at = _syllables_at(norm, words)
    all_syllables: list[str] = []
    for match in CJK_RUN.finditer(norm):
        syllables = [syllable_at.get(match.start() + k, "?") for k in range(len(match.group()))]
        all_syllables.extend(syllables)
        # every pair of adjacent characters: 助餐 in 长者助餐点 even though jieba cut 助 / 餐点
        tokens.update(a + b for a, b in itertools.pairwise(syllables) if "?" not in (a, b))
        if len(syllables) == 1 and syllables[0] != "?":
            tokens.add(syllables[0])
    # every word (full pinyin and initials) and every two adjacent words (防 / 溺水 → fangnishui)
    previous: tuple[int, str] | None = None  # (end offset, pinyin) of the previous CJK word
    for at, word in words:
        syllables = [syllable_at.get(at + k, "?") for k in range(len(word))]
        if "?" in syllables:
            previous = None
            continue
        full = "".join(syllables)
        if len(word) >= 3:
            tokens.add(full)
        if len(word) >= 2:
            tokens.add("".join(s[0] for s in syllables))
        if previous is not None and previous[0] == at:
            tokens.add(previous[1] + full)
        previous = (at + len(word), full)
    if len(all_syllables) > 1 and "?" not in all_syllables:
        tokens.add("".join(all_syllables)[:MAX_TOKEN_LENGTH])
        tokens.add("".join(s[0] for s in all_syllables)[:MAX_TOKEN_LENGTH])
    return frozenset(t for t in tokens if len(t) <= MAX_TOKEN_LENGTH)


def pinyin_tokens(texts: Sequence[str]) -> set[str]:
    """Pinyin field tokens for titles and tags (one text each): full pinyin of every two adjacent
    characters, of every word and of every two adjacent words; initials of every word; pinyin and
    initials of the whole text."""
    tokens: set[str] = set()
    for text in texts:
        tokens.update(_text_pinyin_tokens(normalize(text)))
    return tokens


def pinyin_matches(text: str, term: str) -> list[str]:
    """The substrings of ``text`` (1–6 CJK characters) whose full pinyin or initials equal
    ``term`` — to highlight a pinyin query and to turn a pinyin suggestion into Chinese."""
    found: list[str] = []
    initials = looks_like_initials(term)
    for run, syllables in pinyin_of_runs(text):
        n = len(run)
        for i in range(n):
            joined = ""
            for j in range(i, min(n, i + 6)):
                joined += syllables[j][0] if initials else syllables[j]
                if joined == term:
                    found.append(run[i : j + 1])
                    break
                if len(joined) >= len(term) or not term.startswith(joined):
                    break
    return found


# --- query side ----------------------------------------------------------------------------------


def query_words(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Precise-mode words of a query fragment, in order, without stop words, without repeats."""
    out: list[str] = []
    for words in segment(text):
        for word in words:
            if not keep_stop_words and word in STOP_WORDS:
                continue
            if word not in out:
                out.append(word)
    return out


# --- synonyms ------------------------------------------------------------------------------------

_SPLIT_SYNONYMS = re.compile(r"[\s/／、,，]+")


def parse_synonyms(lines: Iterable[str]) -> list[frozenset[str]]:
    """One group per line; words separated by spaces or '/'; '#' starts a comment."""
    groups: list[frozenset[str]] = []
    for raw in lines:
        line = raw.split("#", 1)[0]
        words = {normalize(w) for w in _SPLIT_SYNONYMS.split(line) if w.strip()}
        words.discard("")
        if len(words) > 1:
            groups.append(frozenset(words))
    return groups


@lru_cache(maxsize=1)
def synonym_groups() -> tuple[frozenset[str], ...]:
    try:
        text = SYNONYMS_FILE.read_text(encoding="utf-8")
    except OSError:
        log.warning("search synonyms file %s is missing", SYNONYMS_FILE)
        return ()
    return tuple(parse_synonyms(text.splitlines()))


@lru_cache(maxsize=1)
def synonym_map() -> dict[str, frozenset[str]]:
    """word → the other words of every group it belongs to."""
    mapping: dict[str, set[str]] = {}
    for group in synonym_groups():
        for word in group:
            mapping.setdefault(word, set()).update(group - {word})
    return {word: frozenset(others) for word, others in mapping.items()}


def synonyms_of(word: str) -> frozenset[str]:
    return synonym_map().get(word, frozenset())


# --- Whoosh adapter ------------------------------------------------------------------------------


class ChineseAnalyzer(Analyzer):
    """jieba search-mode analyzer for Whoosh with positions numbered in order (see
    ``word_positions``). The index fields use the same token function directly; this class is what
    the schema records and what Whoosh utilities (highlighters, parsers) would call."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChineseAnalyzer)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        if isinstance(value, (list, tuple)):
            value = "\n".join(value)
        for term, pos in word_tokens(value):
            token = Token(positions=positions, chars=chars, removestops=removestops, mode=mode)
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char
            yield token
