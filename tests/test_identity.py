"""Resident ID validation agrees with python-stdnum's own ``ric.validate`` on every kind of
number, while its birth-place look-up is kept per area and year."""

from __future__ import annotations

import itertools

import pytest
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from workflow.identity import birth_date, validate_ric


def with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


AREAS = ("533422", "533401", "110101", "999999", "533400", "000000", "532301")
DATES = ("19900101", "20000229", "19990229", "19001231", "20261128", "19801301", "19800132")
CASES = [with_check(f"{a}{d}123") for a, d in itertools.product(AREAS, DATES)] + [
    "533422199001011232",  # wrong check digit
    "53342219850105123x".upper(),
    "5334221990A1011236",  # a letter in the body
    "53342219900101123",  # 17 characters
    "5334221990010112361",  # 19 characters
    " 533422 19900101 1236",  # spaces stdnum strips
    "533422-19900101-1236",
    "５３３４２２１９９００１０１１２３６",  # full-width digits stdnum maps to ASCII
    "533422199001011236\n",
    "",
]


def outcome(validate, number: str) -> str:
    try:
        return "ok " + str(validate(number))
    except stdnum_errors.ValidationError as exc:
        return type(exc).__name__


@pytest.mark.parametrize("number", CASES)
def test_the_same_answer_as_stdnum(number: str) -> None:
    assert outcome(validate_ric, number) == outcome(ric.validate, number)
    assert outcome(validate_ric, number) == outcome(ric.validate, number)  # from the kept look-up


@pytest.mark.parametrize("number", [n for n in CASES if outcome(ric.validate, n).startswith("ok")])
def test_birth_date_as_stdnum_reads_it(number: str) -> None:
    assert birth_date(number) == ric.get_birth_date(number)


def test_every_kind_of_answer_is_among_the_cases() -> None:
    kinds = {outcome(ric.validate, n).split()[0] for n in CASES}
    assert kinds == {"ok", "InvalidChecksum", "InvalidFormat", "InvalidLength", "InvalidComponent"}
