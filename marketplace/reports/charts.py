"""The dashboard's five charts as plain data: what static/js/reports.js draws and what the table
under each chart lists, from the same numbers, so the picture and its table never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.messages import Msg
from marketplace.reports.stats import DashboardStats, Point
from marketplace.web import is_english, translate

FEN = "fen"
COUNT = "count"


@dataclass(frozen=True)
class Row:
    label: str
    value: int
    share: int | None = None  # whole percent of the first row (the funnel), None elsewhere


@dataclass(frozen=True)
class Chart:
    key: str  # element ids: chart-<key>, table-<key>
    kind: str  # "bar" | "line" | "doughnut" | "funnel" (horizontal bars)
    unit: str  # FEN or COUNT
    title: Msg
    description: Msg  # the canvas's accessible name, pointing to the table
    label_header: Msg
    value_header: Msg
    rows: list[Row]
    empty: Msg

    @property
    def total(self) -> int:
        return sum(row.value for row in self.rows)

    def data(self, translate: Any = str) -> dict[str, Any]:
        """What reports.js needs, in the visitor's language (row labels already are)."""
        return {
            "key": self.key,
            "kind": self.kind,
            "unit": self.unit,
            "series": translate(self.value_header),
            "labels": [str(row.label) for row in self.rows],
            "values": [row.value for row in self.rows],
        }


def point_label(point: Point) -> str:
    """A label in the visitor's language: our own labels are messages; names carry their English."""
    if point.label_en and is_english():
        return point.label_en
    return translate(point.label)


def dashboard_charts(stats: DashboardStats, label: Any = point_label) -> list[Chart]:
    """``label(point)`` renders a point's label (in the visitor's language by default)."""

    def rows(points: list[Point]) -> list[Row]:
        return [Row(label(point), point.value) for point in points]

    first = stats.introduction_funnel[0].value if stats.introduction_funnel else 0
    funnel = [
        Row(label(point), point.value, point.value * 100 // first if first else 0)
        for point in stats.introduction_funnel
    ]
    return [
        Chart(
            key="raised-by-month",
            kind="bar",
            unit=FEN,
            title=Msg("每月筹款"),
            description=Msg("每月筹款金额柱状图，具体数字见图下的数据表"),
            label_header=Msg("月份"),
            value_header=Msg("筹款金额"),
            rows=rows(stats.raised_by_month),
            empty=Msg("所选期间没有筹款记录"),
        ),
        Chart(
            key="raised-by-category",
            kind="funnel",
            unit=FEN,
            title=Msg("按项目类别筹款"),
            description=Msg("各项目类别筹款金额条形图，具体数字见图下的数据表"),
            label_header=Msg("项目类别"),
            value_header=Msg("筹款金额"),
            rows=rows(stats.raised_by_category),
            empty=Msg("所选期间没有筹款记录"),
        ),
        Chart(
            key="raised-by-district",
            kind="bar",
            unit=FEN,
            title=Msg("按区县筹款"),
            description=Msg("各区县筹款金额柱状图，具体数字见图下的数据表"),
            label_header=Msg("区县"),
            value_header=Msg("筹款金额"),
            rows=rows(stats.raised_by_district),
            empty=Msg("所选期间没有筹款记录"),
        ),
        Chart(
            key="introduction-funnel",
            kind="funnel",
            unit=COUNT,
            title=Msg("牵线转化漏斗"),
            description=Msg("牵线介绍从发送到促成的转化漏斗图，具体数字见图下的数据表"),
            label_header=Msg("环节"),
            value_header=Msg("牵线数"),
            rows=funnel,
            empty=Msg("所选期间没有发出牵线介绍"),
        ),
        Chart(
            key="grade-distribution",
            kind="doughnut",
            unit=COUNT,
            title=Msg("组织等级分布"),
            description=Msg("已认证组织的等级分布环形图，具体数字见图下的数据表"),
            label_header=Msg("等级"),
            value_header=Msg("组织数"),
            rows=rows(stats.grade_distribution),
            empty=Msg("还没有已认证的组织"),
        ),
    ]
