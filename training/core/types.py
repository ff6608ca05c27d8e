"""Constrained field types shared by the areas' schemas."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

CountyCode = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="县级行政区划代码（6 位，GB/T 2260）",
                                         examples=["513435"])]
RegionCode = Annotated[str, msgspec.Meta(pattern=r"^\d{12}$", description="统计用区划代码（12 位）",
                                         examples=["513435100200"])]
TradeCode = Annotated[str, msgspec.Meta(pattern=r"^\d-\d{2}-\d{2}-\d{2}$",
                                        description="职业分类大典工种代码（大类-中类-小类-细类）",
                                        examples=["4-03-02-01"])]
EducationCode = Annotated[str, msgspec.Meta(pattern=r"^\d{2}$", description="文化程度代码（GB/T 4658）",
                                            examples=["71"])]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^[0-9+\-() ]{5,20}$", description="电话号码")]

SkillLevel = Literal["junior", "intermediate", "senior", "technician", "senior_technician"]
SKILL_LEVEL_LABELS = {"junior": "五级/初级工", "intermediate": "四级/中级工", "senior": "三级/高级工",
                      "technician": "二级/技师", "senior_technician": "一级/高级技师"}

# Dates this service can mean: anything else is a typo (or 0001-01-01, which PostgreSQL stores as -infinity).
EARLIEST_DATE_YEAR, LATEST_DATE_YEAR = 2000, 2100


def date_out_of_range(value: object) -> bool:
    year = getattr(value, "year", None)
    return year is not None and not EARLIEST_DATE_YEAR <= year <= LATEST_DATE_YEAR
