"""The demo county's places and organisations: 德钦县's townships and villages, the
organisations that file claims, the posts each village has, the training courses.
"""

from __future__ import annotations

from workflow.states import OrgKind

SEED = 533422
COUNTY = "533422"

# (township code suffix, name, slug for user names, villages as (name, slug))
TOWNSHIPS = (
    ("101", "升平镇", "shengping", (("阿东村", "adong"), ("巨水村", "jushui"), ("雾浓顶村", "wunongding"))),
    ("102", "奔子栏镇", "benzilan", (("奔子栏村", "benzilan"), ("书松村", "shusong"), ("夺通村", "duotong"))),
    ("201", "佛山乡", "foshan", (("江坡村", "jiangpo"), ("溜筒江村", "liutongjiang"))),
    ("202", "云岭乡", "yunling", (("西当村", "xidang"), ("斯农村", "sinong"), ("查里桶村", "chalitong"))),
    ("203", "燕门乡", "yanmen", (("茨中村", "cizhong"), ("巴东村", "badong"))),
)
PERSONS_PER_VILLAGE = 16
# Villages whose committee files claims itself (its 经办人 has a login); the committee of
# 阿东村 is run by someone who is also one of the village's verifiers.
COMMITTEE_AGENTS = ("adong", "jushui", "benzilan", "jiangpo", "xidang", "cizhong")
MULTI_ROLE_VILLAGE = "adong"
INFO_OFFICERS = ("adong", "benzilan")  # a village's own 就业信息员 beside the township's verifier
NO_GRADUATE_POST = ("liutongjiang", "badong")  # the dashboard's "villages without a 大学生公岗"

# username, kind, name, credit-code prefix (None: has none), recognised, first business, village
ORGS = (
    ("agency1", OrgKind.HR_AGENCY, "德钦县雪域人力资源服务有限公司", "91", False, False, None),
    ("broker1", OrgKind.LABOUR_BROKER, "", None, False, False, "jushui"),  # named after its broker
    ("broker2", OrgKind.LABOUR_BROKER, "德钦县奔子栏劳务服务部", "92", False, False, "benzilan"),
    ("startup1", OrgKind.ENTERPRISE, "德钦县卡瓦格博青稞食品有限公司", "91", False, True, "xidang"),
    ("company1", OrgKind.ENTERPRISE, "德钦县云岭建筑工程有限公司", "91", False, False, None),
    ("base1", OrgKind.EMPLOYMENT_BASE, "德钦县梅里酒业有限公司", "91", True, False, "cizhong"),
    ("base2", OrgKind.EMPLOYMENT_BASE, "德钦县奔子栏民族服饰有限公司", "91", True, False, "benzilan"),
    ("workshop1", OrgKind.WORKSHOP, "阿东村民族手工艺专业合作社（就业帮扶车间）", "93", True, False, "adong"),
)

# title, monthly subsidy, graduate post
POSTS = (
    ("保洁员", "600", False),
    ("护路员", "600", False),
    ("就业信息员", "800", False),
    ("大学生公岗", "1500", True),
)

COURSES = (("PX2026-01", 10), ("PX2026-02", 15), ("PX2026-03", 7), ("PX2026-04", 10), ("PX2026-05", 12))
