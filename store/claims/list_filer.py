"""Filing a list's rows: each row checked on its own (``list_rows``), then against the others
and the live claims (``workflow.lists.check``); the accepted rows written in bulk (new
persons, claims of batch ``L{list id}``, their first history rows) or, after a lost race, row
by row in savepoints; every row's outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.lists.check import ABSORPTION, Candidate, check_rows
from workflow.lists.columns import HEADER_OF
from workflow.lists.rows import ListRow, RowError
from workflow.roles import Actor
from workflow.rules import OtherClaim
from workflow.states import CLAIM_DEAD_VALUES

from ..db import Database
from ..models import Claim, ClaimHistory, Organisation, Person
from ..opening import Opening, opening
from ..people.org_queries import claimant_facts
from ..people.persons import PersonInput, person_values
from ..policy.versions import version_in_force
from .bulk_sql import chunked, insert_many, lost_race, reserve_ids
from .filing import OTHER_CLAIM_COLUMNS, claim_values
from .list_report import RowOutcome
from .list_rows import Checked, NewPerson, check_each


def file_rows(
    session: Session,
    db: Database,
    actor: Actor,
    org: Organisation,
    list_id: int,
    now: datetime,
    rows: Sequence[ListRow],
    dry_run: bool,
) -> dict[int, RowOutcome]:
    """Check the rows read without error and file the valid ones (unless a dry run), inside the
    upload's transaction: every row's outcome by row number."""
    return _Filer(session, db, actor, org, list_id, now).run(rows, dry_run)


class _Filer:
    def __init__(
        self, session: Session, db: Database, actor: Actor, org: Organisation, list_id: int, now: datetime
    ) -> None:
        self.session, self.db, self.actor, self.now = session, db, actor, now
        self.batch_ref = f"L{list_id}"
        self.today = now.date()
        self.claimant = claimant_facts(org)
        self.opened: Opening | None = None  # made when the accepted rows are stored

    def run(self, rows: Sequence[ListRow], dry_run: bool) -> dict[int, RowOutcome]:
        self.dry_run = dry_run
        checked = self._check(rows)
        if dry_run:
            return self._report(rows, checked, {})
        try:
            with self.session.begin_nested():
                ids = self._store_bulk(checked)
        except Exception as exc:
            if not lost_race(exc):
                raise
            # Another upload or claim took a place between our reads and our writes: read
            # again, check again, and write row by row so that only the losing rows fail.
            checked = self._check(rows)
            ids = self._store_each(checked)
        return self._report(rows, checked, ids)

    # ------------------------------------------------------------------------ checking

    def _check(self, rows: Sequence[ListRow]) -> Checked:
        reserve = None if self.dry_run else partial(reserve_ids, self.session, Person.__table__)
        out = check_each(self.session, self.db, rows, self.claimant, self.today, self.batch_ref, reserve)
        self.new_ids = {p.id for p in out.new_persons.values() if p.id is not None}
        self.live = self._live(out.candidates.values())
        outcomes, refused = check_rows(list(out.candidates.values()), *self.live, self.today)
        for number, error in refused.items():
            out.errors[number] = [error]
            del out.candidates[number]
        self.outcomes = outcomes
        return out

    def _live(
        self, candidates: Iterable[Candidate]
    ) -> tuple[dict[int, list[OtherClaim]], dict[str, list[OtherClaim]]]:
        """The live claims (any claimant) of the list's known persons, and the claimant's own
        live claims (any year) of the absorption types the list files."""
        cands = list(candidates)
        # The new persons (placeholders or the ids reserved for them) have no claims yet.
        person_ids = {c.draft.person.id for c in cands if c.draft.person.id > 0} - self.new_ids
        cols = OTHER_CLAIM_COLUMNS
        by_person: dict[int, list[OtherClaim]] = {}
        for row in chunked(
            self.session,
            select(*cols).where(Claim.state.not_in(CLAIM_DEAD_VALUES)),
            Claim.person_id,
            person_ids,
        ):
            by_person.setdefault(row.person_id, []).append(OtherClaim(*row))
        by_claimant: dict[str, list[OtherClaim]] = {}
        wanted = {c.draft.subsidy_type for c in cands if c.draft.subsidy_type in ABSORPTION}
        if wanted:
            q = select(*cols).where(
                Claim.state.not_in(CLAIM_DEAD_VALUES),
                Claim.claimant_org_id == self.claimant.id,
                Claim.subsidy_type.in_(wanted),
            )
            for row in self.session.execute(q):
                by_claimant.setdefault(row.subsidy_type, []).append(OtherClaim(*row))
        return by_person, by_claimant

    # ------------------------------------------------------------------------ storing

    def _store_bulk(self, checked: Checked) -> dict[int, int]:
        """Insert the new persons, then the claims, then their history rows, one bulk
        statement each, with the ids reserved for them."""
        needed = sorted(self._needed_persons(checked), key=lambda p: p.digest)  # lock order
        insert_many(self.session, Person.__table__, [self._person_values(p) for p in needed])
        final = self._final(checked)
        if not final:
            return {}
        ids = reserve_ids(self.session, Claim.__table__, len(final))
        for (_, values), claim_id in zip(final, ids, strict=True):
            values["id"] = claim_id
        insert_many(self.session, Claim.__table__, [values for _, values in final])
        insert_many(self.session, ClaimHistory.__table__, self._opened().history_rows(ids))
        return dict(zip([number for number, _ in final], ids, strict=True))

    def _store_each(self, checked: Checked) -> dict[int, int]:
        """Row by row, each in a savepoint: a row that lost a race is refused as a duplicate."""
        ids: dict[int, int] = {}
        failed_persons: set[int] = set()
        for person in self._needed_persons(checked):
            try:
                with self.session.begin_nested():
                    self.session.execute(insert(Person.__table__), self._person_values(person))
            except IntegrityError:
                failed_persons.add(person.id or 0)
        for number in [n for n, c in checked.candidates.items() if c.draft.person.id in failed_persons]:
            del checked.candidates[number]
            checked.errors[number] = [
                RowError(
                    HEADER_OF["id_number"],
                    "conflict.person_registered",
                    "该人员刚刚由其他单位登记，请重新上传此行",
                )
            ]
        for number, values in self._final(checked):
            try:
                with self.session.begin_nested():
                    claim_id = self.session.scalar(
                        insert(Claim.__table__).returning(Claim.__table__.c.id), values
                    )
                    self.session.execute(
                        insert(ClaimHistory.__table__), self._opened().history_rows([claim_id])
                    )
                ids[number] = claim_id
            except IntegrityError:
                del checked.candidates[number]
                checked.errors[number] = [
                    RowError(HEADER_OF["id_number"], "rule.duplicate", "该人员已有同类补贴申请，不得重复申请")
                ]
        return ids

    def _needed_persons(self, checked: Checked) -> list[NewPerson]:
        """The new persons an accepted row names (a person whose every row was refused is not
        registered)."""
        ids = {c.draft.person.id for c in checked.candidates.values()}
        return [p for p in checked.new_persons.values() if p.id in ids]

    def _final(self, checked: Checked) -> list[tuple[int, dict[str, Any]]]:
        """The accepted rows as claim rows ready to insert. The rules saw the new persons'
        reserved ids, and the live claims read for the check still hold: new persons have
        none, and a claim filed since by someone else meets the unique constraints."""
        self.opened = opening(self.db, self.session, "claim", self.actor, self.now)
        versions: dict[int, int | None] = {}
        out = []
        for c in checked.candidates.values():
            year = c.draft.policy_year
            if year not in versions:
                versions[year] = version_in_force(self.session, year)
            values = claim_values(
                checked.inputs[c.row],
                c.draft,
                self.outcomes[c.row],
                claimant_id=self.claimant.id,
                village_id=checked.village_of[c.draft.person.id],
                opened=self.opened,
                params_version_id=versions[year],
            )
            out.append((c.row, values))
        return out

    def _opened(self) -> Opening:
        assert self.opened is not None  # _final made it
        return self.opened

    def _person_values(self, person: NewPerson) -> dict[str, Any]:
        row = person.row
        values = person_values(
            self.db,
            PersonInput(
                name=row.name,
                id_number=row.id_number,
                village_id=person.village_id,
                target_groups=tuple(row.target_groups),
                labour_capacity=row.labour_capacity,
                labour_force_override=row.labour_force_override,
                phone=row.phone,
                household_no=row.household_no,
                bank_account=row.bank_account,
                registered_by_org_id=self.claimant.id,
            ),
            row.id_number,
            row.bank_account,
            row.name,
        )
        values["id"], values["created_at"] = person.id, self.now
        return values

    # ------------------------------------------------------------------------ reporting

    def _report(
        self, rows: Sequence[ListRow], checked: Checked, ids: dict[int, int]
    ) -> dict[int, RowOutcome]:
        out: dict[int, RowOutcome] = {}
        for row in rows:
            number = row.row
            if number in checked.errors:
                out[number] = RowOutcome(number, "refused", errors=tuple(checked.errors[number]))
            elif number in ids:
                out[number] = RowOutcome(number, "accepted", ids[number], self.outcomes[number].amount)
            else:
                out[number] = RowOutcome(number, "valid", None, self.outcomes[number].amount)
        return out
