"""Scale the demo data set (`flask demo`) up to N projects for load benchmarks.

    MARKETPLACE_DATABASE_URL=… .venv/bin/python -m bench.scale --projects 10000
    MARKETPLACE_DATABASE_URL=… .venv/bin/flask search reindex

Adds published projects (with a few funded and closed ones, as a live platform has) to the demo's
verified organizations, spread over every category and district. About a fifth of the texts are
variants of the demo projects (a later phase, another community), the rest comes from the search
benchmark's vocabulary (bench/corpus.py: Zipf-distributed Chinese words, long descriptions).
Some projects get paid bank-transfer pledges from the demo companies, each with its ledger row,
so `raised_amount == SUM(ledger)` holds for every project, as the invariant checks expect.

Fast on purpose: SQLAlchemy Core bulk inserts with ids assigned here (sequences moved past them
afterwards), no operations, no audit events, no search outbox — rebuild the index afterwards with
`flask search reindex`. Run it once on a database holding the demo; it refuses to scale twice.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench import corpus

SEED = 20261127
MARKER = "scale:"  # idempotency-key prefix of the pledges written here
STATUS_WEIGHTS = (("published", 90), ("funded", 6), ("closed", 4))
PLEDGED_SHARE = 0.4  # share of the published projects that already hold pledges
DEMO_SHARE = 0.2  # share of texts derived from the demo projects
BATCH = 2000
PHASES = ("二期", "三期", "（第2期）", "（第3期）", "（第4期）", "·春季", "·暑期", "·秋季", "·冬季")


@dataclass(frozen=True)
class Cast:
    organizations: Sequence[Any]  # verified demo organizations
    companies: Sequence[int]  # verified demo companies' ids
    staff_id: int
    category_ids: dict[str, int]
    districts: Sequence[str]
    demo_texts: Sequence[dict[str, Any]]
    payees: dict[int, Any]  # organization id → ReceivingEntity


def _cast() -> Cast:
    from sqlalchemy import select

    from marketplace.accounts.models import Role, User
    from marketplace.demo import content
    from marketplace.extensions import db
    from marketplace.parties.models import Company, Organization, VerificationStatus
    from marketplace.pledges.operations import organization_receiving_entity
    from marketplace.taxonomy.models import Category, District

    verified = VerificationStatus.VERIFIED.value
    organizations = db.session.scalars(
        select(Organization).where(Organization.verification_status == verified).order_by(Organization.id)
    ).all()
    companies = db.session.scalars(
        select(Company.id).where(Company.verification_status == verified).order_by(Company.id)
    ).all()
    staff_id = db.session.scalar(select(User.id).where(User.role == Role.STAFF).order_by(User.id).limit(1))
    if not organizations or not companies or staff_id is None:
        raise SystemExit("no demo data here: run `flask demo` first")
    payees = {}
    for organization in organizations:
        payee = organization_receiving_entity(organization)
        if payee is None:
            raise SystemExit("no partner foundation: run `flask demo` first")
        payees[organization.id] = payee
    demo_texts = [
        record
        for record in content.PROJECTS
        if record["status"] in ("published", "funded", "closed") and record.get("description")
    ]
    return Cast(
        organizations=organizations,
        companies=companies,
        staff_id=staff_id,
        category_ids={slug: id_ for slug, id_ in db.session.execute(select(Category.slug, Category.id))},
        districts=db.session.scalars(select(District.name).order_by(District.position)).all(),
        demo_texts=demo_texts,
        payees=payees,
    )


def _demo_variant(rng: random.Random, record: dict[str, Any], cast: Cast) -> dict[str, Any]:
    """Another phase of a demo project, possibly in another district."""
    district = record["district"] if rng.random() < 0.5 else rng.choice(cast.districts)
    phase = rng.choice(PHASES)
    title = record["title"]
    if district != record["district"]:
        title = district.removesuffix("区").removesuffix("县").removesuffix("市") + "·" + title
    return {
        "title": (title + phase)[:60] if len(title + phase) <= 60 else title[: 60 - len(phase)] + phase,
        "summary": record["summary"][:140],
        "description": record["description"],
        "category": record["category"],
        "district": district,
        "tags": list(record.get("tags", [])),
        "community": record.get("community", "") if district == record["district"] else "",
    }


def _texts(count: int, rng: random.Random, cast: Cast) -> Iterator[dict[str, Any]]:
    generated = corpus.generate(count, seed=SEED)
    for document in generated:
        if rng.random() < DEMO_SHARE:
            yield _demo_variant(rng, rng.choice(cast.demo_texts), cast)
        else:
            yield {
                "title": document.title,
                "summary": document.summary,
                "description": document.description,
                "category": document.category,
                "district": document.district,
                "tags": list(document.tags),
                "community": "",
            }


def _next_id(table: Any) -> int:
    from sqlalchemy import func, select

    from marketplace.extensions import db

    return int(db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1


def _move_sequences(tables: Sequence[Any]) -> None:
    """PostgreSQL: the serial sequences must continue after the ids written here."""
    from sqlalchemy import text

    from marketplace.extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
            )
        )


def _pledges_for(
    rng: random.Random, project: dict[str, Any], cast: Cast, ids: dict[str, int], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Paid bank-transfer pledges summing to the project's raised amount, with their ledger rows."""
    raised = project["raised_amount"]
    if raised <= 0:
        return [], []
    count = min(rng.randint(1, 5), max(1, raised // 100_00))
    # Whole yuan each, the last one takes the odd fen.
    cuts = sorted(100 * c for c in rng.sample(range(1, raised // 100), count - 1)) if count > 1 else []
    amounts = [b - a for a, b in zip([0, *cuts], [*cuts, raised], strict=True)]
    payee = cast.payees[project["organization_id"]]
    pledges, ledger = [], []
    for amount in amounts:
        pledge_id = ids["pledge"]
        ids["pledge"] += 1
        paid_at = project["published_at"] + (now - project["published_at"]) * rng.random()
        pledges.append(
            {
                "id": pledge_id,
                "project_id": project["id"],
                "company_id": rng.choice(cast.companies),
                "amount": amount,
                "currency": "CNY",
                "method": "bank_transfer",
                "status": "paid",
                "idempotency_key": f"{MARKER}{pledge_id}",
                "request_fingerprint": "",
                "reference_code": f"QQS{pledge_id:08d}",
                "message": "",
                "anonymous": rng.random() < 0.1,
                "in_kind_description": "",
                "payee_kind": payee.kind,
                "payee_id": payee.id,
                "payee_name": payee.name,
                "payee_bank_name": payee.bank_name,
                "payee_account_name": payee.account_name,
                "payee_account_number": payee.account_number,
                "paid_amount": amount,
                "refunded_amount": 0,
                "bank_reference": f"SCALE-{pledge_id:08d}",
                "created_by_id": None,
                "confirmed_by_id": cast.staff_id,
                "created_at": paid_at - timedelta(days=rng.randint(1, 5)),
                "paid_at": paid_at,
            }
        )
        ledger.append(
            {
                "id": ids["ledger"],
                "project_id": project["id"],
                "kind": "pledge_paid",
                "amount": amount,
                "currency": "CNY",
                "pledge_id": pledge_id,
                "account": f"{payee.kind}:{payee.id}",
                "reference": f"pledge-{pledge_id}-paid",
                "note": "staff",
                "created_at": paid_at,
            }
        )
        ids["ledger"] += 1
    return pledges, ledger


def _project(
    rng: random.Random, text: dict[str, Any], cast: Cast, project_id: int, status: str, now: datetime
) -> dict[str, Any]:
    same_district = [o for o in cast.organizations if o.district == text["district"]]
    organization = rng.choice(same_district if same_district and rng.random() < 0.7 else cast.organizations)
    goal = int(round(10 ** rng.uniform(3.5, 5.7), -2)) * 100  # ≈ ¥3,000 to ¥500,000
    published_at = now - timedelta(days=rng.uniform(1, 170))
    if status == "published":
        deadline = now + timedelta(days=rng.uniform(5, 180))
        raised = int(goal * rng.betavariate(1.2, 2.5)) if rng.random() < PLEDGED_SHARE else 0
        ended = None
    else:
        deadline = now - timedelta(days=rng.uniform(1, 60))
        raised = int(goal * rng.uniform(1.0, 1.3)) if status == "funded" else int(goal * rng.uniform(0, 0.9))
        ended = deadline
    return {
        "id": project_id,
        "organization_id": organization.id,
        "title": text["title"],
        "summary": text["summary"],
        "description": text["description"],
        "category_id": cast.category_ids[text["category"]],
        "tags": text["tags"],
        "district": text["district"],
        "community": text["community"],
        "goal_amount": goal,
        "currency": "CNY",
        "raised_amount": raised,
        "matched_amount": 0,
        "disbursed_amount": 0,
        "supporters_count": 0,
        "deadline": deadline,
        "funding_model": rng.choice(("keep_it_all", "keep_it_all", "all_or_nothing")),
        "beneficiaries": rng.choice((0, 20, 40, 60, 100, 200, 500)),
        "status": status,
        "featured": False,
        "created_by_id": None,
        "created_at": published_at - timedelta(days=rng.uniform(2, 20)),
        "updated_at": published_at,
        "submitted_at": published_at - timedelta(days=rng.uniform(1, 2)),
        "published_at": published_at,
        "ended_at": ended,
    }


def scale(total_projects: int, seed: int = SEED) -> dict[str, int]:
    """Add projects until there are `total_projects` (inside an app context); commits."""
    from sqlalchemy import func, insert, select

    from marketplace.extensions import db
    from marketplace.pledges.models import LedgerEntry, Pledge
    from marketplace.projects.models import Project, ProjectTransition
    from marketplace.timeutil import utcnow

    if db.session.scalar(select(func.count()).where(Pledge.idempotency_key.like(f"{MARKER}%"))):
        raise SystemExit("this database is already scaled")
    existing = int(db.session.scalar(select(func.count(Project.id))) or 0)
    wanted = max(0, total_projects - existing)
    cast = _cast()
    rng = random.Random(seed)
    now = utcnow()
    tables = [Project.__table__, Pledge.__table__, LedgerEntry.__table__, ProjectTransition.__table__]
    ids = {
        "project": _next_id(Project.__table__),
        "pledge": _next_id(Pledge.__table__),
        "ledger": _next_id(LedgerEntry.__table__),
        "transition": _next_id(ProjectTransition.__table__),
    }
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    counts = {"projects": 0, "pledges": 0}
    texts = _texts(wanted, rng, cast)
    while counts["projects"] < wanted:
        projects, transitions, pledges, ledger = [], [], [], []
        for text in (next(texts) for _ in range(min(BATCH, wanted - counts["projects"]))):
            status = rng.choices(statuses, weights)[0]
            project = _project(rng, text, cast, ids["project"], status, now)
            ids["project"] += 1
            project_pledges, project_ledger = _pledges_for(rng, project, cast, ids, now)
            project["supporters_count"] = len({p["company_id"] for p in project_pledges})
            projects.append(project)
            pledges += project_pledges
            ledger += project_ledger
            for action, before, after, at in (
                ("submit", "draft", "submitted", project["submitted_at"]),
                ("publish", "submitted", "published", project["published_at"]),
            ):
                transitions.append(
                    {
                        "id": ids["transition"],
                        "project_id": project["id"],
                        "action": action,
                        "from_status": before,
                        "to_status": after,
                        "actor_id": cast.staff_id if action == "publish" else None,
                        "reason": None,
                        "created_at": at,
                    }
                )
                ids["transition"] += 1
        db.session.execute(insert(Project.__table__), projects)
        db.session.execute(insert(ProjectTransition.__table__), transitions)
        if pledges:
            db.session.execute(insert(Pledge.__table__), pledges)
            db.session.execute(insert(LedgerEntry.__table__), ledger)
        counts["projects"] += len(projects)
        counts["pledges"] += len(pledges)
    _move_sequences(tables)
    db.session.commit()
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=10_000, help="total projects afterwards")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    from marketplace import create_app

    app = create_app({"SEARCH_SYNC_ON_COMMIT": False, "SEARCH_AUTO_REBUILD": False})
    started = time.perf_counter()
    with app.app_context():
        counts = scale(args.projects, args.seed)
    print(
        f"added {counts['projects']:,} projects and {counts['pledges']:,} paid pledges "
        f"in {time.perf_counter() - started:.1f} s; now run `flask search reindex`",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
