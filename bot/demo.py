"""A demo county for the sandbox: two townships, four villages, their cadres and leaders."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import ImportReport, import_directory

VILLAGES = [
    ("sq01", "石桥村", "石桥镇"), ("sq02", "柳树村", "石桥镇"),
    ("qh01", "清河村", "清河乡"), ("qh02", "桃园村", "清河乡"),
]
# (name, role, telegram id, villages, categories, township)
STAFF = [
    ("王建国", "cadre", 2001, "sq01", "", ""),
    ("孙丽", "cadre", 2004, "sq01", "land;property", ""),
    ("李秀英", "cadre", 2002, "sq02", "", ""),
    ("赵志强", "cadre", 2003, "qh01;qh02", "", ""),
    ("刘书记", "township_leader", 2101, "", "", "石桥镇"),
    ("周乡长", "township_leader", 2102, "", "", "清河乡"),
    ("黄县长", "county_leader", 2201, "", "", ""),
    ("吴督查", "supervisor", 2301, "", "", ""),
    ("郑纪检", "inspector", 2401, "", "", ""),
]
# Households of the five kinds, paired with the village cadres (结对帮扶): (village, head, phone, kinds, cadre).
HOUSEHOLDS = [
    ("sq01", "陈德福", "13900000011", "influential", "王建国"),
    ("sq01", "刘桂兰", "13900000012", "poor;relocated", "王建国"),
    ("sq01", "杨老三", "13900000013", "sanctioned;policy_doubt", "王建国"),
    ("sq02", "周大山", "13900000021", "relocated", "李秀英"),
    ("sq02", "吴秀梅", "13900000022", "poor", "李秀英"),
    ("qh01", "郑老汉", "13900000031", "influential", "赵志强"),
    ("qh02", "何春花", "13900000041", "policy_doubt;poor", "赵志强"),
]
# Villagers are not in the directory: they introduce themselves with /start.
VILLAGERS = [(3001, "张大爷", "zh-hans"), (3002, "李大妈", "zh-hans"), (3003, "王小明", "zh-hans"),
             (3004, "Tom Li", "en")]
COUNTY = "青山县"


def demo_sheets() -> dict:
    """Return the demo directory in the shape the importer reads."""
    villages = [(n, {"code": c, "name": name, "township": t, "county": COUNTY})
                for n, (c, name, t) in enumerate(VILLAGES, start=2)]
    people = [(n, {"name": name, "role": role, "telegram_id": str(tg), "phone": "", "villages": v,
                   "categories": cats, "township": town})
              for n, (name, role, tg, v, cats, town) in enumerate(STAFF, start=2)]
    households = [(n, {"village": v, "head": head, "phone": phone, "kinds": kinds, "paired_cadre": cadre})
                  for n, (v, head, phone, kinds, cadre) in enumerate(HOUSEHOLDS, start=2)]
    return {"villages": villages, "people": people, "households": households}


async def load_demo(session: AsyncSession, now: datetime) -> ImportReport:
    """Load (or refresh) the demo county."""
    return await import_directory(session, demo_sheets(), now)
