"""A deterministic generator of realistic Chinese public-welfare projects and of the query mix the
search benchmark runs against them.

Words are drawn with a Zipf-like law (weight ∝ 1 / rank^1.1) inside every slot, so a few words
(志愿者, 社区, 儿童, 服务 …) appear in most documents and a long tail (瓯绣, 蓝夹缬, 喘息服务 …)
in a handful. The generator is prefix-stable: the first 10,000 documents of a 100,000-document
corpus are the 10,000-document corpus, so figures at both sizes describe the same projects.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jieba

from marketplace.search.types import PROGRESS_BUCKETS, SORTS, ProjectDocument, SearchRequest
from marketplace.taxonomy.data import CATEGORIES, DISTRICTS

SEED = 20261126
ZIPF_EXPONENT = 1.1
# What an anonymous visitor may list (projects.states.LISTED_STATUSES), as the search page asks.
PUBLIC = frozenset({"published", "funded", "closed"})

# ── vocabulary, most frequent first inside each list ──

COMMON = (
    "志愿者", "社区", "儿童", "服务", "公益", "青年", "活动", "家庭", "居民", "关爱",
    "学生", "爱心", "陪伴", "培训", "乡村", "课堂", "学校", "街道", "团队", "温州",
)  # fmt: skip

# Per category: topic words (what the project is about) and the people it serves.
TOPICS: dict[str, tuple[str, ...]] = {
    "elderly": (
        "长者", "老人", "敬老", "助餐", "老年人", "居家养老", "送餐", "独居老人", "空巢老人", "助老",
        "老年大学", "智能手机", "防诈骗", "认知症", "适老化改造", "理发", "助浴", "失能", "时间银行",
        "喘息服务", "阿尔茨海默",
    ),
    "disability": (
        "残障", "残疾人", "康复", "孤独症", "无障碍", "听障", "视障", "轮椅", "自闭症", "融合",
        "手语", "心智障碍", "辅具", "盲道", "支持性就业", "庇护工场", "特殊教育", "脑瘫",
    ),
    "children": (
        "儿童", "留守儿童", "四点钟课堂", "亲子", "困境儿童", "绘本", "托管", "暑期", "防溺水",
        "安全教育", "心理辅导", "儿童友好", "小候鸟", "公益小天使", "泰迪熊医院", "防欺凌", "性教育",
    ),
    "youth": (
        "青少年", "大学生", "心理健康", "职业规划", "社会实践", "减压", "禁毒", "法治教育", "青春期",
        "朋辈", "重点青少年", "网瘾", "闲散青少年",
    ),
    "education": (
        "支教", "助学", "阅读", "图书角", "课后辅导", "乡村学校", "山区", "奖学金", "书包", "英语",
        "研学", "美育", "乡村教师", "文具", "编程",
    ),
    "employment": (
        "就业", "创业", "技能培训", "大学生", "电商", "直播带货", "返乡", "简历", "面试", "农创客",
        "新就业形态", "外卖骑手", "快递小哥",
    ),
    "science": (
        "科普", "科学实验", "创客", "机器人", "编程", "天文", "人工智能", "科技馆", "航模", "气象",
        "海洋", "观鸟", "生物多样性",
    ),
    "environment": (
        "环保", "垃圾分类", "低碳", "巡河", "河道", "生态", "旧物交换", "植树", "厨余", "净滩",
        "堆肥", "塑料", "节水", "光盘行动", "湿地", "楠溪江", "海洋垃圾",
    ),
    "emergency": (
        "应急救援", "防溺水", "急救", "心肺复苏", "消防", "台风", "防汛", "救援队", "逃生",
        "安全培训", "水上救援", "山地搜救", "地震", "蓝天救援",
    ),
    "community": (
        "社区", "居民", "邻里", "网格", "共建", "议事", "楼道", "社区营造", "格子铺", "睦邻",
        "老旧小区", "社区花园", "物业", "停车",
    ),
    "culture": (
        "文化", "传统文化", "非遗", "书法", "读书会", "剪纸", "合唱", "舞蹈", "瓯剧", "瓯绣",
        "南戏", "民俗", "细纹刻纸", "木偶戏", "蓝夹缬", "展览",
    ),
    "health": (
        "健康", "义诊", "心理咨询", "体检", "康复", "慢病", "急救", "营养", "近视防控", "口腔",
        "母婴", "中医", "献血", "控烟", "艾灸",
    ),
    "assistance": (
        "救助", "困难家庭", "帮扶", "物资", "爱心驿站", "结对", "微心愿", "送温暖", "低保", "大病",
        "冬衣", "临时救助", "流浪",
    ),
}  # fmt: skip

BENEFICIARIES: dict[str, tuple[str, ...]] = {
    "elderly": ("社区长者", "独居老人", "高龄老人", "空巢老人", "失能老人", "认知症老人家属"),
    "disability": ("残障人士", "孤独症儿童", "听障儿童", "视障人士", "轮椅使用者", "心智障碍青年"),
    "children": ("留守儿童", "困境儿童", "外来务工人员子女", "小学生", "学龄前儿童", "单亲家庭儿童"),
    "youth": ("青少年", "大学生", "中学生", "重点青少年", "新市民青年", "毕业生"),
    "education": ("山区学生", "乡村小学学生", "乡村教师", "寄宿学生", "初中生"),
    "employment": ("大学毕业生", "返乡青年", "失业青年", "新就业群体", "农村妇女"),
    "science": ("小学生", "青少年", "社区居民", "乡村学生", "科技爱好者"),
    "environment": ("社区居民", "中小学生", "志愿者", "沿江村民", "海岛居民"),
    "emergency": ("社区居民", "中小学生", "海岛渔民", "企业员工", "志愿者"),
    "community": ("社区居民", "新市民", "老旧小区居民", "楼道居民", "网格员"),
    "culture": ("社区居民", "青少年", "非遗爱好者", "老年人", "外来务工人员"),
    "health": ("社区居民", "慢病患者", "孕产妇", "老年人", "中小学生"),
    "assistance": ("困难家庭", "低保户", "大病患者家庭", "困境儿童", "流浪人员"),
}

NOUNS = (
    "志愿服务", "公益项目", "计划", "行动", "课堂", "服务站", "关爱行动", "小组", "工作坊", "驿站",
    "训练营", "成长营", "支持计划", "公益行", "守护行动",
)  # fmt: skip
SERVICES = (
    "陪伴服务", "上门服务", "技能培训", "心理疏导", "课业辅导", "健康讲座", "安全教育", "物资帮扶",
    "康复训练", "兴趣课程", "亲子活动", "助餐服务", "法律咨询", "急救培训", "环保宣传", "读书活动",
    "体验课程", "个案跟进", "成长档案", "结对帮扶",
)  # fmt: skip
STAFF = ("志愿者", "社工", "大学生志愿者", "队员", "青年骨干", "义工", "老师", "党员志愿者", "网格员")
VERBS = ("开展", "组织", "举办", "提供", "推动", "招募", "联合", "支持", "策划", "带领")
# The long tail: words that show up in a few documents only.
RARE = (
    "烘焙", "摄影", "围棋", "象棋", "口琴", "陶艺", "木工", "茶艺", "花艺", "园艺", "皮影", "扎染",
    "竹编", "瓯塑", "黄杨木雕", "米塑", "龙舟", "舞龙", "太极", "八段锦", "广场舞", "朗诵", "话剧",
    "街舞", "尤克里里", "非洲鼓", "沙画", "折纸", "拼图", "魔方", "桥牌", "飞盘", "腰鼓", "越剧",
    "鼓词", "温州话", "瓯菜", "灯谜", "楹联", "篆刻", "古琴", "二胡", "版画", "水彩", "速写",
    "漫画", "定向越野", "徒步", "骑行", "攀岩", "游泳", "跳绳", "毽子", "篮球", "足球", "乒乓球",
    "羽毛球", "轮滑", "滑板", "露营", "观星", "昆虫", "蝴蝶", "萤火虫", "候鸟", "红树林", "滩涂",
    "潮间带", "海藻", "贝壳", "珊瑚", "江心屿", "雁荡山", "百丈漈", "南麂岛", "铜铃山", "寨寮溪",
    "三垟湿地", "塘河", "松台山", "五马街", "瓯江", "飞云江", "鳌江", "玉苍山", "乌岩岭",
    "减压", "冥想", "正念", "沙盘", "绘画治疗", "音乐治疗", "园艺治疗", "叙事", "生命教育",
    "哀伤辅导", "临终关怀", "安宁疗护", "助听器", "人工耳蜗", "导盲犬", "盲文", "读屏软件",
    "防走失手环", "一键呼叫", "烟感报警", "燃气报警", "扶手", "防滑垫", "夜灯", "老花镜",
    "假牙", "血压计", "血糖仪", "助行器", "护理床", "纸尿裤", "营养餐", "流动餐车", "中央厨房",
    "爱心冰箱", "共享雨伞", "旧衣回收", "快递盒", "电池回收", "酵素", "蚯蚓", "雨水花园",
    "屋顶农场", "种子图书馆", "自然笔记", "护鸟", "护河", "护林", "禁渔", "河长", "湾长",
    "台风眼", "避灾点", "应急包", "救生衣", "救生圈", "抛投器", "无人机", "冲锋舟", "担架",
    "止血带", "海姆立克", "烫伤", "溺水", "雷电", "山洪", "泥石流", "地质灾害", "森林防火",
)  # fmt: skip

STREETS = (
    "五马街道", "松台街道", "南汇街道", "蒲鞋市街道", "滨江街道", "七都街道", "双屿街道",
    "状元街道", "永中街道", "娄桥街道", "瞿溪街道", "东屏街道", "北白象镇", "柳市镇", "塘下镇",
    "飞云街道", "鳌江镇", "灵溪镇", "大峃镇", "罗阳镇", "上塘镇", "岩头镇", "北麂乡", "大门镇",
)  # fmt: skip
COMMUNITIES = (
    "葡萄社区", "鞋都社区", "大自然社区", "水心社区", "黄龙社区", "锦花社区", "上陡门社区",
    "马鞍池社区", "广化社区", "百里社区", "江滨社区", "新城社区", "府前社区", "蒲州社区",
    "翠微社区", "南浦社区", "龙方社区", "五星社区", "华盖社区", "双井头社区",
)  # fmt: skip
BRANDS = (
    "海汇", "三乐亭", "爱心璀璨", "益立方", "五马家园", "红铃铛", "荒岛", "青苗", "向日葵",
    "蒲公英", "暖阳", "星星河", "小橘灯", "萤火虫", "绿野", "蓝海", "启明星", "阳光", "善行",
    "明月", "同心", "馨语", "瓯江", "山海", "雁荡", "楠溪", "南塘", "江心", "七彩", "彩虹", "微光",
    "春苗", "知行", "众益", "乐活", "益路同行", "筑梦", "四叶草", "银杏", "木棉", "红枫", "初心",
    "守望", "朝露", "晨曦", "牵手", "暖心", "童心", "逐梦", "拾光",
)  # fmt: skip
KINDS = (
    "公益发展中心", "志愿者协会", "社会工作服务中心", "青年志愿服务队", "爱心驿站", "青少年事务社",
    "公益服务社", "救援队", "读书会", "环保协会", "社工事务所", "助残服务中心",
)  # fmt: skip
ORGANIZATION_COUNT = 3000

SENTENCES = (
    "{org}{verb}{topic}{noun}，为{place}{beneficiary}提供{service}。",
    "项目计划招募{n}名{staff}，在{place}{verb}{service}，覆盖{m}户家庭。",
    "本项目聚焦{beneficiary}的{topic}需求，每周{k}次{service}，全年服务{m}人次。",
    "{staff}们将结合{rare}和{topic2}，带领{beneficiary}参与{service}。",
    "筹集的善款用于{topic}所需的{item}、{item2}和{staff}交通补贴。",
    "活动在{street}{community}的活动室开展，由专业社工和{staff}共同执行。",
    "我们希望通过{topic}{noun}，让更多{beneficiary}感受到{common}的温暖。",
    "去年项目在{district}试点，{m}名{beneficiary}受益，今年将扩展到{street}。",
    "项目与{common}、学校和{org2}合作，建立长效的{topic}机制。",
    "每期{service}结束后，{staff}会回访{beneficiary}，记录{rare}等细节并改进服务。",
    "{district}{street}有不少{beneficiary}缺少{topic}方面的支持，{common}力量还很薄弱。",
    "项目分为需求调研、{service}、{topic2}体验和成果展示四个阶段，周期约{months}个月。",
    "团区委和{street}{common}为项目提供场地，{org2}提供{item}支持。",
    "每位{beneficiary}都会建立服务档案，由{staff}一对一跟进{topic}情况。",
    "我们曾在{community}举办{rare}体验日，吸引{m}名居民参加，反响热烈。",
    "所有财务信息将按月在平台公开，接受捐赠人和{common}的监督。",
    "项目团队由{n}名社工、心理咨询师和{common}骨干组成，多人拥有{topic}服务经验。",
    "如果您关心{topic}，欢迎捐赠或报名成为{staff}，一起守护{beneficiary}。",
)
ITEMS = (
    "物资", "场地租金", "培训教材", "保险", "餐费", "器材", "绘本", "文具", "药品", "宣传材料",
    "急救包", "教具", "康复器具", "交通费",
)  # fmt: skip

# Category and district draws are skewed too: some are far more common than others.
CATEGORY_ORDER = (
    "children", "elderly", "community", "education", "environment", "disability", "youth",
    "health", "culture", "emergency", "assistance", "science", "employment",
)  # fmt: skip
DISTRICT_ORDER = tuple(name for name, _ in DISTRICTS)
STATUS_WEIGHTS = (
    ("published", 55), ("funded", 15), ("closed", 10), ("failed", 5), ("draft", 8), ("submitted", 4),
    ("returned", 2), ("cancelled", 1),
)  # fmt: skip
EPOCH = datetime(2024, 1, 1)
TEMPLATE_SHARE = 0.45  # share of description sentences from the templates; the rest is filler

assert set(CATEGORY_ORDER) == {slug for slug, _, _ in CATEGORIES} == set(TOPICS) == set(BENEFICIARIES)


_CJK_WORD = re.compile("^[\u4e00-\u9fff]+$")


def general_vocabulary() -> tuple[list[str], list[int]]:
    """Every Chinese word of jieba's dictionary with its corpus frequency: filler text drawn from
    it has the word distribution (and the variety) of ordinary written Chinese."""
    path = Path(jieba.__file__).with_name("dict.txt")
    words, weights = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and _CJK_WORD.match(parts[0]) and parts[-1] not in ("nr", "nrfg", "nrt"):
            words.append(parts[0])
            weights.append(int(parts[1]))
    return words, weights


class WeightedChoice:
    """Pick with given weights (cumulative, so O(log n) per draw)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]):
        self.items = tuple(items)
        self.cumulative = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


