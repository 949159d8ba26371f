"""Configuration from the environment, with defaults for the embedded demo."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/wangge.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: str
    token_ttl_s: int = 12 * 3600
    max_body_bytes: int = 1 << 20  # a GraphQL document or variables larger than 1 MiB is abuse
    max_upload_bytes: int = 26 << 20  # multipart: up to 5 photos of 5 MiB
    max_page: int = 100
    media_dir: Path = Path("var/media")
    sweep_interval_s: float = 60.0
    live_poll_s: float = 1.0  # how often subscriptions look for changes (their latency)
    geofence_m: float = 100.0  # a visit farther from the household is flagged (rural GPS)
    reminder_days: int = 30  # a reminder this many days before a qualification expires
    # injectable so tests control time (deadlines, escalation, overdue)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def var_dir() -> Path:
    return Path(os.environ.get("WANGGE_VAR", "var"))


def _secret() -> str:
    """WANGGE_SECRET, else a random one kept in var/secret so tokens survive a restart."""
    if env := os.environ.get("WANGGE_SECRET"):
        return env
    path = var_dir() / "secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def load_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        secret=_secret(),
        token_ttl_s=int(os.environ.get("WANGGE_TOKEN_TTL_S", 12 * 3600)),
        media_dir=Path(os.environ.get("WANGGE_MEDIA_DIR", var_dir() / "media")),
        geofence_m=float(os.environ.get("WANGGE_GEOFENCE_M", 100.0)),
        reminder_days=int(os.environ.get("WANGGE_REMINDER_DAYS", 30)),
        live_poll_s=float(os.environ.get("WANGGE_LIVE_POLL_S", 1.0)),
    )
