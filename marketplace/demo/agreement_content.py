# ruff: noqa: E501 -- long Chinese prose; CJK characters count double toward the line width.
"""Demo partnership agreements (战略合作协议) brokered by the league: plain Python literals. PURE.

Each record is an agreement and the story of how it got where it is, told as ``steps`` that the
loader plays through ``marketplace.agreements.operations`` (and, for money, the pledge operations),
exactly as the people named in ``by`` would in the browser.

- Parties are content.py keys; ``introduced_project`` names the project of the introduction the
  agreement grew out of (the introduction is looked up by company and project).
- Dates count days from the day the demo loads: ``starts_days`` / ``ends_days`` / a tranche's
  ``due_days`` (negative: in the past); a step's ``days_ago`` says when it happened (the loader
  dates the rows it created accordingly, office hours, Wenzhou time). Money is whole yuan.
- ``terms`` holds the texts of the versions; a ``draft`` step drafts one, an ``edit`` step
  replaces the pending draft's terms with another.
- ``status`` is where the story must end; the loader refuses a record that ends elsewhere.

Who sees what: the company demo user (瓯江鞋业) is a party to 「四点钟课堂」 (active, one tranche
received), 「银龄食堂」 (signed by the company, waiting for 海汇) and 「技能夜校」 (active, money to the
organization's agreement account); the organization demo user (海汇) to 「银龄食堂」 (待我签署),
「银龄数字课堂」 (negotiating) and 「每日一杯奶」 (active, ends within 30 days); staff see all seven,
including a terminated and an expired one.
"""

from __future__ import annotations

STAFF = "staff@demo.qingqinchou.cn"  # 王晓蕾
ZHANGGUI = "zhanggui@demo.qingqinchou.cn"  # 陈嘉怡，五马街道「格子铺」铺掌柜
ZHENGHAORAN = "zhenghaoran@demo.qingqinchou.cn"  # 郑浩然

CONFIDENTIALITY = (
    "各方对履行本协议过程中知悉的服务对象个人信息（包括姓名、住址、健康状况和家庭情况）以及对方的经营信息负有保密义务，"
    "未经相关方书面同意不得向第三方披露；宣传报道中使用服务对象的照片或事迹，须事先征得本人或其监护人的书面同意。"
    "本条款在协议终止或期满后继续有效。"
)
DISPUTE = (
    "因本协议引起的或与本协议有关的争议，由各方友好协商解决，可请团区委居中调解；"
    "协商不成的，提交鹿城区人民法院诉讼解决。"
)
SIGNING = (
    "本协议经企业方、社会组织方在青亲筹平台对同一版本电子签署后生效，电子签署与书面签署具有同等法律效力；"
    "团区委作为见证方，不承担合同义务。"
)
FUNDS_REPORTING = "社会组织方对协议资金单独建账、专款专用，每期资金使用完毕后 15 个工作日内，在青亲筹平台向企业方和团区委提交资金使用报告及票据清单。"

# ---------------------------------------------------------------------------------------------
# 1. 「四点钟课堂」: from the converted introduction; version 1 withdrawn at 青少年社工中心's
#    request (a second classroom: more children, more money), version 2 signed; first tranche received.
# ---------------------------------------------------------------------------------------------

