"""/api/v1 endpoints for evaluation rounds: staff open a round, score (government), assign peers
and tiers and publish; members of participating organizations score their assigned peers; anyone
reads a round and, once published, its results. Public voting is in ``api/votes.py``.

Scores go out as JSON numbers 0–100 with at most two decimals (exact: they are stored in
hundredths); weights as numbers 0–1. Scores and weights come in as numbers or decimal strings.
Every rule lives in ``marketplace.evaluations.operations``; this module maps JSON and commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify, url_for
from sqlalchemy import func, select

from marketplace.api import bp
from marketplace.api.auth import current_api_user, is_staff, require_api_user
from marketplace.api.input import (
    JsonField,
    checked_body,
    field_problems,
    json_object,
    run_reporting_every_problem,
)
from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.evaluations import grading
from marketplace.evaluations import operations as ops
from marketplace.evaluations import results as queries
from marketplace.evaluations.models import EvaluationRound, EvaluationScore
from marketplace.extensions import db
from marketplace.messages import Msg

ROUND_FIELDS: Mapping[str, JsonField] = {
    "year": JsonField("integer"),
    "title": JsonField("string", nullable=True),
    "organization_ids": JsonField("integer_list"),
    "weights": JsonField("object", nullable=True),
    "max_votes": JsonField("integer", nullable=True),
    "quotas": JsonField("object", nullable=True),
}
WEIGHT_NAMES = ("government", "peer", "public")
QUOTA_NAMES = ("leading", "demonstration", "growing")
SCORE_FIELDS: Mapping[str, JsonField] = {
    "organization_id": JsonField("integer", message=Msg("应为整数编号")),
    "kind": JsonField("string"),
    "criteria": JsonField("object"),
}
ASSIGN_FIELDS: Mapping[str, JsonField] = {"per_reviewer": JsonField("integer")}
TIER_FIELDS: Mapping[str, JsonField] = {
    "organization_id": JsonField("integer", message=Msg("应为整数编号")),
    "tier": JsonField("string", nullable=True),
}
CRITERIA_MESSAGE = Msg('评分项须是名称列表（如 ["团队建设", "服务成效"]），或 {"name", "weight"} 对象的列表')


def number(hundredths: int | None) -> float | None:
    """Hundredths as a JSON number with at most two decimals (8850 → 88.5)."""
    return None if hundredths is None else hundredths / 100


def _weight(bp_value: int) -> float:
    return bp_value / grading.ONE_BP


def round_json(round_: EvaluationRound) -> dict[str, Any]:
    return {
        "id": round_.id,
        "year": round_.year,
        "title": round_.title,
        "status": round_.status,
        "weights": {
            "government": _weight(round_.government_weight_bp),
            "peer": _weight(round_.peer_weight_bp),
            "public": _weight(round_.public_weight_bp),
        },
        "criteria": round_.criterion_names,
        "criterion_weights": {item["name"]: item["weight"] for item in round_.criteria},
        "grade_bands": {item["grade"]: number(item["min"]) for item in round_.grade_bands},
        "max_votes": round_.max_votes,
        "quotas": {
            "leading": round_.leading_quota,
            "demonstration": round_.demonstration_quota,
            "growing": round_.growing_quota,
        },
        "organization_ids": queries.participant_ids(round_),
        "grades_valid_until": round_.grades_valid_until.isoformat() if round_.grades_valid_until else None,
    }


def _criteria(raw: Any, problems: dict[str, str]) -> list[tuple[object, object]] | None:
    """Names (each weighing 1: equal weights) or {name, weight} objects."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        problems["criteria"] = CRITERIA_MESSAGE
        return None
    items: list[tuple[object, object]] = []
    for item in raw:
        if isinstance(item, str):
            items.append((item, 1))
        elif isinstance(item, dict) and set(item) <= {"name", "weight"} and "name" in item:
            items.append((item["name"], item.get("weight", 1)))
        else:
            problems["criteria"] = CRITERIA_MESSAGE
            return None
    return items


def _triple(raw: Any, names: tuple[str, ...], field: str, problems: dict[str, str]) -> tuple[Any, ...] | None:
    if raw is None:
        return None
    unknown = set(raw) - set(names)
    missing = [name for name in names if name not in raw]
    for name in sorted(unknown):
        problems[f"{field}.{name}"] = Msg("不允许设置该字段")
    for name in missing:
        problems[f"{field}.{name}"] = Msg("请填写此项")
    return None if unknown or missing else tuple(raw[name] for name in names)


def _round(round_id: int) -> EvaluationRound:
    return queries.get_round(round_id)


