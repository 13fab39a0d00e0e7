"""统一社会信用代码: every registration authority GB 32100 allows, the check digit still checked."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from workflow.credit_code import ALPHABET, AUTHORITIES, describe
from workflow.errors import ValidationFailed
from workflow.identity import normalise_credit_code


def with_check_digit(body: str) -> str:
    """ISO 7064 MOD 31-3 written out here (weights 3^i mod 31), independent of the code under test."""
    assert len(body) == 17
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + ALPHABET[(31 - total % 31) % 31]


def refusal(raw: str) -> str:
    with pytest.raises(ValidationFailed) as info:
        normalise_credit_code(raw)
    assert info.value.details["field"] == "credit_code"
    return info.value.code


def test_the_independent_check_digit_agrees_with_a_published_code():
    assert with_check_digit("91110000600037341") == "91110000600037341L"


@pytest.mark.parametrize(
    "body",
    [
        "91533422MA6K12345",  # 工商: an enterprise registered in 德钦县
        "92533422MA6N0P7Q8",  # 工商: 个体工商户
        "52533422MJ0123456",  # 民政: 民办非企业单位
        "54533422MH0012345",  # 民政: 村民委员会 (基层群众性自治组织)
        "N2533422MF1234567",  # 农业: 村级集体经济组织, which stdnum 2.2 refuses
        "N1533422MF7654321",  # 农业: 组级集体经济组织
        "A1110000MB0000019",  # 中央军委改革和编制办公室: 军队事业单位
        "Y1533422MC0000018",  # 其他
        "11533422015190380",  # 机构编制: 机关
    ],
)
def test_a_code_of_every_allowed_authority_is_accepted(body):
    code = with_check_digit(body)
    assert normalise_credit_code(code.lower()) == code
    assert describe(code).startswith(AUTHORITIES[code[0]][0])


def test_stdnum_alone_would_refuse_a_village_collective_code():
    # The reason the project checks the structure itself: if stdnum ever accepts these,
    # workflow.credit_code could go back to calling uscc.validate.
    assert not uscc.is_valid(with_check_digit("N2533422MF1234567"))


def test_a_wrong_check_digit_is_refused():
    for body in ("91533422MA6K12345", "N2533422MF1234567"):
        good = with_check_digit(body)
        wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
        assert refusal(wrong) == "validation.credit_code_checksum"


@pytest.mark.parametrize("authority", ["B", "C", "0", "M", "X"])
def test_an_authority_code_the_standard_does_not_have_is_refused(authority):
    assert refusal(with_check_digit(authority + "1533422MA6K12345")) == "validation.credit_code_authority"


@pytest.mark.parametrize("head", ["94", "Y2", "N4", "58", "A3", "16"])
def test_a_category_its_authority_does_not_have_is_refused(head):
    assert refusal(with_check_digit(head + "533422MA6K12345")) == "validation.credit_code_category"


@pytest.mark.parametrize(
    "raw", ["91533422MA6K1234", "9153342XMA6K12345B", "91533422MA6K1234OB", "91533422MA6K1234SB"]
)
def test_a_malformed_code_is_refused_naming_the_field(raw):
    assert refusal(raw) == "validation.credit_code"
