"""User query text → a plan of required terms, each an OR of alternatives (field, tokens, weight).

Built programmatically from our own tokenisation: nothing of the user's text reaches a Whoosh query
parser, so AND / OR / NOT, * ? ~ ^ : ( ) [ ] { }, field: prefixes and SQL-looking text are plain
text (punctuation is dropped, words are searched). The only syntax honoured is a balanced pair of
double quotes ("…" or “…”), which makes a phrase; a lone quote is plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from marketplace.search import analysis
from marketplace.search.schema import BODY_FIELD, CHAR_FIELD, PINYIN_FIELD, WORD_FIELDS

# How much a match of one query term counts, by where it matched. A document's relevance is the
# sum over the query terms of the best weight each term reached in it.
FIELD_WEIGHTS = {"title": 10.0, "tags": 8.0, "summary": 5.0, "meta": 4.0, "body": 3.0}
PINYIN_WEIGHT = 6.0
INITIALS_WEIGHT = 4.0
CHARS_WEIGHT = 2.0
SYNONYM_FACTOR = 0.7
MAX_TERMS = 12  # words beyond this are ignored (a pasted paragraph stays a cheap query)

_PHRASE = re.compile(r'"([^"]*)"|“([^“”"]*)”')
_ASCII_LETTERS = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Alt:
    """One way a term can match. kind: "term" (one token in a field), "grams" (all the tokens in
    the field: a word's character pairs, or several pinyin readings), "phrase" (a word sequence in
    a word field). ``fallback`` alternatives (pinyin readings of Latin words) count only when the
    others match nothing."""

    kind: str
    field: str
    tokens: tuple[str, ...]
    weight: float
    fallback: bool = False
    quoted: bool = False  # a phrase the user quoted (worth checking more candidates)


@dataclass
class Term:
    surface: str  # the word as analysed (normalised), for suggestions
    alts: list[Alt]
    required: bool = True
    needles: list[str] = field(default_factory=list)  # text to <mark> in results
    pinyin: list[str] = field(default_factory=list)  # Latin words that may be pinyin
    phrase: bool = False
    # Used instead of this term when it matches nothing (the characters of an unknown word).
    split: list[Term] = field(default_factory=list)


@dataclass
class Plan:
    terms: list[Term]
    text: str  # the (possibly cut) query text
    original: list[Term] | None = None  # the terms before unknown words were split

    @property
    def required(self) -> list[Term]:
        return [t for t in self.terms if t.required]

    @property
    def needles(self) -> list[str]:
        out: list[str] = []
        for term in self.terms:
            out.extend(n for n in term.needles if n not in out)
        return out


def _word_alts(word: str, factor: float = 1.0, pieces: bool = False) -> list[Alt]:
    """A word in every word field; its characters in the short texts; with ``pieces``, for a long
    Chinese word, its shorter dictionary words in sequence in the description (a description cut
    生活垃圾 / 分类 still contains the word 垃圾分类)."""
    alts = [Alt("term", f, (word,), FIELD_WEIGHTS[f] * factor) for f in WORD_FIELDS]
    if analysis.is_cjk(word):
        alts.append(Alt("grams", CHAR_FIELD, tuple(analysis.char_grams(word)), CHARS_WEIGHT * factor))
        if pieces and len(word) >= 3:
            split = analysis.split_pieces(word)
            if len(split) > 1:
                alts.append(Alt("phrase", BODY_FIELD, tuple(split), FIELD_WEIGHTS[BODY_FIELD] * factor))
    return alts


def unknown_word_term(chars: list[str]) -> Term:
    """Characters jieba left single (an unknown word such as 瓯绣 or a typo such as 敬佬): the word
    as a whole (characters in sequence); when that finds nothing, each character on its own."""
    word = "".join(chars)
    alts = _word_alts(word)
    alts.append(Alt("phrase", BODY_FIELD, tuple(chars), FIELD_WEIGHTS[BODY_FIELD]))
    needles = [word, *(s for s in sorted(analysis.synonyms_of(word)))]
    for synonym in needles[1:]:
        alts.extend(_word_alts(synonym, SYNONYM_FACTOR))
    return Term(surface=word, alts=alts, needles=needles, split=[word_term(c) for c in chars])


def word_term(word: str) -> Term:
    """A query word: itself in every field, its synonyms, its characters, its pinyin readings."""
    alts = _word_alts(word, pieces=True)
    needles = [word]
    for synonym in sorted(analysis.synonyms_of(word)):
        alts.extend(_word_alts(synonym, SYNONYM_FACTOR))
        needles.append(synonym)
    pinyin: list[str] = []
    if _ASCII_LETTERS.match(word):
        if analysis.split_pinyin(word):
            alts.append(Alt("term", PINYIN_FIELD, (word,), PINYIN_WEIGHT, fallback=True))
            pinyin.append(word)
        elif analysis.looks_like_initials(word):
            alts.append(Alt("term", PINYIN_FIELD, (word,), INITIALS_WEIGHT, fallback=True))
            pinyin.append(word)
    return Term(surface=word, alts=alts, needles=needles, pinyin=pinyin)


def phrase_term(phrase: str) -> Term | None:
    """A quoted phrase: its words in sequence in one field (no synonyms, no pinyin), or — for a
    purely Chinese phrase — all its adjacent character pairs."""
    words = analysis.query_words(phrase)
    if not words:
        return None
    if len(words) == 1:
        alts = _word_alts(words[0], pieces=True)
    else:
        alts = [Alt("phrase", f, tuple(words), FIELD_WEIGHTS[f], quoted=True) for f in WORD_FIELDS]
        split = tuple(p for w in words for p in (analysis.split_pieces(w) if analysis.is_cjk(w) else [w]))
        if split != tuple(words):
            alts.append(Alt("phrase", BODY_FIELD, split, FIELD_WEIGHTS[BODY_FIELD], quoted=True))
        compact = "".join(analysis.normalize(phrase).split())
        if analysis.is_cjk(compact):
            alts.append(Alt("grams", CHAR_FIELD, tuple(analysis.char_grams(compact)), CHARS_WEIGHT))
    needle = " ".join(analysis.normalize(phrase).split())
    needles = [needle] if needle else []
    needles += [w for w in words if w not in needles]
    return Term(surface=" ".join(words), alts=alts, needles=needles, phrase=True)


def split_phrases(text: str) -> tuple[list[str], str]:
    """Balanced "…" / “…” pairs → phrases; the rest of the text (quotes removed) → plain text."""
    phrases: list[str] = []

    def take(match: re.Match[str]) -> str:
        phrases.append(match.group(1) if match.group(1) is not None else match.group(2))
        return " "

    rest = _PHRASE.sub(take, text)
    return [p for p in phrases if p.strip()], rest


def pinyin_run_term(words: list[str]) -> Term:
    """Latin words that all read as pinyin ("jing lao", "laji fenlei"): the joined reading in the
    pinyin field (jinglao → 敬老), or every reading in it, or the words as an English phrase."""
    joined = "".join(words)
    alts = [Alt("phrase", f, tuple(words), FIELD_WEIGHTS[f]) for f in WORD_FIELDS]
    alts.append(Alt("term", PINYIN_FIELD, (joined,), PINYIN_WEIGHT, fallback=True))
    alts.append(Alt("grams", PINYIN_FIELD, tuple(words), PINYIN_WEIGHT * SYNONYM_FACTOR, fallback=True))
    surface = " ".join(words)
    return Term(surface=surface, alts=alts, needles=[surface], pinyin=[joined, *words])


def _is_pinyin_word(word: str) -> bool:
    return bool(_ASCII_LETTERS.match(word)) and analysis.split_pinyin(word) is not None


def build_plan(text: str) -> Plan:
    """Never raises for any string."""
    phrases, rest = split_phrases(text)
    terms: list[Term] = []
    seen: set[tuple[str, bool]] = set()

    def add(term: Term | None) -> None:
        if term is not None and (term.surface, term.phrase) not in seen:
            seen.add((term.surface, term.phrase))
            terms.append(term)

    for phrase in phrases:
        add(phrase_term(phrase))
    words = _query_tokens(rest)
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and isinstance(words[j], str) and _is_pinyin_word(words[j]):
            j += 1
        if j - i >= 2 and len("".join(words[i:j])) <= analysis.MAX_TOKEN_LENGTH:  # type: ignore[arg-type]
            add(pinyin_run_term(words[i:j]))  # type: ignore[arg-type]
            i = j
            continue
        token = words[i]
        add(word_term(token) if isinstance(token, str) else unknown_word_term(token))
        i += 1
    return Plan(terms=terms[:MAX_TERMS], text=text)


def _query_tokens(text: str) -> list[str | list[str]]:
    """Query words in order, without stop words and repeats; runs of single Chinese characters
    within one space-separated chunk (what jieba makes of a word it does not know) as lists."""
    out: list[str | list[str]] = []
    seen: set[str] = set()

    def emit(token: str | list[str]) -> None:
        key = token if isinstance(token, str) else "".join(token)
        if key not in seen:
            seen.add(key)
            out.append(token)

    for chunk in text.split():
        for words in analysis.segment(chunk):
            run: list[str] = []
            for word in [*words, ""]:
                if len(word) == 1 and analysis.is_cjk(word) and word not in analysis.STOP_WORDS:
                    run.append(word)
                    continue
                if len(run) > 1:
                    emit(run)
                elif run:
                    emit(run[0])
                run = []
                if word and word not in analysis.STOP_WORDS:
                    emit(word)
    return out