class ZipfChoice:
    """Pick from a ranked list with weight ∝ 1 / rank^s (cumulative weights, so O(log n) per draw)."""

    def __init__(self, items: Sequence[Any], exponent: float = ZIPF_EXPONENT):
        self.items = tuple(items)
        self.cumulative = list(
            itertools.accumulate(1 / (rank**exponent) for rank in range(1, len(items) + 1))
        )

    def __call__(self, rng: random.Random) -> Any:
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


@dataclass(frozen=True)
class Organization:
    id: int
    name: str
    district: str
    grade_rank: int


def organizations(seed: int = SEED) -> list[Organization]:
    rng = random.Random(seed ^ 0x0516)
    combos = [(d, b, k) for d in DISTRICT_ORDER for b in BRANDS for k in KINDS]
    rng.shuffle(combos)
    result, names = [], set()
    for index, (district, brand, kind) in enumerate(combos[:ORGANIZATION_COUNT], start=1):
        name = f"{rng.choice(('温州市', district, district, district))}{brand}{kind}"
        if name in names:  # names are unique in the database
            name = f"{district}{brand}{kind}"
        names.add(name)
        grade = 0 if rng.random() < 0.6 else rng.choice((1, 2, 3, 3, 4, 4, 5))
        result.append(Organization(index, name, district, grade))
    return result


