"""Settings from environment variables, validated at start-up with one message per problem.

Every variable the program reads is here and in ``.env.example``. A bad or missing value stops
the process with a list of what to fix, instead of failing later on a request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs

from kustodia_entrypoints.http.config import Mode

T = TypeVar("T")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./kustodia.db"
MEMORY_URL = "memory://"
"""Run on the in-memory adapters: nothing survives the process (tests, throwaway demos)."""
MIN_SECRET = 32
# Only outside production, where a missing secret is an error; sandboxes need no set-up.
_DEV_SECRET = "kustodia-sandbox-only-secret-never-use-in-production"  # noqa: S105


class SettingsError(Exception):
    """The environment is not a valid configuration; ``problems`` says why, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@attrs.frozen(kw_only=True)
class Settings:
    """The validated configuration."""

    env: Mode
    database_url: str
    jwt_secret: str = attrs.field(repr=False)
    spei_webhook_secret: str = attrs.field(repr=False)
    platform_fee_bps: int = 0
    funding_window_days: int = 7
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    login_attempts_per_minute: int = 10
    worker_interval_seconds: int = 5
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = attrs.field(default=None, repr=False)

    @property
    def in_memory(self) -> bool:
        return self.database_url == MEMORY_URL


class _Reader:
    """Reads variables, collecting every problem instead of stopping at the first."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or default

    def number(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            self.problems.append(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
            return default
        return int(raw)

    def choice(self, name: str, parse: Callable[[str], T], default: T, allowed: str) -> T:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return parse(raw.lower())
        except ValueError:
            self.problems.append(f"{name} must be one of {allowed}, got {raw!r}")
            return default

    def secret(self, name: str, env: Mode) -> str:
        value = self.text(name)
        if value is None:
            if env is Mode.PRODUCTION:
                self.problems.append(f"{name} is required in production (no default)")
            return _DEV_SECRET
        if len(value) < MIN_SECRET:
            self.problems.append(f"{name} must be at least {MIN_SECRET} characters")
        return value


def load_settings(
    environ: Mapping[str, str] | None = None, *, default_env: Mode = Mode.PRODUCTION
) -> Settings:
    """Settings from ``environ`` (the process environment by default).

    Raises:
        SettingsError: every problem found.
    """
    read = _Reader(os.environ if environ is None else environ)
    env = read.choice("KUSTODIA_ENV", Mode, default_env, "production, sandbox, development")
    url = read.text("KUSTODIA_DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL
    if url != MEMORY_URL and not url.startswith(("sqlite+aiosqlite:///", "postgresql+asyncpg://")):
        read.problems.append(
            "KUSTODIA_DATABASE_URL must be postgresql+asyncpg://..., sqlite+aiosqlite:///<file> "
            f"or {MEMORY_URL}"
        )
    if env is Mode.PRODUCTION and url == MEMORY_URL:
        read.problems.append(
            f"KUSTODIA_DATABASE_URL={MEMORY_URL} keeps nothing: not for production"
        )
    level = (read.text("KUSTODIA_LOG_LEVEL", "INFO") or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        read.problems.append("KUSTODIA_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    origins = tuple(
        o.strip() for o in (read.text("KUSTODIA_CORS_ORIGINS") or "").split(",") if o.strip()
    )
    if "*" in origins:
        read.problems.append("KUSTODIA_CORS_ORIGINS lists origins; '*' is not allowed")
    settings = Settings(
        env=env,
        database_url=url,
        jwt_secret=read.secret("KUSTODIA_JWT_SECRET", env),
        spei_webhook_secret=read.secret("KUSTODIA_SPEI_WEBHOOK_SECRET", env),
        platform_fee_bps=read.number("KUSTODIA_PLATFORM_FEE_BPS", 0, 0, 10_000),
        funding_window_days=read.number("KUSTODIA_FUNDING_WINDOW_DAYS", 7, 1, 90),
        cors_origins=origins,
        log_level=level,
        login_attempts_per_minute=read.number("KUSTODIA_LOGIN_ATTEMPTS_PER_MINUTE", 10, 1, 10_000),
        worker_interval_seconds=read.number("KUSTODIA_WORKER_INTERVAL_SECONDS", 5, 1, 3_600),
        llm_base_url=read.text("KUSTODIA_LLM_BASE_URL"),
        llm_model=read.text("KUSTODIA_LLM_MODEL"),
        llm_api_key=read.text("KUSTODIA_LLM_API_KEY"),
    )
    if read.problems:
        raise SettingsError(read.problems)
    return settings
