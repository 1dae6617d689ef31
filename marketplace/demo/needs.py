"""Demo community needs (社区需求), recorded by the 「格子铺」 steward and league staff and answered by
the demo organizations' projects, through the same operations people use.

Thirteen needs across Lucheng's streets and four other districts, in every status: open ones nobody
has answered yet, needs in progress answered by a published (or still drafted) project, and needs
staff confirmed as addressed once the answering project ran. Only timestamps are moved afterwards
(a need recorded weeks ago, the notification the steward read); audit events keep the time they
were really written, so the hash chain stays intact.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs.models import CommunityNeed
from marketplace.notifications.models import Notification
from marketplace.projects.models import Project
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.demo.loader import LoadReport

STEWARD = "zhanggui@demo.qingqinchou.cn"  # 陈嘉怡, the steward of 南汇街道葡萄社区's 格子铺
STAFF = "staff@demo.qingqinchou.cn"  # 王晓蕾
READ_AFTER_DAYS = 7

# Each need: who recorded it, when (days ago), its text and facts; "answers": the demo projects (by
# title) that respond, each with a note and days ago; "then": staff's step afterwards.
NEEDS: list[dict[str, Any]] = [
    {
        "recorder": STEWARD,
        "days_ago": 58,
        "title": "五马街道独居老人午餐没有着落",
        "district": "鹿城区",
        "community": "五马街道五马社区",
        "category": "elderly",
        "people_affected": 86,
        "urgency": "urgent",
        "description": "社区80岁以上独居老人有86位，子女多在外地。不少老人午饭靠泡饭、剩菜对付，"
        "去年冬天有两位老人因营养不良住院。希望有组织提供平价助餐和行动不便老人的送餐上门。",
        "answers": [
            (
                "「银龄食堂」五马街道独居老人助餐计划",
                "在社区食堂开设长者餐，为行动不便的老人每天送餐上门。",
                50,
            )
        ],
    },
    {
        "recorder": STEWARD,
        "days_ago": 52,
        "title": "鞋都社区务工子女放学后无人看护",
        "district": "鹿城区",
        "community": "双屿街道鞋都社区",
        "category": "children",
        "people_affected": 140,
        "urgency": "high",
        "description": "鞋都社区外来务工家庭集中，父母下班多在晚上七八点以后。下午三点半放学后，"
        "孩子们在街边、网吧游荡，家长反映最担心安全和作业没人管。社区党群服务中心有两间空教室可以提供。",
        "answers": [
            ("「四点钟课堂」外来务工子女课后托管", "利用社区空教室开设四点钟课堂，大学生志愿者辅导作业。", 45)
        ],
    },
    {
        "recorder": STAFF,
        "days_ago": 80,
        "title": "环卫工人、快递小哥缺少歇脚喝水的地方",
        "district": "鹿城区",
        "community": "滨江街道锦江社区",
        "category": "community",
        "people_affected": 300,
        "urgency": "normal",
        "description": "锦江社区周边户外劳动者约300人，夏天中暑、冬天无处取暖的情况时有发生。"
        "希望在沿街商铺和社区用房设置爱心驿站，提供饮水、充电、微波炉和临时休息。",
        "answers": [("三乐亭「爱心驿站」户外劳动者歇脚点", "在锦江社区设立三处爱心驿站，全年开放。", 70)],
        "then": ["address"],
    },
    {
        "recorder": STEWARD,
        "days_ago": 95,
        "title": "高龄老人一年没做过体检",
        "district": "鹿城区",
        "community": "五马街道五马社区",
        "category": "health",
        "people_affected": 200,
        "urgency": "high",
        "description": "社区走访发现不少高龄老人一年以上没做过体检，慢性病管理靠自己。"
        "希望重阳节前后组织一次免费健康体检，并建立健康档案。",
        "answers": [
            ("重阳节「敬老助老」高龄老人免费健康体检", "联合社区卫生服务中心，为200位高龄老人免费体检。", 90)
        ],
        "then": ["address"],
    },
    {
        "recorder": STAFF,
        "days_ago": 120,
        "title": "霓屿渔村台风季缺少应急物资储备",
        "district": "洞头区",
        "community": "霓屿街道",
        "category": "emergency",
        "people_affected": 1200,
        "urgency": "urgent",
        "description": "霓屿岛上渔村分散，台风来时道路常被冲断，村里没有固定的应急物资点，"
        "救生衣、手电、发电机都要临时从城区调。希望在各村设立应急救援物资站并培训村民。",
        "answers": [
            (
                "洞头「渔村守护」应急救援物资站",
                "在霓屿五个渔村设立物资站，每站配救生衣、发电机和急救包。",
                110,
            )
        ],
        "then": ["address"],
    },
    {
        "recorder": STEWARD,
        "days_ago": 30,
        "title": "老旧小区楼道没有扶手，老人上下楼摔倒",
        "district": "鹿城区",
        "community": "广化街道广化社区",
        "category": "community",
        "people_affected": 65,
        "urgency": "high",
        "description": "广化社区多为上世纪八九十年代的无电梯楼房，楼道窄、光线暗、没有扶手。"
        "今年已有三位老人在楼道摔倒。希望加装扶手、感应灯和防滑条。",
        "answers": [
            ("「格子铺」老旧小区楼道适老化微改造", "正在测算每个楼道的改造费用，项目审核通过后开始筹款。", 12)
        ],
    },
    {
        "recorder": STAFF,
        "days_ago": 40,
        "title": "孤独症孩子的家长几年没有休息过",
        "district": "瑞安市",
        "community": "安阳街道",
        "category": "disability",
        "people_affected": 45,
        "urgency": "high",
        "description": "安阳街道登记的孤独症儿童家庭有45户，多数由妈妈全职照顾，长期没有喘息时间，"
        "有家长出现抑郁情绪。希望有专业机构提供临时托管和家长支持小组。",
        "answers": [
            ("「星星的孩子」孤独症儿童家庭喘息服务", "每周两个半天由持证特教老师临时照护，家长可以休息。", 33)
        ],
    },
    {
        "recorder": STEWARD,
        "days_ago": 20,
        "title": "双职工家庭寒假看护",
        "district": "鹿城区",
        "community": "南汇街道葡萄社区",
        "category": "children",
        "people_affected": 37,
        "urgency": "high",
        "description": "格子铺收到37户双职工家庭反映，寒假期间孩子白天无人看护。希望有组织"
        "在社区活动室开设寒假托管班，"
        "上午辅导作业、下午开展阅读和体育活动。",
    },
    {
        "recorder": STEWARD,
        "days_ago": 16,
        "title": "外来务工青年技能夜校",
        "district": "鹿城区",
        "community": "双屿街道鞋都社区",
        "category": "employment",
        "people_affected": 260,
        "urgency": "normal",
        "description": "鞋都社区的不少青年工人希望晚上学习电商运营、短视频制作和学历提升课程，"
        "但附近没有合适的夜校。"
        "社区可提供每周三个晚上的会议室。",
    },
    {
        "recorder": STEWARD,
        "days_ago": 12,
        "title": "老旧小区电动车充电安全宣传",
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "category": "emergency",
        "people_affected": 900,
        "urgency": "urgent",
        "description": "墨池社区有多个无物业管理的老旧小区，居民仍有把电动车推进楼道、拉线充电的习惯。"
        "社区希望开展入户安全宣传和集中充电桩使用引导。",
        "then": ["start"],  # the street's fire brigade has begun door-to-door visits; no project yet
    },
    {
        "recorder": STEWARD,
        "days_ago": 9,
        "title": "独居老人上门理发",
        "district": "鹿城区",
        "community": "广化街道广化社区",
        "category": "elderly",
        "people_affected": 23,
        "urgency": "normal",
        "description": "社区登记的独居老人中有20多位行动不便，很久没有理过发。希望有志愿者每月上门一次，"
        "为老人理发、剪指甲，顺便陪老人聊聊天。",
    },
    {
        "recorder": STAFF,
        "days_ago": 6,
        "title": "文明养宠公约与宠物友好活动",
        "district": "鹿城区",
        "community": "滨江街道锦江社区",
        "category": "community",
        "people_affected": 1500,
        "urgency": "low",
        "description": "近一年社区关于犬只扰民、不拴绳的投诉明显增多。"
        "居民希望由第三方组织牵头讨论制定文明养宠公约，"
        "并开展养宠知识讲座和宠物友好日活动。",
    },
    {
        "recorder": STAFF,
        "days_ago": 3,
        "title": "残障居民社区康复活动",
        "district": "鹿城区",
        "community": "松台街道广场路社区",
        "category": "disability",
        "people_affected": 14,
        "urgency": "high",
        "description": "社区有十余位肢体残障和精神康复期居民，平时很少出门。"
        "希望有组织每周在社区开展一次康复操、"
        "手工和团体活动，帮助他们走出家门、融入社区。",
    },
]


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise ValueError(f"demo needs: no user {email}")
    return user


def _project(title: str) -> Project:
    project = db.session.scalar(select(Project).where(Project.title == title))
    if project is None:
        raise ValueError(f"demo needs: no project titled {title}")
    return project


def _date_notifications(since_id: int, when: datetime, now: datetime) -> None:
    read_at = when + timedelta(hours=3) if now - when >= timedelta(days=READ_AFTER_DAYS) else None
    db.session.execute(
        update(Notification).where(Notification.id > since_id).values(created_at=when, read_at=read_at)
    )


def _load_one(record: dict[str, Any], now: datetime) -> CommunityNeed:
    recorder = _user(record["recorder"])
    need = ops.record_need(
        recorder,
        ops.NeedInput(
            **{name: record[name] for name in ("title", "district", "community", "category", "description")},
            people_affected=record["people_affected"],
            urgency=record["urgency"],
        ),
    )
    recorded = now - timedelta(days=record["days_ago"])
    need.created_at = need.updated_at = recorded
    last = recorded
    for title, note, days_ago in record.get("answers", []):
        project = _project(title)
        mark = db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
        response = ops.respond(project.organization.members[0], need, project, note)
        last = now - timedelta(days=days_ago)
        response.created_at = last
        _date_notifications(mark, last, now)
    for action in record.get("then", []):
        ops.transition_need(need, recorder, action)
        if action == "address":
            need.addressed_at = now - timedelta(days=max(1, record["days_ago"] // 6))
    need.updated_at = need.addressed_at or last
    db.session.flush()
    return need


def load_needs(report: LoadReport, now: datetime | None = None) -> None:
    """The demo's community needs, once: any need in the database means they were loaded. Expects
    the demo staff (the steward zhanggui@…) and the demo projects to exist (load after them)."""
    loaded = db.session.scalar(select(CommunityNeed.id).limit(1)) is not None
    for _record in NEEDS:
        report.count("community_needs", created=not loaded)
    if loaded:
        return
    now = (now or utcnow()).replace(microsecond=0)
    for record in NEEDS:
        _load_one(record, now)
    db.session.flush()