@dataclass
class _Draws:
    """The Zipf choosers, built once."""

    common: ZipfChoice = field(default_factory=lambda: ZipfChoice(COMMON))
    topics: dict[str, ZipfChoice] = field(
        default_factory=lambda: {slug: ZipfChoice(words) for slug, words in TOPICS.items()}
    )
    beneficiaries: dict[str, ZipfChoice] = field(
        default_factory=lambda: {slug: ZipfChoice(words) for slug, words in BENEFICIARIES.items()}
    )
    nouns: ZipfChoice = field(default_factory=lambda: ZipfChoice(NOUNS))
    services: ZipfChoice = field(default_factory=lambda: ZipfChoice(SERVICES))
    verbs: ZipfChoice = field(default_factory=lambda: ZipfChoice(VERBS))
    staff: ZipfChoice = field(default_factory=lambda: ZipfChoice(STAFF, 0.8))
    rare: ZipfChoice = field(default_factory=lambda: ZipfChoice(RARE, 0.9))
    streets: ZipfChoice = field(default_factory=lambda: ZipfChoice(STREETS, 0.8))
    communities: ZipfChoice = field(default_factory=lambda: ZipfChoice(COMMUNITIES, 0.8))
    items: ZipfChoice = field(default_factory=lambda: ZipfChoice(ITEMS))
    categories: ZipfChoice = field(default_factory=lambda: ZipfChoice(CATEGORY_ORDER, 0.7))
    districts: ZipfChoice = field(default_factory=lambda: ZipfChoice(DISTRICT_ORDER, 0.6))
    organizations: ZipfChoice = field(default_factory=lambda: ZipfChoice(organizations(), 0.5))
    general: WeightedChoice = field(default_factory=lambda: WeightedChoice(*general_vocabulary()))


