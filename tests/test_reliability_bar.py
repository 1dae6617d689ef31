"""Every line of RELIABILITY.md ends up as a test (issue 9).

RELIABILITY.md (the team's bar, kept at ../shared/RELIABILITY.md next to the repository, copied to
docs/RELIABILITY.md so the repository is self-contained) is split into its bullets, and each bullet
into its clauses (at ";" and at the end of each sentence, never inside parentheses or `code`).
docs/RELIABILITY-TESTS.md has a section per bullet with a table: a claim quoted from the bullet and
the tests that prove it. This test fails when

- the two copies of RELIABILITY.md differ, or a bullet has no section (or a section no bullet);
- a clause of a bullet contains none of the claims quoted for it, or a quoted claim is not in its
  bullet (so an edit to RELIABILITY.md must be mapped again);
- a claim lists no test, or a listed test does not exist: its file, its function (read with ``ast``,
  no import and no pytest collection), and for ``test[case]`` the case's text in the file.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_BAR = REPO.parent / "shared" / "RELIABILITY.md"
REPO_BAR = REPO / "docs" / "RELIABILITY.md"
MAPPING = REPO / "docs" / "RELIABILITY-TESTS.md"
SECTION_LETTERS = {"Money": "M", "Stripe": "S", "Web security": "W"}
NODE_ID = re.compile(r"`(tests/[\w/]+\.py::[\w:]+(?:\[[^\]`]+\])?)`")


def normalise(text: str) -> str:
    return " ".join(text.replace("\\|", "|").split())


@dataclass
class Bullet:
    id: str
    section: str
    text: str

    def clauses(self) -> list[str]:
        return split_clauses(self.text)


@dataclass
class Mapped:
    id: str
    opening: str
    rows: list[tuple[str, list[str]]] = field(default_factory=list)


def bar_text() -> str:
    if SHARED_BAR.exists():
        return SHARED_BAR.read_text(encoding="utf-8")
    return REPO_BAR.read_text(encoding="utf-8")


def parse_bullets(text: str) -> list[Bullet]:
    bullets: list[Bullet] = []
    section = ""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].split(" (")[0].strip()
        elif line.startswith("- "):
            letter = SECTION_LETTERS[section]
            counts[letter] = counts.get(letter, 0) + 1
            bullets.append(Bullet(f"{letter}{counts[letter]}", section, line[2:]))
        elif line.startswith("  ") and line.strip() and bullets and bullets[-1].section == section:
            bullets[-1].text += " " + line.strip()
    for bullet in bullets:
        bullet.text = normalise(bullet.text)
    return bullets


def split_clauses(text: str) -> list[str]:
    """At "; " and ". " outside parentheses and `code` spans."""
    clauses: list[str] = []
    depth = 0
    in_code = False
    start = 0
    for index, char in enumerate(text):
        if char == "`":
            in_code = not in_code
        elif in_code:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char in ";." and depth == 0 and (index + 1 == len(text) or text[index + 1] == " "):
            clauses.append(text[start : index + 1].strip())
            start = index + 1
    if text[start:].strip():
        clauses.append(text[start:].strip())
    return [clause for clause in clauses if clause.strip(" ;.")]


def parse_mapping(text: str) -> dict[str, Mapped]:
    mapped: dict[str, Mapped] = {}
    current: Mapped | None = None
    for line in text.splitlines():
        heading = re.match(r"### ([MSW]\d+) — (.+)$", line)
        if heading:
            current = Mapped(heading.group(1), heading.group(2).rstrip("… ").strip())
            assert current.id not in mapped, f"{current.id} appears twice in {MAPPING.name}"
            mapped[current.id] = current
            continue
        if line.startswith("#"):
            current = None  # another heading: its rows are not a bullet's claims
            continue
        if current is None or not line.startswith("|") or line.startswith("|---") or "| tests |" in line:
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        assert len(cells) == 2, f"{current.id}: a row needs two cells: {line}"
        current.rows.append((normalise(cells[0]), NODE_ID.findall(cells[1])))
    return mapped


@cache
def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return names


def missing_test(node_id: str) -> str | None:
    """Why `node_id` does not name a test, or None when it does."""
    path_text, _, rest = node_id.partition("::")
    name, _, case = rest.partition("[")
    path = REPO / path_text
    if not path.exists():
        return f"no file {path_text}"
    if not name.split("::")[-1].startswith("test_") or name not in functions_in(path):
        return f"no test {name} in {path_text}"
    if case and case.rstrip("]") not in path.read_text(encoding="utf-8"):
        return f"no case {case.rstrip(']')!r} in {path_text}"
    return None


BULLETS = parse_bullets(bar_text())
MAPPED = parse_mapping(MAPPING.read_text(encoding="utf-8"))


def test_the_repository_copy_is_the_shared_bar() -> None:
    assert REPO_BAR.exists(), "docs/RELIABILITY.md keeps the repository self-contained"
    if not SHARED_BAR.exists():
        pytest.skip("../shared/RELIABILITY.md is not next to this checkout")
    assert REPO_BAR.read_text(encoding="utf-8") == SHARED_BAR.read_text(encoding="utf-8"), (
        "docs/RELIABILITY.md differs from ../shared/RELIABILITY.md: copy it again and map the changes"
    )


def test_every_bullet_has_a_section_and_nothing_else_does() -> None:
    assert len(BULLETS) >= 15, "the parser no longer finds RELIABILITY.md's bullets"
    assert [bullet.id for bullet in BULLETS] == list(MAPPED)


@pytest.mark.parametrize("bullet", BULLETS, ids=[bullet.id for bullet in BULLETS])
def test_every_claim_of_the_bullet_is_mapped_to_existing_tests(bullet: Bullet) -> None:
    mapped = MAPPED.get(bullet.id)
    assert mapped is not None, f"{bullet.id} has no section in {MAPPING.name}"
    assert bullet.text.startswith(mapped.opening), (
        f"{bullet.id} is not the bullet starting {mapped.opening!r}"
    )
    assert mapped.rows, f"{bullet.id} maps no claim"
    for claim, _tests in mapped.rows:
        assert claim in bullet.text, f"{bullet.id}: {claim!r} is not quoted from the bullet"
    for clause in bullet.clauses():
        assert any(claim in clause for claim, _ in mapped.rows), f"{bullet.id}: nothing maps {clause!r}"
    for claim, tests in mapped.rows:
        assert tests, f"{bullet.id}: no test for {claim!r}"
        problems = [problem for node_id in tests if (problem := missing_test(node_id))]
        assert not problems, f"{bullet.id}: {claim!r}: {problems}"


def test_the_checks_themselves_catch_gaps() -> None:
    # A clause nobody mapped, a claim not in the bullet, and tests that do not exist are all caught.
    bullet = Bullet("M9", "Money", "Amounts are fen; currency NOT NULL (ASVS 1.2; 3.4). Keys are unique.")
    assert split_clauses(bullet.text) == [
        "Amounts are fen;",
        "currency NOT NULL (ASVS 1.2; 3.4).",
        "Keys are unique.",
    ]
    assert missing_test("tests/test_reliability_bar.py::test_no_such_thing") is not None
    assert missing_test("tests/no_such_file.py::test_x") is not None
    assert (
        missing_test("tests/test_reliability_bar.py::test_every_bullet_has_a_section_and_nothing_else_does")
        is None
    )
    webhooks = "tests/test_payments_webhooks.py::test_unverifiable_deliveries_are_refused_and_change_nothing"
    assert missing_test(f"{webhooks}[missing header]") is None
    assert missing_test(f"{webhooks}[no such case]") is not None


def test_every_test_the_mapping_names_exists() -> None:
    # Also the rows outside the bullets' sections ("Beyond the bar").
    named = NODE_ID.findall(MAPPING.read_text(encoding="utf-8"))
    assert len(named) >= 100
    problems = sorted({problem for node_id in named if (problem := missing_test(node_id))})
    assert not problems, problems
