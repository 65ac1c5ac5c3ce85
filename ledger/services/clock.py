"""The ledger's notion of time: UTC ISO-8601 with microseconds and ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> str:
    return format_utc(datetime.now(UTC))