def _short(district: str) -> str:
    return district[:-1] if len(district) > 2 else district


def _sentence(template: str, rng: random.Random, draws: _Draws, slug: str, org: str, district: str) -> str:
    topic = draws.topics[slug]
    return template.format(
        org=org,
        org2=draws.organizations(rng).name,
        verb=draws.verbs(rng),
        topic=topic(rng),
        topic2=topic(rng),
        noun=draws.nouns(rng),
        place=rng.choice(("", _short(district), draws.communities(rng), "山区", "海岛")),
        beneficiary=draws.beneficiaries[slug](rng),
        service=draws.services(rng),
        staff=draws.staff(rng),
        common=draws.common(rng),
        common2=draws.common(rng),
        rare=draws.rare(rng),
        item=draws.items(rng),
        item2=draws.items(rng),
        street=draws.streets(rng),
        community=draws.communities(rng),
        district=district,
        n=rng.choice((5, 10, 12, 20, 30, 50, 80, 100)),
        m=rng.randrange(20, 2000),
        k=rng.choice(("一", "两", "三")),
        months=rng.choice((3, 6, 6, 9, 12)),
    )


def _filler(rng: random.Random, draws: _Draws, clauses: int) -> str:
    """Clauses of ordinary words (jieba's dictionary, by frequency): unlike the templates they
    rarely repeat, as most clauses of real project descriptions do not."""
    return (
        "，".join("".join(draws.general(rng) for _ in range(rng.randrange(3, 8))) for _ in range(clauses))
        + "。"
    )


