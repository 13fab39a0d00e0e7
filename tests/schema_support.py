"""The database Schemathesis runs against (tests/test_schemathesis.py in CI, bench/fuzz_api.py for
the long run): a county, people, claims of the token's organisation (submitted, returned,
withdrawn), one of another organisation, an evidence file and a bulk list of each organisation,
so that small ids exist."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from stdnum.cn import ric

from store.access.users import create_token
from store.claims.evidence import add_evidence
from store.claims.lists import upload_list
from store.db import Database
from store.models import User
from store.transitions import transition
from web.app import create_app

from .builders import county, export_claim, person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def resident_id(n: int) -> str:
    """A valid resident ID number of the county, one for each n (birth date and sequence)."""
    born = date.fromordinal(date(1960, 1, 1).toordinal() + n % 20000).strftime("%Y%m%d")
    body = f"533422{born}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


SEED_LIST = (
    "姓名,身份证号,行政村代码,帮扶对象类别,补贴类型,务工地点,就业开始日期\r\n"
    "扎西,{},533422101001,脱贫人口,有组织劳务输出就业创业服务补助,省外,2026-03-01\r\n"
    "卓玛,{},533422101001,脱贫人口,无此补贴,省外,2026-03-01\r\n"
)


class Seeded:
    def __init__(self, db: Database, files: Path) -> None:
        c = county(db)
        people = [person(db, c.village, name=f"卓玛{i}") for i in range(6)]
        claims = [export_claim(db, c, p).id for p in people[:4]]
        transition(db, "claim", claims[1], "return", c.verifier, comment="请补充材料")
        transition(db, "claim", claims[2], "withdraw", c.agent)
        evidence = add_evidence(db, files, c.agent, claims[0], "证明.pdf", PDF).id
        stranger = person(db, c.other_village, name="格桑")
        foreign = export_claim(db, c, stranger, agent=c.other_agent).id
        lists = [
            upload_list(
                db, agent, "seed.csv", SEED_LIST.format(resident_id(n), resident_id(n + 1)).encode("gbk")
            ).list_id
            for n, agent in ((1000, c.agent), (2000, c.other_agent))
        ]
        with db.transaction() as s:
            self.token = create_token(s, db, s.get(User, c.agent.user_id))
        self.ids = {
            "person_id": [*people, stranger],
            "claim_id": [*claims, foreign],
            "evidence_id": [evidence],
            "list_id": lists,
        }
        self.app = create_app(db, files=files)
