"""统一社会信用代码 (GB 32100-2015 and its amendments): structure and check digit.

python-stdnum's ``cn.uscc.validate`` insists that the first eight characters are digits, so it
refuses every code whose registration-authority code is a letter: A (中央军委改革和编制办公室,
amendment No. 1), N (农业农村, amendment No. 2: 村集体经济组织 and the like, which register as
village-level claimants here) and Y (其他). Those codes are valid under the standard, so the
structure is checked here against the standard's own table, and the check digit is still
computed by stdnum's ``calc_check_digit`` (ISO 7064 MOD 31-3 over the same alphabet).
"""

from __future__ import annotations

from stdnum.cn import uscc

# Characters the standard uses (digits and capitals without I, O, S, V, Z), as stdnum has them.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# 登记管理部门代码 → its 机构类别代码 (GB 32100-2015 table 1, with amendments No. 1 and No. 2).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    # 4 and 5 are not in the standard's table: they are the categories 民政 gives the
    # 基层群众性自治组织 (特别法人) it has coded since 2018, village committees above all
    # (the claimants of 劳务输出 subsidies here), so refusing them would refuse real codes.
    "5": (
        "民政",
        {
            "1": "社会团体",
            "2": "民办非企业单位",
            "3": "基金会",
            "4": "村民委员会",
            "5": "居民委员会",
            "9": "其他",
        },
    ),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业（农业农村部门）",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),  # the standard does not divide it further
}


class CreditCodeError(ValueError):
    """Why a code is not a valid 统一社会信用代码; ``reason`` is a stable word."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def compact(raw: str) -> str:
    return uscc.compact(str(raw))


def validate(raw: str) -> str:
    """The code, compacted, or ``CreditCodeError`` (length, charset, authority, category,
    region, checksum)."""
    code = compact(raw)
    if len(code) != 18:
        raise CreditCodeError("length")
    if any(c not in ALPHABET for c in code):
        raise CreditCodeError("charset")
    authority = AUTHORITIES.get(code[0])
    if authority is None:
        raise CreditCodeError("authority")
    if code[1] not in authority[1]:
        raise CreditCodeError("category")
    if not code[2:8].isdigit():  # the registering office's GB/T 2260 division code
        raise CreditCodeError("region")
    if code[17] != uscc.calc_check_digit(code[:17]):
        raise CreditCodeError("checksum")
    return code


def describe(code: str) -> str:
    """``农业农村 · 村级集体经济组织``: what the first two characters say about the holder."""
    name, categories = AUTHORITIES.get(code[:1], ("", {}))
    return f"{name} · {categories.get(code[1:2], '')}" if name else ""