def _vary(sentence: str, rng: random.Random, draws: _Draws) -> str:
    """Start some clauses of a template sentence with an ordinary word, so that templated
    clauses repeat about as often as boilerplate does in real descriptions, not on every project."""
    clauses = sentence.split("，")
    return "，".join(draws.general(rng) + clause if rng.random() < 0.5 else clause for clause in clauses)


def _title(rng: random.Random, draws: _Draws, slug: str, district: str) -> str:
    topic = draws.topics[slug]
    pattern = rng.randrange(5)
    if pattern == 0:
        title = f"{_short(district)}{topic(rng)}{draws.nouns(rng)}"
    elif pattern == 1:
        title = f"“{rng.choice(BRANDS)}”{topic(rng)}{draws.nouns(rng)}"
    elif pattern == 2:
        title = f"{draws.beneficiaries[slug](rng)}{topic(rng)}{draws.nouns(rng)}"
    elif pattern == 3:
        title = f"{draws.communities(rng)}{topic(rng)}{draws.common(rng)}{draws.nouns(rng)}"
    else:
        title = f"{topic(rng)}{draws.common(rng)}{draws.nouns(rng)}"
    if rng.random() < 0.15:
        title = f"{title}（第{rng.randrange(2, 8)}期）"
    return title[:60]


