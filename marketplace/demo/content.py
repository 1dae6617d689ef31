# ruff: noqa: E501 -- long Chinese prose; CJK characters count double toward the line width.
"""Demo data set for 青亲筹: plain Python literals, no app imports. PURE.

The demo loader turns these records into database rows through the app's operations, so every
value here must be one those operations accept. Keys (``key``) are stable ASCII ids the records
use to refer to each other; they never reach the database.

- Money is whole yuan here (``*_yuan``); the loader converts to fen.
- ``uscc_prefix`` holds the first 17 characters of a 统一社会信用代码; the loader appends the
  GB 32100 check character. The 9-character organization-code part (positions 9–17) carries a
  valid GB 11714 check digit: organizations registered since 2016 have 民政-issued ``MJ…`` codes,
  companies registered since 2016 market-regulator ``MA…`` codes, older ones numeric codes.
- ``deadline_days`` counts days from the moment the demo loads (negative: already past);
  a pledge's ``days_ago`` counts back from the same moment.
- The themes follow the 2017 Wenzhou bulletin on Lucheng's 「旗舰店+格子铺」 incubation and
  Yongjia's 「三个到位」: 海汇、三乐亭、爱心璀璨、荒岛图书社、公益小天使、四点钟课堂、泰迪熊医院、
  春芽计划、点亮微心愿、青苗培训、大学生社会组织创业园、地名勘察 ….

Run ``python -m marketplace.demo.content`` to check the data against the rules the app enforces.
"""

from __future__ import annotations

DEMO_PASSWORD = "Qingqinchou-2026"

DEMO_EMAIL_DOMAIN = "demo.qingqinchou.cn"

# --------------------------------------------------------------------------------------------
# League staff (团区委) and the platform administrator
# --------------------------------------------------------------------------------------------

STAFF: list[dict] = [
    {"email": "staff@demo.qingqinchou.cn", "name": "王晓蕾", "role": "staff"},
    # 南汇街道葡萄社区「格子铺」的铺掌柜: collects community needs, brokers local projects.
    {"email": "zhanggui@demo.qingqinchou.cn", "name": "陈嘉怡", "role": "staff"},
    {"email": "zhenghaoran@demo.qingqinchou.cn", "name": "郑浩然", "role": "staff"},
    {"email": "admin@demo.qingqinchou.cn", "name": "周亦航", "role": "admin"},
]

# --------------------------------------------------------------------------------------------
# Youth social organizations (青年社会组织)
# --------------------------------------------------------------------------------------------

