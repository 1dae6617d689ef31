"""Reading the evaluation pages' forms into operation inputs, and placing an operation's field
reasons next to the inputs they concern.

The forms are rendered by hand (criteria rows and per-criterion scores vary per round), with the
global CSRF protection's token; these helpers keep the parsing out of the views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from marketplace.evaluations import grading
from marketplace.evaluations.operations import RoundInput
from marketplace.messages import Msg
from marketplace.web import translate

CRITERION_ROWS_EXTRA = 3  # blank rows under the criteria so staff can add some


@dataclass
class PageForm:
    """What a hand-rendered form shows again after a refusal: the values typed and the reasons,
    keyed by input name, plus reasons that belong to no input."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)

    def add(self, name: str | None, reason: str) -> None:
        if name is None:
            self.form_errors.append(translate(reason))
        else:
            self.errors.setdefault(name, []).append(translate(reason))

    @property
    def count(self) -> int:
        return sum(len(reasons) for reasons in self.errors.values()) + len(self.form_errors)


# ───────────── the new round form ─────────────

ROUND_FIELD_INPUTS = {
    "year": "year",
    "title": "title",
    "weights": "weight_government",
    "weights.government": "weight_government",
    "weights.peer": "weight_peer",
    "weights.public": "weight_public",
    "max_votes": "max_votes",
    "quotas.leading": "quota_leading",
    "quotas.demonstration": "quota_demonstration",
    "quotas.growing": "quota_growing",
    "organization_ids": "organization_ids",
    "criteria": "criteria",
    "grade_bands": "grade_bands",
}


def round_defaults(year: int) -> PageForm:
    values: dict[str, Any] = {
        "year": str(year),
        "title": "",
        "weight_government": "0.4",
        "weight_peer": "0.3",
        "weight_public": "0.3",
        "max_votes": str(grading.DEFAULT_MAX_VOTES),
        "quota_leading": str(grading.DEFAULT_QUOTAS.leading),
        "quota_demonstration": str(grading.DEFAULT_QUOTAS.demonstration),
        "quota_growing": str(grading.DEFAULT_QUOTAS.growing),
        "organization_ids": [],
        "criteria": [(c.name, str(c.weight)) for c in grading.DEFAULT_CRITERIA]
        + [("", "")] * CRITERION_ROWS_EXTRA,
    }
    for band in grading.DEFAULT_BANDS:
        values[f"band_{band.grade}"] = grading.format_score(band.min).removesuffix(".00")
    return PageForm(values)


def _integer(raw: str | None) -> object:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text


def read_round_form(form: MultiDict[str, str]) -> tuple[RoundInput, PageForm]:
    """The typed round and the page state to show again if it is refused."""
    names = form.getlist("criterion_name")
    weights = form.getlist("criterion_weight")
    rows = [(name, weight) for name, weight in zip(names, weights, strict=False)]
    criteria = [(name, _integer(weight)) for name, weight in rows if name.strip() or weight.strip()]
    ids = [int(raw) for raw in form.getlist("organization_ids") if raw.isascii() and raw.isdigit()]
    year = _integer(form.get("year"))
    values: dict[str, Any] = {
        key: form.get(key, "") for key in round_defaults(2026).values if key != "criteria"
    }
    values["organization_ids"] = ids
    values["criteria"] = rows + [("", "")] * CRITERION_ROWS_EXTRA
    data = RoundInput(
        year=year if isinstance(year, int) else None,
        organization_ids=ids,
        title=form.get("title"),
        weights=(form.get("weight_government"), form.get("weight_peer"), form.get("weight_public")),
        criteria=criteria,
        grade_bands=[(grade, form.get(f"band_{grade}")) for grade in grading.GRADES],
        max_votes=_integer(form.get("max_votes")),
        quotas=(
            _integer(form.get("quota_leading")),
            _integer(form.get("quota_demonstration")),
            _integer(form.get("quota_growing")),
        ),
    )
    return data, PageForm(values)


def place_round_errors(page: PageForm, fields: Mapping[str, str], message: str) -> None:
    if not fields:
        page.add(None, message)
    for name, reason in fields.items():
        if name in ROUND_FIELD_INPUTS:
            page.add(ROUND_FIELD_INPUTS[name], reason)
        elif name.startswith("criteria."):
            page.add("criteria", f"{translate(Msg('第 %(n)s 行', n=_row(name)))}：{translate(reason)}")
        elif name.startswith("grade_bands."):
            page.add(f"band_{name.split('.', 1)[1]}", reason)
        else:
            page.add(None, reason)


def _row(name: str) -> str:
    parts = name.split(".")
    return str(int(parts[1]) + 1) if len(parts) > 1 and parts[1].isdigit() else "?"


# ───────────── scoring ─────────────


def read_scores(form: MultiDict[str, str], criteria: Sequence[grading.Criterion]) -> dict[str, str]:
    """One input per criterion, named ``c<index>`` (criterion names may hold any character)."""
    return {criterion.name: form.get(f"c{index}", "").strip() for index, criterion in enumerate(criteria)}


def score_page(criteria: Sequence[grading.Criterion], typed: Mapping[str, object]) -> PageForm:
    return PageForm({f"c{index}": typed.get(c.name, "") for index, c in enumerate(criteria)})


def stored_score_values(
    criteria: Sequence[grading.Criterion], stored: Mapping[str, int] | None
) -> dict[str, str]:
    stored = stored or {}
    return {
        c.name: grading.format_score(stored[c.name]).removesuffix(".00") if c.name in stored else ""
        for c in criteria
    }


def place_score_errors(
    page: PageForm, criteria: Sequence[grading.Criterion], fields: Mapping[str, str], message: str
) -> None:
    index = {f"criteria.{c.name}": f"c{n}" for n, c in enumerate(criteria)}
    if not fields:
        page.add(None, message)
    for name, reason in fields.items():
        page.add(index.get(name), reason)