def _money_and_dates(rng: random.Random, status: str) -> tuple[int, int, datetime, datetime]:
    goal_yuan = round(10 ** rng.uniform(3.3, 5.7), -2)  # ≈ 2,000 to 500,000 yuan
    goal = int(goal_yuan) * 100
    if status in ("draft", "submitted", "returned"):
        raised = 0
    elif status == "funded":
        raised = int(goal * rng.uniform(1.0, 1.4))
    elif status == "failed":
        raised = int(goal * rng.uniform(0.0, 0.95))
    else:
        raised = int(goal * min(1.5, rng.betavariate(1.2, 1.6) * 1.6))
    created = EPOCH + timedelta(minutes=rng.randrange(0, 60 * 24 * 1050))
    deadline = created + timedelta(days=rng.randrange(30, 181))
    return goal, raised, created, deadline


def generate(count: int, seed: int = SEED) -> Iterator[ProjectDocument]:
    """`count` projects with ids 1..count; the same seed gives the same documents."""
    rng = random.Random(seed)
    draws = _Draws()
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    status_cumulative = list(itertools.accumulate(weights))
    for project_id in range(1, count + 1):
        slug = draws.categories(rng)
        organization: Organization = draws.organizations(rng)
        district = organization.district if rng.random() < 0.7 else draws.districts(rng)
        status = rng.choices(statuses, cum_weights=status_cumulative)[0]
        topic = draws.topics[slug]
        title = _title(rng, draws, slug, district)
        summary = (
            f"{draws.verbs(rng)}{draws.beneficiaries[slug](rng)}{topic(rng)}"
            f"{draws.services(rng)}，{draws.common(rng)}{topic(rng)}{draws.nouns(rng)}"
            f"，{_filler(rng, draws, 1)}"
        )[:140]
        sentences = [
            _vary(_sentence(rng.choice(SENTENCES), rng, draws, slug, organization.name, district), rng, draws)
            if rng.random() < TEMPLATE_SHARE
            else _filler(rng, draws, rng.randrange(1, 4))
            for _ in range(rng.randrange(8, 21))
        ]
        tags = tuple(dict.fromkeys(topic(rng) for _ in range(rng.randrange(1, 5))))
        goal, raised, created, deadline = _money_and_dates(rng, status)
        yield ProjectDocument(
            id=project_id,
            title=title,
            summary=summary,
            description="".join(sentences),
            organization=organization.name,
            organization_id=organization.id,
            tags=tags,
            category=slug,
            district=district,
            status=status,
            goal=goal,
            raised=raised,
            deadline=deadline,
            created=created,
            grade_rank=organization.grade_rank,
        )


# ── the query mix ──