_FOUR_OCLOCK_V1 = {
    "scope": (
        "双方以双屿街道鞋都社区「四点钟课堂」为载体，为瓯江鞋业员工及周边制鞋企业外来务工人员的子女提供为期一年的课后托管、作业辅导、"
        "阅读和安全教育服务，并共同开展亲子活动和家长课堂，帮助外来务工家庭解决「孩子放学后没人管」的难题。"
    ),
    "obligations_company": (
        "1. 按本协议拨付计划，将资助资金拨付至「四点钟课堂」项目；\n"
        "2. 每学期组织员工志愿者到课堂开展职业体验、手工制鞋等活动不少于 2 次；\n"
        "3. 在厂区宣传栏和员工群发布招生信息，并为员工参加家长会提供调休便利；\n"
        "4. 指定专人负责对接，每学期参加一次项目评估会。"
    ),
    "obligations_organization": (
        "1. 配备持证专职社工 2 名，周一至周五 16:00–19:00 开放课堂，寒暑假另行安排；\n"
        "2. 为每名儿童建立成长档案，每学期召开家长会；\n"
        "3. 为参加活动的儿童购买意外伤害保险，做好接送登记和安全管理；\n"
        "4. " + FUNDS_REPORTING
    ),
    "in_kind": "瓯江鞋业每学期提供学习用品 60 套，并开放公司职工之家作为家长课堂场地。",
    "volunteers": 40,
    "kpis": [
        "服务外来务工人员子女不少于 60 人",
        "全年开放课堂不少于 180 天",
        "开展亲子活动和家长课堂不少于 8 场",
        "家长满意度不低于 90%",
    ],
    "confidentiality": CONFIDENTIALITY,
    "dispute": DISPUTE,
    "extra": [SIGNING],
    "committed_yuan": 60000,
    "tranches": [
        {"due_days": -5, "amount_yuan": 20000, "note": "首期：课堂开班"},
        {"due_days": 85, "amount_yuan": 20000, "note": "第二期：中期评估通过后"},
        {"due_days": 175, "amount_yuan": 20000, "note": "第三期：学年结项评估后"},
    ],
}

_FOUR_OCLOCK_V2 = {
    **_FOUR_OCLOCK_V1,
    "obligations_organization": (
        "1. 在鞋都社区设两个教学点，配备持证专职社工 3 名，周一至周五 16:00–19:00 开放课堂，寒暑假另行安排；\n"
        "2. 为每名儿童建立成长档案，每学期召开家长会；\n"
        "3. 为参加活动的儿童购买意外伤害保险，做好接送登记和安全管理；\n"
        "4. " + FUNDS_REPORTING
    ),
    "in_kind": "瓯江鞋业每学期提供学习用品 90 套，并开放公司职工之家作为家长课堂场地。",
    "kpis": [
        "服务外来务工人员子女不少于 90 人",
        "全年开放课堂不少于 180 天",
        "开展亲子活动和家长课堂不少于 8 场",
        "家长满意度不低于 90%",
    ],
    "committed_yuan": 90000,
    "tranches": [
        {"due_days": -5, "amount_yuan": 20000, "note": "首期：课堂开班"},
        {"due_days": 85, "amount_yuan": 35000, "note": "第二期：中期评估通过后"},
        {"due_days": 175, "amount_yuan": 35000, "note": "第三期：学年结项评估后"},
    ],
}

