# ruff: noqa: E501 -- long Chinese prose; CJK characters count double toward the line width.
"""Demo service purchases (政府购买服务): buyers, tenders and the stories of their bids. PURE.

Each tender record is the call as staff publish it for its buyer, the bids prepared against it
(``bids``, by key) and the story told as ``steps`` that the loader plays through
``marketplace.tenders.operations`` (and, for the contract of an award, the agreement operations),
as the people named in ``by`` would in the browser.

- Organizations are content.py keys; people are demo e-mails (password ``content.DEMO_PASSWORD``).
- Dates count days from the day the demo loads: ``deadline_days`` (09:30 Wenzhou time, the usual
  投标截止时间), ``enquiry_ends_days`` (17:00), ``expected_award_days``, ``contract_starts_days`` /
  ``contract_ends_days``; negative is in the past. A step's ``days_ago`` says when it happened (office
  hours, Wenzhou time); the ``close`` step happens at the deadline. Money is whole yuan.
- ``status`` is where the tender must end, ``bid_statuses`` where each bid must end; the loader
  refuses a record that ends elsewhere.

Who sees what: the organization demo user (海汇, org@) leads a draft consortium bid on 「困境儿童关爱」
(爱心璀璨 has not confirmed yet; 公益小天使, the partner finder's first suggestion, has an invitation),
is the consortium member still to sign the 「安心守护」 contract (the buyer and the lead 三乐亭 have
signed), and sees its single bid on 「五马街道居家养老」 cancelled with the tender. Staff see all eight
tenders, including the draft, the 「救在身边」 call under evaluation (two bidders share a legal
representative) and the award declined on 「护苗」.
"""

from __future__ import annotations

STAFF = "staff@demo.qingqinchou.cn"  # 王晓蕾
ZHENGHAORAN = "zhenghaoran@demo.qingqinchou.cn"  # 郑浩然

ORG = "org@demo.qingqinchou.cn"  # 林海燕，海汇
ZHENGLEQUN = "zhenglequn@demo.qingqinchou.cn"  # 三乐亭
CHENXIAOCAN = "chenxiaocan@demo.qingqinchou.cn"  # 爱心璀璨
XUYIFAN = "xuyifan@demo.qingqinchou.cn"  # 荒岛图书社
JINXIAODONG = "jinxiaodong@demo.qingqinchou.cn"  # 青少年社工中心
PANJIANJUN = "panjianjun@demo.qingqinchou.cn"  # 永嘉县义工协会
YESITONG = "yesitong@demo.qingqinchou.cn"  # 泰迪熊医院
ZHANGKEXIN = "zhangkexin@demo.qingqinchou.cn"  # 公益小天使
WULING = "wuling@demo.qingqinchou.cn"  # 红铃铛
HUSIYUAN = "husiyuan@demo.qingqinchou.cn"  # 益立方
LINHAIFENG = "linhaifeng@demo.qingqinchou.cn"  # 海霞应急救援
JIWENLAN = "jiwenlan@demo.qingqinchou.cn"  # 瓯越地名文化研究会
ZHUMINGYUAN = "zhumingyuan@demo.qingqinchou.cn"  # 少年科创

# Buyers have no accounts: staff record them as they publish for them. ``uscc_prefix`` holds the
# first 17 characters of the 统一社会信用代码 (机关 11…, 社会团体 51…); the loader adds the check character.
BUYERS: dict[str, dict] = {
    "minzheng": {"name": "温州市鹿城区民政局", "kind": "government", "uscc_prefix": "11330302002561741"},
    "jiaoyu": {"name": "温州市鹿城区教育局", "kind": "government", "uscc_prefix": "11330302002561987"},
    "cishan": {"name": "温州市慈善总会", "kind": "foundation", "uscc_prefix": "51330300501073689"},
}

REQUIRED_DOCUMENTS = [
    "社会组织法人登记证书（副本）复印件",
    "社会组织评估等级证书（如有）",
    "近一年度财务审计报告或财务报表",
    "服务方案（含人员配置、进度安排和考核指标）",
    "法定代表人身份证明及授权委托书",
]
JOINT_AGREEMENT = "联合体协议（联合体投标时，载明各方分工与份额）"

# ---------------------------------------------------------------------------------------------
# 1. Open: 海汇 (the organization demo user) leads a draft consortium with 爱心璀璨, who has not
#    confirmed yet, and has invited 公益小天使, the partner finder's first suggestion; 青少年社工中心
#    has submitted a single bid.
# ---------------------------------------------------------------------------------------------

