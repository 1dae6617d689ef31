"""The life of an introduction (a staff-brokered company ↔ project contact). PURE.

sent → viewed → interested | declined; any of them → converted when the company pledges to the
project or signs an agreement with its organization within ``CONVERSION_DAYS`` of the introduction.
The company moves it to viewed / interested / declined; conversion is only ever automatic.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from marketplace.messages import Msg


class IntroductionStatus(StrEnum):
    SENT = "sent"
    VIEWED = "viewed"
    INTERESTED = "interested"
    DECLINED = "declined"
    CONVERTED = "converted"


CONVERSION_DAYS: Final = 90

TRANSITIONS: Final[Mapping[IntroductionStatus, frozenset[IntroductionStatus]]] = MappingProxyType(
    {
        IntroductionStatus.SENT: frozenset(
            {
                IntroductionStatus.VIEWED,
                IntroductionStatus.INTERESTED,
                IntroductionStatus.DECLINED,
                IntroductionStatus.CONVERTED,
            }
        ),
        IntroductionStatus.VIEWED: frozenset(
            {IntroductionStatus.INTERESTED, IntroductionStatus.DECLINED, IntroductionStatus.CONVERTED}
        ),
        IntroductionStatus.INTERESTED: frozenset({IntroductionStatus.DECLINED, IntroductionStatus.CONVERTED}),
        # A company that said no may still give: the introduction then did its job.
        IntroductionStatus.DECLINED: frozenset({IntroductionStatus.CONVERTED}),
        IntroductionStatus.CONVERTED: frozenset(),
    }
)
# What the company itself may set; ``converted`` follows from a pledge or an agreement.
COMPANY_CHOICES: Final = frozenset(
    {IntroductionStatus.VIEWED, IntroductionStatus.INTERESTED, IntroductionStatus.DECLINED}
)
# Open introductions block a second one for the same company and project.
OPEN_STATUSES: Final = frozenset(
    {IntroductionStatus.SENT, IntroductionStatus.VIEWED, IntroductionStatus.INTERESTED}
)

STATUS_LABELS: Final[Mapping[IntroductionStatus, Msg]] = MappingProxyType(
    {
        IntroductionStatus.SENT: Msg("已发送"),
        IntroductionStatus.VIEWED: Msg("已查看"),
        IntroductionStatus.INTERESTED: Msg("有意向"),
        IntroductionStatus.DECLINED: Msg("已婉拒"),
        IntroductionStatus.CONVERTED: Msg("已促成"),
    }
)


def can_move(source: IntroductionStatus, target: IntroductionStatus) -> bool:
    return target in TRANSITIONS[source]


def sources_for(target: IntroductionStatus) -> frozenset[IntroductionStatus]:
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)
