"""Printable documents: data in, A4 PDF bytes out (Jinja2 templates in templates/documents/)."""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import jinja2
import segno
from weasyprint import HTML

from workflow.identity import mask
from workflow.money import yuan
from workflow.numerals import capital_yuan

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "documents"
FONT = "Noto Serif CJK SC"

KIND_TITLES = {
    "approval_form": "德钦县就业帮扶资金审批表",
    "contract": "乡村公益性岗位协议",
    "renewal_notice": "公益性岗位协议到期提醒",
    "rejection_notice": "不予批准通知书",
    "payout_roster": "就业帮扶资金发放花名册",
}


@dataclass(frozen=True)
class Stamp:
    """What makes a printed document checkable: its number, its code and where to check it."""

    number: str
    code: str
    base_url: str = ""

    @property
    def verify_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/verify/{self.code}"

    @property
    def qr(self) -> str:
        return _qr_data_uri(self.verify_url)


@cache
def _qr_data_uri(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _money(value: Decimal | int | str) -> str:
    return f"{yuan(value):,.2f}"


def _cn_date(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year}年{d.month}月{d.day}日"


def _cn_datetime(value: datetime | None) -> str:
    return f"{_cn_date(value)} {value:%H:%M}" if value else ""


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters.update(
        money=_money, capital=capital_yuan, mask=mask, cn_date=_cn_date, cn_datetime=_cn_datetime
    )
    return env


def render_html(kind: str, context: Mapping[str, Any], stamp: Stamp) -> str:
    template = _env().get_template(f"{kind}.html")
    return template.render(title=KIND_TITLES[kind], font=FONT, stamp=stamp, **context)


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()  # type: ignore[no-any-return]


def render(kind: str, context: Mapping[str, Any], stamp: Stamp) -> bytes:
    """One document of ``kind`` (a key of ``KIND_TITLES``) as PDF bytes."""
    return html_to_pdf(render_html(kind, context, stamp))


def approval_form(context: Mapping[str, Any], stamp: Stamp) -> bytes:
    """审批表: ``issuer``, ``person``, ``claim`` (with ``facts`` as label/value pairs), ``steps``."""
    return render("approval_form", context, stamp)


def contract(context: Mapping[str, Any], stamp: Stamp) -> bytes:
    """公益性岗位协议: ``issuer``, ``employer``, ``person``, ``post``, ``term``."""
    return render("contract", context, stamp)


def renewal_notice(context: Mapping[str, Any], stamp: Stamp) -> bytes:
    """到期提醒: contract fields plus ``days_left``, ``reply_by`` and ``issued_on``."""
    return render("renewal_notice", context, stamp)


def rejection_notice(context: Mapping[str, Any], stamp: Stamp) -> bytes:
    """不予批准通知: ``addressee``, ``applicant_text``, ``reviewer_role``, ``reason``, ``issued_on``."""
    return render("rejection_notice", context, stamp)


# --- 发放花名册 ---------------------------------------------------------------------------

ROWS_PER_PAGE = 30  # one-line rows a page holds
LAST_PAGE_ROWS = 20  # the last page also carries the grand total, signatures and the QR code
PAGES_PER_PART = 12  # rendered apart (in parallel for a large roster) and joined
PARALLEL_FROM = 1500  # lines; below this, starting processes costs more than it saves
# The name and note columns (templates/documents/payout_roster.html): what fits on one line of
# 9pt, and on each line of the 7.5pt a longer text wraps in; a row grows by SMALL_LINE_MM a
# line past two. Estimated a little short of the columns' widths, so a text never needs more
# lines than are counted for it (a row taller than counted would push the page over).
ROW_MM = 6.6
SMALL_LINE_MM = 3.05
NAME_EM, NAME_SMALL_EM = 10.2, 11.8  # the 36mm column
NOTE_EM, NOTE_SMALL_EM = 8.8, 10.3  # the 32mm column


def _em(text: str) -> float:
    """Width in em, a Latin character counted as a little over half."""
    return sum(0.58 if ch.isascii() else 1.0 for ch in text)


def _lines(text: str, one_line: float, per_line: float) -> int:
    """Lines the text takes in its column: 0 when it fits on one line of the body size,
    else the lines it wraps into at the small size."""
    width = _em(text)
    return 0 if width <= one_line else max(2, math.ceil(width / per_line))


def _row(i: int, line: Mapping[str, Any]) -> dict[str, Any]:
    name, note = str(line["name"]), str(line.get("note") or "")
    name_lines = _lines(name, NAME_EM, NAME_SMALL_EM)
    note_lines = _lines(note, NOTE_EM, NOTE_SMALL_EM)
    return {
        "seq": i,
        "name": name,  # in full: the payee is who the bank pays, never cut short
        "wrap_name": name_lines > 0,
        "id_number": mask(line.get("id_number")),
        "bank_account": mask(line.get("bank_account")),
        "amount": _money(line["amount"]),
        "value": yuan(line["amount"]),
        "note": note,
        "wrap_note": note_lines > 0,
        "payee": line.get("payee") or (name, line.get("id_number") or ""),
        "height": max(ROW_MM, max(name_lines, note_lines) * SMALL_LINE_MM + 0.6),
    }


def _pages_of(rows: list[dict[str, Any]], budget: float) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row["height"] > budget + 0.01:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row["height"]
    return pages


def roster_pages(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Lines in pages, masked and numbered, each page with its subtotal and its people (the
    distinct payees: one may be paid on several lines).

    Pagination is ours rather than the layout engine's, so a page total is known before
    layout and page ranges can be laid out apart. A page holds rows up to the height of
    ROWS_PER_PAGE one-line rows; the last one LAST_PAGE_ROWS, so that the totals, the
    signatures and the QR code fit under them (else its rows are split over two pages).
    """
    rows = [_row(i, line) for i, line in enumerate(lines, start=1)]
    chunks = _pages_of(rows, ROWS_PER_PAGE * ROW_MM)
    last = chunks[-1]
    if sum(r["height"] for r in last) > LAST_PAGE_ROWS * ROW_MM + 0.01:
        tail: list[dict[str, Any]] = []
        while last and sum(r["height"] for r in [last[-1], *tail]) <= LAST_PAGE_ROWS * ROW_MM / 2 + 0.01:
            tail.insert(0, last.pop())
        chunks.append(tail or [last.pop()])
    return [
        {
            "number": n,
            "lines": chunk,
            "total": sum((r["value"] for r in chunk), Decimal(0)),
            "people": len({r["payee"] for r in chunk}),
            "is_last": n == len(chunks),
        }
        for n, chunk in enumerate(chunks, start=1)
    ]


def payout_roster(
    lines: Sequence[Mapping[str, Any]],
    stamp: Stamp,
    *,
    batch_ref: str,
    issuer: str = "德钦县人力资源和社会保障局",
    workers: int | None = None,
    audit_head: str = "",
) -> bytes:
    """发放花名册. Each line: ``name``, ``id_number``, ``bank_account``, ``amount`` (Decimal),
    optional ``note``; numbers may be given in full, the roster masks them. ``audit_head``: the
    audit log's head (SEQ:HASH) when it was printed, so that a chain rebuilt later no longer
    matches the paper (``fuzhi audit verify --head``).

    Large rosters are laid out as page ranges in ``workers`` processes (default: the CPUs) and
    joined with pypdf; ``workers=1`` keeps everything in this process.
    """
    pages = roster_pages(lines)
    common = {
        "batch_ref": batch_ref,
        "issuer": issuer,
        "audit_head": audit_head,
        "page_count": len(pages),
        "count": len(lines),
        "people": len({row["payee"] for page in pages for row in page["lines"]}),
        "grand_total": sum((p["total"] for p in pages), Decimal(0)),
    }
    parts = [
        render_html("payout_roster", {**common, "pages": pages[i : i + PAGES_PER_PART]}, stamp)
        for i in range(0, len(pages), PAGES_PER_PART)
    ]
    if len(parts) == 1:
        return html_to_pdf(parts[0])
    if workers is None:
        workers = (os.cpu_count() or 1) if len(lines) >= PARALLEL_FROM else 1
    if workers <= 1:
        pdfs = [html_to_pdf(part) for part in parts]
    else:
        # spawn, not fork: a server process has threads, and a forked child may inherit a held lock
        with ProcessPoolExecutor(
            max_workers=min(workers, len(parts)), mp_context=get_context("spawn")
        ) as pool:
            pdfs = list(pool.map(html_to_pdf, parts))
    return join_pdfs(pdfs)


def join_pdfs(pdfs: Sequence[bytes]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