CHILDREN = {
    "key": "children",
    "title": "2027 年鹿城区困境儿童关爱服务项目",
    "buyer": "minzheng",
    "description": (
        "为鹿城区在册的困境儿童（含事实无人抚养儿童、低保及低边家庭儿童、重病重残儿童）及其家庭提供一年的关爱服务，服务对象不少于 200 名，其中祖辈隔代照料家庭约 80 户。\n"
        "服务内容：1. 为每名儿童建立成长档案，每月入户探访不少于 1 次，开展安全、监护和心理状况评估；"
        "2. 开展课业辅导、心理支持、微心愿认领和假期成长营；3. 为隔代照料的祖辈提供照护技能指导和喘息服务；"
        "4. 发现监护缺失、侵害等情况时，按程序报告并协助镇街儿童督导员处置。\n"
        "考核要求：入户探访覆盖率 100%，个案档案完整率 100%，儿童及监护人满意度不低于 90%；中期和末期由采购人组织第三方评估，考核结果与尾款支付挂钩。"
    ),
    "category": "children",
    "district": "鹿城区",
    "budget_yuan": 480000,
    "budget_is_cap": True,
    "method": "competitive_consultation",
    "enquiry_ends_days": 4,
    "deadline_days": 13,
    "expected_award_days": 20,
    "contract_starts_days": 35,
    "contract_ends_days": 399,
    "allows_consortium": True,
    "max_members": 3,
    "allows_subcontracting": True,
    "max_subcontract_share": "30",
    "min_grade": "A3",
    "grade_rule": "priority_only",
    "grade_rule_basis": "",
    "required_documents": [*REQUIRED_DOCUMENTS, JOINT_AGREEMENT],
    "bids": {
        "qingshe": {
            "lead": "qingshe",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 452000,
            "proposal": (
                "中心以「一童一档、一月一访」为主线：28 名持证社工按街道分片包干，每名社工结对 8 名困境儿童；"
                "依托已覆盖 6 个社区的「四点钟课堂」开展课业辅导，由中心心理督导提供个案心理支持，寒暑假举办两期成长营。"
            ),
        },
        "haihui_consortium": {
            "lead": "haihui",
            "mode": "consortium",
            "members": [
                {
                    "organization": "haihui",
                    "role": "lead",
                    "share": "55",
                    "scope": "隔代照料家庭祖辈照护支持、入户探访与个案管理，监护风险报告",
                },
                {
                    "organization": "cuican",
                    "role": "member",
                    "share": "45",
                    "scope": "儿童课业辅导、「一对一」成长陪伴、微心愿认领和假期成长营",
                },
            ],
            "subcontractors": [],
            "price_yuan": 468000,
            "proposal": (
                "困境儿童中约四成与祖辈共同生活。海汇的社工和医护志愿者长期服务老城区的老人，熟悉这些祖孙家庭，负责入户探访、祖辈照护指导和个案管理；"
                "爱心璀璨专注困境儿童关爱八年，负责课业辅导、成长陪伴和微心愿认领。两家分片联动，每户家庭由一名社工和一名儿童陪伴志愿者共同跟进。"
            ),
        },
    },
    "steps": [
        {"do": "create", "by": STAFF, "days_ago": 9, "publish": False},
        {"do": "publish", "by": STAFF, "days_ago": 8},
        {"do": "bid", "bid": "qingshe", "by": JINXIAODONG, "days_ago": 6},
        {
            "do": "document",
            "bid": "qingshe",
            "by": JINXIAODONG,
            "kind": "proposal",
            "title": "困境儿童关爱服务方案（青少年社工中心）",
            "days_ago": 6,
        },
        {"do": "bid", "bid": "haihui_consortium", "by": ORG, "days_ago": 5},
        {
            "do": "document",
            "bid": "haihui_consortium",
            "by": ORG,
            "kind": "proposal",
            "title": "祖孙家庭困境儿童关爱服务方案（初稿）",
            "days_ago": 5,
        },
        {
            "do": "invite",
            "by": ORG,
            "organization": "angel",
            "message": "伙伴推荐里贵中心排第一。想请「公益小天使」加入联合体，组织中小学生志愿者和困境儿童结对陪伴，份额约 15%，方便时电话细聊。",
            "days_ago": 4,
        },
        {"do": "submit", "bid": "qingshe", "by": JINXIAODONG, "days_ago": 3},
    ],
    "status": "open",
    "bid_statuses": {"qingshe": "submitted", "haihui_consortium": "draft"},
}

