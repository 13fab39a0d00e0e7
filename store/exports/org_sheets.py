"""The register of organisations (申报单位) as Excel, as its page lists it for HR and the admin:
the page's filters, every page, bank accounts masked."""

from __future__ import annotations

from sqlalchemy import select

from printing.workbook import Column, Sheet
from workflow.roles import Actor
from workflow.states import ORG_KIND_LABELS

from ..db import Database
from ..models import Organisation, Village
from ..people.org_queries import OrgFilter, agent_counts, masked_bank, organisations_query
from .common import EXPORT_CAP, Download, capped, download, filters_note, scope_note, yes

ORGANISATIONS = (
    Column("编号", "int", 8),
    Column("单位名称", width=32),
    Column("单位类型", width=18),
    Column("统一社会信用代码", width=22),
    Column("认定", width=8),
    Column("认定文号", width=24),
    Column("认定日期", "date", 12),
    Column("首次创办", width=10),
    Column("所在行政村", width=12),
    Column("银行账号", "bank_account", 22),
    Column("联系人", width=12),
    Column("联系电话", width=16),
    Column("经办人数", "int", 10),
)


def organisations_export(db: Database, actor: Actor, f: OrgFilter) -> Download:
    """The register of organisations with the page's filters, every page, newest first."""
    now = db.clock.now()
    with db.transaction() as session:
        found = list(
            session.scalars(organisations_query(f).order_by(Organisation.id.desc()).limit(EXPORT_CAP + 1))
        )
        agents = agent_counts(session, None)
        villages = {vid: name for vid, name in session.execute(select(Village.id, Village.name))}
    rows, cap_note = capped(found)
    chosen = {"名称或信用代码": f.q, "单位类型": ORG_KIND_LABELS.get(f.kind or "")}
    return download(
        now,
        actor,
        "申报单位",
        [
            Sheet(
                "申报单位",
                ORGANISATIONS,
                [
                    (
                        o.id,
                        o.name,
                        ORG_KIND_LABELS.get(o.kind, o.kind),
                        o.credit_code,
                        yes(o.recognised),
                        o.recognition_doc_no,
                        o.recognised_on,
                        yes(o.first_business),
                        villages.get(o.village_id) if o.village_id else None,
                        masked_bank(o),
                        o.contact_name,
                        o.contact_phone,
                        agents.get(o.id, 0),
                    )
                    for o in rows
                ],
                [scope_note(actor, []), filters_note(chosen), *cap_note],
            )
        ],
    )
