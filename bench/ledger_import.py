"""Benchmark: import a 100,000-row training ledger (培训台账) through the real HTTP API.

Target (issue 11): at least half the rows per second of the raw limit, measured in the same run: reading
the same file and COPYing its rows raw, i.e. the service's workbook reader (`core.excel.read_sheet`, the
guarded streaming reader every upload must go through) on the same bytes, then asyncpg COPY of every
row's cells as text into a bare table without indexes: what any import of this file costs at least, with
no checking, no encrypting and no upsert. Also printed: the floor of the service's own Python work (read,
parse, check and encrypt the rows with the same functions the import calls, no database), so the gap is
split between Python and PostgreSQL.

    .venv/bin/python bench/ledger_import.py [--rows 100000]

Uses DATABASE_URL if set (it must allow CREATE DATABASE), else a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from stdnum.cn import ric

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ADMIN, ADMIN_PASSWORD, open_bench_database  # noqa: E402
from training.app import create_app  # noqa: E402
from training.auth import repository as auth_repo  # noqa: E402
from training.auth.service import principal_from  # noqa: E402
from training.core import db  # noqa: E402
from training.core.config import load_settings  # noqa: E402
from training.core.crypto import Vault  # noqa: E402
from training.core.excel import read_sheet  # noqa: E402
from training.ledger import repository as ledger_repo  # noqa: E402
from training.ledger import service as ledger  # noqa: E402
from training.ledger.columns import HEADERS  # noqa: E402
from training.registry import service as registry  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SURNAMES = "阿木 吉克 沙马 俄木 马海 罗洪 王 李 张 刘 陈 杨".split()
GIVEN = "日哈 拉且 阿呷 石布 伍各 建国 秀英 德明 木呷 阿支 丽 洋 静".split()
# A 监测户 is written as its kind, which gives the 监测类型 every entry path requires.
STATUS = ["建档立卡贫困户", "脱贫户", "边缘易致贫户", "一般农户"]
EDU = ["初中毕业", "71", "小学毕业", "61", "未上过学", "初中肄业"]
LABOUR = ["劳动力", "普通劳动力", "弱劳动力", "丧失劳动力"]
WORK = ["务农", "本地务工", "外出务工", "无业"]
TRADES = ["电工", "4-03-02-01", "家政服务员", "中式面点师", "6-18-02-04", "电子商务师", ""]


def id_number(serial: int) -> str:
    birth = date(1960, 1, 1) + timedelta(days=serial % 16000)
    body = f"513435{birth:%Y%m%d}{serial // 16000 % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_ledger(rows: int, villages: list[str]) -> bytes:
    rng = random.Random(20261123)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("培训台账")
    sheet.append(["甘洛县培训需求台账（基准测试）"])
    sheet.append(HEADERS)
    serial, household = 0, 0
    while serial < rows:
        household += 1
        village = villages[household % len(villages)]
        status = STATUS[household % 4]
        head = rng.choice(SURNAMES) + rng.choice(GIVEN)
        for member in range(min(rng.randint(2, 6), rows - serial)):
            number = id_number(serial)
            serial += 1
            cell = WriteOnlyCell(sheet, value=number)
            cell.number_format = "@"
            trade = TRADES[serial % len(TRADES)]
            sheet.append([
                f"HH{household:06d}", village, head, status, head if member == 0 else rng.choice(SURNAMES) + rng.choice(GIVEN),
                cell, "户主" if member == 0 else "子女", "彝族", EDU[serial % len(EDU)], "否", 2020 + serial % 6,
                LABOUR[serial % 4], WORK[serial % 4], f"139{serial:08d}", trade or None, None, None,
                "短期技能培训" if trade else None, "3、4、10" if trade else None, "是" if trade else None,
                "2026-10-15" if trade else None])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()



def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def raw_limit(dsn: str, content: bytes) -> dict[str, float]:
    """Read the same file with the service's reader, then COPY its rows' cells as text into a bare table."""
    started = time.perf_counter()
    rows = read_sheet(content)
    read = time.perf_counter() - started
    width = max(len(r) for r in rows)
    conn = await asyncpg.connect(dsn)
    try:
        columns = [f"c{i}" for i in range(width)]
        await conn.execute(f"CREATE TABLE raw_ledger ({', '.join(f'{c} text' for c in columns)})")
        started = time.perf_counter()
        await conn.copy_records_to_table("raw_ledger", columns=columns, records=(
            [None if v is None else str(v) for v in r] + [None] * (width - len(r)) for r in rows))
        copy = time.perf_counter() - started
    finally:
        await conn.close()
    return {"read_seconds": round(read, 2), "copy_seconds": round(copy, 2), "seconds": round(read + copy, 2)}


def python_floor(content: bytes, lookup: dict[str, str], names: dict[str, str], reference: Any,
                 principal: Any) -> float:
    """The import's own Python work on the file with no database: read, parse, every rule, hash and
    encrypt, through the functions the import calls (nothing in the register yet, as on a first import)."""
    vault = Vault(bytes(32))
    started = time.perf_counter()
    parsed = ledger.parse_rows(read_sheet(content), lookup, names)
    ledger.check_rows(parsed, reference, ledger.Known(people={}, households={}), vault, principal)
    ledger._staging_records(vault, [r for r in parsed.rows if not r.problems], set())
    return time.perf_counter() - started


async def main(rows: int) -> dict[str, Any]:
    settings = load_settings()
    bench = await open_bench_database(settings, "ledger")
    dsn = bench.dsn
    try:
        async with db.connect(dsn) as conn:
            villages = [r["code"] for r in await conn.fetch(
                "SELECT code FROM regions WHERE level = 'village' AND county_code = '513435' ORDER BY code")]
        started = time.perf_counter()
        content = make_ledger(rows, villages)
        generated = time.perf_counter() - started
        print(f"ledger: {rows} rows, {len(content) / 1e6:.1f} MB, generated in {generated:.1f} s", flush=True)

        app = create_app(settings, dsn=dsn, migrate_on_start=False)
        results: dict[str, Any] = {}
        async with app.lifespan():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=cast(Any, app)), base_url="http://bench",
                                         timeout=600) as http:
                token = (await http.post("/api/auth/token", json={"username": ADMIN,
                                                                 "password": ADMIN_PASSWORD})).json()
                headers = {"Authorization": f"Bearer {token['access_token']}"}
                for run in ("first import", "re-import (no changes)"):
                    started = time.perf_counter()
                    response = await http.post("/api/ledger/import", headers=headers,
                                               files={"file": ("台账.xlsx", content, XLSX)}, data={"mode": "all_or_nothing"})
                    elapsed = time.perf_counter() - started
                    body = response.json()
                    assert response.status_code == 200, body
                    print(f"{run}: {elapsed:.1f} s  people created {body['people_created']}, "
                          f"unchanged {body['people_unchanged']}, rejected {len(body['rejected'])}", flush=True)
                    results[run] = {"seconds": round(elapsed, 2), "people_created": body["people_created"],
                                    "people_unchanged": body["people_unchanged"],
                                    "households_created": body["households_created"],
                                    "surveys_created": body["surveys_created"]}
        async with db.connect(dsn) as conn:
            account = await auth_repo.by_username(conn, ADMIN)
            assert account is not None
            floor_args = (await ledger.trade_lookup(conn), await ledger_repo.education_names(conn),
                          await registry.reference(conn, settings.today()), principal_from(account))
        floor = await asyncio.to_thread(python_floor, content, *floor_args)
        raw = await raw_limit(dsn, content)
        first = results["first import"]["seconds"]
        print(f"raw limit: read the file {raw['read_seconds']:.2f} s + COPY its rows {raw['copy_seconds']:.2f} s "
              f"= {raw['seconds']:.2f} s; ratio {raw['seconds'] / first:.2f}", flush=True)
        print(f"floor of the import's Python work (read, parse, rules, hash, encrypt; no database): {floor:.2f} s",
              flush=True)
        return {"rows": rows, "file_mb": round(len(content) / 1e6, 1), "runs": results,
                "raw": raw, "raw_seconds": raw["seconds"], "python_floor_seconds": round(floor, 2),
                "ratio": round(raw["seconds"] / first, 3), "peak_rss_mb": round(peak_rss_mb()),
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    finally:
        await bench.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.rows))
    out = ROOT / "bench" / "results" / "ledger_import.json"
    out.parent.mkdir(exist_ok=True)
    if args.rows == 100_000:  # only the documented size updates the figures the README quotes
        out.write_text(json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(outcome, ensure_ascii=False, indent=2))