# ---------------------------------------------------------------------------------------------
# 2. Open: 教育局 added two schools after 青少年社工中心 and 荒岛图书社 had submitted their
#    consortium bid; the substantive edit made it invalid until both re-confirm and it is re-submitted.
# ---------------------------------------------------------------------------------------------

_AFTER_SCHOOL_DESCRIPTION = (
    "在鹿城区外来务工人员子女较集中的 4 所小学（双屿、仰义片区）开设「四点钟课堂」，2027 年春季学期每个教学日 16:00–18:00 为一至四年级学生提供课后托管服务，每校服务学生不少于 50 人。\n"
    "服务内容：作业辅导、阅读推广、安全教育和兴趣活动；建立学生签到和家长接送登记制度；每学期召开家长会 2 次。\n"
    "人员要求：每校配备持证社工或具有教师资格的专职人员不少于 2 名，志愿者师生比不低于 1:10。\n"
    "考核要求：学生出勤率不低于 85%，家长满意度不低于 90%，学期末由学校和采购人共同验收。"
)

AFTER_SCHOOL = {
    "key": "after_school",
    "title": "2027 年春季学期鹿城区「四点钟课堂」课后服务项目",
    "buyer": "jiaoyu",
    "description": _AFTER_SCHOOL_DESCRIPTION,
    "category": "education",
    "district": "鹿城区",
    "budget_yuan": 360000,
    "budget_is_cap": True,
    "method": "competitive_consultation",
    "enquiry_ends_days": -4,
    "deadline_days": 8,
    "expected_award_days": 15,
    "contract_starts_days": 80,
    "contract_ends_days": 220,
    "allows_consortium": True,
    "max_members": 2,
    "allows_subcontracting": False,
    "max_subcontract_share": None,
    "min_grade": None,
    "grade_rule": "priority_only",
    "grade_rule_basis": "",
    "required_documents": [*REQUIRED_DOCUMENTS, JOINT_AGREEMENT],
    "bids": {
        "qingshe_huangdao": {
            "lead": "qingshe",
            "mode": "consortium",
            "members": [
                {
                    "organization": "qingshe",
                    "role": "lead",
                    "share": "70",
                    "scope": "课后托管、作业辅导、安全教育与个案跟进，家长会组织",
                },
                {
                    "organization": "huangdao",
                    "role": "member",
                    "share": "30",
                    "scope": "各校图书角建设、亲子共读和阅读推广活动",
                },
            ],
            "subcontractors": [],
            "price_yuan": 348000,
            "proposal": (
                "青少年社工中心运营「四点钟课堂」已有五年，负责托管、辅导和安全管理；荒岛图书社在每所学校建一个流动图书角，每周组织一次共读活动。"
            ),
        },
    },
    "steps": [
        {"do": "create", "by": ZHENGHAORAN, "days_ago": 14, "publish": True},
        {"do": "bid", "bid": "qingshe_huangdao", "by": JINXIAODONG, "days_ago": 10},
        {
            "do": "document",
            "bid": "qingshe_huangdao",
            "by": JINXIAODONG,
            "kind": "joint_agreement",
            "title": "联合体协议（青少年社工中心、荒岛图书社）",
            "days_ago": 10,
        },
        {"do": "confirm", "bid": "qingshe_huangdao", "by": XUYIFAN, "days_ago": 9},
        {"do": "submit", "bid": "qingshe_huangdao", "by": JINXIAODONG, "days_ago": 8},
        {
            "do": "edit_tender",
            "by": ZHENGHAORAN,
            "budget_yuan": 420000,
            "description": _AFTER_SCHOOL_DESCRIPTION.replace(
                "4 所小学（双屿、仰义片区）", "6 所小学（双屿、仰义、藤桥片区）"
            ),
            "days_ago": 3,
        },
    ],
    "status": "open",
    "bid_statuses": {"qingshe_huangdao": "invalid"},
}

# ---------------------------------------------------------------------------------------------
# 3. Evaluating: the deadline passed, staff scored three bids and disqualified one; 红铃铛 and
#    益立方 share a legal representative (实施条例 第18条), so both bids carry a review flag.
# ---------------------------------------------------------------------------------------------