FOUR_OCLOCK = {
    "key": "four_oclock",
    "title": "「四点钟课堂」鞋都外来务工子女关爱战略合作协议",
    "company": "oujiang",
    "organization": "qingshe",
    "projects": ["qingshe_four_oclock"],
    "introduced_project": "qingshe_four_oclock",
    "broker": STAFF,
    "starts_days": -7,
    "ends_days": 357,
    "auto_renew": False,
    "renewal_notice_days": 60,
    "created_days_ago": 18,
    "signers": {
        "company": ["company@demo.qingqinchou.cn", "总经理"],
        "organization": ["jinxiaodong@demo.qingqinchou.cn", "主任"],
    },
    "terms": {"v1": _FOUR_OCLOCK_V1, "v2": _FOUR_OCLOCK_V2},
    "steps": [
        {"do": "draft", "terms": "v1", "by": STAFF, "days_ago": 17},
        {
            "do": "comment",
            "by": STAFF,
            "days_ago": 17,
            "body": "根据上周三方座谈的意见起草了初稿，资助额按现有一个教学点 60 名孩子测算。请两位核对拨付节点和志愿服务安排。",
        },
        {"do": "propose", "by": STAFF, "days_ago": 15},
        {"do": "sign", "by": "company@demo.qingqinchou.cn", "days_ago": 14},
        {
            "do": "request_changes",
            "by": "jinxiaodong@demo.qingqinchou.cn",
            "days_ago": 13,
            "reason": (
                "鞋都社区第二教学点已获街道同意使用，报名的孩子已超过 90 人。开第二个教学点需要再配一名专职社工，"
                "建议把服务人数调整为不少于 90 人，资助总额由 60,000 元调整为 90,000 元（第二、三期各 35,000 元），学习用品相应增至 90 套，其余条款不变。"
            ),
        },
        {
            "do": "comment",
            "by": "company@demo.qingqinchou.cn",
            "days_ago": 12,
            "body": "公司同意增加到 9 万元，首期 2 万元不变，请按中心的方案修改后重新提交签署。第一版我们的签署作废。",
        },
        {"do": "draft", "terms": "v2", "by": STAFF, "days_ago": 11},
        {"do": "propose", "by": STAFF, "days_ago": 10},
        {"do": "sign", "by": "company@demo.qingqinchou.cn", "days_ago": 9},
        {"do": "sign", "by": "jinxiaodong@demo.qingqinchou.cn", "days_ago": 8},
        {
            "do": "confirm",
            "tranche": 1,
            "by": STAFF,
            "reference": "DEMO-AGREEMENT-FOUROCLOCK-1",
            "days_ago": 4,
        },
    ],
    "status": "active",
}

# ---------------------------------------------------------------------------------------------
# 2. 「银龄食堂」: signed by 瓯江鞋业, waiting for 海汇's authorised signer (the organization demo
#    user) — a signature reminder is already due.
# ---------------------------------------------------------------------------------------------

_CANTEEN_V1 = {
    "scope": (
        "双方围绕五马街道「银龄食堂」助餐点开展长者关爱合作：瓯江鞋业资助助餐点增开取餐时段和上门送餐，并发挥制鞋专长为高龄、独居长者提供防滑助行鞋，"
        "降低长者居家和出行跌倒风险；海汇负责助餐服务运营、长者评估和志愿者组织。"
    ),
    "obligations_company": (
        "1. 按本协议拨付计划，将资助资金拨付至「银龄食堂」项目；\n"
        "2. 按约定数量生产并交付防滑助行老人鞋，质量符合国家老年鞋相关标准；\n"
        "3. 每月安排员工志愿者 2 名参与送餐和探访。"
    ),
    "obligations_organization": (
        "1. 工作日为助餐点长者提供午餐，行动不便的长者由志愿者送餐上门；\n"
        "2. 对服务长者开展跌倒风险评估，建立长者健康档案，并组织防跌倒健康讲座；\n"
        "3. 负责防滑鞋的登记发放，并回访长者的穿着情况；\n"
        "4. " + FUNDS_REPORTING
    ),
    "in_kind": "瓯江鞋业捐赠防滑助行老人鞋 150 双。",
    "volunteers": 24,
    "kpis": [
        "全年开展助老服务不少于 48 场",
        "服务长者不少于 300 人次",
        "完成长者跌倒风险评估不少于 150 人",
        "发放防滑助行鞋的长者回访率达到 100%",
    ],
    "confidentiality": CONFIDENTIALITY,
    "dispute": DISPUTE,
    "extra": [SIGNING],
    "committed_yuan": 20000,
    "tranches": [
        {"due_days": 14, "amount_yuan": 10000, "note": "首期：增开取餐时段与送餐"},
        {"due_days": 120, "amount_yuan": 10000, "note": "第二期：中期回访后"},
    ],
}

