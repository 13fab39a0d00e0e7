"""The password rule, wherever a password is set (the admin's pages, ``fuzhi setup``, ``fuzhi user``):
long enough (12 characters for staff, 8 for an agent's account alone), at most 200, not the
account's name inside it, not one of the passwords that leaked lists show people choose, and
not too guessable as estimated by ``zxcvbn`` (its frequency lists of leaked passwords, words and
names, keyboard walks, dates and repeats; what it guesses within a million tries is refused)."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from .errors import ValidationFailed
from .roles import Role

STAFF_LENGTH = 12  # the county's staff: village, HR, finance, admin
AGENT_LENGTH = 8  # an organisation's agent (and nothing else)
MAX_LENGTH = 200
MIN_SCORE = 2  # zxcvbn: 0–1 fall within a million guesses (an online attack's reach)
_CHECKED = 72  # zxcvbn's own limit: the start of a long passphrase is what it rates
_LEAKED = frozenset(FREQUENCY_LISTS["passwords"])  # the 30,000 most common in leaked lists
_SITE_WORDS = ("fuzhi", "扶智", "deqin", "德钦")


def min_length(roles: Iterable[str]) -> int:
    """12 for any account with a staff role, 8 for an agent's account alone."""
    staff = {Role.VILLAGE.value, Role.HR.value, Role.FINANCE.value, Role.ADMIN.value}
    return STAFF_LENGTH if set(roles) & staff or not set(roles) else AGENT_LENGTH


def check_password_rule(password: str, username: str, roles: Iterable[str], display_name: str = "") -> None:
    """Refuse a password that breaks the rule, saying which part (``validation.password``)."""
    if len(password) < min_length(roles):
        if min_length(roles) == STAFF_LENGTH:
            raise ValidationFailed("validation.password", "工作人员账号的密码至少12位", field="password")
        raise ValidationFailed("validation.password", "密码至少8位", field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed("validation.password", "密码不能超过200个字符", field="password")
    folded, name = password.casefold(), username.strip().casefold()
    if len(name) >= 3 and name in folded:
        raise ValidationFailed("validation.password", "密码不能包含用户名", field="password")
    if folded in _LEAKED:
        raise ValidationFailed(
            "validation.password", "这是泄露的密码库里常见的密码，请换一个", field="password"
        )
    hints = [h for h in (username, display_name, *_SITE_WORDS) if h]
    if zxcvbn(password[:_CHECKED], user_inputs=hints)["score"] < MIN_SCORE:
        raise ValidationFailed(
            "validation.password",
            "密码太容易被猜到（常见单词、键盘顺序、日期或重复），请加长或换一个",
            field="password",
        )
