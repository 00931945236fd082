"""The triggers that keep the narrow downloads summaries equal to download_daily.

Every write to download_daily (the rollup's upserts, the log ingest, a cascade when an episode
or a show goes) moves the same downloads in three small tables: per show, day and app; per
show, day and country; per episode and day. The pages read those (a few thousand rows for 90
days) instead of the hundreds of thousands of download_daily rows one app and one country at a
time make. Written for SQLite and PostgreSQL; migration 0020 holds a frozen copy.
"""

from __future__ import annotations

SUMMARIES = {
    "download_show_app_daily": ("show_id", "day", "app"),
    "download_show_country_daily": ("show_id", "day", "country"),
    "download_episode_daily": ("episode_id", "day"),
}


def _add(table: str, keys: tuple[str, ...], row: str) -> str:
    columns = ", ".join((*keys, "downloads"))
    values = ", ".join(f"{row}.{key}" for key in (*keys, "downloads"))
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE "
        f"SET downloads = {table}.downloads + excluded.downloads;"
    )


def _take(table: str, keys: tuple[str, ...]) -> str:
    # An UPDATE, not an upsert: a summary row already gone with its show or episode stays gone.
    where = " AND ".join(f"{key} = OLD.{key}" for key in keys)
    return f"UPDATE {table} SET downloads = downloads - OLD.downloads WHERE {where};"


def _body(adds: bool, takes: bool, row: str = "NEW") -> str:
    lines = []
    for table, keys in SUMMARIES.items():
        if takes:
            lines.append(_take(table, keys))
        if adds:
            lines.append(_add(table, keys, row))
    return "\n  ".join(lines)


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER download_daily_{event.lower()} AFTER {event} ON download_daily "
    f"FOR EACH ROW BEGIN\n  {_body(event != 'DELETE', event != 'INSERT')}\nEND"
    for event in ("INSERT", "UPDATE", "DELETE")
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION download_daily_summaries() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    f"  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n  {_body(False, True)}\n  END IF;\n"
    f"  IF TG_OP IN ('INSERT', 'UPDATE') THEN\n  {_body(True, False)}\n  END IF;\n"
    "  RETURN NULL;\n"
    "END $$",
    "CREATE TRIGGER download_daily_summaries AFTER INSERT OR UPDATE OR DELETE ON download_daily "
    "FOR EACH ROW EXECUTE FUNCTION download_daily_summaries()",
]
DROP = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS download_daily_{e}" for e in ("insert", "update", "delete")
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS download_daily_summaries ON download_daily",
        "DROP FUNCTION IF EXISTS download_daily_summaries()",
    ],
}


def backfill() -> list[str]:
    """Statements that fill the summaries from download_daily as it stands."""
    return [
        f"INSERT INTO {table} ({', '.join(keys)}, downloads) "
        f"SELECT {', '.join(keys)}, SUM(downloads) FROM download_daily GROUP BY {', '.join(keys)}"
        for table, keys in SUMMARIES.items()
    ]