SILVER_CANTEEN = {
    "key": "silver_canteen",
    "title": "「银龄食堂」助餐与长者防跌倒关爱战略合作协议",
    "company": "oujiang",
    "organization": "haihui",
    "projects": ["haihui_meals"],
    "introduced_project": None,
    "broker": ZHANGGUI,
    "starts_days": 7,
    "ends_days": 371,
    "auto_renew": False,
    "renewal_notice_days": 30,
    "created_days_ago": 12,
    "signers": {
        "company": ["company@demo.qingqinchou.cn", "总经理"],
        "organization": ["org@demo.qingqinchou.cn", "主任"],
    },
    "terms": {
        "v1": _CANTEEN_V1,
        "v1_shoes": {
            **_CANTEEN_V1,
            "in_kind": "瓯江鞋业捐赠防滑助行老人鞋 200 双，由企业安排车间师傅上门为长者量脚，按鞋码定制，两周内交付。",
            "kpis": [*_CANTEEN_V1["kpis"][:3], "为 200 名长者配发防滑助行鞋，回访率达到 100%"],
        },
    },
    "steps": [
        {"do": "draft", "terms": "v1", "by": ZHANGGUI, "days_ago": 11},
        {
            "do": "comment",
            "by": "org@demo.qingqinchou.cn",
            "days_ago": 10,
            "body": "助餐点固定服务的长者有 40 位，防滑鞋建议按 200 双准备，其余发给南汇街道结对的独居老人。",
        },
        {
            "do": "comment",
            "by": "lixiaomei@demo.qingqinchou.cn",
            "days_ago": 9,
            "body": "可以。老人的脚型差别大，我们安排车间师傅上门量脚，按鞋码定制，两周内能交付。",
        },
        {"do": "edit", "terms": "v1_shoes", "by": ZHANGGUI, "days_ago": 8},
        {"do": "propose", "by": ZHANGGUI, "days_ago": 6},
        {"do": "sign", "by": "company@demo.qingqinchou.cn", "days_ago": 5},
    ],
    "status": "pending_signature",
}

# ---------------------------------------------------------------------------------------------
# 3. 「银龄数字课堂」: grew out of the introduction 瓯信银行 answered "interested"; a draft under
#    discussion, edited once after the thread.
# ---------------------------------------------------------------------------------------------

_DIGITAL_V1 = {
    "scope": (
        "双方合作在南郊街道 5 个社区开设「银龄数字课堂」，教老年人使用智能手机扫码就医、视频通话和网上缴费，并结合支行「金融助老」志愿服务开展防范电信诈骗教育。"
    ),
    "obligations_company": (
        "1. 按本协议拨付计划，将资助资金拨付至「银龄数字课堂」项目；\n"
        "2. 选派两名员工担任防诈骗专题讲师志愿者，每期授课 1 次；\n"
        "3. 对课程中的金融知识和防诈骗内容进行审核把关。"
    ),
    "obligations_organization": (
        "1. 开设 10 期课程，每期 6 次课、20 名学员，由青年志愿者一对一辅导；\n"
        "2. 为每位学员发放大字版操作手册，结业后建立互助群持续答疑；\n"
        "3. " + FUNDS_REPORTING
    ),
    "in_kind": "",
    "volunteers": 20,
    "kpis": [
        "开设课程不少于 10 期",
        "培训老年学员不少于 200 人",
        "学员结业考核（独立完成扫码就医）通过率不低于 80%",
        "防诈骗专题课覆盖全部学员",
    ],
    "confidentiality": CONFIDENTIALITY,
    "dispute": DISPUTE,
    "extra": [SIGNING],
    "committed_yuan": 10000,
    "tranches": [
        {"due_days": 20, "amount_yuan": 6000, "note": "首期：前 5 期课程"},
        {"due_days": 110, "amount_yuan": 4000, "note": "第二期：后 5 期课程及结业活动"},
    ],
}