FIRST_AID = {
    "key": "first_aid",
    "title": "「救在身边」社区应急救护培训项目",
    "buyer": "cishan",
    "description": (
        "温州市慈善总会「救在身边」专项基金面向鹿城区征集社区应急救护培训服务：一年内在鹿城区 14 个街道开展心肺复苏（CPR）和自动体外除颤器（AED）使用培训，"
        "完成普及培训不少于 3,000 人次、取得红十字救护员证的持证培训不少于 300 人，并为配置 AED 的社区、学校和商场各组建一支应急救护志愿队。\n"
        "承接方须具备红十字会认可的救护培训师资，培训使用的模拟人和 AED 训练机由承接方自备。"
    ),
    "category": "emergency",
    "district": "鹿城区",
    "budget_yuan": 150000,
    "budget_is_cap": True,
    "method": "foundation_call",
    "enquiry_ends_days": -22,
    "deadline_days": -12,
    "expected_award_days": 3,
    "contract_starts_days": 20,
    "contract_ends_days": 385,
    "allows_consortium": False,
    "max_members": None,
    "allows_subcontracting": False,
    "max_subcontract_share": None,
    "min_grade": None,
    "grade_rule": "priority_only",
    "grade_rule_basis": "",
    "required_documents": [*REQUIRED_DOCUMENTS, "救护培训师资证书"],
    "bids": {
        "haixia": {
            "lead": "haixia",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 128000,
            "proposal": "中心 46 名救援队员中有 12 名红十字救护培训师，自备模拟人 20 具、AED 训练机 10 台，按街道排期开展「周末课堂」，持证培训由师资一对四带教。",
        },
        "hongling": {
            "lead": "hongling",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 136000,
            "proposal": "依托广化街道社区服务站和「红铃铛」众益空间，把救护培训融入邻里守望队的日常演练，培训后按楼道组建应急小组。",
        },
        "yilifang": {
            "lead": "yilifang",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 139500,
            "proposal": "将救护培训纳入「青苗培训课程」，先培训 60 名青年社会组织骨干成为社区宣讲员，再由骨干带动各自服务的社区完成普及培训。",
        },
        "sanleting": {
            "lead": "sanleting",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 118000,
            "proposal": "在 5 个爱心驿站点位设置「救护角」，面向环卫工人、快递小哥和周边居民开展普及培训。",
        },
    },
    "steps": [
        {"do": "create", "by": STAFF, "days_ago": 40, "publish": True},
        {"do": "bid", "bid": "haixia", "by": LINHAIFENG, "days_ago": 30},
        {
            "do": "document",
            "bid": "haixia",
            "by": LINHAIFENG,
            "kind": "proposal",
            "title": "社区应急救护培训服务方案（海霞）",
            "days_ago": 30,
        },
        {"do": "bid", "bid": "hongling", "by": WULING, "days_ago": 28},
        {"do": "bid", "bid": "yilifang", "by": HUSIYUAN, "days_ago": 27},
        {"do": "submit", "bid": "haixia", "by": LINHAIFENG, "days_ago": 25},
        {"do": "bid", "bid": "sanleting", "by": ZHENGLEQUN, "days_ago": 22},
        {"do": "submit", "bid": "hongling", "by": WULING, "days_ago": 20},
        {"do": "submit", "bid": "yilifang", "by": HUSIYUAN, "days_ago": 19},
        {"do": "submit", "bid": "sanleting", "by": ZHENGLEQUN, "days_ago": 13},
        {"do": "close"},
        {"do": "evaluate", "bid": "haixia", "by": STAFF, "result": "valid", "score": "91.5", "days_ago": 8},
        {"do": "evaluate", "bid": "hongling", "by": STAFF, "result": "valid", "score": "86", "days_ago": 8},
        {"do": "evaluate", "bid": "yilifang", "by": STAFF, "result": "valid", "score": "84.5", "days_ago": 8},
        {
            "do": "evaluate",
            "bid": "sanleting",
            "by": STAFF,
            "result": "disqualified",
            "reason": "未提供红十字会认可的救护培训师资证书，不符合征集公告第三条的资格要求。",
            "days_ago": 8,
        },
    ],
    "status": "evaluating",
    "bid_statuses": {
        "haixia": "valid",
        "hongling": "valid",
        "yilifang": "valid",
        "sanleting": "disqualified",
    },
}

# ---------------------------------------------------------------------------------------------
# 4. Awarded to the consortium 三乐亭 + 海汇; the service contract waits for 海汇 (the organization
#    demo user): the buyer's signature was recorded by staff, the lead has signed.
# ---------------------------------------------------------------------------------------------