@bp.post("/evaluations")
def create_evaluation_endpoint() -> Any:
    user = require_api_user()
    if not user.is_staff:
        raise Forbidden()
    body = json_object()
    criteria_raw = body.pop("criteria", None)
    problems = field_problems(body, ROUND_FIELDS)
    values = {name: value for name, value in body.items() if name not in problems}
    data = ops.RoundInput(
        year=values.get("year"),
        organization_ids=values.get("organization_ids") or [],
        title=values.get("title"),
        weights=_triple(values.get("weights"), WEIGHT_NAMES, "weights", problems),
        criteria=_criteria(criteria_raw, problems),
        max_votes=values.get("max_votes")
        if values.get("max_votes") is not None
        else grading.DEFAULT_MAX_VOTES,
        quotas=_triple(values.get("quotas"), QUOTA_NAMES, "quotas", problems),
    )
    round_ = run_reporting_every_problem(problems, lambda: ops.open_round(user, data))
    db.session.commit()
    response = jsonify(round_json(round_))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_evaluation_endpoint", round_id=round_.id)
    return response


@bp.get("/evaluations/<int:round_id>")
def get_evaluation_endpoint(round_id: int) -> Any:
    return jsonify(round_json(_round(round_id)))


def _score_json(score: EvaluationScore) -> dict[str, Any]:
    return {
        "id": score.id,
        "organization_id": score.organization_id,
        "kind": score.kind,
        "scorer_organization_id": score.scorer_organization_id,
        "score": number(score.score),
        "criteria": {name: number(value) for name, value in score.criteria.items()},
    }


@bp.post("/evaluations/<int:round_id>/scores")
def score_evaluation_endpoint(round_id: int) -> Any:
    user = require_api_user()
    round_ = _round(round_id)
    body = checked_body(SCORE_FIELDS)
    before = db.session.scalar(
        select(func.count(EvaluationScore.id)).where(EvaluationScore.round_id == round_.id)
    )
    score = ops.record_score(
        user, round_, body.get("organization_id"), body.get("kind"), body.get("criteria")
    )
    after = db.session.scalar(
        select(func.count(EvaluationScore.id)).where(EvaluationScore.round_id == round_.id)
    )
    db.session.commit()
    response = jsonify(_score_json(score))
    response.status_code = 201 if after > before else 200
    return response


@bp.post("/evaluations/<int:round_id>/peer-assignments")
def assign_peers_endpoint(round_id: int) -> Any:
    user = require_api_user()
    round_ = _round(round_id)
    body = checked_body(ASSIGN_FIELDS, optional=True)
    ops.auto_assign_peers(user, round_, body.get("per_reviewer", grading.DEFAULT_PEERS_PER_REVIEWER))
    db.session.commit()
    return jsonify(
        {
            "items": [
                {"reviewer_organization_id": a.reviewer_organization_id, "organization_id": a.organization_id}
                for a in queries.assignments_of(round_)
            ]
        }
    )


@bp.post("/evaluations/<int:round_id>/tiers")
def assign_tier_endpoint(round_id: int) -> Any:
    user = require_api_user()
    round_ = _round(round_id)
    body = checked_body(TIER_FIELDS)
    if body.get("organization_id") is None:
        raise DomainError.on("organization_id", Msg("请填写组织编号"))
    participant = ops.assign_tier(user, round_, body["organization_id"], body.get("tier"))
    db.session.commit()
    return jsonify({"organization_id": participant.organization_id, "tier": participant.tier})


@bp.post("/evaluations/<int:round_id>/publish")
def publish_evaluation_endpoint(round_id: int) -> Any:
    user = require_api_user()
    round_ = _round(round_id)
    ops.publish_round(user, round_)
    db.session.commit()
    return jsonify(round_json(round_))


@bp.get("/evaluations/<int:round_id>/results")
def evaluation_results_endpoint(round_id: int) -> Any:
    round_ = _round(round_id)
    if not round_.is_published and not is_staff(current_api_user()):
        raise NotFound(message=Msg("该轮评估的结果尚未公布"))
    items: list[dict[str, Any]] = []
    if round_.is_published:
        for p in queries.stored_results(round_):
            items.append(_result_json(p.organization_id, p.organization.name, p, p.tier))
    else:
        live = queries.live_results(round_)
        for p in queries.stored_results(round_):
            items.append(
                _result_json(p.organization_id, p.organization.name, live[p.organization_id], p.tier)
            )
        items.sort(key=lambda item: (item["rank"] is None, item["rank"] or 0, item["name"]))
    return jsonify({"published": round_.is_published, "items": items})


def _result_json(organization_id: int, name: str, result: Any, tier: str | None) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "name": name,
        "government": number(result.government),
        "peer": number(result.peer),
        "public": number(result.public),
        "votes": result.votes,
        "composite": number(result.composite),
        "grade": result.grade,
        "rank": result.rank,
        "tier": tier,
    }