DIGITAL_CLASS = {
    "key": "digital_class",
    "title": "「银龄数字课堂」金融助老战略合作协议",
    "company": "ouxin",
    "organization": "haihui",
    "projects": ["haihui_digital_class"],
    "introduced_project": "haihui_digital_class",
    "broker": STAFF,
    "starts_days": 14,
    "ends_days": 195,
    "auto_renew": False,
    "renewal_notice_days": 30,
    "created_days_ago": 8,
    "signers": {},
    "terms": {
        "v1": _DIGITAL_V1,
        "v1_saturday": {
            **_DIGITAL_V1,
            "obligations_company": (
                "1. 按本协议拨付计划，将资助资金拨付至「银龄数字课堂」项目；\n"
                "2. 选派两名员工担任防诈骗专题讲师志愿者，每期第 6 次课（周六上午）授课；\n"
                "3. 对课程中的金融知识和防诈骗内容进行审核把关。"
            ),
            "in_kind": "瓯信银行五马支行统一印制反诈宣传折页 1,000 份，随课程发放。",
        },
    },
    "steps": [
        {"do": "draft", "terms": "v1", "by": STAFF, "days_ago": 7},
        {
            "do": "comment",
            "by": STAFF,
            "days_ago": 7,
            "body": "根据三方见面会纪要起草了初稿：支行资助课程经费并派员工担任讲师志愿者。请两位重点核对课程安排和讲师排班。",
        },
        {
            "do": "comment",
            "by": "xuwenbo@demo.qingqinchou.cn",
            "days_ago": 6,
            "body": "支行可以派两名员工讲防诈骗专题，但工作日走不开，只能安排在周六。另外反诈宣传折页由支行统一印制，请在物资支持里写明。",
        },
        {
            "do": "comment",
            "by": "org@demo.qingqinchou.cn",
            "days_ago": 4,
            "body": "周六没问题，我们把每期第 6 次课（防诈骗专题）都放在周六上午。大字版手册仍由项目资金印制，内容请支行帮忙把关。",
        },
        {"do": "edit", "terms": "v1_saturday", "by": STAFF, "days_ago": 3},
        {
            "do": "comment",
            "by": STAFF,
            "days_ago": 3,
            "body": "已按两位的意见修改初稿（讲师排在周六上午，写明反诈折页）。如无异议，下周提交签署。",
        },
    ],
    "status": "negotiating",
}

# ---------------------------------------------------------------------------------------------
# 4. 「每日一杯奶」: goods and volunteers only, no project; ends within 30 days (staff's expiring list,
#    the renewal reminder), and 海汇 has asked to renew.
# ---------------------------------------------------------------------------------------------

MILK = {
    "key": "milk",
    "title": "「每日一杯奶」长者营养关爱合作协议",
    "company": "feiyun",
    "organization": "haihui",
    "projects": [],
    "introduced_project": None,
    "broker": ZHANGGUI,
    "starts_days": -344,
    "ends_days": 21,
    "auto_renew": False,
    "renewal_notice_days": 30,
    "created_days_ago": 360,
    "signers": {
        "company": ["caiyuhang@demo.qingqinchou.cn", "品牌部经理"],
        "organization": ["org@demo.qingqinchou.cn", "主任"],
    },
    "terms": {
        "v1": {
            "scope": (
                "飞云乳业为海汇服务的高龄、独居长者提供低温鲜牛奶，改善长者营养；海汇依托「银龄食堂」助餐点和上门探访做好发放、登记和营养健康宣教。"
                "本协议不涉及资金往来。"
            ),
            "obligations_company": (
                "1. 每周向五马街道助餐点配送低温鲜牛奶，冷链运输，保质期剩余不少于 7 天；\n"
                "2. 重阳节、春节加送慰问奶品；\n"
                "3. 每季度安排营养师志愿者开展一次长者营养讲座。"
            ),
            "obligations_organization": (
                "1. 按长者名单登记发放，行动不便的长者由志愿者随餐送达；\n"
                "2. 每月向企业方反馈发放台账和长者意见；\n"
                "3. 在助餐点和活动宣传中如实标注企业方的捐赠。"
            ),
            "in_kind": "每周低温鲜牛奶 300 盒（全年约 15,000 盒）；重阳节、春节各加送慰问奶品 100 箱。",
            "volunteers": 30,
            "kpis": [
                "惠及高龄、独居长者不少于 150 人",
                "全年配送鲜奶不少于 15,000 盒",
                "每季度开展长者营养健康讲座不少于 1 场",
                "长者满意度不低于 90%",
            ],
            "confidentiality": CONFIDENTIALITY,
            "dispute": DISPUTE,
            "extra": [SIGNING, "协议期满前 30 日内，双方可协商续签；未续签的，协议期满自然终止。"],
        },
    },
    "steps": [
        {"do": "draft", "terms": "v1", "by": ZHANGGUI, "days_ago": 358},
        {"do": "propose", "by": ZHANGGUI, "days_ago": 352},
        {"do": "sign", "by": "caiyuhang@demo.qingqinchou.cn", "days_ago": 351},
        {"do": "sign", "by": "org@demo.qingqinchou.cn", "days_ago": 349},
        {
            "do": "comment",
            "by": "org@demo.qingqinchou.cn",
            "days_ago": 10,
            "body": "协议下个月到期。长者们很喜欢每天这杯奶，希望续签一年，并把配送范围扩大到南汇街道的助餐点。",
        },
        {
            "do": "comment",
            "by": ZHANGGUI,
            "days_ago": 9,
            "body": "收到，我来联系飞云乳业商量续签，续签版本起草好后在这里通知两位。",
        },
    ],
    "status": "active",
}

