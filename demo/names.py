"""Names and numbers for the demo's people and organisations: Tibetan and Han names, identity
numbers with stdnum check digits, phone numbers, bank cards and credit codes, none used twice.
"""

from __future__ import annotations

from datetime import date

from stdnum import luhn
from stdnum.cn import ric, uscc

from .places import COUNTY
from .state import LoaderState

_TIBETAN = {
    True: (
        (
            "扎西",
            "此里",
            "鲁茸",
            "格桑",
            "斯那",
            "七林",
            "农布",
            "阿称",
            "尼玛",
            "达瓦",
            "次仁",
            "白玛",
            "都吉",
            "吾金",
            "江措",
            "安主",
        ),
        (
            "农布",
            "都吉",
            "旺堆",
            "平措",
            "次称",
            "江措",
            "吉称",
            "定主",
            "尼玛",
            "扎西",
            "培楚",
            "顿珠",
            "群培",
            "此里",
            "品初",
        ),
    ),
    False: (
        (
            "卓玛",
            "拉姆",
            "央宗",
            "此里",
            "格桑",
            "白玛",
            "达瓦",
            "斯那",
            "永宗",
            "曲珍",
            "央金",
            "取珍",
            "阿茸",
        ),
        ("卓玛", "拉姆", "央宗", "永宗", "曲珍", "央金", "品初", "取追", "此姆", "娜姆", "玉珍"),
    ),
}
_SURNAMES = ("余", "李", "和", "杨", "王", "熊", "蜂", "张", "赵", "肖", "谷", "木")
_GIVEN = {
    True: (
        "建国",
        "金华",
        "文明",
        "志强",
        "光荣",
        "海",
        "平",
        "学军",
        "永福",
        "德明",
        "文军",
        "国庆",
        "建新",
    ),
    False: ("金花", "秀英", "丽华", "玉梅", "四妹", "春梅", "桂芳", "丽萍", "晓燕", "红梅", "玉兰", "秀珍"),
}
_PHONE_PREFIXES = ("139", "138", "152", "158", "187", "182", "189", "151")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class Identities(LoaderState):
    """Draws names and numbers from the loader's random source."""

    def name(self, male: bool) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.7:
                first, second = _TIBETAN[male]
                a, b = rng.choice(first), rng.choice(second)
                name = a if a == b or rng.random() < 0.12 else a + b
            else:
                name = rng.choice(_SURNAMES) + rng.choice(_GIVEN[male])
            if name not in self.names:
                self.names.add(name)
                return name

    def id_number(self, birth: date, male: bool) -> str:
        while True:
            body = (
                f"{COUNTY}{birth:%Y%m%d}{self.rng.randint(1, 99):02d}"
                f"{self.rng.choice('13579' if male else '02468')}"
            )
            if body not in self.ids:
                self.ids.add(body)
                return body + ric.calc_check_digit(body + "0")  # it expects a check digit place

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def bank_card(self) -> str:
        body = "623190" + self.digits(12)
        return body + luhn.calc_check_digit(body)

    def phone(self) -> str:
        return self.rng.choice(_PHONE_PREFIXES) + self.digits(8)

    def credit_code(self, prefix: str) -> str:
        body = prefix + COUNTY + "MA" + "".join(self.rng.choice(_USCC_CHARS) for _ in range(7))
        return body + uscc.calc_check_digit(body)