ORGANIZATIONS: list[dict] = [
    {
        "key": "haihui",
        "name": "鹿城区海汇敬老助老公益发展中心",
        "uscc_prefix": "52330302537558311",
        "district": "鹿城区",
        "community": "五马街道五马社区",
        "founded_year": 2014,
        "business_areas": ["elderly", "health"],
        "description": (
            "中心成立于2014年，由一群在鹿城长大的青年社工和医护志愿者发起，长期为五马、南汇等老城区的独居、空巢和失能老人提供助餐、探访、健康监测和精神慰藉服务。"
            "目前有专职社工6名、常态化志愿者300余人，结对服务老人1200余位。"
            "中心是团区委「旗舰店」首批孵化出壳的青年社会组织之一，现入驻五马街道「格子铺」。"
            "2019年起，中心连续承接区民政局居家养老服务购买项目。"
        ),
        "grade": "A4",
        "grade_valid_until": "2028-12-31",
        "tier": "leading",
        "contact_name": "林海燕",
        "contact_phone": "13857712345",
        "legal_representative": "林海燕",
        "members": [
            {"email": "org@demo.qingqinchou.cn", "name": "林海燕"},
            {"email": "huangjiahui@demo.qingqinchou.cn", "name": "黄佳慧"},
        ],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "sanleting",
        "name": "鹿城区三乐亭爱心驿站",
        "uscc_prefix": "52330302587813966",
        "district": "鹿城区",
        "community": "滨江街道锦江社区",
        "founded_year": 2015,
        "business_areas": ["community", "assistance", "elderly"],
        "description": (
            "三乐亭爱心驿站由一位社区便利店店主和几位退休教师发起，最初只是为环卫工人免费提供热水和歇脚的地方。"
            "如今驿站已发展成为集爱心歇脚、应急药箱、旧物改造和困难家庭走访于一体的社区公益站点，在鹿城设有5个驿站点位。"
            "驿站坚持「人人可公益、处处有温暖」，每年组织志愿服务近4000小时。"
        ),
        "grade": "A3",
        "grade_valid_until": "2027-06-30",
        "tier": "demonstration",
        "contact_name": "郑乐群",
        "contact_phone": "13958821067",
        "legal_representative": "郑乐群",
        "members": [{"email": "zhenglequn@demo.qingqinchou.cn", "name": "郑乐群"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "cuican",
        "name": "鹿城区爱心璀璨公益发展中心",
        "uscc_prefix": "52330302MJPGM70Q1",
        "district": "鹿城区",
        "community": "蒲鞋市街道蒲鞋市社区",
        "founded_year": 2016,
        "business_areas": ["children", "assistance", "education"],
        "description": (
            "爱心璀璨公益发展中心专注困境儿童和流动儿童关爱，服务对象包括孤儿、事实无人抚养儿童和低保家庭子女。"
            "中心通过「一对一」成长陪伴、微心愿认领和学业辅导，已累计服务儿童2600余人次。"
            "中心与20余家爱心企业保持长期合作，是鹿城区「成木」级示范型青年社会组织。"
        ),
        "grade": "A3",
        "grade_valid_until": "2029-12-31",
        "tier": "demonstration",
        "contact_name": "陈晓璨",
        "contact_phone": "15867701392",
        "legal_representative": "陈晓璨",
        "members": [
            {"email": "chenxiaocan@demo.qingqinchou.cn", "name": "陈晓璨"},
            {"email": "wuyue@demo.qingqinchou.cn", "name": "吴越"},
        ],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "huangdao",
        "name": "鹿城区荒岛图书社",
        "uscc_prefix": "51330302514323245",
        "district": "鹿城区",
        "community": "南汇街道葡萄社区",
        "founded_year": 2013,
        "business_areas": ["culture", "education"],
        "description": (
            "荒岛图书社是由青年读书爱好者组成的公益阅读社团，名字取自「把书带到每一座荒岛」。"
            "图书社2017年入驻葡萄社区「格子铺」，在社区和周边学校建设共享图书角，组织亲子共读、读书会和旧书漂流。"
            "目前运营图书角14个，藏书2.3万册，每年开展阅读活动100余场。"
        ),
        "grade": "A2",
        "grade_valid_until": "2027-03-31",
        "tier": "growing",
        "contact_name": "徐一帆",
        "contact_phone": "13587745218",
        "legal_representative": "徐一帆",
        "members": [{"email": "xuyifan@demo.qingqinchou.cn", "name": "徐一帆"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "qingshe",
        "name": "鹿城区青少年社会工作服务中心",
        "uscc_prefix": "5233030253886891X",
        "district": "鹿城区",
        "community": "大南街道大南社区",
        "founded_year": 2012,
        "business_areas": ["youth", "children", "education"],
        "description": (
            "中心是鹿城区最早成立的专业青少年社工机构之一，现有持证社工28名，主要开展重点青少年群体帮扶、外来务工人员子女课后服务和青少年心理支持。"
            "中心运营的「四点钟课堂」已覆盖鞋都、葡萄等6个社区。"
            "中心曾获政府服务购买30万元，是鹿城区「名木」级领军型青年社会组织。"
            "中心还为其他青年社会组织提供专业督导和骨干培训。"
        ),
        "grade": "A5",
        "grade_valid_until": "2029-06-30",
        "tier": "leading",
        "contact_name": "金晓东",
        "contact_phone": "18857763409",
        "legal_representative": "金晓东",
        "members": [
            {"email": "jinxiaodong@demo.qingqinchou.cn", "name": "金晓东"},
            {"email": "lina@demo.qingqinchou.cn", "name": "李娜"},
        ],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "yjvolunteer",
        "name": "永嘉县义工协会",
        "uscc_prefix": "51330324543788543",
        "district": "永嘉县",
        "community": "北城街道",
        "founded_year": 2008,
        "business_areas": ["assistance", "emergency", "community"],
        "description": (
            "永嘉县义工协会成立于2008年，是全县规模最大的志愿服务社团之一，注册义工4000余人。"
            "协会长期开展关爱留守流动儿童、山区空巢老人探访和应急救援志愿服务，所有活动均在「志愿汇」平台公开发布、实时定位签到。"
            "协会是县「社会组织孵化联盟」的发起单位之一，多个项目获得「春芽计划」资助。"
        ),
        "grade": "A5",
        "grade_valid_until": "2028-12-31",
        "tier": "leading",
        "contact_name": "潘建军",
        "contact_phone": "13757790126",
        "legal_representative": "潘建军",
        "members": [
            {"email": "panjianjun@demo.qingqinchou.cn", "name": "潘建军"},
            {"email": "zhouxue@demo.qingqinchou.cn", "name": "周雪"},
        ],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "teddy",
        "name": "鹿城区泰迪熊医院志愿服务队",
        "uscc_prefix": "51330302MJ2L43K42",
        "district": "鹿城区",
        "community": "松台街道广场路社区",
        "founded_year": 2016,
        "business_areas": ["health", "children"],
        "description": (
            "泰迪熊医院志愿服务队由温州本地医学院学生和青年医护人员组成。"
            "队员在幼儿园和社区搭建「玩偶医院」，让孩子带着自己的毛绒玩具「看病」，在游戏中了解看病流程、减少对医院的恐惧。"
            "孩子们还会学习洗手、护牙和用眼卫生等健康知识。"
            "服务队已走进60多所幼儿园，是鹿城知名的儿童健康教育品牌。"
        ),
        "grade": None,
        "grade_valid_until": None,
        "tier": "growing",
        "contact_name": "叶思彤",
        "contact_phone": "15957728843",
        "legal_representative": "叶思彤",
        "members": [{"email": "yesitong@demo.qingqinchou.cn", "name": "叶思彤"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "angel",
        "name": "鹿城区公益小天使志愿服务中心",
        "uscc_prefix": "5233030250937817X",
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "founded_year": 2015,
        "business_areas": ["youth", "children", "culture"],
        "description": (
            "公益小天使志愿服务中心组织中小学生和家长一起参与社区志愿服务，让孩子在帮助他人的过程中成长。"
            "「公益小天使」品牌项目已持续开展八年，累计招募小志愿者9000余人次，服务内容包括社区环保、敬老慰问和文明劝导。"
            "中心与鹿城区30多所中小学建立了志愿服务合作关系。"
        ),
        "grade": "A4",
        "grade_valid_until": "2027-12-31",
        "tier": "demonstration",
        "contact_name": "张可欣",
        "contact_phone": "13906643571",
        "legal_representative": "张可欣",
        "members": [
            {"email": "zhangkexin@demo.qingqinchou.cn", "name": "张可欣"},
            {"email": "wangyiming@demo.qingqinchou.cn", "name": "王一鸣"},
        ],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "hongling",
        "name": "鹿城区红铃铛社区服务社",
        "uscc_prefix": "52330302516383567",
        "district": "鹿城区",
        "community": "广化街道广化社区",
        "founded_year": 2015,
        "business_areas": ["community", "emergency", "elderly"],
        "description": (
            "红铃铛社区服务社以「有事摇铃、邻里相帮」为口号，在广化街道运营社区服务站。"
            "服务社组织居民志愿者开展邻里守望、楼道安全巡查和社区应急演练。"
            "服务社同时运营团区委「红铃铛」青年众益空间，为入驻的8家青年社会组织提供场地和项目指导。"
        ),
        # Expires within the year: the tender pages flag grades that lapse before a deadline.
        "grade": "A3",
        "grade_valid_until": "2026-12-31",
        "tier": "demonstration",
        "contact_name": "吴铃",
        "contact_phone": "18967781204",
        # 益立方's director is also 红铃铛's legal representative (it incubated 红铃铛): when both
        # bid on one tender, staff see the 实施条例 第18条 review flag.
        "legal_representative": "胡思远",
        "members": [{"email": "wuling@demo.qingqinchou.cn", "name": "吴铃"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "yilifang",
        "name": "鹿城区益立方社会组织服务中心",
        "uscc_prefix": "52330302MJRPBRT85",
        "district": "鹿城区",
        "community": "滨江街道东游社区",
        "founded_year": 2017,
        "business_areas": ["community", "employment", "education"],
        "description": (
            "益立方是团区委支持建立的枢纽型、支持型社会组织，运营鹿城区规模最大的青年「众益空间」孵化基地。"
            "中心为入驻组织提供能力培养、项目研发、资源对接和财务托管等一站式服务。"
            "中心开设「青苗培训课程」，累计培训青年社会组织骨干500余人。"
            "中心还与温州多所高校共建大学生社会组织创业园。"
        ),
        "grade": "A4",
        "grade_valid_until": "2028-06-30",
        "tier": "leading",
        "contact_name": "胡思远",
        "contact_phone": "13819760385",
        "legal_representative": "胡思远",
        "members": [
            {"email": "husiyuan@demo.qingqinchou.cn", "name": "胡思远"},
            {"email": "caimin@demo.qingqinchou.cn", "name": "蔡敏"},
        ],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "yjgreen",
        "name": "永嘉县绿色环保志愿者协会",
        "uscc_prefix": "51330324517198435",
        "district": "永嘉县",
        "community": "瓯北街道",
        "founded_year": 2010,
        "business_areas": ["environment", "science"],
        "description": (
            "协会成立于2010年，长期在楠溪江和瓯江永嘉段开展河道巡查、水质监测和岸线垃圾清理。"
            "协会与团县委合作运营永嘉县社会组织孵化基地，已免费为30多家初创社会组织提供场地和设备。"
            "近年来协会重点推广垃圾分类和环保教育，组建了80人的青年「河小二」巡河队。"
        ),
        "grade": "A4",
        "grade_valid_until": "2029-03-31",
        "tier": "demonstration",
        "contact_name": "谢振宇",
        "contact_phone": "15068892217",
        "legal_representative": "谢振宇",
        "members": [{"email": "xiezhenyu@demo.qingqinchou.cn", "name": "谢振宇"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "haixia",
        "name": "洞头区海霞应急救援服务中心",
        "uscc_prefix": "52330305MJA438CG7",
        "district": "洞头区",
        "community": "北岙街道",
        "founded_year": 2018,
        "business_areas": ["emergency", "health"],
        "description": (
            "中心由洞头本地渔民子弟、退役军人和青年潜水爱好者共同创办，拥有冲锋舟2艘、专业救援队员46名。"
            "中心承担海岛防溺水宣传、台风期间群众转移协助和海上搜救配合任务。"
            "中心每年为中小学生开展安全教育课程100余场。"
        ),
        "grade": "A3",
        "grade_valid_until": "2028-09-30",
        "tier": "growing",
        "contact_name": "林海峰",
        "contact_phone": "13858817690",
        "legal_representative": "林海峰",
        "members": [{"email": "linhaifeng@demo.qingqinchou.cn", "name": "林海峰"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "tongxing",
        "name": "瓯海区阳光同行助残服务中心",
        "uscc_prefix": "52330304MJJJPN5TX",
        "district": "瓯海区",
        "community": "娄桥街道",
        "founded_year": 2016,
        "business_areas": ["disability", "employment"],
        "description": (
            "中心为18至35岁的智力障碍和肢体残障青年提供职业康复和支持性就业服务，运营一家烘焙实训坊和一间手工坊。"
            "中心与区残联、辖区企业合作开发庇护性岗位，已帮助37名残障青年实现稳定就业。"
            "中心坚持「不是照顾，而是同行」的理念。"
        ),
        "grade": "A3",
        "grade_valid_until": "2027-09-30",
        "tier": "demonstration",
        "contact_name": "黄雨桐",
        "contact_phone": "18758706431",
        "legal_representative": "黄雨桐",
        "members": [{"email": "huangyutong@demo.qingqinchou.cn", "name": "黄雨桐"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "xingyu",
        "name": "瑞安市星语孤独症家庭支持中心",
        "uscc_prefix": "52330381MJ1KLDHN6",
        "district": "瑞安市",
        "community": "安阳街道",
        "founded_year": 2019,
        "business_areas": ["disability", "children", "health"],
        "description": (
            "中心由几位孤独症儿童的家长和康复师共同发起，为瑞安及周边的孤独症儿童家庭提供康复训练指导、家长互助和喘息服务。"
            "中心目前服务孤独症家庭180余户，每周开设融合游戏小组和家长课堂。"
            "中心还走进社区和学校，推动更多人了解、接纳「星星的孩子」。"
        ),
        "grade": None,
        "grade_valid_until": None,
        "tier": "growing",
        "contact_name": "孙静怡",
        "contact_phone": "13567703958",
        "legal_representative": "孙静怡",
        "members": [{"email": "sunjingyi@demo.qingqinchou.cn", "name": "孙静怡"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "kechuang",
        "name": "龙湾区少年科创科普服务中心",
        "uscc_prefix": "52330303MJ4BA5Y28",
        "district": "龙湾区",
        "community": "永中街道",
        "founded_year": 2018,
        "business_areas": ["science", "education"],
        "description": (
            "中心由一批理工科背景的青年工程师和教师创办，专注青少年科学普及和创客教育。"
            "中心自主研发了30余套科学实验课程，拥有一辆流动科普大篷车，常年走进社区和农村学校开展科普活动。"
            "中心与区科协合作开展「科普进社区」活动，每年服务青少年超过1万人次。"
        ),
        "grade": "A2",
        "grade_valid_until": "2027-10-31",
        "tier": "growing",
        "contact_name": "朱明远",
        "contact_phone": "15888213076",
        "legal_representative": "朱明远",
        "members": [{"email": "zhumingyuan@demo.qingqinchou.cn", "name": "朱明远"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "diming",
        "name": "鹿城区瓯越地名文化研究会",
        "uscc_prefix": "51330302MJEXPB757",
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "founded_year": 2017,
        "business_areas": ["culture", "community"],
        "description": (
            "研究会由一批热爱温州历史的青年教师、规划师和摄影爱好者组成，致力于老地名的勘察、记录和传承。"
            "研究会曾承接区里地名勘察类政府购买服务项目，完成鹿城老城区240余条街巷的地名考证和口述采访。"
            "研究会定期组织「城市漫步」活动，带领市民重走老街巷。"
        ),
        "grade": None,
        "grade_valid_until": None,
        "tier": "growing",
        "contact_name": "季文澜",
        "contact_phone": "13777712849",
        "legal_representative": "季文澜",
        "members": [{"email": "jiwenlan@demo.qingqinchou.cn", "name": "季文澜"}],
        "verification": "verified",
        "rejection_reason": None,
    },
    {
        "key": "liushi",
        "name": "乐清市柳市青年志愿者协会",
        "uscc_prefix": "51330382MJ2PMQMH6",
        "district": "乐清市",
        "community": "柳市镇",
        "founded_year": 2021,
        "business_areas": ["community", "emergency", "employment"],
        "description": (
            "协会由柳市镇电器企业的青年员工自发组建，现有注册志愿者600余人。"
            "协会主要开展新居民融入、工业区消防安全宣传和青年职工技能互助活动。"
            "协会刚刚完成登记，正在申请入驻青亲筹平台。"
        ),
        "grade": None,
        "grade_valid_until": None,
        "tier": None,
        "contact_name": "叶柳青",
        "contact_phone": "18069771365",
        "legal_representative": "叶柳青",
        "members": [{"email": "yeliuqing@demo.qingqinchou.cn", "name": "叶柳青"}],
        "verification": "pending",
        "rejection_reason": None,
    },
    {
        "key": "qinghe",
        "name": "苍南县青禾助学服务中心",
        "uscc_prefix": "52330327MJ4FEYHC6",
        "district": "苍南县",
        "community": "灵溪镇",
        "founded_year": 2023,
        "business_areas": ["education", "children"],
        "description": (
            "青禾助学服务中心由一群返乡工作的青年教师发起，关注苍南山区和海边乡镇的留守儿童学业。"
            "中心组织大学生志愿者开展周末线上辅导和寒暑假支教。"
            "中心成立时间不长，希望借助平台找到长期合作的爱心企业。"
        ),
        "grade": None,
        "grade_valid_until": None,
        "tier": None,
        "contact_name": "陈禾",
        "contact_phone": "13732087419",
        "legal_representative": "陈禾",
        "members": [{"email": "chenhe@demo.qingqinchou.cn", "name": "陈禾"}],
        "verification": "pending",
        "rejection_reason": None,
    },
    {
        "key": "nantian",
        "name": "文成县南田青年乡村振兴服务中心",
        "uscc_prefix": "52330328MJCFM42X9",
        "district": "文成县",
        "community": "南田镇",
        "founded_year": 2022,
        "business_areas": ["community", "culture"],
        "description": (
            "中心由南田镇的返乡青年创办，围绕刘基故里的历史文化开展乡村研学和青年创业服务。"
            "中心组织大学生暑期实践团队，协助村里整理村史、设计文创产品。"
            "中心希望把更多年轻人留在乡村。"
        ),
        "grade": None,
        "grade_valid_until": None,
        "tier": None,
        "contact_name": "刘思源",
        "contact_phone": "15158726903",
        "legal_representative": "刘思源",
        "members": [{"email": "liusiyuan@demo.qingqinchou.cn", "name": "刘思源"}],
        "verification": "rejected",
        "rejection_reason": (
            "上传的《民办非企业单位登记证书》副本已超过有效期，且证书上的统一社会信用代码与填写的代码不一致。"
            "请上传最新的登记证书副本和法定代表人身份证明后重新提交认证。"
        ),
    },
]

# --------------------------------------------------------------------------------------------
# Sponsors (爱心企业); all names are fictional
# --------------------------------------------------------------------------------------------

COMPANIES: list[dict] = [
    {
        "key": "oujiang",
        "name": "温州瓯江鞋业有限公司",
        "uscc_prefix": "91330302460348761",
        "district": "鹿城区",
        "industry": "鞋业",
        "focus_categories": ["children", "education", "employment"],
        "districts_of_interest": ["鹿城区", "瓯海区"],
        "yearly_budget_yuan": 300000,
        "description": (
            "公司创办于2003年，位于鹿城区双屿鞋都产业园，主营男女皮鞋的设计与制造，员工1200余人，其中外来务工人员约占七成。"
            "公司长期关注员工子女的教育问题，愿意支持鞋都周边社区的课后托管和职业技能培训项目。"
        ),
        "contact_name": "陈志强",
        "contact_phone": "13906618820",
        "members": [
            {"email": "company@demo.qingqinchou.cn", "name": "陈志强"},
            {"email": "lixiaomei@demo.qingqinchou.cn", "name": "李小梅"},
        ],
        "verification": "verified",
    },
    {
        "key": "mingrui",
        "name": "温州明睿眼镜有限公司",
        "uscc_prefix": "91330304784111154",
        "district": "瓯海区",
        "industry": "眼镜制造",
        "focus_categories": ["health", "children", "disability"],
        "districts_of_interest": ["瓯海区", "鹿城区", "瑞安市"],
        "yearly_budget_yuan": 150000,
        "description": (
            "公司2009年成立于瓯海眼镜产业集聚区，主营光学镜架和太阳镜出口。"
            "公司每年开展「明眸护苗」公益行动，为中小学生免费检查视力，希望资助儿童健康、视力保护和助残类项目。"
        ),
        "contact_name": "吴思敏",
        "contact_phone": "13588930417",
        "members": [{"email": "wusimin@demo.qingqinchou.cn", "name": "吴思敏"}],
        "verification": "verified",
    },
    {
        "key": "liuchuan",
        "name": "浙江柳川电气股份有限公司",
        "uscc_prefix": "91330382044432921",
        "district": "乐清市",
        "industry": "低压电器",
        "focus_categories": ["science", "emergency", "environment", "employment"],
        "districts_of_interest": ["乐清市", "永嘉县", "洞头区", "鹿城区", "瓯海区", "泰顺县"],
        "yearly_budget_yuan": 500000,
        "description": (
            "公司是乐清柳市的低压电器制造企业，产品包括断路器、接触器和智能配电设备。"
            "公司设立青年公益基金，重点支持青少年科普、应急救援和环保项目，并鼓励员工参与志愿服务，员工每年志愿服务时长超过3000小时。"
        ),
        "contact_name": "郑国栋",
        "contact_phone": "13957712086",
        "members": [
            {"email": "zhengguodong@demo.qingqinchou.cn", "name": "郑国栋"},
            {"email": "yehanwen@demo.qingqinchou.cn", "name": "叶涵雯"},
        ],
        "verification": "verified",
    },
    {
        "key": "ouxin",
        "name": "温州瓯信商业银行股份有限公司五马支行",
        "uscc_prefix": "91330302MA2E5HYP8",
        "district": "鹿城区",
        "industry": "银行",
        "focus_categories": ["elderly", "community", "culture", "assistance"],
        "districts_of_interest": ["鹿城区"],
        "yearly_budget_yuan": 200000,
        "description": (
            "五马支行地处鹿城老城区，服务周边居民和个体工商户。"
            "支行团支部常年开展「金融助老」志愿服务，为老年人讲解防范电信诈骗知识。"
            "支行希望通过青亲筹平台长期资助五马、南汇等街道的敬老和社区文化项目，对公转账支付并需要捐赠票据。"
        ),
        "contact_name": "徐文博",
        "contact_phone": "18968853201",
        "members": [{"email": "xuwenbo@demo.qingqinchou.cn", "name": "徐文博"}],
        "verification": "verified",
    },
    {
        "key": "feiyun",
        "name": "温州飞云乳业有限公司",
        "uscc_prefix": "91330381526951978",
        "district": "瑞安市",
        "industry": "乳制品",
        "focus_categories": ["children", "elderly", "health"],
        "districts_of_interest": ["瑞安市", "鹿城区", "洞头区"],
        "yearly_budget_yuan": 120000,
        "description": (
            "公司是瑞安的一家乳制品企业，拥有自有牧场和低温奶生产线，产品覆盖温州各县市区。"
            "公司长期为社区敬老活动和儿童营养项目捐赠牛奶，愿意以「现金+物资」相结合的方式支持健康服务类项目。"
        ),
        "contact_name": "蔡雨航",
        "contact_phone": "13858762094",
        "members": [{"email": "caiyuhang@demo.qingqinchou.cn", "name": "蔡雨航"}],
        "verification": "verified",
    },
    {
        "key": "luming",
        "name": "浙江鹿鸣文具有限公司",
        "uscc_prefix": "91330303MA25BKMP4",
        "district": "龙湾区",
        "industry": "文具",
        "focus_categories": ["education", "children", "culture", "science"],
        "districts_of_interest": ["龙湾区", "鹿城区", "文成县", "泰顺县"],
        "yearly_budget_yuan": 80000,
        "description": (
            "公司位于龙湾，生产中性笔、笔记本和学生美术用品，产品销往全国。"
            "公司设立「一支笔」助学计划，每学期向山区学校捐赠学习用品，愿意资助阅读推广、科普和课后服务类项目，也可提供文具等实物支持。"
        ),
        "contact_name": "麻晓东",
        "contact_phone": "15057703318",
        "members": [{"email": "maxiaodong@demo.qingqinchou.cn", "name": "麻晓东"}],
        "verification": "verified",
    },
    {
        "key": "nanxi",
        "name": "永嘉县楠溪泵阀有限公司",
        "uscc_prefix": "91330324108362329",
        "district": "永嘉县",
        "industry": "泵阀制造",
        "focus_categories": ["environment", "emergency", "assistance", "children"],
        "districts_of_interest": ["永嘉县", "鹿城区", "洞头区"],
        "yearly_budget_yuan": 100000,
        "description": (
            "公司位于瓯北泵阀产业基地，主营工业阀门和水泵，是永嘉本地成长起来的民营企业。"
            "公司负责人是永嘉县义工协会的老会员，公司长期支持楠溪江保护、留守儿童关爱和应急救援物资储备。"
        ),
        "contact_name": "戴振华",
        "contact_phone": "13736298105",
        "members": [{"email": "daizhenhua@demo.qingqinchou.cn", "name": "戴振华"}],
        "verification": "verified",
    },
    {
        "key": "xinlan",
        "name": "龙港市新澜印刷包装有限公司",
        "uscc_prefix": "91330383MA2GTHN65",
        "district": "龙港市",
        "industry": "印刷包装",
        "focus_categories": ["culture", "education", "environment"],
        "districts_of_interest": ["龙港市", "苍南县", "平阳县"],
        "yearly_budget_yuan": 60000,
        "description": (
            "公司是龙港的印刷包装企业，主营环保纸质包装和书刊印刷。"
            "公司刚刚注册青亲筹账号，希望以印刷物资和现金相结合的方式支持阅读推广和环保宣传项目。"
        ),
        "contact_name": "杨振涛",
        "contact_phone": "18857790562",
        "members": [{"email": "yangzhentao@demo.qingqinchou.cn", "name": "杨振涛"}],
        "verification": "pending",
    },
]

# --------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------

PROJECTS: list[dict] = [
    # ---- published (筹款中) ----------------------------------------------------------------
    {
        "key": "haihui_meals",
        "organization": "haihui",
        "title": "「银龄食堂」五马街道独居老人助餐计划",
        "summary": "为五马街道40位独居、高龄老人提供一年的工作日午餐配送，志愿者送餐的同时上门探访，及时发现老人的健康异常。",
        "description": (
            "## 项目背景\n\n"
            "五马街道是鹿城最老的城区之一，60岁以上老人占户籍人口近三成，其中不少人的子女在外地工作。社区走访发现，有40多位独居老人经常一天只吃一顿热饭，腿脚不便的老人连下楼买菜都困难。\n\n"
            "## 我们要做什么\n\n"
            "与社区老年食堂合作，每个工作日为40位老人配送营养午餐。送餐志愿者每天和老人聊几句，记录身体和情绪变化，发现异常当天联系社区和家属。每月为当月过生日的老人举办一次集体生日会。\n\n"
            "## 资金用途\n\n"
            "- 餐费补贴（每餐补5元 × 40人 × 250天）：50,000 元\n"
            "- 保温餐箱与送餐电动车维护：8,000 元\n"
            "- 志愿者交通补贴与意外保险：12,000 元\n"
            "- 集体生日会与健康讲座：10,000 元\n"
        ),
        "category": "elderly",
        "tags": ["助餐", "独居老人", "五马街道"],
        "district": "鹿城区",
        "community": "五马街道五马社区",
        "goal_yuan": 80000,
        "funding_model": "keep_it_all",
        "beneficiaries": 40,
        "deadline_days": 25,
        "status": "published",
        "return_reason": None,
        "featured": True,
        "pledges": [
            {"company": "ouxin", "amount_yuan": 30000, "days_ago": 18},
            {"company": "oujiang", "amount_yuan": 20000, "days_ago": 9},
        ],
    },
    {
        "key": "qingshe_four_oclock",
        "organization": "qingshe",
        "title": "「四点钟课堂」外来务工子女课后托管",
        "summary": "鞋都社区的许多父母在鞋厂加班到深夜，孩子放学后无人照看。项目为60名外来务工人员子女提供一学年的课后托管和作业辅导。",
        "description": (
            "## 项目背景\n\n"
            "双屿街道鞋都社区聚集了上百家制鞋企业，外来务工人员超过两万人。下午四点孩子放学，父母却要在车间忙到晚上八九点，不少孩子独自在出租屋里看手机，甚至在工业区的马路边玩耍。\n\n"
            "## 我们要做什么\n\n"
            "在社区「格子铺」开设「四点钟课堂」，周一至周五16:00–19:00由专职社工和大学生志愿者陪伴孩子完成作业，开展阅读、手工和安全教育。为每个家庭建立成长档案，每学期召开一次家长会。\n\n"
            "## 资金用途\n\n"
            "- 专职社工补贴（2人 × 10个月）：60,000 元\n"
            "- 大学生志愿者交通与餐补：24,000 元\n"
            "- 教室桌椅、图书与学习用品：18,000 元\n"
            "- 晚间点心（60人 × 200天）：18,000 元\n"
        ),
        "category": "children",
        "tags": ["四点钟课堂", "外来务工子女", "课后托管", "鞋都"],
        "district": "鹿城区",
        "community": "双屿街道鞋都社区",
        "goal_yuan": 120000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 60,
        "deadline_days": 6,
        "status": "published",
        "return_reason": None,
        "featured": True,
        "pledges": [
            {"company": "oujiang", "amount_yuan": 60000, "days_ago": 30},
            {"company": "liuchuan", "amount_yuan": 30000, "days_ago": 21},
            {"company": "luming", "amount_yuan": 12000, "days_ago": 4},
        ],
    },
    {
        "key": "teddy_kindergartens",
        "organization": "teddy",
        "title": "「泰迪熊医院」幼儿园儿童健康启蒙课堂",
        "summary": "医学生志愿者带着「玩偶医院」走进20所幼儿园，让孩子给自己的毛绒玩具「看病」，在游戏中学习健康知识，不再害怕医院。",
        "description": (
            "## 项目背景\n\n"
            "很多孩子一提到医院就哭闹，打针、看牙更是难上加难。家长和老师也希望有人用孩子听得懂的方式讲卫生知识。过去三年，泰迪熊医院走进了60多所幼儿园，预约名单已经排到了明年。\n\n"
            "## 我们要做什么\n\n"
            "本期走进鹿城20所普惠性幼儿园，每所开展半天活动：孩子带上毛绒玩具「挂号、问诊、拍片、包扎」，再由志愿者讲解洗手、刷牙和用眼卫生。每所幼儿园留下一套健康绘本和洗手示范挂图。\n\n"
            "## 资金用途\n\n"
            "- 玩偶医院道具与医疗模型：12,000 元\n"
            "- 健康绘本与挂图（20套）：8,000 元\n"
            "- 志愿者培训与保险（80人）：9,600 元\n"
            "- 交通与活动耗材：6,400 元\n"
        ),
        "category": "health",
        "tags": ["泰迪熊医院", "健康教育", "幼儿园"],
        "district": "鹿城区",
        "community": "松台街道广场路社区",
        "goal_yuan": 36000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 3000,
        "deadline_days": 40,
        "status": "published",
        "return_reason": None,
        "featured": True,
        "pledges": [
            {"company": "mingrui", "amount_yuan": 10000, "days_ago": 12},
            {"company": "feiyun", "amount_yuan": 4400, "days_ago": 3},
        ],
    },
    {
        "key": "angel_volunteer_camp",
        "organization": "angel",
        "title": "「公益小天使」小小志愿者成长营",
        "summary": "招募200名中小学生组成「公益小天使」志愿队，在葡萄社区开展一学期的垃圾分类引导、敬老探访和文明劝导活动。",
        "description": (
            "## 项目背景\n\n"
            "「公益小天使」已经持续开展八年。家长们反映，孩子参加志愿服务后更懂得体谅他人，但很多活动只是「一次性打卡」，缺少系统的培训和反思。\n\n"
            "## 我们要做什么\n\n"
            "以葡萄社区「格子铺」为基地，把200名中小学生分成10支小队，每支小队配一名青年导师。每月完成一次主题服务：垃圾分类引导、看望社区老人、文明劝导和社区小导游。学期末举办成果分享会，评选「星级小天使」。\n\n"
            "## 资金用途\n\n"
            "- 青年导师培训与补贴：9,000 元\n"
            "- 志愿者马甲、帽子与保险：7,000 元\n"
            "- 服务活动物资：5,000 元\n"
            "- 成果分享会：4,000 元\n"
        ),
        "category": "youth",
        "tags": ["公益小天使", "志愿服务", "青少年成长"],
        "district": "鹿城区",
        "community": "南汇街道葡萄社区",
        "goal_yuan": 25000,
        "funding_model": "keep_it_all",
        "beneficiaries": 200,
        "deadline_days": 60,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "huangdao_book_corners",
        "organization": "huangdao",
        "title": "葡萄社区「荒岛图书角」共建计划",
        "summary": "在葡萄社区的公园、社区食堂和老旧小区楼道新建6个共享图书角，由居民志愿者管理，让老人和孩子下楼就能借到书。",
        "description": (
            "## 项目背景\n\n"
            "荒岛图书社入驻葡萄社区「格子铺」以来，已承接社区12个服务项目。居民反映，社区图书室开放时间有限，带孩子的家长和行动不便的老人很难按时去借书。\n\n"
            "## 我们要做什么\n\n"
            "在社区公园、社区食堂、三个老旧小区的楼道和社区卫生服务站各建1个共享图书角，每处配书300册，由居民「角长」负责日常整理。每月在图书角举办一次亲子共读或读书分享会，每季度更新一批图书。\n\n"
            "## 资金用途\n\n"
            "- 防潮书柜定制与安装（6个）：9,000 元\n"
            "- 新书采购（1,800册）：15,000 元\n"
            "- 读书会活动物资：3,600 元\n"
            "- 角长培训与图书保养：2,400 元\n"
        ),
        "category": "culture",
        "tags": ["图书角", "全民阅读", "格子铺"],
        "district": "鹿城区",
        "community": "南汇街道葡萄社区",
        "goal_yuan": 30000,
        "funding_model": "keep_it_all",
        "beneficiaries": 3000,
        "deadline_days": 12,
        "status": "published",
        "return_reason": None,
        "featured": True,
        "pledges": [
            {"company": "luming", "amount_yuan": 8500, "days_ago": 25},
            {"company": "ouxin", "amount_yuan": 20000, "days_ago": 10},
        ],
    },
    {
        "key": "yjgreen_oujiang_river",
        "organization": "yjgreen",
        "title": "「守护瓯江」瓯北段河岸垃圾清理与水质监测",
        "summary": "组织80名青年「河小二」每月两次清理瓯江瓯北段岸线垃圾，在6个入江口开展水质监测，监测数据每月向社会公开。",
        "description": (
            "## 项目背景\n\n"
            "瓯江流经永嘉瓯北，沿岸有码头、农贸市场和大片居民区。汛期过后，岸线和滩涂上常堆积塑料瓶、泡沫和废弃渔网，部分支流入江口的水质时好时坏，居民希望有人长期盯着。\n\n"
            "## 我们要做什么\n\n"
            "组建80人的青年「河小二」巡河队，每月两次清理约5公里岸线。在6个入江口设置监测点，用便携设备记录pH、溶解氧和氨氮数据，按月在「志愿汇」和公众号公开。同时走进沿江3所学校开设护水课堂。\n\n"
            "## 资金用途\n\n"
            "- 便携水质检测仪与试剂：16,000 元\n"
            "- 清理工具、手套与垃圾转运：9,000 元\n"
            "- 志愿者意外保险与救生衣：8,000 元\n"
            "- 护水课堂教材与展板：6,000 元\n"
            "- 数据整理与年度报告印制：6,000 元\n"
        ),
        "category": "environment",
        "tags": ["瓯江", "河道保护", "水质监测"],
        "district": "永嘉县",
        "community": "瓯北街道",
        "goal_yuan": 45000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 15000,
        "deadline_days": 35,
        "status": "published",
        "return_reason": None,
        "featured": True,
        "pledges": [
            {"company": "nanxi", "amount_yuan": 15000, "days_ago": 14},
            {"company": "liuchuan", "amount_yuan": 7500, "days_ago": 6},
        ],
    },
    {
        "key": "haixia_drowning",
        "organization": "haixia",
        "title": "「海岛少年」防溺水安全教育进校园",
        "summary": "救援队员走进洞头12所中小学开设防溺水课堂和岸上急救演练，并在海边高风险水域设置警示牌和救生圈。",
        "description": (
            "## 项目背景\n\n"
            "洞头是海岛区，孩子们从小在海边长大，夏天下海游泳、在礁石上捡螺的情况很普遍。近年来周边县市几乎每年都有学生溺水事故，学校和家长迫切希望开展更实用的防溺水教育。\n\n"
            "## 我们要做什么\n\n"
            "在12所中小学各开展2课时防溺水课堂，讲解离岸流、涨潮和礁石风险，由救援队员示范心肺复苏和岸上施救。在20处无人看管的海湾和水塘设置警示牌和救生圈，暑假期间组织队员周末巡查。\n\n"
            "## 资金用途\n\n"
            "- 警示牌制作与安装（20处）：8,000 元\n"
            "- 救生圈、救生绳与存放箱：7,000 元\n"
            "- 急救训练模型人（4套）：6,000 元\n"
            "- 课程教材与队员交通：7,000 元\n"
        ),
        "category": "emergency",
        "tags": ["防溺水", "海岛", "安全教育"],
        "district": "洞头区",
        "community": "北岙街道",
        "goal_yuan": 28000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 5000,
        "deadline_days": 5,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "ouxin", "amount_yuan": 12000, "days_ago": 20},
            {"company": "feiyun", "amount_yuan": 7600, "days_ago": 2},
        ],
    },
    {
        "key": "tongxing_bakery",
        "organization": "tongxing",
        "title": "「同行工坊」残障青年烘焙就业实训",
        "summary": "扩建烘焙实训坊，为30名智力障碍和肢体残障青年提供烘焙技能培训，并对接企业食堂、社区咖啡馆的支持性就业岗位。",
        "description": (
            "## 项目背景\n\n"
            "瓯海区登记在册的18至35岁残障青年有1,100多人，大多数人毕业后只能待在家里，家长最大的担忧是「我们老了，孩子怎么办」。中心现有的烘焙坊只能容纳8名学员，等待名单上还有40多个家庭。\n\n"
            "## 我们要做什么\n\n"
            "改造120平方米实训场地，新增两条烘焙操作线。分两期招收30名学员，每期3个月，由专业烘焙师和就业辅导员一对一带教。结业后协助学员到企业食堂、社区咖啡馆上岗，并提供6个月的在岗跟踪辅导。\n\n"
            "## 资金用途\n\n"
            "- 实训场地无障碍改造：40,000 元\n"
            "- 烤箱、醒发箱等烘焙设备：45,000 元\n"
            "- 烘焙师与就业辅导员补贴：42,000 元\n"
            "- 学员原料与考证费用：15,000 元\n"
            "- 学员交通补贴：8,000 元\n"
        ),
        "category": "disability",
        "tags": ["残障就业", "烘焙实训", "支持性就业"],
        "district": "瓯海区",
        "community": "娄桥街道",
        "goal_yuan": 150000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 30,
        "deadline_days": 70,
        "status": "published",
        "return_reason": None,
        "featured": True,
        "pledges": [
            {"company": "liuchuan", "amount_yuan": 30000, "days_ago": 8},
        ],
    },
    {
        "key": "xingyu_respite",
        "organization": "xingyu",
        "title": "「星星的孩子」孤独症儿童家庭喘息服务",
        "summary": "每周六为孤独症儿童开设融合游戏小组，由康复师和志愿者照看孩子，让长期疲惫的父母获得半天休息，并参加家长互助课堂。",
        "description": (
            "## 项目背景\n\n"
            "孤独症（自闭症）儿童需要长期、高强度的照护，很多妈妈辞去工作全职陪伴，几年下来身心俱疲。我们的家长调查显示，超过六成的家长一年里几乎没有完整休息过一天。\n\n"
            "## 我们要做什么\n\n"
            "全年开设45期周六「喘息时间」，每期由2名康复师和8名受训志愿者照看20名孩子，开展感统游戏和社交小组；同一时间为家长提供心理减压课堂或自由休息。每季度组织一次亲子户外活动，邀请普通家庭参加，促进社区接纳。\n\n"
            "## 资金用途\n\n"
            "- 康复师服务费（45期）：40,500 元\n"
            "- 志愿者培训与保险：12,000 元\n"
            "- 感统教具与场地布置：18,000 元\n"
            "- 家长心理减压课堂：12,000 元\n"
            "- 亲子户外活动（4次）：7,500 元\n"
        ),
        "category": "disability",
        "tags": ["孤独症", "自闭症", "家庭支持", "喘息服务"],
        "district": "瑞安市",
        "community": "安阳街道",
        "goal_yuan": 90000,
        "funding_model": "keep_it_all",
        "beneficiaries": 60,
        "deadline_days": 45,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "mingrui", "amount_yuan": 20000, "days_ago": 15},
            {"company": "feiyun", "amount_yuan": 11500, "days_ago": 5},
        ],
    },
    {
        "key": "kechuang_science_caravan",
        "organization": "kechuang",
        "title": "「科学小达人」流动科普大篷车进社区",
        "summary": "科普大篷车一年走进龙湾30个社区和村居，开展动手实验、显微镜观察和机器人体验，让孩子在家门口玩科学。",
        "description": (
            "## 项目背景\n\n"
            "龙湾区外来人口多，不少城中村和安置小区的孩子很少有机会去科技馆。中心的科普大篷车去年试运行10场，每场都有两三百名孩子和家长排队参加。\n\n"
            "## 我们要做什么\n\n"
            "全年开展30场社区科普日，每场设置水火箭、电路积木、显微镜观察和编程机器人4个体验区，由青年工程师志愿者带领。每场结束后给孩子发放「家庭实验包」，鼓励他们回家和父母一起完成小实验。\n\n"
            "## 资金用途\n\n"
            "- 实验器材更新与维护：12,000 元\n"
            "- 家庭实验包（1,500份）：15,000 元\n"
            "- 大篷车燃油与保险：8,000 元\n"
            "- 志愿者补贴：5,000 元\n"
        ),
        "category": "science",
        "tags": ["科普", "动手实验", "大篷车"],
        "district": "龙湾区",
        "community": "永中街道",
        "goal_yuan": 40000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 6000,
        "deadline_days": 55,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "luming", "amount_yuan": 4000, "days_ago": 3},
        ],
    },
    {
        "key": "yilifang_campus_incubator",
        "organization": "yilifang",
        "title": "「大学生公益创业园」青年社创项目孵化营",
        "summary": "与温州高校共建大学生社会组织创业园，遴选15个大学生公益创业团队，提供6个月的导师辅导、种子资金和社区落地机会。",
        "description": (
            "## 项目背景\n\n"
            "每年都有不少大学生带着好点子参加公益创投，但毕业后团队很快解散，缺导师、缺场地、缺第一笔钱是最常见的原因。团区委已与多所高校签订共建大学生社会组织创业园的协议。\n\n"
            "## 我们要做什么\n\n"
            "在茶山高教园区设立创业园工作站，公开遴选15个团队，开设12次「青苗」工作坊，内容包括社会组织登记、项目设计、财务规范和公益营销。为每个团队配一名资深社会组织负责人作导师，并对接一个社区试点。结营时举办路演，优秀团队可入驻「众益空间」。\n\n"
            "## 资金用途\n\n"
            "- 种子资金（15个团队 × 6,000元）：90,000 元\n"
            "- 导师辅导与工作坊讲师费：48,000 元\n"
            "- 工作站场地布置与办公设备：30,000 元\n"
            "- 社区试点活动经费：20,000 元\n"
            "- 结营路演：12,000 元\n"
        ),
        "category": "employment",
        "tags": ["大学生创业", "社会创业", "青苗培训"],
        "district": "瓯海区",
        "community": "茶山街道",
        "goal_yuan": 200000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 90,
        "deadline_days": 80,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "liuchuan", "amount_yuan": 60000, "days_ago": 40},
            {"company": "ouxin", "amount_yuan": 30000, "days_ago": 11},
        ],
    },
    {
        "key": "diming_old_street_names",
        "organization": "diming",
        "title": "「寻找老地名」鹿城街巷地名文化勘察",
        "summary": "组织青年志愿者走访鹿城老城区80条街巷，采访老居民、拍摄影像、考证地名由来，制作线上地名地图和街巷铭牌二维码。",
        "description": (
            "## 项目背景\n\n"
            "随着旧城改造，许多承载温州记忆的老地名正在消失，知道「墨池」「谯楼」「百里坊」由来的老人也越来越少。研究会此前完成了240条街巷的初步考证，但大部分资料还没有整理公开。\n\n"
            "## 我们要做什么\n\n"
            "招募40名青年志愿者，分组走访五马、松台等街道的80条街巷，每条街巷完成一次老居民口述采访和一组影像记录。整理后制作线上地名地图，并在街巷铭牌旁张贴二维码，市民扫码就能听到地名故事。\n\n"
            "## 资金用途\n\n"
            "- 口述采访与影像拍摄：12,000 元\n"
            "- 线上地图开发与维护：10,000 元\n"
            "- 二维码铭牌制作（80块）：6,400 元\n"
            "- 志愿者培训与交通：3,600 元\n"
        ),
        "category": "culture",
        "tags": ["地名文化", "城市记忆", "口述史"],
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "goal_yuan": 32000,
        "funding_model": "keep_it_all",
        "beneficiaries": 20000,
        "deadline_days": 50,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "yjvolunteer_summer_camp",
        "organization": "yjvolunteer",
        "title": "「春芽计划」楠溪江山区留守儿童暑期夏令营",
        "summary": "在岩头镇为120名留守和流动儿童举办为期三周的暑期夏令营，开展安全教育、课业辅导、自然探索和亲情视频连线。",
        "description": (
            "## 项目背景\n\n"
            "永嘉楠溪江流域的山区村庄里，不少孩子的父母在外地经商务工，暑假是孩子最孤单、也最容易发生意外的时候。协会已连续四年举办留守儿童夏令营，该项目曾获「春芽计划」资助。\n\n"
            "## 我们要做什么\n\n"
            "明年暑假在岩头镇中心小学开设三周夏令营：每天上午由大学生志愿者辅导暑假作业，下午开展防溺水、防性侵安全课和楠溪江自然探索。每周安排一次与在外父母的视频连线，结营时举办汇报演出，邀请家长回乡观看。\n\n"
            "## 资金用途\n\n"
            "- 志愿者食宿与交通（30人 × 21天）：25,200 元\n"
            "- 儿童午餐（120人 × 15天）：18,000 元\n"
            "- 教材、文具与活动物资：7,800 元\n"
            "- 意外保险与安全用品：5,000 元\n"
        ),
        "category": "children",
        "tags": ["留守儿童", "夏令营", "春芽计划"],
        "district": "永嘉县",
        "community": "岩头镇",
        "goal_yuan": 56000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 120,
        "deadline_days": 18,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "nanxi", "amount_yuan": 20000, "days_ago": 22},
            {"company": "oujiang", "amount_yuan": 16400, "days_ago": 7},
        ],
    },
    {
        "key": "hongling_emergency_drills",
        "organization": "hongling",
        "title": "「红铃铛」社区邻里应急演练与急救培训",
        "summary": "在广化街道6个老旧小区开展消防疏散演练和急救培训，培养120名持证「邻里急救员」，并为每个小区配备应急箱。",
        "description": (
            "## 项目背景\n\n"
            "广化街道老旧小区多、独居老人多，楼道堆物、电动车入户充电的现象屡禁不止。去年一处小区楼道起火，邻居们手忙脚乱，暴露出居民应急知识的不足。\n\n"
            "## 我们要做什么\n\n"
            "联合辖区消防站和红十字会，在6个小区各开展一次夜间疏散演练；分批组织120名居民参加红十字救护员培训并考取证书；为每个小区配备应急箱，由楼道长负责定期检查和更新。\n\n"
            "## 资金用途\n\n"
            "- 救护员培训与考证费（120人）：9,600 元\n"
            "- 小区应急箱（6套）：4,800 元\n"
            "- 演练道具与宣传物料：3,600 元\n"
        ),
        "category": "emergency",
        "tags": ["应急演练", "急救培训", "老旧小区"],
        "district": "鹿城区",
        "community": "广化街道广化社区",
        "goal_yuan": 18000,
        "funding_model": "keep_it_all",
        "beneficiaries": 3600,
        "deadline_days": 30,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "ouxin", "amount_yuan": 5400, "days_ago": 9},
        ],
    },
    {
        "key": "cuican_micro_wishes",
        "organization": "cuican",
        "title": "「点亮微心愿」困境儿童新年微心愿认领",
        "summary": "收集鹿城100名困境儿童的新年微心愿，如一双合脚的运动鞋、一套课外书，筹款统一采购，由志愿者在春节前上门送达并陪伴。",
        "description": (
            "## 项目背景\n\n"
            "中心长期结对的困境儿童中，有孤儿、事实无人抚养儿童和低保家庭的孩子。他们的心愿往往很朴素：一个新书包、一件羽绒服、一次去科技馆的机会。\n\n"
            "## 我们要做什么\n\n"
            "由社工上门收集100个心愿，逐一核实家庭情况后在平台公开（隐去个人信息）。筹得善款后统一采购，春节前由志愿者上门送达，并为每个孩子安排一次陪伴活动，了解近况、更新成长档案。\n\n"
            "## 资金用途\n\n"
            "- 心愿物品采购（100份，平均120元）：12,000 元\n"
            "- 上门走访交通：1,800 元\n"
            "- 陪伴活动与新年联欢：1,200 元\n"
        ),
        "category": "assistance",
        "tags": ["微心愿", "困境儿童", "新年"],
        "district": "鹿城区",
        "community": "蒲鞋市街道蒲鞋市社区",
        "goal_yuan": 15000,
        "funding_model": "keep_it_all",
        "beneficiaries": 100,
        "deadline_days": 7,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "feiyun", "amount_yuan": 3000, "days_ago": 16},
            {"company": "luming", "amount_yuan": 2250, "days_ago": 10},
            {"company": "mingrui", "amount_yuan": 3000, "days_ago": 1},
        ],
    },
    {
        "key": "sanleting_rest_stops",
        "organization": "sanleting",
        "title": "三乐亭「爱心驿站」户外劳动者歇脚点",
        "summary": "在滨江街道新建2个爱心驿站，为环卫工人、外卖骑手和快递员提供热水、充电、应急药品和冬季姜茶，全年开放。",
        "description": (
            "## 项目背景\n\n"
            "滨江商务区写字楼林立，环卫工人和外卖骑手却找不到一个能喝口热水、歇歇脚的地方。三乐亭现有的驿站每天接待户外劳动者200多人次，附近不少商户也愿意提供场地。\n\n"
            "## 我们要做什么\n\n"
            "与两家沿街商户合作新建2个驿站，配备饮水机、充电柜、微波炉和应急药箱；冬季每天供应姜茶，夏季供应绿豆汤。驿站由周边居民和商户志愿者轮值，每月统计使用情况并向捐赠方公开。\n\n"
            "## 资金用途\n\n"
            "- 饮水机、充电柜等设施：9,000 元\n"
            "- 应急药品与冬夏饮品：7,000 元\n"
            "- 驿站标识与座椅：4,000 元\n"
            "- 志愿者保险：2,000 元\n"
        ),
        "category": "community",
        "tags": ["爱心驿站", "户外劳动者", "外卖骑手"],
        "district": "鹿城区",
        "community": "滨江街道锦江社区",
        "goal_yuan": 22000,
        "funding_model": "keep_it_all",
        "beneficiaries": 500,
        "deadline_days": 65,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "qingshe_youth_support",
        "organization": "qingshe",
        "title": "「青春护航」重点青少年心理支持小组",
        "summary": "为辍学、有不良行为或家庭关系紧张的40名青少年提供一年的个案辅导和成长小组，联合学校和家庭帮助他们回归校园或就业。",
        "description": (
            "## 项目背景\n\n"
            "中心在承接政府购买服务时发现，一些青少年因学业挫折、家庭矛盾或不良交友而辍学、闲散在社会上，容易卷入违法行为，却很少主动求助。\n\n"
            "## 我们要做什么\n\n"
            "由持证社工和心理咨询师组成服务小组，为40名青少年建立个案，每月至少面谈两次。开设6期成长小组，内容包括情绪管理、生涯规划和职业体验。每季度召开一次家庭会议，联动学校、派出所和社区形成帮扶网络。\n\n"
            "## 资金用途\n\n"
            "- 社工与心理咨询师服务费：38,000 元\n"
            "- 成长小组活动（6期）：14,000 元\n"
            "- 职业体验与技能培训：10,000 元\n"
            "- 家庭会议与个案督导：6,000 元\n"
        ),
        "category": "youth",
        "tags": ["重点青少年", "心理支持", "社会工作"],
        "district": "鹿城区",
        "community": "大南街道大南社区",
        "goal_yuan": 68000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 40,
        "deadline_days": 42,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "mingrui", "amount_yuan": 10200, "days_ago": 13},
        ],
    },
    {
        "key": "yjgreen_waste_sorting",
        "organization": "yjgreen",
        "title": "「垃圾分类我先行」永嘉城区小区分类督导",
        "summary": "在北城街道10个小区的投放点开展为期3个月的早晚定时督导，为每个楼栋培训分类指导员，帮助居民养成分类投放习惯。",
        "description": (
            "## 项目背景\n\n"
            "永嘉县城推行垃圾分类已经两年，但不少小区的厨余垃圾仍然混投，分拣员只能事后二次分拣。居民们说：「不是不想分，是不知道怎么分。」\n\n"
            "## 我们要做什么\n\n"
            "每天早晚投放高峰时段，由志愿者在10个小区的30个投放点现场指导；为每个楼栋培训一名分类指导员；每月公布各小区的分类准确率，评选「分类示范楼栋」，给参与的居民发放小奖励。\n\n"
            "## 资金用途\n\n"
            "- 督导志愿者补贴与保险：13,000 元\n"
            "- 宣传手册、海报与分类指引牌：6,000 元\n"
            "- 示范楼栋奖励物资：4,000 元\n"
            "- 楼栋指导员培训：3,000 元\n"
        ),
        "category": "environment",
        "tags": ["垃圾分类", "社区督导", "环保"],
        "district": "永嘉县",
        "community": "北城街道",
        "goal_yuan": 26000,
        "funding_model": "keep_it_all",
        "beneficiaries": 12000,
        "deadline_days": 28,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "nanxi", "amount_yuan": 6500, "days_ago": 4},
        ],
    },
    {
        "key": "kechuang_rural_maker_labs",
        "organization": "kechuang",
        "title": "「小小发明家」泰顺乡村学校创客实验室",
        "summary": "为泰顺罗阳镇3所乡村小学建设创客实验室，配备开源硬件和3D打印机，培训本校教师，每周开设创客课。",
        "description": (
            "## 项目背景\n\n"
            "泰顺地处浙南山区，乡村学校的孩子很少接触编程和创客教育，学校也缺少懂行的老师。去年中心在罗阳镇试点开设创客课，孩子们做出的「智能浇花器」在县里获了奖。\n\n"
            "## 我们要做什么\n\n"
            "在3所乡村小学各建一间创客实验室，配备开源硬件套件、3D打印机和工具。为每所学校培训2名骨干教师，提供32课时的校本课程。每学期组织一次线上创客展示，邀请城区学校的孩子一起交流。\n\n"
            "## 资金用途\n\n"
            "- 开源硬件与工具套件（3校）：36,000 元\n"
            "- 3D打印机与耗材（3台）：18,000 元\n"
            "- 教师培训与课程开发：15,000 元\n"
            "- 线上展示与交流活动：6,000 元\n"
        ),
        "category": "science",
        "tags": ["创客教育", "乡村学校", "编程"],
        "district": "泰顺县",
        "community": "罗阳镇",
        "goal_yuan": 75000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 600,
        "deadline_days": 75,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "liuchuan", "amount_yuan": 3750, "days_ago": 2},
        ],
    },
    {
        "key": "haihui_digital_class",
        "organization": "haihui",
        "title": "「银龄数字课堂」老年人智能手机使用培训",
        "summary": "在南郊街道开设10期老年人智能手机课，手把手教老人扫码就医、视频通话和识别电信诈骗，配套印制大字版操作手册。",
        "description": (
            "## 项目背景\n\n"
            "挂号、缴费、出行越来越离不开手机，很多老人却因为不会用而处处碰壁，还成了电信诈骗的目标。社区老年大学的手机课每次一开放报名就满员。\n\n"
            "## 我们要做什么\n\n"
            "在南郊街道5个社区各开设2期课程，每期6次课、20名学员，由青年志愿者一对一辅导，内容涵盖扫码就医、视频通话、网上缴费和防骗识别。每位学员领取一本大字版操作手册，结业后建立互助微信群持续答疑。\n\n"
            "## 资金用途\n\n"
            "- 大字版操作手册印制（200册）：3,000 元\n"
            "- 志愿者培训与餐补：4,500 元\n"
            "- 教学备用手机与投屏设备：3,000 元\n"
            "- 结业活动：1,500 元\n"
        ),
        "category": "education",
        "tags": ["数字鸿沟", "老年人", "防诈骗"],
        "district": "鹿城区",
        "community": "南郊街道",
        "goal_yuan": 12000,
        "funding_model": "keep_it_all",
        "beneficiaries": 200,
        "deadline_days": 20,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "yilifang_qingmiao_training",
        "organization": "yilifang",
        "title": "「青苗培训」社会组织骨干财务与项目管理课程",
        "summary": "面向鹿城60家成长型青年社会组织的负责人和财务人员，开设8次财务规范、项目设计和标书制作课程，提升组织的「抢单力」。",
        "description": (
            "## 项目背景\n\n"
            "不少青年社会组织服务做得好，但一到申请政府购买和基金会资助就犯难：预算不会编、标书写不好、票据不规范，错失了很多机会。\n\n"
            "## 我们要做什么\n\n"
            "开设8次周末工作坊，邀请民政、财务专家和资深社会组织负责人授课，内容包括社会组织财务制度、项目预算编制、标书制作、联合承接与总包分包实务。每次课后布置作业并一对一点评，结业学员可优先获得「众益空间」的财务托管服务。\n\n"
            "## 资金用途\n\n"
            "- 讲师课酬（8次）：16,000 元\n"
            "- 教材编印与案例汇编：6,000 元\n"
            "- 场地、茶歇与学员餐：5,000 元\n"
            "- 一对一作业点评：3,000 元\n"
        ),
        "category": "education",
        "tags": ["青苗培训", "能力建设", "政府购买"],
        "district": "鹿城区",
        "community": "滨江街道东游社区",
        "goal_yuan": 30000,
        "funding_model": "keep_it_all",
        "beneficiaries": 120,
        "deadline_days": 33,
        "status": "published",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "ouxin", "amount_yuan": 12000, "days_ago": 6},
        ],
    },
    # ---- funded (已成功) -------------------------------------------------------------------
    {
        "key": "haihui_health_checkups",
        "organization": "haihui",
        "title": "重阳节「敬老助老」高龄老人免费健康体检",
        "summary": "联合社区卫生服务中心，为五马、南汇街道300位80岁以上老人提供集中或上门健康体检，建立健康档案并跟踪随访。",
        "description": (
            "## 项目背景\n\n"
            "高龄老人行动不便，很多人好几年没做过全面体检，慢性病往往拖到严重了才发现。去年重阳节的试点体检中，有30多位老人查出需要及时就医的问题。\n\n"
            "## 我们要做什么\n\n"
            "重阳节前后两周，在社区集中体检250人、上门体检50人，项目包括血压、血糖、心电图、骨密度和视力。体检结果由医生逐一解读，异常结果由社工陪同跟进就医，全年随访四次。\n\n"
            "## 资金用途\n\n"
            "- 体检费用（300人 × 100元）：30,000 元\n"
            "- 上门体检交通与便携设备：4,000 元\n"
            "- 健康档案与随访：4,000 元\n"
            "- 志愿者保险与餐补：2,000 元\n"
        ),
        "category": "health",
        "tags": ["重阳节", "健康体检", "高龄老人"],
        "district": "鹿城区",
        "community": "五马街道五马社区",
        "goal_yuan": 40000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 300,
        "deadline_days": -20,
        "status": "funded",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "feiyun", "amount_yuan": 20000, "days_ago": 50},
            {"company": "ouxin", "amount_yuan": 20000, "days_ago": 35},
        ],
    },
    {
        "key": "angel_city_explorers",
        "organization": "angel",
        "title": "「公益小天使」困境儿童城市探索日",
        "summary": "小天使志愿者与150名困境儿童结成伙伴，一起走进科技馆、博物馆和图书馆度过探索日，并为每个孩子送上一份成长礼包。",
        "description": (
            "## 项目背景\n\n"
            "困境儿童的家庭大多忙于生计，不少孩子从没去过市区的科技馆和博物馆。公益小天使的孩子们提议：「我们可以带他们一起去！」\n\n"
            "## 我们要做什么\n\n"
            "组织150名小天使志愿者与150名困境儿童一对一结伴，分5批参观温州科技馆、温州博物馆和温州市图书馆。每批活动由青年导师带队，安排包车接送和午餐。活动结束后为每名困境儿童送上一份包含书籍和文具的成长礼包。\n\n"
            "## 资金用途\n\n"
            "- 包车接送（10车次）：12,000 元\n"
            "- 午餐与饮用水（300人次）：9,000 元\n"
            "- 成长礼包（150份）：22,500 元\n"
            "- 意外保险与导师补贴：6,500 元\n"
        ),
        "category": "children",
        "tags": ["公益小天使", "困境儿童", "研学"],
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "goal_yuan": 50000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 150,
        "deadline_days": -55,
        "status": "funded",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "oujiang", "amount_yuan": 30000, "days_ago": 70},
            {"company": "luming", "amount_yuan": 20000, "days_ago": 62},
        ],
    },
    {
        "key": "haixia_fishing_village_stations",
        "organization": "haixia",
        "title": "洞头「渔村守护」应急救援物资站",
        "summary": "在霓屿、东屏等4个渔村建设应急救援物资站，配备抛投器、救生衣和应急照明，培训40名村民应急队员应对台风和海上险情。",
        "description": (
            "## 项目背景\n\n"
            "洞头每年夏秋都要经历多次台风，渔村离城区较远，一旦道路中断，救援力量很难第一时间赶到。去年台风期间，霓屿一处渔排被冲散，村民只能靠自家小船救人。\n\n"
            "## 我们要做什么\n\n"
            "在4个渔村各建1个应急物资站，配齐救生抛投器、救生衣、应急照明和发电设备。每村培训10名村民应急队员，掌握水上救援和转移协助技能。台风季前组织一次联合演练，物资站由村委会和救援中心共同管理。\n\n"
            "## 资金用途\n\n"
            "- 救生抛投器与救生衣：24,000 元\n"
            "- 应急照明与发电设备：18,000 元\n"
            "- 物资站柜体与标识：9,000 元\n"
            "- 村民队员培训与联合演练：14,000 元\n"
        ),
        "category": "emergency",
        "tags": ["台风", "渔村", "应急物资"],
        "district": "洞头区",
        "community": "霓屿街道",
        "goal_yuan": 65000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 8000,
        "deadline_days": -30,
        "status": "funded",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "liuchuan", "amount_yuan": 40000, "days_ago": 45},
            {"company": "nanxi", "amount_yuan": 15000, "days_ago": 40},
            {"company": "ouxin", "amount_yuan": 10000, "days_ago": 33},
        ],
    },
    {
        "key": "tongxing_handicraft_orders",
        "organization": "tongxing",
        "title": "残障青年「手工坊」企业订单对接计划",
        "summary": "为手工坊20名残障学员对接企业年节礼品订单，购置设备、开发产品，让学员靠自己的双手获得稳定收入。",
        "description": (
            "## 项目背景\n\n"
            "手工坊的学员们能做出精美的香皂、布艺和皮具小物，但过去只能在义卖会上零星售卖，收入很不稳定。不少本地企业表示愿意采购，但需要稳定的品质和交货期。\n\n"
            "## 我们要做什么\n\n"
            "购置皮具加工和包装设备，邀请设计师与学员共同开发5款企业礼品。建立订单、质检和交付流程，由就业辅导员带领学员按件计酬。项目期内目标对接10家企业订单，学员月均增收800元以上。\n\n"
            "## 资金用途\n\n"
            "- 皮具加工与包装设备：14,000 元\n"
            "- 产品设计与打样：8,000 元\n"
            "- 首批原材料：9,000 元\n"
            "- 就业辅导员补贴：4,000 元\n"
        ),
        "category": "employment",
        "tags": ["残障就业", "手工坊", "企业订单"],
        "district": "瓯海区",
        "community": "娄桥街道",
        "goal_yuan": 35000,
        "funding_model": "keep_it_all",
        "beneficiaries": 20,
        "deadline_days": -12,
        "status": "closed",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "oujiang", "amount_yuan": 25000, "days_ago": 28},
            {"company": "mingrui", "amount_yuan": 9000, "days_ago": 19},
        ],
    },
    # ---- failed (未达成, all-or-nothing) -----------------------------------------------------
    {
        "key": "kechuang_stargazing",
        "organization": "kechuang",
        "title": "「星空课堂」文成山区学校天文观测",
        "summary": "为文成县5所山区学校配备天文望远镜并培训指导教师，开展一学年的星空观测课和夜间观星活动。",
        "description": (
            "## 项目背景\n\n"
            "文成山区光污染少，是观星的好地方，但山区学校里没有一台像样的望远镜。孩子们在课本上学过月相和行星，却从没亲眼看过土星环。\n\n"
            "## 我们要做什么\n\n"
            "为5所学校各配备1台天文望远镜和太阳观测镜，为每校培训2名指导教师。全学年开展20次观测课和4次夜间观星活动，邀请家长一起参加，并在学期末举办星空摄影展。\n\n"
            "## 资金用途\n\n"
            "- 天文望远镜与配件（5套）：35,000 元\n"
            "- 太阳观测镜与星图教具：8,000 元\n"
            "- 指导教师培训：9,000 元\n"
            "- 夜间观星活动与摄影展：8,000 元\n"
        ),
        "category": "science",
        "tags": ["天文", "山区学校", "科普"],
        "district": "文成县",
        "community": "大峃镇",
        "goal_yuan": 60000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 1500,
        "deadline_days": -45,
        "status": "failed",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "luming", "amount_yuan": 6000, "days_ago": 80},
            {"company": "mingrui", "amount_yuan": 9000, "days_ago": 66},
        ],
    },
    {
        "key": "diming_place_name_atlas",
        "organization": "diming",
        "title": "《瓯越老地名》图志编印",
        "summary": "把研究会多年勘察的240条街巷地名故事整理成图文并茂的图志，印制2,000册赠送社区图书室和中小学。",
        "description": (
            "## 项目背景\n\n"
            "研究会在地名勘察中积累了大量口述资料和老照片，很多讲述者已年过八旬。大家希望把这些资料整理成书，让更多年轻人了解温州城的来历。\n\n"
            "## 我们要做什么\n\n"
            "组织编委会整理240条街巷的地名考证、口述故事和新老照片对比，邀请文史专家审校，印制2,000册图志，赠送全区社区图书室和中小学，并举办3场新书分享会。\n\n"
            "## 资金用途\n\n"
            "- 资料整理与编辑：24,000 元\n"
            "- 专家审校与图片授权：14,000 元\n"
            "- 图志印制（2,000册）：44,000 元\n"
            "- 新书分享会：6,000 元\n"
        ),
        "category": "culture",
        "tags": ["地名文化", "图志", "城市记忆"],
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "goal_yuan": 88000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 20000,
        "deadline_days": -75,
        "status": "failed",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "ouxin", "amount_yuan": 20000, "days_ago": 100},
            {"company": "nanxi", "amount_yuan": 8000, "days_ago": 95},
        ],
    },
    # ---- closed (已结束, keep-it-all below goal) ---------------------------------------------
    {
        "key": "hongling_neighbour_watch",
        "organization": "hongling",
        "title": "「邻里守望」独居老人楼道结对",
        "summary": "在广化街道招募60名青年邻居与60位独居老人结对，每天留意门口的「平安牌」，每周上门问候，发现异常及时联系社区。",
        "description": (
            "## 项目背景\n\n"
            "老旧小区里独居老人多，子女不在身边，一旦出了意外可能几天都没人发现。社区工作人员人手有限，很难天天上门。\n\n"
            "## 我们要做什么\n\n"
            "为60位独居老人家门口挂上「平安牌」，老人每天早上把牌子翻到「平安」面；住在同一楼道或附近的青年邻居每天路过时看一眼，每周上门问候一次。服务社每月组织结对双方联谊，并为老人安装烟感报警器。\n\n"
            "## 资金用途\n\n"
            "- 平安牌与烟感报警器（60户）：9,000 元\n"
            "- 结对志愿者培训与保险：6,000 元\n"
            "- 月度联谊活动：6,000 元\n"
            "- 紧急联络卡与宣传物料：3,000 元\n"
        ),
        "category": "community",
        "tags": ["邻里守望", "独居老人", "结对"],
        "district": "鹿城区",
        "community": "广化街道广化社区",
        "goal_yuan": 24000,
        "funding_model": "keep_it_all",
        "beneficiaries": 60,
        "deadline_days": -40,
        "status": "closed",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "feiyun", "amount_yuan": 8000, "days_ago": 60},
            {"company": "ouxin", "amount_yuan": 10000, "days_ago": 52},
        ],
    },
    {
        "key": "yjvolunteer_micro_wishes",
        "organization": "yjvolunteer",
        "title": "「点亮微心愿 助创共同体」山区困难群众微心愿",
        "summary": "收集永嘉山区困难家庭、孤寡老人和留守儿童的200个微心愿，由爱心企业和义工认领，逐户上门送达。",
        "description": (
            "## 项目背景\n\n"
            "「点亮微心愿 助创共同体」是协会的亮点公益项目之一。山区困难群众的心愿往往很小：一床厚棉被、一台电饭煲、一副老花镜，却一直没能实现。\n\n"
            "## 我们要做什么\n\n"
            "由各乡镇义工分队上门收集200个心愿，核实后在平台公示。筹得善款后统一采购，义工分组上门送达并拍照反馈。对其中特别困难的家庭，协助对接民政救助和慈善资源。\n\n"
            "## 资金用途\n\n"
            "- 心愿物品采购（200份）：24,000 元\n"
            "- 入户走访交通：4,000 元\n"
            "- 物品配送与反馈：2,000 元\n"
        ),
        "category": "assistance",
        "tags": ["微心愿", "山区", "困难家庭"],
        "district": "永嘉县",
        "community": "岩坦镇",
        "goal_yuan": 30000,
        "funding_model": "keep_it_all",
        "beneficiaries": 200,
        "deadline_days": -18,
        "status": "closed",
        "return_reason": None,
        "featured": False,
        "pledges": [
            {"company": "nanxi", "amount_yuan": 12000, "days_ago": 35},
            {"company": "oujiang", "amount_yuan": 9800, "days_ago": 27},
        ],
    },
    # ---- submitted (待审核) ------------------------------------------------------------------
    {
        "key": "cuican_longwan_after_school",
        "organization": "cuican",
        "title": "「四点钟课堂」龙湾流动儿童课后服务站",
        "summary": "在蒲州街道为40名流动儿童开设课后服务站，提供作业辅导、阅读和兴趣课程，弥补外来务工家庭的看护空档。",
        "description": (
            "## 项目背景\n\n"
            "蒲州街道是外来务工人员的聚居区，很多家长在附近的工厂上班，下班时间比孩子放学晚三四个小时。我们在鹿城参与「四点钟课堂」积累了经验，龙湾的社区多次邀请我们把课堂开过去。\n\n"
            "## 我们要做什么\n\n"
            "在社区党群服务中心开设课后服务站，周一至周五放学后由社工和大学生志愿者辅导作业，每周开设两次阅读和兴趣课。每月家访一次，与家长沟通孩子的学习和情绪状况。\n\n"
            "## 资金用途\n\n"
            "- 社工补贴（1人 × 10个月）：30,000 元\n"
            "- 志愿者交通与餐补：12,000 元\n"
            "- 图书与学习用品：8,000 元\n"
            "- 场地布置：6,000 元\n"
        ),
        "category": "education",
        "tags": ["四点钟课堂", "流动儿童", "课后服务"],
        "district": "龙湾区",
        "community": "蒲州街道",
        "goal_yuan": 56000,
        "funding_model": "keep_it_all",
        "beneficiaries": 40,
        "deadline_days": 45,
        "status": "submitted",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "teddy_family_first_aid",
        "organization": "teddy",
        "title": "「泰迪熊医院」儿童家庭急救小课堂",
        "summary": "为500个有0至6岁孩子的家庭开设急救小课堂，教爸爸妈妈处理气道异物、烫伤、高热惊厥等常见意外。",
        "description": (
            "## 项目背景\n\n"
            "婴幼儿意外伤害多发生在家里，气道异物梗阻、烫伤和跌落最为常见。很多家长在泰迪熊医院活动后留言：「希望你们也给我们大人上上课。」\n\n"
            "## 我们要做什么\n\n"
            "在鹿城10个社区开设25场急救小课堂，每场20个家庭，由青年医护人员讲解，并指导家长在婴儿模型上练习海姆立克急救法和心肺复苏。每个家庭领取一本急救手册和一个家庭急救包。\n\n"
            "## 资金用途\n\n"
            "- 婴儿急救训练模型（6套）：9,000 元\n"
            "- 家庭急救包（500个）：15,000 元\n"
            "- 急救手册印制：3,000 元\n"
            "- 讲师补贴与场地：5,000 元\n"
        ),
        "category": "health",
        "tags": ["家庭急救", "海姆立克", "婴幼儿"],
        "district": "鹿城区",
        "community": "松台街道广场路社区",
        "goal_yuan": 32000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 500,
        "deadline_days": 50,
        "status": "submitted",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "yjvolunteer_winter_bathing",
        "organization": "yjvolunteer",
        "title": "山区空巢老人「暖冬助浴」上门服务",
        "summary": "冬季为永嘉大若岩镇80位失能、半失能空巢老人提供上门助浴、理发和居家清洁，每位老人每月一次。",
        "description": (
            "## 项目背景\n\n"
            "山区冬天湿冷，很多失能老人家里没有热水器，子女又不在身边，整个冬天都没法好好洗一次澡。村医和老年协会把这个问题反映给了协会。\n\n"
            "## 我们要做什么\n\n"
            "购置一套移动助浴设备，组建20人的助浴义工队，经专业培训后，每月为80位老人上门助浴一次，同时提供理发、剪指甲和居家清洁。服务前后记录老人的身体状况，必要时联系村医。\n\n"
            "## 资金用途\n\n"
            "- 移动助浴设备（充气浴缸、热水器等）：16,000 元\n"
            "- 助浴义工培训与保险：6,000 元\n"
            "- 洗护用品与一次性耗材：8,000 元\n"
            "- 山区交通：6,000 元\n"
        ),
        "category": "elderly",
        "tags": ["助浴", "空巢老人", "山区"],
        "district": "永嘉县",
        "community": "大若岩镇",
        "goal_yuan": 36000,
        "funding_model": "keep_it_all",
        "beneficiaries": 80,
        "deadline_days": 40,
        "status": "submitted",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "yilifang_youth_councils",
        "organization": "yilifang",
        "title": "「青年之家」青年社区议事会",
        "summary": "在滨江街道4个社区试点青年议事会，组织新就业青年讨论停车、养宠、夜间噪音等社区议题，形成提案交社区落实。",
        "description": (
            "## 项目背景\n\n"
            "滨江一带聚集了大量年轻上班族，他们住在社区，却很少参与社区事务。社区工作者说：「年轻人有想法，但找不到说话的地方。」\n\n"
            "## 我们要做什么\n\n"
            "在4个社区的「青年之家」每月举办一次议事会，由受过培训的青年主持人引导讨论，围绕居民提出的问题形成提案。「格子铺」铺掌柜负责跟进提案落实，并每季度向居民公布进展。\n\n"
            "## 资金用途\n\n"
            "- 议事主持人培训：6,000 元\n"
            "- 议事会场地与物料（48场）：9,600 元\n"
            "- 提案落地小额资金：10,000 元\n"
            "- 宣传与进展公示：2,400 元\n"
        ),
        "category": "youth",
        "tags": ["青年之家", "社区议事", "新就业青年"],
        "district": "鹿城区",
        "community": "滨江街道东游社区",
        "goal_yuan": 28000,
        "funding_model": "keep_it_all",
        "beneficiaries": 800,
        "deadline_days": 40,
        "status": "submitted",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    # ---- draft (草稿) ------------------------------------------------------------------------
    {
        "key": "sanleting_winter_clothes",
        "organization": "sanleting",
        "title": "「寒冬送暖」户外劳动者冬衣计划",
        "summary": "为鹿城300名环卫工人和困难户外劳动者送上防寒冬衣、手套和护手霜，并在爱心驿站提供冬季热饮。",
        "description": (
            "## 项目背景\n\n"
            "温州的冬天湿冷，环卫工人凌晨四五点就要上街清扫，很多人的棉衣已经穿了好几年。三乐亭驿站的志愿者在送姜茶时，常常看到他们冻裂的手。\n\n"
            "## 我们要做什么\n\n"
            "与环卫所合作核实名单，为300名环卫工人和困难户外劳动者每人送上一件防寒冬衣、一副手套和一支护手霜。冬季三个月在驿站每天供应热饮，组织志愿者与环卫工人一起过冬至。\n\n"
            "## 资金用途\n\n"
            "- 防寒冬衣（300件）：27,000 元\n"
            "- 手套与护手霜：4,500 元\n"
            "- 冬季热饮：3,000 元\n"
            "- 冬至活动：1,500 元\n"
        ),
        "category": "assistance",
        "tags": ["冬衣", "环卫工人", "暖冬"],
        "district": "鹿城区",
        "community": "滨江街道锦江社区",
        "goal_yuan": 36000,
        "funding_model": "keep_it_all",
        "beneficiaries": 300,
        "deadline_days": 30,
        "status": "draft",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "hongling_stairwell_upgrade",
        "organization": "hongling",
        "title": "「格子铺」老旧小区楼道适老化微改造",
        "summary": "根据铺掌柜收集的居民需求，为广化街道3个老旧小区的24个楼道加装扶手、感应灯和休息折叠椅。",
        "description": (
            "## 项目背景\n\n"
            "「格子铺」铺掌柜在走访中了解到，老旧小区没有电梯，老人爬楼时没有扶手可抓，楼道灯常年不亮，已有多位老人在楼道里摔倒。居民希望用小成本解决大问题。\n\n"
            "## 我们要做什么\n\n"
            "由居民议事会确定24个最急需改造的楼道，加装不锈钢扶手、声光感应灯和壁挂折叠椅。施工由有资质的工程队负责，志愿者协助动员居民和验收。完工后由楼道长负责日常维护。\n\n"
            "## 资金用途\n\n"
            "- 不锈钢扶手（24个楼道）：28,800 元\n"
            "- 感应灯更换：7,200 元\n"
            "- 壁挂折叠椅：6,000 元\n"
            "- 施工管理与验收：3,000 元\n"
        ),
        "category": "community",
        "tags": ["格子铺", "楼道改造", "适老化"],
        "district": "鹿城区",
        "community": "广化街道广化社区",
        "goal_yuan": 45000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 400,
        "deadline_days": 60,
        "status": "draft",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "tongxing_accessibility_map",
        "organization": "tongxing",
        "title": "瓯海「无障碍地图」志愿勘察",
        "summary": "组织残障青年和大学生志愿者勘察瓯海200处公共场所的无障碍设施，绘制线上无障碍地图，并向有关部门提交改进建议。",
        "description": (
            "## 项目背景\n\n"
            "轮椅使用者出门最怕「走到门口才发现有台阶」。瓯海不少公共场所标有无障碍设施，实际却被占用，或者坡道太陡根本用不了。\n\n"
            "## 我们要做什么\n\n"
            "组建30人的勘察队，由残障青年和大学生志愿者混合编组，按统一标准勘察200处银行、医院、商场和公园的坡道、卫生间和电梯。数据录入线上地图向公众开放，问题清单汇总后提交区残联和相关部门。\n\n"
            "## 资金用途\n\n"
            "- 勘察工具与志愿者培训：5,000 元\n"
            "- 地图开发与数据维护：9,000 元\n"
            "- 志愿者交通与餐补：6,000 元\n"
            "- 调研报告印制：2,000 元\n"
        ),
        "category": "disability",
        "tags": ["无障碍", "残障", "公共设施"],
        "district": "瓯海区",
        "community": "娄桥街道",
        "goal_yuan": 22000,
        "funding_model": "keep_it_all",
        "beneficiaries": 5000,
        "deadline_days": 50,
        "status": "draft",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    # ---- returned (已退回) -------------------------------------------------------------------
    {
        "key": "haihui_dementia_friendly",
        "organization": "haihui",
        "title": "「认知症友好社区」记忆守护计划",
        "summary": "为南汇街道老人开展认知症早期筛查，培训100名社区「记忆守护者」，为走失风险高的老人配备防走失手环。",
        "description": (
            "## 项目背景\n\n"
            "社区里患认知症的老人越来越多，走失事件时有发生。家属往往直到老人迷路才意识到问题，错过了早期干预的时机。\n\n"
            "## 我们要做什么\n\n"
            "联合社区卫生服务中心为600位老人开展认知症早期筛查；开设4场专家讲座；培训100名社区「记忆守护者」，教他们识别和帮助迷路的老人；为50位高风险老人配备防走失手环。\n\n"
            "## 资金用途\n\n"
            "- 早期筛查（600人）：18,000 元\n"
            "- 专家讲座：12,000 元\n"
            "- 记忆守护者培训：6,000 元\n"
            "- 防走失手环（50个）：9,000 元\n"
        ),
        "category": "elderly",
        "tags": ["认知症", "防走失", "社区养老"],
        "district": "鹿城区",
        "community": "南汇街道南汇社区",
        "goal_yuan": 45000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 600,
        "deadline_days": 45,
        "status": "returned",
        "return_reason": (
            "「资金用途」中专家讲座12,000元只有4场，请写明每场讲师费标准和预计听众人数；"
            "600人的早期筛查请说明由哪家医疗机构执行、是否已取得对方同意；"
            "另请补充防走失手环的后续流量费由谁承担。修改后可重新提交。"
        ),
        "featured": False,
        "pledges": [],
    },
    {
        "key": "huangdao_book_recycling",
        "organization": "huangdao",
        "title": "「旧书新生」社区旧书漂流与废纸回收",
        "summary": "在社区设置旧书回收点，可读的旧书消毒后进入图书角漂流，无法再读的书本分类回收，回收所得用于购买新书。",
        "description": (
            "## 项目背景\n\n"
            "很多家庭堆着孩子用过的课本和旧书，扔掉可惜，放着又占地方；而社区图书角的书常常不够看。\n\n"
            "## 我们要做什么\n\n"
            "在社区设置旧书回收点，每月集中收书一次。志愿者对可读的旧书进行分拣、消毒和修补后放入图书角漂流；无法再读的书本交给正规回收企业处理，回收所得公开用于采购新书。组织孩子参与分拣，学习资源循环利用。\n\n"
            "## 资金用途\n\n"
            "- 回收箱与分拣工具：4,000 元\n"
            "- 图书消毒柜：6,000 元\n"
            "- 修补材料与标签：2,000 元\n"
            "- 志愿者保险与活动：3,000 元\n"
        ),
        "category": "environment",
        "tags": ["旧书漂流", "资源循环", "图书角"],
        "district": "鹿城区",
        "community": "南汇街道",
        "goal_yuan": 15000,
        "funding_model": "keep_it_all",
        "beneficiaries": 2000,
        "deadline_days": 35,
        "status": "returned",
        "return_reason": (
            "项目地点只写到「南汇街道」，请明确到具体社区和回收点位置；"
            "图书消毒柜6,000元请附两家以上供应商报价；"
            "宣传图片中有未打码的儿童正脸，请替换或补充监护人书面同意。"
        ),
        "featured": False,
        "pledges": [],
    },
    # ---- cancelled (已取消) ------------------------------------------------------------------
    {
        "key": "qingshe_career_day",
        "organization": "qingshe",
        "title": "「职业体验日」中职学生走进本地企业",
        "summary": "组织200名中职学生走进鞋业、眼镜和电气企业，参观生产线并与青年技术骨干交流，帮助学生提前了解职业道路。",
        "description": (
            "## 项目背景\n\n"
            "中职学生即将走上工作岗位，但很多人对温州本地的产业和岗位要求了解不多，择业时比较迷茫，入职后也容易频繁跳槽。\n\n"
            "## 我们要做什么\n\n"
            "联系8家本地企业，分8批组织学生参观生产线，由企业青年技术骨干分享自己的成长经历。每次参访后开展职业规划小组讨论，帮助学生找到感兴趣的方向，并为有意向的学生对接寒暑假实习岗位。\n\n"
            "## 资金用途\n\n"
            "- 包车交通（8批）：9,600 元\n"
            "- 学生保险与午餐：6,400 元\n"
            "- 职业规划小组活动：4,000 元\n"
        ),
        "category": "employment",
        "tags": ["职业体验", "中职学生", "就业"],
        "district": "鹿城区",
        "community": "大南街道大南社区",
        "goal_yuan": 20000,
        "funding_model": "keep_it_all",
        "beneficiaries": 200,
        "deadline_days": 30,
        "status": "cancelled",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
    {
        "key": "cuican_summer_daycare",
        "organization": "cuican",
        "title": "暑期困境儿童「托管+营养」计划",
        "summary": "暑期为50名困境儿童提供六周日间托管和营养午餐，由社工和志愿者陪伴孩子完成作业、开展兴趣活动。",
        "description": (
            "## 项目背景\n\n"
            "暑假期间，困境儿童家庭的家长白天要上班，孩子只能独自在家，午餐也常常是泡面凑合。中心去年走访的50个家庭里，有一半表示暑期看护是最大的难题。\n\n"
            "## 我们要做什么\n\n"
            "在蒲鞋市街道开设六周日间托管班，每天8:30–17:00由社工和志愿者陪伴孩子完成作业、开展阅读和手工等兴趣活动，并提供营养午餐。每周五请家长来班里看看孩子的作品。\n\n"
            "## 资金用途\n\n"
            "- 营养午餐（50人 × 30天）：18,000 元\n"
            "- 社工与志愿者补贴：14,000 元\n"
            "- 活动物资与保险：6,000 元\n"
        ),
        "category": "children",
        "tags": ["暑期托管", "困境儿童", "营养午餐"],
        "district": "鹿城区",
        "community": "蒲鞋市街道蒲鞋市社区",
        "goal_yuan": 38000,
        "funding_model": "all_or_nothing",
        "beneficiaries": 50,
        "deadline_days": 20,
        "status": "cancelled",
        "return_reason": None,
        "featured": False,
        "pledges": [],
    },
]

# --------------------------------------------------------------------------------------------
# Community needs (社区需求) collected by the 「格子铺」 stewards
# --------------------------------------------------------------------------------------------

COMMUNITY_NEEDS: list[dict] = [
    {
        "district": "鹿城区",
        "community": "南汇街道葡萄社区",
        "title": "双职工家庭寒假看护",
        "description": "格子铺收到37户双职工家庭反映，寒假期间孩子白天无人看护。希望有组织在社区活动室开设寒假托管班，上午辅导作业、下午开展阅读和体育活动。",
        "category": "children",
    },
    {
        "district": "鹿城区",
        "community": "双屿街道鞋都社区",
        "title": "外来务工青年技能夜校",
        "description": "鞋都社区的不少青年工人希望晚上学习电商运营、短视频制作和学历提升课程，但附近没有合适的夜校。社区可提供每周三个晚上的会议室。",
        "category": "employment",
    },
    {
        "district": "鹿城区",
        "community": "五马街道墨池社区",
        "title": "老旧小区电动车充电安全宣传",
        "description": "墨池社区有多个无物业管理的老旧小区，居民仍有把电动车推进楼道、拉线充电的习惯。社区希望开展入户安全宣传和集中充电桩使用引导。",
        "category": "emergency",
    },
    {
        "district": "鹿城区",
        "community": "广化街道广化社区",
        "title": "独居老人上门理发",
        "description": "社区登记的独居老人中有20多位行动不便，很久没有理过发。希望有志愿者每月上门一次，为老人理发、剪指甲，顺便陪老人聊聊天。",
        "category": "elderly",
    },
    {
        "district": "鹿城区",
        "community": "滨江街道锦江社区",
        "title": "文明养宠公约与宠物友好活动",
        "description": "近一年社区关于犬只扰民、不拴绳的投诉明显增多。居民希望由第三方组织牵头讨论制定文明养宠公约，并开展养宠知识讲座和宠物友好日活动。",
        "category": "community",
    },
    {
        "district": "鹿城区",
        "community": "松台街道广场路社区",
        "title": "残障居民社区康复活动",
        "description": "社区有十余位肢体残障和精神康复期居民，平时很少出门。希望有组织每周在社区开展一次康复操、手工和团体活动，帮助他们走出家门、融入社区。",
        "category": "disability",
    },
]


# --------------------------------------------------------------------------------------------
# Self-check: python -m marketplace.demo.content
# --------------------------------------------------------------------------------------------


def _check() -> None:
    import re
    from collections import Counter
    from datetime import date

    categories = {
        "elderly",
        "disability",
        "children",
        "youth",
        "education",
        "employment",
        "science",
        "environment",
        "emergency",
        "community",
        "culture",
        "health",
        "assistance",
    }
    division_codes = {
        "鹿城区": "330302",
        "龙湾区": "330303",
        "瓯海区": "330304",
        "洞头区": "330305",
        "永嘉县": "330324",
        "平阳县": "330326",
        "苍南县": "330327",
        "文成县": "330328",
        "泰顺县": "330329",
        "瑞安市": "330381",
        "乐清市": "330382",
        "龙港市": "330383",
    }
    districts = set(division_codes)
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    statuses = {"draft", "submitted", "returned", "published", "funded", "failed", "closed", "cancelled"}
    public = {"published", "funded", "failed", "closed"}
    finished = {"funded", "failed", "closed"}
    email_re = re.compile(r"^[a-z0-9.]+@demo\.qingqinchou\.cn$")
    phone_re = re.compile(r"^1[3-9]\d{9}$")
    key_re = re.compile(r"^[a-z][a-z0-9_]*$")
    cjk_re = re.compile(r"[\u4e00-\u9fff]")
    budget_line_re = re.compile(r"^- .+：([\d,]+) 元$")

    def org_code_ok(code: str) -> bool:
        """GB 11714: the 9th character checks the first 8 (weights 3 7 9 10 5 8 4 2, mod 11)."""
        weights = (3, 7, 9, 10, 5, 8, 4, 2)
        total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(code, weights, strict=False))
        expected = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
        return code[8] == expected

    def check_uscc(prefix: str, district: str, kinds: set[str], who: str) -> None:
        assert len(prefix) == 17, f"{who}: USCC prefix must be 17 characters"
        assert all(c in charset for c in prefix), f"{who}: USCC prefix uses a forbidden character"
        assert prefix[:2] in kinds, f"{who}: USCC prefix starts {prefix[:2]}, expected one of {kinds}"
        assert prefix[2:8] == division_codes[district], f"{who}: division code does not match {district}"
        assert org_code_ok(prefix[8:]), f"{who}: organization-code check digit is wrong"

    # Accounts
    assert len(DEMO_PASSWORD) >= 12
    emails: list[str] = []
    assert Counter(s["role"] for s in STAFF) == {"staff": 3, "admin": 1}
    for person in STAFF:
        assert set(person) == {"email", "name", "role"}
        emails.append(person["email"])
    for required in ("staff@", "admin@", "zhanggui@"):
        assert any(e.startswith(required) for e in emails), required

    # Organizations
    org_keys = {
        "key",
        "name",
        "uscc_prefix",
        "district",
        "community",
        "founded_year",
        "business_areas",
        "description",
        "grade",
        "grade_valid_until",
        "tier",
        "contact_name",
        "contact_phone",
        "legal_representative",
        "members",
        "verification",
        "rejection_reason",
    }
    assert len(ORGANIZATIONS) >= 14
    assert ORGANIZATIONS[0]["name"] == "鹿城区海汇敬老助老公益发展中心"
    assert ORGANIZATIONS[0]["members"][0]["email"] == "org@demo.qingqinchou.cn"
    for must in (
        "海汇敬老助老公益发展中心",
        "三乐亭爱心驿站",
        "爱心璀璨公益发展中心",
        "荒岛图书社",
        "鹿城区青少年社会工作服务中心",
        "永嘉县义工协会",
        "泰迪熊医院",
        "公益小天使",
        "红铃铛社区服务社",
        "益立方社会组织服务中心",
    ):
        assert any(must in o["name"] for o in ORGANIZATIONS), must
    for org in ORGANIZATIONS:
        who = org["key"]
        assert set(org) == org_keys, f"{who}: keys {set(org) ^ org_keys}"
        assert key_re.match(who), who
        assert org["district"] in districts, who
        assert org["community"], who
        check_uscc(org["uscc_prefix"], org["district"], {"51", "52"}, who)
        assert 1990 <= org["founded_year"] <= 2026, who
        assert 1 <= len(org["business_areas"]) <= 3 and set(org["business_areas"]) <= categories, who
        assert 3 <= org["description"].count("。") <= 5, f"{who}: 3-5 sentences"
        assert org["grade"] in {None, "A1", "A2", "A3", "A4", "A5"}, who
        assert (org["grade"] is None) == (org["grade_valid_until"] is None), who
        if org["grade_valid_until"]:
            until = date.fromisoformat(org["grade_valid_until"])
            assert date(2026, 1, 1) <= until <= date(2031, 12, 31), who
        assert org["tier"] in {None, "leading", "demonstration", "growing"}, who
        assert org["verification"] in {"verified", "pending", "rejected"}, who
        assert (org["verification"] == "rejected") == bool(org["rejection_reason"]), who
        assert 1 <= len(org["members"]) <= 2, who
        assert 2 <= len(org["legal_representative"]) <= 4 and cjk_re.search(org["legal_representative"]), who
    assert Counter(o["verification"] for o in ORGANIZATIONS) == {
        "verified": len(ORGANIZATIONS) - 3,
        "pending": 2,
        "rejected": 1,
    }
    assert Counter(o["district"] for o in ORGANIZATIONS).most_common(1)[0][0] == "鹿城区"

    # Companies
    company_keys = {
        "key",
        "name",
        "uscc_prefix",
        "district",
        "industry",
        "focus_categories",
        "districts_of_interest",
        "yearly_budget_yuan",
        "description",
        "contact_name",
        "contact_phone",
        "members",
        "verification",
    }
    assert len(COMPANIES) == 8
    assert COMPANIES[0]["members"][0]["email"] == "company@demo.qingqinchou.cn"
    assert Counter(c["verification"] for c in COMPANIES) == {"verified": 7, "pending": 1}
    for company in COMPANIES:
        who = company["key"]
        assert set(company) == company_keys, f"{who}: keys {set(company) ^ company_keys}"
        assert key_re.match(who), who
        assert company["district"] in districts, who
        check_uscc(company["uscc_prefix"], company["district"], {"91"}, who)
        assert company["focus_categories"] and set(company["focus_categories"]) <= categories, who
        assert company["districts_of_interest"] and set(company["districts_of_interest"]) <= districts, who
        assert isinstance(company["yearly_budget_yuan"], int) and company["yearly_budget_yuan"] > 0, who
        assert company["industry"] and company["description"], who
        assert 1 <= len(company["members"]) <= 2, who

    parties = ORGANIZATIONS + COMPANIES
    for party in parties:
        assert phone_re.match(party["contact_phone"]), party["key"]
        for member in party["members"]:
            assert set(member) == {"email", "name"}, party["key"]
            emails.append(member["email"])
    for email in emails:
        assert email_re.match(email), email
    assert len(emails) == len(set(emails)), [e for e, n in Counter(emails).items() if n > 1]
    for field in ("key", "name", "uscc_prefix", "contact_phone"):
        values = [p[field] for p in parties]
        assert len(values) == len(set(values)), f"duplicate {field}"

    # Projects
    project_keys = {
        "key",
        "organization",
        "title",
        "summary",
        "description",
        "category",
        "tags",
        "district",
        "community",
        "goal_yuan",
        "funding_model",
        "beneficiaries",
        "deadline_days",
        "status",
        "return_reason",
        "featured",
        "pledges",
    }
    verified_orgs = {o["key"] for o in ORGANIZATIONS if o["verification"] == "verified"}
    verified_companies = {c["key"]: c for c in COMPANIES if c["verification"] == "verified"}
    assert len(PROJECTS) >= 40
    assert len({p["key"] for p in PROJECTS}) == len(PROJECTS)
    assert len({p["title"] for p in PROJECTS}) == len(PROJECTS)
    pledged_by: Counter[str] = Counter()
    for project in PROJECTS:
        who = project["key"]
        status = project["status"]
        assert set(project) == project_keys, f"{who}: keys {set(project) ^ project_keys}"
        assert key_re.match(who), who
        assert project["organization"] in verified_orgs, who
        assert 0 < len(project["title"]) <= 60, who
        assert 0 < len(project["summary"]) <= 140, who
        assert project["category"] in categories, who
        assert 2 <= len(project["tags"]) <= 4 and len(set(project["tags"])) == len(project["tags"]), who
        assert all(0 < len(t) <= 8 for t in project["tags"]), who
        assert project["district"] in districts and project["community"], who
        assert isinstance(project["goal_yuan"], int) and 3000 <= project["goal_yuan"] <= 300000, who
        assert project["funding_model"] in {"all_or_nothing", "keep_it_all"}, who
        assert isinstance(project["beneficiaries"], int) and project["beneficiaries"] > 0, who
        assert status in statuses, who
        assert (status == "returned") == bool(project["return_reason"]), who
        assert not project["featured"] or status == "published", who

        text = project["description"]
        headings = [line for line in text.splitlines() if line.startswith("## ")]
        assert headings == ["## 项目背景", "## 我们要做什么", "## 资金用途"], f"{who}: {headings}"
        assert 150 <= len(cjk_re.findall(text)) <= 400, f"{who}: {len(cjk_re.findall(text))} CJK characters"
        budget_part = text.split("## 资金用途", 1)[1]
        lines = [line for line in budget_part.splitlines() if line.strip()]
        assert len(lines) >= 3, who
        amounts = []
        for line in lines:
            match = budget_line_re.match(line)
            assert match, f"{who}: budget line {line!r}"
            amounts.append(int(match.group(1).replace(",", "")))
        assert sum(amounts) == project["goal_yuan"], f"{who}: budget lines sum to {sum(amounts)}"

        deadline = project["deadline_days"]
        if status == "published":
            assert 5 <= deadline <= 80, who
        elif status in finished:
            assert deadline < 0, who
        else:
            assert deadline > 0, who

        pledges = project["pledges"]
        assert status in public or not pledges, f"{who}: only public projects have pledges"
        for pledge in pledges:
            assert set(pledge) == {"company", "amount_yuan", "days_ago"}, who
            assert pledge["company"] in verified_companies, who
            assert isinstance(pledge["amount_yuan"], int) and pledge["amount_yuan"] > 0, who
            assert pledge["days_ago"] >= 1, who
            if status in finished:
                assert pledge["days_ago"] > -deadline, f"{who}: pledge after the deadline"
            pledged_by[pledge["company"]] += pledge["amount_yuan"]
        raised = sum(p["amount_yuan"] for p in pledges)
        goal = project["goal_yuan"]
        if status == "funded":
            assert raised >= goal, who
        elif status == "failed":
            assert raised < goal and project["funding_model"] == "all_or_nothing", who
        elif status == "closed":
            assert raised < goal and project["funding_model"] == "keep_it_all", who
        elif status == "published":
            assert raised * 100 <= goal * 95, f"{who}: published progress must stay ≤ 95 %"

    by_status = Counter(p["status"] for p in PROJECTS)
    assert by_status == {
        "published": 21,
        "funded": 3,
        "failed": 2,
        "closed": 3,
        "submitted": 4,
        "draft": 3,
        "returned": 2,
        "cancelled": 2,
    }, by_status
    published = [p for p in PROJECTS if p["status"] == "published"]
    assert 5 <= sum(p["featured"] for p in published) <= 7
    assert sum(not p["pledges"] for p in published) >= 3
    assert sum(p["deadline_days"] <= 7 for p in published) >= 3
    used = Counter(p["category"] for p in PROJECTS)
    assert all(used[c] >= 2 for c in categories), used
    assert len({p["district"] for p in PROJECTS}) >= 6
    for key, total in pledged_by.items():
        assert total <= verified_companies[key]["yearly_budget_yuan"], f"{key} pledged over its budget"

    # Community needs
    assert len(COMMUNITY_NEEDS) == 6
    for need in COMMUNITY_NEEDS:
        assert set(need) == {"district", "community", "title", "description", "category"}
        assert need["district"] in districts and need["category"] in categories and need["community"]

    print(
        f"ok: {len(STAFF)} staff, {len(ORGANIZATIONS)} organizations, {len(COMPANIES)} companies, "
        f"{len(PROJECTS)} projects {dict(by_status)}, {len(COMMUNITY_NEEDS)} community needs; "
        f"categories {dict(used)}; pledged per company {dict(pledged_by)}"
    )


if __name__ == "__main__":
    _check()


# The partner foundation that receives money for organizations without 公开募捐资格 (fictional
# account number; the name follows the district foundations that do this in Wenzhou).
FOUNDATION = {
    "name": "温州市鹿城区青少年发展基金会",
    "uscc": "53330302MJ8765432X",
    "bank_name": "温州银行鹿城支行",
    "bank_account_name": "温州市鹿城区青少年发展基金会",
    "bank_account_number": "7050012345678901",
    "is_default": True,
}

# Money beyond the paid bank transfers listed on each project: an organization with its own
# 公开募捐资格, a matching pool (配捐) opened once the campaigns are running, pledges it matched,
# pledges still waiting for staff, and money already passed on to organizations.
QUALIFIED_ORGANIZATIONS = [
    {
        "organization": "qingshe",
        "bank_name": "温州银行鹿城支行",
        "bank_account_name": "温州市鹿城区青少年社会工作服务中心",
        "bank_account_number": "7050019988776655",
    },
]

MATCHING_POOLS = [
    {
        "company": "oujiang",
        "name": "瓯江鞋业 · 99 公益日 1:1 配捐",
        "description": "企业每收到 1 元爱心认捐即配捐 1 元，单笔最多配 5,000 元，每个项目最多配 20,000 元。",
        "budget_yuan": 60000,
        "ratio_bp": 10000,
        "cap_per_pledge_yuan": 5000,
        "cap_per_project_yuan": 20000,
        "categories": ["elderly", "children", "culture"],
        "districts": [],
        "start_days": -2,
        "end_days": 28,
    },
    {
        "company": "mingrui",
        "name": "明瑞光电 · 助残就业 1:0.5 配捐",
        "description": "为残障人士就业与康复类项目配捐，每 1 元认捐配 0.5 元。",
        "budget_yuan": 20000,
        "ratio_bp": 5000,
        "cap_per_pledge_yuan": None,
        "cap_per_project_yuan": 10000,
        "categories": ["disability", "employment"],
        "districts": [],
        "start_days": -2,
        "end_days": 40,
    },
]

# Paid after the pools open, so the pools match them.
MATCHED_PLEDGES = [
    {"project": "haihui_meals", "company": "luming", "amount_yuan": 3000, "message": "祝老人们吃得健康。"},
    {"project": "huangdao_book_corners", "company": "feiyun", "amount_yuan": 1500, "message": ""},
    {"project": "qingshe_four_oclock", "company": "ouxin", "amount_yuan": 4000, "message": "孩子们加油！"},
    {"project": "xingyu_respite", "company": "nanxi", "amount_yuan": 6000, "message": "", "anonymous": True},
]

# Waiting for staff: committed bank transfers and goods not yet received.
PENDING_PLEDGES = [
    {"project": "haihui_meals", "company": "oujiang", "amount_yuan": 8000, "method": "bank_transfer"},
    {"project": "teddy_kindergartens", "company": "luming", "amount_yuan": 5000, "method": "bank_transfer"},
    {
        "project": "huangdao_book_corners",
        "company": "mingrui",
        "amount_yuan": 4200,
        "method": "in_kind",
        "in_kind_description": "儿童绘本 300 册（出版社捐赠，附清单）",
    },
]

DISBURSEMENTS = [
    {"project": "haihui_health_checkups", "amount_yuan": 30000, "note": "第一期体检费用"},
    {"project": "angel_city_explorers", "amount_yuan": 50000, "note": "全额拨付"},
    {"project": "hongling_neighbour_watch", "amount_yuan": 12000, "note": "设备采购款"},
]

# What organizations told their supporters, and how they accounted for money already passed on.
PROJECT_UPDATES = [
    {
        "project": "haihui_health_checkups",
        "title": "第一批 120 位长者完成体检",
        "body": "感谢各位爱心企业！本周在五马街道社区卫生服务中心完成了**第一批 120 位**独居长者的体检，"
        "发现 9 位需要复查的长者，社工已逐一电话跟进。\n\n下一批体检安排在下月第一周。",
    },
    {
        "project": "angel_city_explorers",
        "title": "城市探索营圆满结营",
        "body": "30 名外来务工子女走进了博物馆、消防站和图书馆，写下了 30 篇探索日记。\n\n"
        "- 结营仪式上孩子们展示了自己绘制的「我的温州地图」\n- 家长反馈问卷回收率 93%",
    },
    {
        "project": "haihui_meals",
        "title": "助餐点新增两个取餐时段",
        "body": "根据长者们的意见，助餐点从下周起增加 10:30 和 16:30 两个取餐时段，行动不便的长者可预约志愿者送餐。",
    },
]

USAGE_REPORTS = [
    {
        "project": "haihui_health_checkups",
        "title": "第一期体检费用使用报告",
        "note": "发票原件存放于中心财务室，可预约查阅。",
        "items": [
            {"description": "社区卫生服务中心体检套餐 120 人 × 200 元", "amount_yuan": 24000},
            {"description": "复查专项检查 9 人", "amount_yuan": 2700},
            {"description": "志愿者交通与餐补", "amount_yuan": 1800},
        ],
    },
]


# Sponsor profiles (issue 5): what each verified company told the league it wants to support. The
# focus categories, districts and yearly budget are on the company records above.
SPONSOR_PROFILES: dict[str, dict] = {
    "oujiang": {
        "pledge_min_yuan": 5000,
        "pledge_max_yuan": 30000,
        "interest_statement": (
            "我们的员工七成是外来务工人员，最牵挂的是孩子放学后没人照看。"
            "希望支持鞋都周边的四点钟课堂、课后托管和外来务工子女的学业辅导，也愿意资助青年的职业技能培训和就业创业。"
        ),
        "preferred_grades": [],
        "preferred_tiers": [],
        "volunteer_capacity": 40,
    },
    "mingrui": {
        "pledge_min_yuan": 3000,
        "pledge_max_yuan": 20000,
        "interest_statement": (
            "公司做眼镜，关心孩子的视力和健康。希望支持儿童健康启蒙、视力保护，以及孤独症儿童和残障青年的康复与就业。"
        ),
        "preferred_grades": ["A3", "A4", "A5"],
        "preferred_tiers": [],
        "volunteer_capacity": 15,
    },
    "liuchuan": {
        "pledge_min_yuan": 10000,
        "pledge_max_yuan": 60000,
        "interest_statement": (
            "公司青年公益基金重点支持青少年科普、创客教育和应急救援能力建设，"
            "也关注河道保护和垃圾分类等环保行动，员工志愿者可以参与科普讲解和应急演练。"
        ),
        "preferred_grades": [],
        "preferred_tiers": ["leading", "demonstration"],
        "volunteer_capacity": 120,
    },
    "ouxin": {
        "pledge_min_yuan": 5000,
        "pledge_max_yuan": 30000,
        "interest_statement": (
            "支行扎根五马街道，长期开展金融助老。希望资助独居老人助餐、老年人智能手机培训和防诈骗宣传，"
            "也支持老城区的社区文化和困难家庭帮扶。"
        ),
        "preferred_grades": [],
        "preferred_tiers": [],
        "volunteer_capacity": 20,
    },
    "feiyun": {
        "pledge_min_yuan": 2000,
        "pledge_max_yuan": 15000,
        "interest_statement": "愿意以现金加牛奶物资支持长者营养餐、儿童营养和社区健康服务项目。",
        "preferred_grades": [],
        "preferred_tiers": [],
        "volunteer_capacity": None,
    },
    "luming": {
        "pledge_min_yuan": 3000,
        "pledge_max_yuan": 25000,
        "interest_statement": (
            "文具企业，关心孩子读书和学习。希望支持乡村图书角、阅读推广、科普课堂和留守儿童的学习辅导。"
        ),
        "preferred_grades": [],
        "preferred_tiers": [],
        "volunteer_capacity": 25,
    },
}

# Introductions staff made (issue 5), in the order sent. "outcome" is what the company did next;
# "converted" pledges by bank transfer after the introduction, which converts it by itself.
INTRODUCTIONS: list[dict] = [
    {
        "company": "oujiang",
        "project": "qingshe_four_oclock",
        "days_ago": 20,
        "note": "四点钟课堂就在双屿鞋都旁边，服务的正是贵司员工的孩子，还差一万元就能满额。",
        "outcome": "converted",
        "pledge_yuan": 5000,
    },
    {
        "company": "ouxin",
        "project": "haihui_digital_class",
        "days_ago": 12,
        "note": "银龄数字课堂教老人用智能手机、识别诈骗电话，和支行的金融助老志愿服务正好衔接。",
        "outcome": "interested",
        "response": "我们想派两名员工做讲师志愿者，请帮忙约一次三方见面。",
    },
    {
        "company": "liuchuan",
        "project": "kechuang_rural_maker_labs",
        "days_ago": 9,
        "note": "泰顺乡村学校创客实验室缺口较大，贵司的青年公益基金和员工科普志愿者都用得上。",
        "outcome": "viewed",
    },
    {
        "company": "mingrui",
        "project": "xingyu_respite",
        "days_ago": 6,
        "note": "孤独症儿童家庭喘息服务在瑞安，组织评级和财务公开都很规范。",
        "outcome": "declined",
        "response": "今年的预算已经安排给视力筛查项目，明年再考虑。",
    },
    {
        "company": "luming",
        "project": "kechuang_science_caravan",
        "days_ago": 2,
        "note": "流动科普大篷车明年春季进龙湾社区，贵司的文具可以作为活动物资。",
        "outcome": "sent",
    },
]