# ---------------------------------------------------------------------------------------------
# 5. 「技能夜校」: one tranche, no project: the money goes to 益立方's agreement account.
# ---------------------------------------------------------------------------------------------

NIGHT_SCHOOL = {
    "key": "night_school",
    "title": "鞋都外来务工青年「技能夜校」战略合作协议",
    "company": "oujiang",
    "organization": "yilifang",
    "projects": [],
    "introduced_project": None,
    "broker": ZHENGHAORAN,
    "starts_days": -30,
    "ends_days": 334,
    "auto_renew": False,
    "renewal_notice_days": 30,
    "created_days_ago": 40,
    "signers": {
        "company": ["company@demo.qingqinchou.cn", "总经理"],
        "organization": ["husiyuan@demo.qingqinchou.cn", "主任"],
    },
    "terms": {
        "v1": {
            "scope": (
                "双方在双屿鞋都合办外来务工青年「技能夜校」，开设鞋样设计、电脑辅助制版、电商运营和普通话沟通等课程，"
                "帮助青年职工提升技能、取得职业技能等级证书；益立方负责课程研发、招生和教学管理。"
            ),
            "obligations_company": (
                "1. 夜校开班前一次性拨付协议资金至益立方协议专户；\n"
                "2. 提供公司培训中心教室（每周二、四晚）和鞋样设计、缝制实训设备；\n"
                "3. 选派技术骨干担任兼职讲师，并为结业学员提供实习岗位不少于 20 个。"
            ),
            "obligations_organization": (
                "1. 研发课程并招募讲师，每期 8 周，面向鞋都各企业的青年职工开放；\n"
                "2. 组织学员报考职业技能等级认定，做好考勤和学习档案；\n"
                "3. " + FUNDS_REPORTING
            ),
            "in_kind": "瓯江鞋业提供培训中心教室及实训设备，价值约 30,000 元。",
            "volunteers": 30,
            "kpis": [
                "开设夜校课程不少于 4 期，每期 8 周",
                "培训外来务工青年不少于 160 人次",
                "结业学员取得职业技能等级证书不少于 40 人",
                "学员满意度不低于 90%",
            ],
            "confidentiality": CONFIDENTIALITY,
            "dispute": DISPUTE,
            "extra": [SIGNING],
            "committed_yuan": 40000,
            "tranches": [{"due_days": 10, "amount_yuan": 40000, "note": "夜校开班前一次性拨付"}],
        },
    },
    "steps": [
        {"do": "draft", "terms": "v1", "by": ZHENGHAORAN, "days_ago": 39},
        {"do": "propose", "by": ZHENGHAORAN, "days_ago": 34},
        {"do": "sign", "by": "husiyuan@demo.qingqinchou.cn", "days_ago": 33},
        {"do": "sign", "by": "company@demo.qingqinchou.cn", "days_ago": 32},
    ],
    "status": "active",
}