SAFE_AT_HOME = {
    "key": "safe_at_home",
    "title": "鹿城区独居老人「安心守护」探访关爱服务项目",
    "buyer": "minzheng",
    "description": (
        "为鹿城区五马、南汇、滨江、广化 4 个街道登记在册的 600 名独居、空巢老人提供一年的探访关爱服务。\n"
        "服务内容：1. 每周电话问候 1 次、每月入户探访不少于 2 次，高龄和失能老人每周入户；2. 为老人建立健康和居家安全档案，协助安装紧急呼叫设备；"
        "3. 紧急呼叫 30 分钟内到达现场，协助送医并通知家属；4. 与街道助餐点衔接，为有需要的老人安排送餐上门。\n"
        "考核要求：探访记录真实完整（随机电话回访抽查），紧急呼叫响应达标率 100%，老人满意度不低于 90%。"
    ),
    "category": "elderly",
    "district": "鹿城区",
    "budget_yuan": 280000,
    "budget_is_cap": True,
    "method": "competitive_consultation",
    "enquiry_ends_days": -28,
    "deadline_days": -20,
    "expected_award_days": -12,
    "contract_starts_days": 5,
    "contract_ends_days": 369,
    "allows_consortium": True,
    "max_members": 2,
    "allows_subcontracting": False,
    "max_subcontract_share": None,
    "min_grade": "A3",
    "grade_rule": "lead_only",
    "grade_rule_basis": "依据《鹿城区政府向社会力量购买服务实施办法》，承接居家养老类服务项目的牵头单位须为 3A 及以上等级社会组织；联合体其他成员不设等级门槛。",
    "required_documents": [*REQUIRED_DOCUMENTS, JOINT_AGREEMENT],
    "bids": {
        "sanleting_haihui": {
            "lead": "sanleting",
            "mode": "consortium",
            "members": [
                {
                    "organization": "sanleting",
                    "role": "lead",
                    "share": "55",
                    "scope": "滨江、广化片区探访，5 个驿站点位的紧急呼叫响应与志愿者调度",
                },
                {
                    "organization": "haihui",
                    "role": "member",
                    "share": "45",
                    "scope": "五马、南汇片区入户探访、健康监测，与「银龄食堂」助餐点衔接送餐",
                },
            ],
            "subcontractors": [],
            "price_yuan": 268000,
            "proposal": (
                "三乐亭 5 个驿站点位和海汇在五马街道的「格子铺」分片覆盖四个街道，紧急呼叫由离老人最近的点位响应；"
                "海汇的医护志愿者每月为高龄老人测量血压血糖，健康异常的转介社区卫生服务中心。"
            ),
        },
        "yjvolunteer": {
            "lead": "yjvolunteer",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 259000,
            "proposal": "协会组建 40 人的鹿城探访分队，按「一名义工结对五位老人」安排定期探访，活动全部在「志愿汇」平台签到留痕。",
        },
    },
    "steps": [
        {"do": "create", "by": STAFF, "days_ago": 45, "publish": True},
        {"do": "bid", "bid": "sanleting_haihui", "by": ZHENGLEQUN, "days_ago": 38},
        {
            "do": "document",
            "bid": "sanleting_haihui",
            "by": ZHENGLEQUN,
            "kind": "joint_agreement",
            "title": "联合体协议（三乐亭爱心驿站、海汇）",
            "days_ago": 38,
        },
        {"do": "confirm", "bid": "sanleting_haihui", "by": ORG, "days_ago": 37},
        {"do": "bid", "bid": "yjvolunteer", "by": PANJIANJUN, "days_ago": 35},
        {"do": "submit", "bid": "sanleting_haihui", "by": ZHENGLEQUN, "days_ago": 33},
        {"do": "submit", "bid": "yjvolunteer", "by": PANJIANJUN, "days_ago": 24},
        {"do": "close"},
        {
            "do": "evaluate",
            "bid": "sanleting_haihui",
            "by": STAFF,
            "result": "valid",
            "score": "90.5",
            "days_ago": 15,
        },
        {
            "do": "evaluate",
            "bid": "yjvolunteer",
            "by": STAFF,
            "result": "valid",
            "score": "83",
            "reason": "服务团队驻地在永嘉县，紧急呼叫 30 分钟到达的保障措施得分较低。",
            "days_ago": 15,
        },
        {
            "do": "award",
            "bid": "sanleting_haihui",
            "by": STAFF,
            "signers": {"sanleting": [ZHENGLEQUN, "站长"], "haihui": [ORG, "主任"]},
            "days_ago": 12,
        },
        {
            "do": "buyer_signs",
            "by": STAFF,
            "signer_name": "陈建国",
            "signer_title": "副局长",
            "evidence": "纸质合同 LCMZ-2026-087 号，已加盖温州市鹿城区民政局公章，原件存团区委",
            "days_ago": 9,
        },
        {"do": "sign", "by": ZHENGLEQUN, "days_ago": 7},
    ],
    "status": "awarded",
    "bid_statuses": {"sanleting_haihui": "awarded", "yjvolunteer": "unsuccessful"},
}

