"""Configuration from the environment, with defaults for the embedded demo."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/wangge.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: str
    token_ttl_s: int = 12 * 3600
    max_body_bytes: int = 1 << 20  # a GraphQL document or variables larger than 1 MiB is abuse
    max_page: int = 100


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
    )