# Query kinds, and how many of each in a set of 300 (scaled for other sizes).
QUERY_MIX = (
    ("plain", 105),
    ("filtered", 60),
    ("sorted", 50),
    ("page5", 40),
    ("pinyin", 20),
    ("synonym", 25),
)
PINYIN_QUERIES = (
    "jinglao", "zhucan", "zhijiao", "huanbao", "kepu", "ouxiu", "jindu", "liushou", "guduzheng",
    "canzhang", "shequ", "zhiyuanzhe", "laji fenlei", "yingji jiuyuan", "fangnishui", "tushujiao",
    "yizhen", "feiyi", "jiuzhu", "ertong",
)  # fmt: skip
SYNONYM_QUERIES = (
    "老人", "长者", "老年人", "自闭症", "孤独症", "残疾", "残障", "残疾人", "环境保护", "科学普及",
    "老人 助餐", "自闭症 康复", "残疾 就业", "老年人 智能手机", "孩子 阅读", "小朋友 绘本",
    "孩子", "小朋友", "义工", "义工 社区", "敬老院", "环境保护 河道", "科学普及 机器人",
    "老人 陪伴", "残疾 无障碍",
)  # fmt: skip


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    request: SearchRequest

    def label(self) -> str:
        parts = [self.request.text or "∅"]
        for name in ("categories", "districts", "statuses"):
            value = getattr(self.request, name)
            if value:
                parts.append(f"{name}={','.join(value)}")
        if self.request.progress:
            parts.append(f"progress={self.request.progress}")
        if self.request.sort != "relevance":
            parts.append(f"sort={self.request.sort}")
        if self.request.page != 1:
            parts.append(f"page={self.request.page}")
        return " ".join(parts)


def _plain_text(rng: random.Random, draws: _Draws) -> str:
    """1–3 words: common, topical and rare, in realistic proportions."""
    words = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        roll = rng.random()
        if roll < 0.35:
            words.append(draws.common(rng))
        elif roll < 0.8:
            words.append(draws.topics[rng.choice(CATEGORY_ORDER)](rng))
        else:
            words.append(rng.choice(RARE))
    text = " ".join(dict.fromkeys(words))
    if rng.random() < 0.1 and " " in text:
        text = text.replace(" ", "")  # people type 社区助餐 as often as 社区 助餐
    return text


def queries(count: int = 300, seed: int = SEED) -> list[BenchQuery]:
    """A fixed, shuffled mix of plain, filtered, sorted, page-5, pinyin and synonym queries, each
    limited to what an anonymous visitor may list (published, funded, closed)."""
    rng = random.Random(seed + 1)
    draws = _Draws()
    scale = count / sum(n for _, n in QUERY_MIX)
    plan = [(kind, round(n * scale)) for kind, n in QUERY_MIX]
    plan[0] = ("plain", count - sum(n for _, n in plan[1:]))
    result: list[BenchQuery] = []
    for kind, n in plan:
        for index in range(n):
            request = SearchRequest(visible_statuses=PUBLIC)
            if kind in ("plain", "filtered", "sorted"):
                request.text = _plain_text(rng, draws)
            if kind == "filtered":
                filters = rng.sample(("category", "district", "status", "progress"), rng.choice((1, 1, 2)))
                if "category" in filters:
                    request.categories = (draws.categories(rng),)
                if "district" in filters:
                    request.districts = (draws.districts(rng),)
                if "status" in filters:
                    request.statuses = (rng.choice(("published", "published", "funded", "closed")),)
                if "progress" in filters:
                    request.progress = rng.choice(PROGRESS_BUCKETS)
            elif kind == "sorted":
                request.sort = SORTS[1 + index % (len(SORTS) - 1)]
            elif kind == "page5":
                request.text = " ".join(
                    dict.fromkeys(draws.common(rng) for _ in range(rng.choice((1, 1, 2))))
                )
                request.page = 5
            elif kind == "pinyin":
                request.text = PINYIN_QUERIES[index % len(PINYIN_QUERIES)]
            elif kind == "synonym":
                request.text = SYNONYM_QUERIES[index % len(SYNONYM_QUERIES)]
            result.append(BenchQuery(kind, request))
    rng.shuffle(result)
    return result
