"""The life of a partnership agreement and of its versions. PURE: no Flask, no database.

Agreement: ``draft`` (created, no terms yet) → ``negotiating`` (terms being drafted and discussed)
→ ``pending_signature`` (a proposed version awaits every signatory party) → ``active`` (every party
signed the same version) → ``expired`` (past its end date) | ``terminated`` (ended early, with a
reason). A party asking for changes sends ``pending_signature`` back to ``negotiating`` and the
proposed version becomes ``withdrawn``; anything before activation may be ``cancelled``.

While an agreement is active, an amendment or a renewal is a new version proposed and signed the
same way; the agreement stays active throughout and the version it replaces becomes ``superseded``.

A version is ``draft`` (editable) → ``proposed`` (immutable, its content hash fixed) → ``signed``
(all parties signed; the agreement's current terms) → ``superseded``; a proposed or draft version
that is abandoned becomes ``withdrawn``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from marketplace.messages import Msg


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    NEGOTIATING = "negotiating"
    PENDING_SIGNATURE = "pending_signature"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


class AgreementAction(StrEnum):
    """What moves an agreement. The first six are what people ask for (API ``transitions``); the
    rest follow from them: drafting the first terms, the last signature, the end date passing."""

    PROPOSE = "propose"
    REQUEST_CHANGES = "request_changes"
    SIGN = "sign"
    DECLINE = "decline"
    TERMINATE = "terminate"
    CANCEL = "cancel"
    DRAFT_TERMS = "draft_terms"
    ACTIVATE = "activate"
    EXPIRE = "expire"
    RENEW = "renew"


REQUESTED_ACTIONS: Final = (
    AgreementAction.PROPOSE,
    AgreementAction.REQUEST_CHANGES,
    AgreementAction.SIGN,
    AgreementAction.DECLINE,
    AgreementAction.TERMINATE,
    AgreementAction.CANCEL,
)
# A person must say why: the other side reads it, and the audit trail keeps it.
REASON_REQUIRED: Final = frozenset(
    {
        AgreementAction.REQUEST_CHANGES,
        AgreementAction.DECLINE,
        AgreementAction.TERMINATE,
        AgreementAction.CANCEL,
    }
)

S = AgreementStatus
A = AgreementAction

# (status, action) → next status. Anything missing is illegal (409).
TRANSITIONS: Final[Mapping[tuple[AgreementStatus, AgreementAction], AgreementStatus]] = MappingProxyType(
    {
        (S.DRAFT, A.DRAFT_TERMS): S.NEGOTIATING,
        (S.DRAFT, A.CANCEL): S.CANCELLED,
        (S.NEGOTIATING, A.DRAFT_TERMS): S.NEGOTIATING,
        (S.NEGOTIATING, A.PROPOSE): S.PENDING_SIGNATURE,
        (S.NEGOTIATING, A.CANCEL): S.CANCELLED,
        (S.PENDING_SIGNATURE, A.SIGN): S.PENDING_SIGNATURE,
        (S.PENDING_SIGNATURE, A.ACTIVATE): S.ACTIVE,
        (S.PENDING_SIGNATURE, A.REQUEST_CHANGES): S.NEGOTIATING,
        # Refusing to sign the first version ends the negotiation.
        (S.PENDING_SIGNATURE, A.DECLINE): S.CANCELLED,
        (S.PENDING_SIGNATURE, A.CANCEL): S.CANCELLED,
        # Amendments and renewals: the agreement stays active while a new version goes round.
        (S.ACTIVE, A.DRAFT_TERMS): S.ACTIVE,
        (S.ACTIVE, A.PROPOSE): S.ACTIVE,
        (S.ACTIVE, A.SIGN): S.ACTIVE,
        (S.ACTIVE, A.ACTIVATE): S.ACTIVE,
        (S.ACTIVE, A.REQUEST_CHANGES): S.ACTIVE,
        (S.ACTIVE, A.DECLINE): S.ACTIVE,
        (S.ACTIVE, A.RENEW): S.ACTIVE,
        (S.ACTIVE, A.TERMINATE): S.TERMINATED,
        (S.ACTIVE, A.EXPIRE): S.EXPIRED,
    }
)

TERMINAL: Final = frozenset({S.EXPIRED, S.TERMINATED, S.CANCELLED})
# States in which the parties still work on terms: versions may be drafted, commented on, proposed.
OPEN_FOR_TERMS: Final = frozenset({S.DRAFT, S.NEGOTIATING, S.ACTIVE})
LIVE: Final = frozenset({S.DRAFT, S.NEGOTIATING, S.PENDING_SIGNATURE, S.ACTIVE})


def next_status(status: AgreementStatus, action: AgreementAction) -> AgreementStatus | None:
    """Where ``action`` takes an agreement in ``status``, or None when it is not allowed there."""
    return TRANSITIONS.get((status, action))


def allowed_actions(status: AgreementStatus) -> frozenset[AgreementAction]:
    return frozenset(action for (source, action) in TRANSITIONS if source == status)


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    SIGNED = "signed"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


VERSION_TRANSITIONS: Final[Mapping[VersionStatus, frozenset[VersionStatus]]] = MappingProxyType(
    {
        VersionStatus.DRAFT: frozenset({VersionStatus.PROPOSED, VersionStatus.WITHDRAWN}),
        VersionStatus.PROPOSED: frozenset({VersionStatus.SIGNED, VersionStatus.WITHDRAWN}),
        VersionStatus.SIGNED: frozenset({VersionStatus.SUPERSEDED}),
        VersionStatus.SUPERSEDED: frozenset(),
        VersionStatus.WITHDRAWN: frozenset(),
    }
)
# Only a draft version's terms can change; from proposal on its hash is what people sign.
EDITABLE_VERSION: Final = frozenset({VersionStatus.DRAFT})
# A version still in play: at most one per agreement.
PENDING_VERSION: Final = frozenset({VersionStatus.DRAFT, VersionStatus.PROPOSED})


def version_can_move(source: VersionStatus, target: VersionStatus) -> bool:
    return target in VERSION_TRANSITIONS[source]


class AgreementType(StrEnum):
    STRATEGIC_COOPERATION = "strategic_cooperation"
    SERVICE_CONTRACT = "service_contract"


STATUS_LABELS: Final[Mapping[AgreementStatus, Msg]] = MappingProxyType(
    {
        S.DRAFT: Msg("草拟中"),
        S.NEGOTIATING: Msg("协商中"),
        S.PENDING_SIGNATURE: Msg("待签署"),
        S.ACTIVE: Msg("生效中"),
        S.EXPIRED: Msg("已到期"),
        S.TERMINATED: Msg("已终止"),
        S.CANCELLED: Msg("已取消"),
    }
)

VERSION_STATUS_LABELS: Final[Mapping[VersionStatus, Msg]] = MappingProxyType(
    {
        VersionStatus.DRAFT: Msg("草稿"),
        VersionStatus.PROPOSED: Msg("已提交签署"),
        VersionStatus.SIGNED: Msg("已签署"),
        VersionStatus.SUPERSEDED: Msg("已被替代"),
        VersionStatus.WITHDRAWN: Msg("已撤回"),
    }
)

ACTION_LABELS: Final[Mapping[AgreementAction, Msg]] = MappingProxyType(
    {
        A.PROPOSE: Msg("提交签署"),
        A.REQUEST_CHANGES: Msg("要求修改"),
        A.SIGN: Msg("签署"),
        A.DECLINE: Msg("拒绝签署"),
        A.TERMINATE: Msg("终止协议"),
        A.CANCEL: Msg("取消协议"),
        A.DRAFT_TERMS: Msg("起草条款"),
        A.ACTIVATE: Msg("生效"),
        A.EXPIRE: Msg("到期"),
        A.RENEW: Msg("自动续期"),
    }
)

TYPE_LABELS: Final[Mapping[AgreementType, Msg]] = MappingProxyType(
    {
        AgreementType.STRATEGIC_COOPERATION: Msg("战略合作协议"),
        AgreementType.SERVICE_CONTRACT: Msg("服务合同"),
    }
)
