"""The seed values, shared by the migration that inserts them and by tests. PURE."""

from __future__ import annotations

CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("elderly", "扶老助老", "Elderly care"),
    ("disability", "助残", "Disability support"),
    ("children", "儿童关爱", "Child care"),
    ("youth", "青少年服务", "Youth services"),
    ("education", "助学助教", "Education support"),
    ("employment", "就业创业", "Jobs and entrepreneurship"),
    ("science", "科技普及", "Science outreach"),
    ("environment", "环境保护", "Environment"),
    ("emergency", "应急救援", "Emergency rescue"),
    ("community", "社区治理", "Community governance"),
    ("culture", "文化活动", "Culture"),
    ("health", "健康服务", "Health services"),
    ("assistance", "社会救助", "Social assistance"),
)

DISTRICTS: tuple[tuple[str, str], ...] = (
    ("鹿城区", "Lucheng"),
    ("龙湾区", "Longwan"),
    ("瓯海区", "Ouhai"),
    ("洞头区", "Dongtou"),
    ("永嘉县", "Yongjia"),
    ("平阳县", "Pingyang"),
    ("苍南县", "Cangnan"),
    ("文成县", "Wencheng"),
    ("泰顺县", "Taishun"),
    ("瑞安市", "Rui'an"),
    ("乐清市", "Yueqing"),
    ("龙港市", "Longgang"),
)

CATEGORY_SLUGS = frozenset(slug for slug, _, _ in CATEGORIES)
DISTRICT_NAMES = frozenset(name for name, _ in DISTRICTS)
