"""The category list that ships with the project (the campaign's own names)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name_zh: str
    name_en: str
    kind: str
    first_response: str
    resolve: str
    urgent: bool = False
    confidential: bool = False


CONDUCT = "conduct"
POLICY_QUESTION = "policy"

DEFAULT_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("environment", "环境污染", "Environmental pollution", "complaint", "24h", "7d"),
    CategorySpec("hazard", "安全隐患", "Safety hazard", "complaint", "2h", "7d", urgent=True),
    CategorySpec("property", "产权纠纷", "Property dispute", "complaint", "24h", "7d"),
    CategorySpec("land", "山林土地流转纠纷", "Forest and land transfer dispute", "complaint", "24h", "7d"),
    CategorySpec("demolition", "房屋拆迁纠纷", "Housing demolition dispute", "complaint", "24h", "7d"),
    CategorySpec("security", "社会治安", "Public security", "complaint", "24h", "7d"),
    CategorySpec("village_affairs", "村务财务公开", "Village affairs and finances", "complaint", "24h", "7d"),
    CategorySpec("subsistence", "低保分配", "Subsistence allowance", "complaint", "24h", "7d"),
    CategorySpec("land_compensation", "征地补偿", "Land requisition compensation", "complaint", "24h", "7d"),
    CategorySpec(CONDUCT, "干部作风", "Cadre conduct", "complaint", "24h", "15d", confidential=True),
    CategorySpec("hardship", "生产生活困难", "Hardship in work or daily life", "request", "24h", "7d"),
    CategorySpec(POLICY_QUESTION, "政策咨询", "Policy question", "question", "24h", "3d"),
    CategorySpec("other", "其他", "Other", "complaint", "24h", "7d"),
)

# Categories whose complaints are disputes between people (counted for mediation).
DISPUTE_CATEGORIES = frozenset({"property", "land", "demolition", "land_compensation"})
