"""居民身份证号码 (GB 11643-1999): checking what was typed, and what the number says (birth date, sex)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import msgspec
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from training.core.config import latest_today
from training.core.text import clean

_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


@lru_cache(maxsize=65_536)
def _address_known(address_code: str, birth_year: int) -> bool:
    """Whether the address code was a county when the number was issued (stdnum's table); cached
    because its look-up is a scan, and a county's numbers share a handful of codes."""
    try:
        ric.get_birth_place(f"{address_code}{birth_year:04d}01010000")
    except ValidationError:
        return False
    return True


class IdCard(msgspec.Struct, frozen=True):
    number: str
    birth_date: date
    sex: str  # "male" | "female": the 17th digit, odd for men
    address_code: str


class IdCardError(ValueError):
    """The number is wrong; the message says why in words a clerk understands."""


def parse_id_number(raw: object, today: date | None = None) -> IdCard:
    """Normalise (full-width, spaces, lower-case x) and check a number; raise IdCardError if wrong.

    `today` is the county's day (Settings.today()); a caller without one gets the latest calendar day on
    Earth, so a birth date is then refused only once it is in the future everywhere, whatever the
    machine's own time zone."""
    if isinstance(raw, float) or (isinstance(raw, int) and not isinstance(raw, bool)):
        raise IdCardError("身份证号被存成了数字，末尾几位已丢失；请把这一列设为“文本”后重新录入")
    text = clean(raw).upper()
    if not text:
        raise IdCardError("身份证号不能为空")
    if _SCIENTIFIC.match(text) or (text.endswith(".0") and text[:-2].isdigit()):
        raise IdCardError("身份证号被存成了数字（科学计数法），末尾几位已丢失；请把这一列设为“文本”后重新录入")
    if len(text) == 15 and text.isdigit():
        raise IdCardError("这是 15 位的旧身份证号，请录入 18 位的新号码")
    if len(text) != 18:
        raise IdCardError(f"身份证号应为 18 位，这里有 {len(text)} 位")
    # ASCII digits only: isdigit() and int() also take other scripts' digits (Arabic-Indic ٠-٩, which NFKC
    # keeps), and such a number would pass the check yet hash differently from the same person's.
    if not (text[:17].isascii() and text[:17].isdigit()) or text[17] not in "0123456789X":
        raise IdCardError("身份证号只能是 17 位数字加最后一位数字或 X")
    try:
        birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise IdCardError("身份证号中的出生日期不存在，请核对") from None
    if ric.calc_check_digit(text) != text[17]:
        if text.endswith("000"):
            raise IdCardError("身份证号校验位不正确，末尾像是被 Excel 改成了 000；请把这一列设为“文本”后重新录入")
        raise IdCardError(f"身份证号校验位不正确（按前 17 位算应为 {ric.calc_check_digit(text)}），请核对")
    if not _address_known(text[:6], int(text[6:10])):
        raise IdCardError("身份证号前 6 位不是有效的行政区划（地址码），请核对")
    number = text
    if birth > (today or latest_today()):
        raise IdCardError("身份证号中的出生日期在今天之后，请核对")
    return IdCard(number=number, birth_date=birth, sex="male" if int(number[16]) % 2 else "female",
                  address_code=number[:6])
