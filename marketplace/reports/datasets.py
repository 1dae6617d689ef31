"""What each staff export holds: one SQLAlchemy Core select per dataset (joined for names), its
columns in order with their Chinese headers and kinds, and the date column its range filters.

Which date filters what (the event the row records):
- 认捐 pledges: when the pledge was made (``created_at``);
- 资金台账 the ledger: when the money moved (``created_at``);
- 合作协议 agreements: when the agreement was started (``created_at``); its start, end and
  activation dates are columns;
- 投标 bids: when the bid was (last) submitted (``submitted_at``): drafts never submitted are the
  organizations' own work and are left out;
- 中标 awards: when staff decided the award (``decided_at``);
- 评估结果 evaluation results: the round's year (the years the range touches);
- 社区需求 community needs: when the need was recorded (``created_at``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from marketplace.accounts.models import User
from marketplace.agreements.models import Agreement
from marketplace.agreements.states import STATUS_LABELS as AGREEMENT_STATUS_LABELS
from marketplace.agreements.states import TYPE_LABELS as AGREEMENT_TYPE_LABELS
from marketplace.evaluations.models import EvaluationParticipant, EvaluationRound
from marketplace.evaluations.states import ROUND_STATUS_LABELS
from marketplace.messages import Msg
from marketplace.needs.models import CommunityNeed, NeedResponse
from marketplace.needs.states import NEED_STATUS_LABELS, URGENCY_LABELS
from marketplace.parties.models import TIER_LABELS, Company, Organization
from marketplace.pledges.accounting import LEDGER_KIND_LABELS
from marketplace.pledges.models import LedgerEntry, MatchingPool, Pledge
from marketplace.pledges.states import METHOD_LABELS
from marketplace.pledges.states import STATUS_LABELS as PLEDGE_STATUS_LABELS
from marketplace.projects.models import Project
from marketplace.reports.export_format import DateRange, Kind
from marketplace.taxonomy.models import Category
from marketplace.tenders.models import Bid, Buyer, Tender, TenderAward
from marketplace.tenders.rules import MODE_LABELS
from marketplace.tenders.states import BID_STATUS_LABELS

PARTIALLY_REFUNDED = "partially_refunded"
AWARD_SIGNED = "signed"
PLEDGE_LABELS: dict[str, Msg] = {
    **{str(code): label for code, label in PLEDGE_STATUS_LABELS.items()},
    PARTIALLY_REFUNDED: Msg("部分退款"),
}
AWARD_LABELS: dict[str, Msg] = {
    "pending": Msg("待签约"),
    AWARD_SIGNED: Msg("已签约"),
    "declined": Msg("中标人放弃签约"),
    "cancelled": Msg("已取消"),
}


@dataclass(frozen=True)
class Column:
    key: str
    header: Msg
    kind: Kind = Kind.TEXT
    labels: Mapping[Any, Msg] | None = None
    width: int = 14  # XLSX column width, in characters (a Chinese character counts about two)


@dataclass(frozen=True)
class Source:
    """The unfiltered select (columns labelled with the Column keys, in order) and what filters it."""

    columns: tuple[Column, ...]
    select: Select[Any]
    date: ColumnElement[Any]
    order_by: tuple[ColumnElement[Any], ...]
    by_year: bool = False  # ``date`` is a year number: keep the years the range touches

    def query(self, period: DateRange) -> Select[Any]:
        return self.select.where(self._condition(period)).order_by(*self.order_by)

    def count(self, period: DateRange) -> Select[Any]:
        return select(func.count()).select_from(self.select.where(self._condition(period)).subquery())

    def _condition(self, period: DateRange) -> ColumnElement[bool]:
        if self.by_year:
            return self.date.between(period.start.year, period.end.year)
        low, high = period.utc_bounds
        return and_(self.date >= low, self.date < high)


def _source(
    pairs: list[tuple[Column, ColumnElement[Any]]],
    build: Callable[[Select[Any]], Select[Any]],
    *,
    date: ColumnElement[Any],
    order_by: tuple[ColumnElement[Any], ...],
    by_year: bool = False,
) -> Source:
    columns = tuple(column for column, _ in pairs)
    query = build(select(*(expression.label(column.key) for column, expression in pairs)))
    return Source(columns, query, date, order_by, by_year)


@dataclass(frozen=True)
class Dataset:
    slug: str  # URL and ASCII file name
    title: Msg  # sheet and file name
    description: Msg
    date_basis: Msg  # which date the range filters, as the page says it
    build: Callable[[], Source]

    @cached_property
    def source(self) -> Source:
        return self.build()

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.source.columns


# ─────────────────────────────── the selects ───────────────────────────────


def _pledges() -> Source:
    project_org = aliased(Organization)
    agreement_org = aliased(Organization)
    status = case(
        (and_(Pledge.status == "paid", Pledge.refunded_amount > 0), PARTIALLY_REFUNDED),
        else_=Pledge.status,
    )
    pairs = [
        (Column("id", Msg("认捐编号"), Kind.INT, width=10), Pledge.id),
        (Column("created_at", Msg("认捐时间"), Kind.DATETIME, width=17), Pledge.created_at),
        (Column("company", Msg("认捐企业"), width=28), Company.name),
        (Column("purpose", Msg("项目或协议"), width=30), func.coalesce(Project.title, Agreement.title)),
        (
            Column("organization", Msg("受助组织"), width=28),
            func.coalesce(project_org.name, agreement_org.name),
        ),
        (Column("method", Msg("认捐方式"), Kind.LABEL, METHOD_LABELS, width=16), Pledge.method),
        (Column("status", Msg("状态"), Kind.LABEL, PLEDGE_LABELS, width=10), status),
        (Column("amount", Msg("认捐金额（元）"), Kind.MONEY, width=14), Pledge.amount),
        (Column("paid_amount", Msg("到账金额（元）"), Kind.MONEY, width=14), Pledge.paid_amount),
        (Column("refunded_amount", Msg("退款金额（元）"), Kind.MONEY, width=14), Pledge.refunded_amount),
        (Column("paid_at", Msg("到账时间"), Kind.DATETIME, width=17), Pledge.paid_at),
        (Column("payee", Msg("收款方"), width=28), Pledge.payee_name),
        (Column("reference_code", Msg("转账附言码"), width=14), Pledge.reference_code),
        (Column("anonymous", Msg("匿名"), Kind.BOOL, width=6), Pledge.anonymous),
        (Column("message", Msg("留言"), width=30), Pledge.message),
    ]
    return _source(
        pairs,
        lambda query: (
            query.select_from(Pledge)
            .join(Company, Company.id == Pledge.company_id)
            .outerjoin(Project, Project.id == Pledge.project_id)
            .outerjoin(project_org, project_org.id == Project.organization_id)
            .outerjoin(Agreement, Agreement.id == Pledge.agreement_id)
            .outerjoin(agreement_org, agreement_org.id == Agreement.organization_id)
        ),
        date=Pledge.created_at,
        order_by=(Pledge.created_at, Pledge.id),
    )


def _ledger() -> Source:
    project_org = aliased(Organization)
    agreement_org = aliased(Organization)
    pairs = [
        (Column("id", Msg("流水号"), Kind.INT, width=10), LedgerEntry.id),
        (Column("created_at", Msg("入账时间"), Kind.DATETIME, width=17), LedgerEntry.created_at),
        (Column("kind", Msg("类型"), Kind.LABEL, LEDGER_KIND_LABELS, width=12), LedgerEntry.kind),
        (Column("amount", Msg("金额（元）"), Kind.MONEY, width=14), LedgerEntry.amount),
        (Column("project", Msg("项目或协议"), width=30), func.coalesce(Project.title, Agreement.title)),
        (
            Column("organization", Msg("受助组织"), width=28),
            func.coalesce(project_org.name, agreement_org.name),
        ),
        (Column("pledge_id", Msg("认捐编号"), Kind.INT, width=10), LedgerEntry.pledge_id),
        (Column("company", Msg("认捐企业"), width=28), Company.name),
        (Column("pool", Msg("配捐池"), width=20), MatchingPool.name),
        (Column("reference", Msg("业务参考号"), width=30), LedgerEntry.reference),
        (Column("note", Msg("备注"), width=30), LedgerEntry.note),
    ]
    return _source(
        pairs,
        lambda query: (
            query.select_from(LedgerEntry)
            .outerjoin(Project, Project.id == LedgerEntry.project_id)
            .outerjoin(project_org, project_org.id == Project.organization_id)
            .outerjoin(Pledge, Pledge.id == LedgerEntry.pledge_id)
            .outerjoin(Company, Company.id == Pledge.company_id)
            .outerjoin(Agreement, Agreement.id == Pledge.agreement_id)
            .outerjoin(agreement_org, agreement_org.id == Agreement.organization_id)
            .outerjoin(MatchingPool, MatchingPool.id == LedgerEntry.pool_id)
        ),
        date=LedgerEntry.created_at,
        order_by=(LedgerEntry.created_at, LedgerEntry.id),
    )


def _agreements() -> Source:
    pairs = [
        (Column("id", Msg("协议编号"), Kind.INT, width=10), Agreement.id),
        (Column("title", Msg("协议名称"), width=30), Agreement.title),
        (Column("type", Msg("协议类型"), Kind.LABEL, AGREEMENT_TYPE_LABELS, width=14), Agreement.type),
        (Column("status", Msg("状态"), Kind.LABEL, AGREEMENT_STATUS_LABELS, width=10), Agreement.status),
        (Column("company", Msg("企业"), width=28), Company.name),
        (Column("organization", Msg("组织"), width=28), Organization.name),
        (Column("starts_on", Msg("起始日期"), Kind.DATE, width=12), Agreement.starts_on),
        (Column("ends_on", Msg("到期日期"), Kind.DATE, width=12), Agreement.ends_on),
        (Column("auto_renew", Msg("自动续期"), Kind.BOOL, width=8), Agreement.auto_renew),
        (Column("created_at", Msg("创建时间"), Kind.DATETIME, width=17), Agreement.created_at),
        (Column("activated_at", Msg("生效时间"), Kind.DATETIME, width=17), Agreement.activated_at),
        (Column("ended_at", Msg("终止或到期时间"), Kind.DATETIME, width=17), Agreement.ended_at),
        (Column("broker", Msg("经办人"), width=12), User.name),
        (Column("end_reason", Msg("终止原因"), width=30), Agreement.end_reason),
    ]
    return _source(
        pairs,
        lambda query: (
            query.select_from(Agreement)
            .outerjoin(Company, Company.id == Agreement.company_id)
            .outerjoin(Organization, Organization.id == Agreement.organization_id)
            .outerjoin(User, User.id == Agreement.broker_id)
        ),
        date=Agreement.created_at,
        order_by=(Agreement.created_at, Agreement.id),
    )


def _bids() -> Source:
    pairs = [
        (Column("id", Msg("投标编号"), Kind.INT, width=10), Bid.id),
        (Column("tender", Msg("采购项目"), width=30), Tender.title),
        (Column("buyer", Msg("采购人"), width=24), Buyer.name),
        (Column("lead", Msg("投标组织（牵头方）"), width=28), Organization.name),
        (Column("mode", Msg("投标方式"), Kind.LABEL, MODE_LABELS, width=12), Bid.mode),
        (Column("status", Msg("状态"), Kind.LABEL, BID_STATUS_LABELS, width=12), Bid.status),
        (Column("price", Msg("投标报价（元）"), Kind.MONEY, width=14), Bid.price),
        (Column("score", Msg("评审得分"), Kind.SCORE, width=10), Bid.score),
        (Column("submitted_at", Msg("提交时间"), Kind.DATETIME, width=17), Bid.submitted_at),
        (Column("evaluation_reason", Msg("评审意见"), width=30), Bid.evaluation_reason),
    ]
    return _source(
        pairs,
        lambda query: (
            query.select_from(Bid)
            .join(Tender, Tender.id == Bid.tender_id)
            .join(Buyer, Buyer.id == Tender.buyer_id)
            .join(Organization, Organization.id == Bid.lead_organization_id)
        ),
        date=Bid.submitted_at,
        order_by=(Bid.submitted_at, Bid.id),
    )


def _awards() -> Source:
    status = case(
        (
            and_(TenderAward.status == "pending", Agreement.status.in_(("active", "expired"))),
            AWARD_SIGNED,
        ),
        else_=TenderAward.status,
    )
    pairs = [
        (Column("id", Msg("中标编号"), Kind.INT, width=10), TenderAward.id),
        (Column("tender", Msg("采购项目"), width=30), Tender.title),
        (Column("buyer", Msg("采购人"), width=24), Buyer.name),
        (Column("winner", Msg("中标组织（牵头方）"), width=28), Organization.name),
        (Column("mode", Msg("投标方式"), Kind.LABEL, MODE_LABELS, width=12), Bid.mode),
        (Column("value", Msg("中标金额（元）"), Kind.MONEY, width=14), TenderAward.value),
        (Column("status", Msg("状态"), Kind.LABEL, AWARD_LABELS, width=14), status),
        (Column("decided_at", Msg("确定中标时间"), Kind.DATETIME, width=17), TenderAward.decided_at),
        (Column("contract", Msg("合同协议"), width=30), Agreement.title),
        (Column("decline_reason", Msg("放弃签约原因"), width=30), TenderAward.decline_reason),
    ]
    return _source(
        pairs,
        lambda query: (
            query.select_from(TenderAward)
            .join(Tender, Tender.id == TenderAward.tender_id)
            .join(Buyer, Buyer.id == Tender.buyer_id)
            .join(Bid, Bid.id == TenderAward.bid_id)
            .join(Organization, Organization.id == Bid.lead_organization_id)
            .outerjoin(Agreement, Agreement.id == TenderAward.agreement_id)
        ),
        date=TenderAward.decided_at,
        order_by=(TenderAward.decided_at, TenderAward.id),
    )


def _evaluations() -> Source:
    participant = EvaluationParticipant
    pairs = [
        (Column("year", Msg("年度"), Kind.INT, width=8), EvaluationRound.year),
        (Column("round", Msg("评估名称"), width=24), EvaluationRound.title),
        (
            Column("round_status", Msg("评估状态"), Kind.LABEL, ROUND_STATUS_LABELS, width=10),
            EvaluationRound.status,
        ),
        (Column("organization", Msg("组织"), width=28), Organization.name),
        (Column("government", Msg("政府评分"), Kind.SCORE, width=10), participant.government),
        (Column("peer", Msg("同行互评"), Kind.SCORE, width=10), participant.peer),
        (Column("public", Msg("公众投票得分"), Kind.SCORE, width=12), participant.public),
        (Column("votes", Msg("公众票数"), Kind.INT, width=10), participant.votes),
        (Column("composite", Msg("综合得分"), Kind.SCORE, width=10), participant.composite),
        (Column("rank", Msg("排名"), Kind.INT, width=8), participant.rank),
        (Column("grade", Msg("等级"), Kind.GRADE, width=8), participant.grade),
        (Column("tier", Msg("梯队"), Kind.LABEL, TIER_LABELS, width=8), participant.tier),
    ]
    return _source(
        pairs,
        lambda query: (
            query.select_from(participant)
            .join(EvaluationRound, EvaluationRound.id == participant.round_id)
            .join(Organization, Organization.id == participant.organization_id)
        ),
        date=EvaluationRound.year,
        order_by=(EvaluationRound.year, participant.rank.is_(None), participant.rank, participant.id),
        by_year=True,
    )


def _needs() -> Source:
    responses = (
        select(func.count())
        .where(NeedResponse.need_id == CommunityNeed.id)
        .correlate(CommunityNeed)
        .scalar_subquery()
    )
    pairs = [
        (Column("id", Msg("需求编号"), Kind.INT, width=10), CommunityNeed.id),
        (Column("created_at", Msg("登记时间"), Kind.DATETIME, width=17), CommunityNeed.created_at),
        (Column("title", Msg("需求"), width=28), CommunityNeed.title),
        (Column("district", Msg("区域"), width=10), CommunityNeed.district),
        (Column("community", Msg("社区"), width=16), CommunityNeed.community),
        (Column("category", Msg("类别"), width=12), Category.name),
        (Column("people_affected", Msg("受益人数"), Kind.INT, width=10), CommunityNeed.people_affected),
        (Column("urgency", Msg("紧急程度"), Kind.LABEL, URGENCY_LABELS, width=10), CommunityNeed.urgency),
        (Column("status", Msg("状态"), Kind.LABEL, NEED_STATUS_LABELS, width=10), CommunityNeed.status),
        (Column("responses", Msg("响应项目数"), Kind.INT, width=10), responses),
        (Column("recorded_by", Msg("登记人"), width=12), User.name),
        (Column("addressed_at", Msg("解决时间"), Kind.DATETIME, width=17), CommunityNeed.addressed_at),
        (Column("description", Msg("需求描述"), width=40), CommunityNeed.description),
    ]
    return _source(
        pairs,
        lambda query: (
            query.select_from(CommunityNeed)
            .join(Category, Category.id == CommunityNeed.category_id)
            .outerjoin(User, User.id == CommunityNeed.recorded_by_id)
        ),
        date=CommunityNeed.created_at,
        order_by=(CommunityNeed.created_at, CommunityNeed.id),
    )


DATASETS: dict[str, Dataset] = {
    item.slug: item
    for item in (
        Dataset(
            "pledges",
            Msg("认捐"),
            Msg("每一笔认捐：企业、项目、方式、状态、认捐 / 到账 / 退款金额。"),
            Msg("按认捐时间"),
            _pledges,
        ),
        Dataset(
            "ledger",
            Msg("资金台账"),
            Msg("每一笔资金流水：到账、退款、配捐、拨付、手续费，金额带正负号。"),
            Msg("按入账时间"),
            _ledger,
        ),
        Dataset(
            "agreements",
            Msg("合作协议"),
            Msg("合作协议及其状态、双方、起止日期和经办人。"),
            Msg("按创建时间"),
            _agreements,
        ),
        Dataset(
            "bids",
            Msg("投标"),
            Msg("已提交的投标：采购项目、投标组织、方式、报价、评审得分和状态（不含未提交的草稿）。"),
            Msg("按提交时间"),
            _bids,
        ),
        Dataset(
            "awards",
            Msg("中标"),
            Msg("中标结果：采购项目、中标组织、中标金额、签约状态。"),
            Msg("按确定中标时间"),
            _awards,
        ),
        Dataset(
            "evaluations",
            Msg("评估结果"),
            Msg("年度评估中各组织的政府评分、同行互评、公众投票、综合得分、等级和梯队。"),
            Msg("按评估年度"),
            _evaluations,
        ),
        Dataset(
            "needs",
            Msg("社区需求"),
            Msg("铺掌柜和工作人员登记的社区需求、紧急程度、状态和响应项目数。"),
            Msg("按登记时间"),
            _needs,
        ),
    )
}