# ---------------------------------------------------------------------------------------------
# 5. Awarded, contract active: 公益小天使 as prime contractor; the subcontract to 瓯越地名文化研究会
#    has the buyer's written consent and is active.
# ---------------------------------------------------------------------------------------------

STUDY_TOURS = {
    "key": "study_tours",
    "title": "鹿城区中小学生社会实践（研学）服务项目（2026—2027 学年）",
    "buyer": "jiaoyu",
    "description": (
        "为鹿城区 12 所中小学的四至八年级学生组织社会实践和研学活动，全学年不少于 60 场、服务学生不少于 3,000 人次。\n"
        "服务内容：设计「老城寻根」「瓯江生态」「社区小管家」等研学线路和课程，配备带队老师和安全员，为每场活动购买意外伤害保险；"
        "活动后提交学生实践记录，纳入综合素质评价。\n"
        "非主体、非关键性工作可依法分包，分包须在投标文件中载明并经采购人书面同意，合计不超过合同金额的 30%。"
    ),
    "category": "youth",
    "district": "鹿城区",
    "budget_yuan": 200000,
    "budget_is_cap": True,
    "method": "competitive_consultation",
    "enquiry_ends_days": -90,
    "deadline_days": -80,
    "expected_award_days": -72,
    "contract_starts_days": -60,
    "contract_ends_days": 215,
    "allows_consortium": False,
    "max_members": None,
    "allows_subcontracting": True,
    "max_subcontract_share": "30",
    "min_grade": None,
    "grade_rule": "priority_only",
    "grade_rule_basis": "",
    "required_documents": REQUIRED_DOCUMENTS,
    "bids": {
        "angel": {
            "lead": "angel",
            "mode": "prime_with_subs",
            "members": [],
            "subcontractors": [
                {
                    "organization": "diming",
                    "share": "20",
                    "scope": "「老城寻根」线路的街巷讲解和地名文化课（非主体、非关键性工作）",
                },
            ],
            "price_yuan": 186000,
            "proposal": (
                "公益小天使与鹿城 30 多所中小学有志愿服务合作，负责课程设计、组织带队和安全管理；"
                "「老城寻根」线路的街巷讲解分包给瓯越地名文化研究会，由研究会的青年教师和规划师带学生重走老街巷。"
            ),
        },
        "kechuang": {
            "lead": "kechuang",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 192000,
            "proposal": "以流动科普大篷车为载体，把研学课堂开进学校，以科学实验和创客课程为主。",
        },
    },
    "steps": [
        {"do": "create", "by": ZHENGHAORAN, "days_ago": 100, "publish": True},
        {"do": "bid", "bid": "angel", "by": ZHANGKEXIN, "days_ago": 92},
        {
            "do": "document",
            "bid": "angel",
            "by": ZHANGKEXIN,
            "kind": "proposal",
            "title": "社会实践（研学）服务方案（公益小天使）",
            "days_ago": 92,
        },
        {"do": "confirm", "bid": "angel", "by": JIWENLAN, "days_ago": 91},
        {"do": "bid", "bid": "kechuang", "by": ZHUMINGYUAN, "days_ago": 90},
        {"do": "submit", "bid": "angel", "by": ZHANGKEXIN, "days_ago": 88},
        {"do": "submit", "bid": "kechuang", "by": ZHUMINGYUAN, "days_ago": 85},
        {"do": "close"},
        {
            "do": "evaluate",
            "bid": "angel",
            "by": ZHENGHAORAN,
            "result": "valid",
            "score": "92",
            "days_ago": 76,
        },
        {
            "do": "evaluate",
            "bid": "kechuang",
            "by": ZHENGHAORAN,
            "result": "valid",
            "score": "85.5",
            "days_ago": 76,
        },
        {
            "do": "award",
            "bid": "angel",
            "by": ZHENGHAORAN,
            "signers": {"angel": [ZHANGKEXIN, "主任"]},
            "days_ago": 72,
        },
        {
            "do": "consent",
            "bid": "angel",
            "subcontractor": "diming",
            "by": ZHENGHAORAN,
            "note": "温州市鹿城区教育局《关于同意研学服务项目部分内容分包的复函》（鹿教函〔2026〕58 号）",
            "days_ago": 70,
        },
        {
            "do": "buyer_signs",
            "by": ZHENGHAORAN,
            "signer_name": "周文斌",
            "signer_title": "副局长",
            "evidence": "纸质合同 LCJY-2026-031 号，已加盖温州市鹿城区教育局公章",
            "days_ago": 68,
        },
        {"do": "sign", "by": ZHANGKEXIN, "days_ago": 67},
        {
            "do": "activate_subcontract",
            "bid": "angel",
            "subcontractor": "diming",
            "by": ZHENGHAORAN,
            "days_ago": 66,
        },
    ],
    "status": "awarded",
    "bid_statuses": {"angel": "awarded", "kechuang": "unsuccessful"},
}