# ---------------------------------------------------------------------------------------------
# 6. 海岛应急救援: first tranche received, then ended early by agreement of all sides; the second
#    tranche, never paid, was cancelled with it.
# ---------------------------------------------------------------------------------------------

ISLAND_RESCUE = {
    "key": "island_rescue",
    "title": "海岛应急救援能力共建战略合作协议",
    "company": "liuchuan",
    "organization": "haixia",
    "projects": [],
    "introduced_project": None,
    "broker": ZHENGHAORAN,
    "starts_days": -200,
    "ends_days": 164,
    "auto_renew": False,
    "renewal_notice_days": 30,
    "created_days_ago": 215,
    "signers": {
        "company": ["zhengguodong@demo.qingqinchou.cn", "副总经理"],
        "organization": ["linhaifeng@demo.qingqinchou.cn", "主任"],
    },
    "terms": {
        "v1": {
            "scope": (
                "双方共建洞头海岛应急救援能力：柳川电气资助救援装备更新和防溺水安全教育，员工应急志愿者参加联合演练；海霞应急救援服务中心负责装备管理、队伍训练和进校园宣讲。"
            ),
            "obligations_company": (
                "1. 按本协议拨付计划拨付资助资金；\n"
                "2. 捐赠应急照明灯具和移动电源，并为救援基地免费开展一次电气安全检测；\n"
                "3. 组织员工应急志愿者参加联合演练。"
            ),
            "obligations_organization": (
                "1. 建立装备台账，台风季前完成救援装备检修；\n"
                "2. 在洞头各中小学开展防溺水安全教育课程；\n"
                "3. " + FUNDS_REPORTING
            ),
            "in_kind": "应急照明灯具 100 套、移动电源 30 台；救援基地电气安全检测 1 次。",
            "volunteers": 60,
            "kpis": [
                "开展海岛防溺水安全教育课程不少于 60 场",
                "组织企业员工与救援队联合应急演练不少于 2 次",
                "台风季前完成全部救援装备检修",
            ],
            "confidentiality": CONFIDENTIALITY,
            "dispute": DISPUTE,
            "extra": [SIGNING],
            "committed_yuan": 40000,
            "tranches": [
                {"due_days": -190, "amount_yuan": 20000, "note": "首期：救援装备更新"},
                {"due_days": -20, "amount_yuan": 20000, "note": "第二期：防溺水安全教育进校园"},
            ],
        },
    },
    "steps": [
        {"do": "draft", "terms": "v1", "by": ZHENGHAORAN, "days_ago": 213},
        {"do": "propose", "by": ZHENGHAORAN, "days_ago": 208},
        {"do": "sign", "by": "zhengguodong@demo.qingqinchou.cn", "days_ago": 207},
        {"do": "sign", "by": "linhaifeng@demo.qingqinchou.cn", "days_ago": 206},
        {
            "do": "confirm",
            "tranche": 1,
            "by": ZHENGHAORAN,
            "reference": "DEMO-AGREEMENT-ISLAND-1",
            "days_ago": 186,
        },
        {
            "do": "comment",
            "by": "yehanwen@demo.qingqinchou.cn",
            "days_ago": 25,
            "body": "受海外订单下滑影响，公司下半年公益预算压缩，第二期资金恐怕无法按期拨付，想请团区委约中心一起商量提前终止。",
        },
        {
            "do": "comment",
            "by": "linhaifeng@demo.qingqinchou.cn",
            "days_ago": 22,
            "body": "理解企业的难处。首期资金已全部用于渔村救援物资站装备更新，防溺水课程已完成 38 场，我们同意提前终止。",
        },
        {
            "do": "terminate",
            "by": ZHENGHAORAN,
            "days_ago": 10,
            "reason": (
                "受海外订单下滑影响，柳川电气下半年公益预算压缩，第二期 20,000 元无法拨付。经企业方、社会组织方与团区委三方协商一致，本协议自即日起提前终止；"
                "首期资金已全部用于渔村救援物资站装备更新，不予退回，物资捐赠和志愿服务部分已履行完毕。"
            ),
        },
    ],
    "status": "terminated",
}

