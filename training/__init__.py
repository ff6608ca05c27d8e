"""农村劳动力技能培训 — the county's vocational-training service."""

__version__ = "0.1.0"