# ---------------------------------------------------------------------------------------------
# 6. Unsuccessful: the only valid bid won and its organization declined to sign; the other bid
#    had been disqualified, so nobody was left.
# ---------------------------------------------------------------------------------------------

SWIM_SAFE = {
    "key": "swim_safe",
    "title": "「护苗」青少年防溺水安全宣教项目（2027 年度）",
    "buyer": "cishan",
    "description": (
        "在鹿城区沿江、沿河的 20 所中小学和 10 个社区开展防溺水安全宣教：进校园专题课不少于 40 场，暑期在瓯江、塘河沿线重点水域开展巡查劝导不少于 30 次，"
        "组织学生和家长参加自救互救体验课。承接方须具备水上救援资质，并配备持证救生员。"
    ),
    "category": "emergency",
    "district": "鹿城区",
    "budget_yuan": 90000,
    "budget_is_cap": True,
    "method": "foundation_call",
    "enquiry_ends_days": -45,
    "deadline_days": -35,
    "expected_award_days": -28,
    "contract_starts_days": 180,
    "contract_ends_days": 280,
    "allows_consortium": False,
    "max_members": None,
    "allows_subcontracting": False,
    "max_subcontract_share": None,
    "min_grade": None,
    "grade_rule": "priority_only",
    "grade_rule_basis": "",
    "required_documents": [*REQUIRED_DOCUMENTS, "水上救援资质证明及救生员证书"],
    "bids": {
        "haixia": {
            "lead": "haixia",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 86000,
            "proposal": "中心救援队员全部持救生员证，进校园课程由队员结合真实救援案例讲授，暑期巡查使用中心冲锋舟。",
        },
        "teddy": {
            "lead": "teddy",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 79000,
            "proposal": "以情景剧和玩偶演示为主，面向幼儿园和小学低年级讲解防溺水和急救常识。",
        },
    },
    "steps": [
        {"do": "create", "by": STAFF, "days_ago": 60, "publish": True},
        {"do": "bid", "bid": "haixia", "by": LINHAIFENG, "days_ago": 50},
        {"do": "bid", "bid": "teddy", "by": YESITONG, "days_ago": 48},
        {"do": "submit", "bid": "haixia", "by": LINHAIFENG, "days_ago": 45},
        {"do": "submit", "bid": "teddy", "by": YESITONG, "days_ago": 40},
        {"do": "close"},
        {"do": "evaluate", "bid": "haixia", "by": STAFF, "result": "valid", "score": "88", "days_ago": 31},
        {
            "do": "evaluate",
            "bid": "teddy",
            "by": STAFF,
            "result": "disqualified",
            "reason": "征集公告要求承接方具备水上救援资质并配备持证救生员，投标材料未能提供。",
            "days_ago": 31,
        },
        {"do": "award", "bid": "haixia", "by": STAFF, "signers": {}, "days_ago": 28},
        {
            "do": "decline",
            "by": STAFF,
            "reason": "海霞应急救援服务中心书面申请放弃签约：中心救援队员须承担 2027 年台风季海上搜救值守任务，无法按合同要求在暑期进入鹿城各校开展宣教。",
            "days_ago": 20,
        },
    ],
    "status": "unsuccessful",
    "bid_statuses": {"haixia": "unsuccessful", "teddy": "disqualified"},
}