# ---------------------------------------------------------------------------------------------
# 7. 「明眸护苗」: last year's agreement, fully paid, expired a month ago.
# ---------------------------------------------------------------------------------------------

BRIGHT_EYES = {
    "key": "bright_eyes",
    "title": "「明眸护苗」幼儿园儿童视力与健康启蒙合作协议",
    "company": "mingrui",
    "organization": "teddy",
    "projects": [],
    "introduced_project": None,
    "broker": STAFF,
    "starts_days": -395,
    "ends_days": -31,
    "auto_renew": False,
    "renewal_notice_days": 30,
    "created_days_ago": 410,
    "signers": {
        "company": ["wusimin@demo.qingqinchou.cn", "行政总监"],
        "organization": ["yesitong@demo.qingqinchou.cn", "队长"],
    },
    "terms": {
        "v1": {
            "scope": (
                "双方在鹿城区幼儿园联合开展「泰迪熊医院」儿童健康启蒙和视力筛查：服务队带孩子在游戏中了解看病流程和护眼知识，明睿眼镜提供筛查设备和验光师志愿者。"
            ),
            "obligations_company": (
                "1. 协议生效后一次性拨付资助资金；\n"
                "2. 提供便携式儿童视力筛查仪 2 台，派验光师志愿者参加筛查；\n"
                "3. 为筛查出视力异常且家庭困难的儿童免费配镜。"
            ),
            "obligations_organization": (
                "1. 联系幼儿园并组织「玩偶医院」健康启蒙课；\n"
                "2. 建立筛查档案，将异常结果书面告知家长；\n"
                "3. " + FUNDS_REPORTING
            ),
            "in_kind": "便携式儿童视力筛查仪 2 台（协议期内借用）；困难家庭儿童免费配镜不超过 50 副。",
            "volunteers": 36,
            "kpis": [
                "走进幼儿园开展健康启蒙课不少于 20 所",
                "完成儿童视力筛查不少于 3,000 人次",
                "为困难家庭儿童免费配镜不少于 30 副",
            ],
            "confidentiality": CONFIDENTIALITY,
            "dispute": DISPUTE,
            "extra": [SIGNING],
            "committed_yuan": 15000,
            "tranches": [{"due_days": -385, "amount_yuan": 15000, "note": "协议生效后一次性拨付"}],
        },
    },
    "steps": [
        {"do": "draft", "terms": "v1", "by": STAFF, "days_ago": 408},
        {"do": "propose", "by": STAFF, "days_ago": 402},
        {"do": "sign", "by": "wusimin@demo.qingqinchou.cn", "days_ago": 401},
        {"do": "sign", "by": "yesitong@demo.qingqinchou.cn", "days_ago": 400},
        {"do": "confirm", "tranche": 1, "by": STAFF, "reference": "DEMO-AGREEMENT-EYES-1", "days_ago": 383},
        {"do": "expire", "days_ago": 30},
    ],
    "status": "expired",
}

AGREEMENTS: list[dict] = [
    BRIGHT_EYES,
    ISLAND_RESCUE,
    MILK,
    NIGHT_SCHOOL,
    FOUR_OCLOCK,
    SILVER_CANTEEN,
    DIGITAL_CLASS,
]