# ---------------------------------------------------------------------------------------------
# 7. Cancelled: merged into the district-wide purchase; 海汇's submitted bid went with it.
# ---------------------------------------------------------------------------------------------

WUMA_HOME_CARE = {
    "key": "wuma_home_care",
    "title": "五马街道居家养老上门服务项目",
    "buyer": "minzheng",
    "description": (
        "为五马街道 180 名经评估的失能、半失能和高龄独居老人提供居家养老上门服务：助洁、助浴、助医、代购代办和精神慰藉，每位老人每月服务不少于 8 小时；"
        "服务人员须持养老护理员证，上门服务全程使用「浙里养」平台签到签退。"
    ),
    "category": "elderly",
    "district": "鹿城区",
    "budget_yuan": 320000,
    "budget_is_cap": True,
    "method": "competitive_negotiation",
    "enquiry_ends_days": -10,
    "deadline_days": 6,
    "expected_award_days": 12,
    "contract_starts_days": 35,
    "contract_ends_days": 399,
    "allows_consortium": False,
    "max_members": None,
    "allows_subcontracting": False,
    "max_subcontract_share": None,
    "min_grade": "A3",
    "grade_rule": "priority_only",
    "grade_rule_basis": "",
    "required_documents": [*REQUIRED_DOCUMENTS, "养老护理员职业技能等级证书"],
    "bids": {
        "haihui": {
            "lead": "haihui",
            "mode": "single",
            "members": [],
            "subcontractors": [],
            "price_yuan": 305000,
            "proposal": "中心自 2019 年起承接区民政局居家养老服务，五马街道 6 名专职社工和 18 名持证护理员分三组包片上门，老人的服务档案可直接延续。",
        },
    },
    "steps": [
        {"do": "create", "by": STAFF, "days_ago": 20, "publish": True},
        {"do": "bid", "bid": "haihui", "by": ORG, "days_ago": 15},
        {
            "do": "document",
            "bid": "haihui",
            "by": ORG,
            "kind": "proposal",
            "title": "五马街道居家养老上门服务方案（海汇）",
            "days_ago": 15,
        },
        {"do": "submit", "bid": "haihui", "by": ORG, "days_ago": 12},
        {
            "do": "cancel",
            "by": STAFF,
            "reason": "根据区民政局统一部署，五马街道居家养老上门服务并入「2027 年鹿城区居家养老服务」统一采购（另行公告），本项目终止，已提交的投标一并作废。",
            "days_ago": 4,
        },
    ],
    "status": "cancelled",
    "bid_statuses": {"haihui": "cancelled"},
}

# ---------------------------------------------------------------------------------------------
# 8. Draft: staff are still writing it up; nobody else sees it.
# ---------------------------------------------------------------------------------------------

INCLUSION = {
    "key": "inclusion",
    "title": "鹿城区随班就读学生融合教育支持服务项目",
    "buyer": "jiaoyu",
    "description": (
        "为鹿城区 15 所中小学随班就读的 120 名特殊需要学生提供融合教育支持：资源教室巡回指导每校每月不少于 2 次，"
        "为每名学生制订个别化教育计划，开展教师和家长培训各 4 场，组织融合游戏小组。（草稿：服务数量待教育局特教指导中心确认）"
    ),
    "category": "disability",
    "district": "鹿城区",
    "budget_yuan": 260000,
    "budget_is_cap": True,
    "method": "competitive_consultation",
    "enquiry_ends_days": 20,
    "deadline_days": 30,
    "expected_award_days": 40,
    "contract_starts_days": 80,
    "contract_ends_days": 220,
    "allows_consortium": True,
    "max_members": 2,
    "allows_subcontracting": False,
    "max_subcontract_share": None,
    "min_grade": None,
    "grade_rule": "priority_only",
    "grade_rule_basis": "",
    "required_documents": [*REQUIRED_DOCUMENTS, JOINT_AGREEMENT],
    "bids": {},
    "steps": [{"do": "create", "by": ZHENGHAORAN, "days_ago": 2, "publish": False}],
    "status": "draft",
    "bid_statuses": {},
}

TENDERS: list[dict] = [
    STUDY_TOURS,
    SWIM_SAFE,
    SAFE_AT_HOME,
    FIRST_AID,
    WUMA_HOME_CARE,
    AFTER_SCHOOL,
    CHILDREN,
    INCLUSION,
]
