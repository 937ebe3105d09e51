"""Settings from environment variables, validated at start-up with one message per problem.

Every variable the program reads is here and in ``.env.example``. A bad or missing value stops
the process with a list of what to fix, instead of failing later on a request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs

from kustodia_adapters.email import SmtpSecurity, SmtpSettings
from kustodia_adapters.rails.client import RailApiConfig
from kustodia_entrypoints.http.config import Mode

T = TypeVar("T")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./kustodia.db"
MEMORY_URL = "memory://"
"""Run on the in-memory adapters: nothing survives the process (tests, throwaway demos)."""
MIN_SECRET = 32
EMAIL_BACKENDS = ("console", "smtp")
RAIL_VARIABLES = ("KUSTODIA_RAIL_BASE_URL", "KUSTODIA_RAIL_API_KEY", "KUSTODIA_RAIL_API_SECRET")
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
    kyc_webhook_secret: str = attrs.field(repr=False)
    platform_fee_bps: int = 0
    funding_window_days: int = 7
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    login_attempts_per_minute: int = 10
    worker_interval_seconds: int = 5
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = attrs.field(default=None, repr=False)
    email_backend: str = "console"
    smtp: SmtpSettings | None = None
    """The SMTP server's settings when ``email_backend`` is ``smtp``."""
    app_url: str | None = None
    """The web app's address, for the links in e-mails."""
    rail: RailApiConfig | None = None
    """The SPEI provider's API; required in production, where the rail is the provider's."""

    @property
    def in_memory(self) -> bool:
        return self.database_url == MEMORY_URL

    @property
    def sandbox(self) -> bool:
        """Sandbox and development: the simulated rail and the test clock."""
        return self.env is not Mode.PRODUCTION


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

    def url(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and not value.startswith(("http://", "https://")):
            self.problems.append(f"{name} must be an http(s):// URL, got {value!r}")
            return None
        return value

    def seconds(self, name: str, default: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value <= 3_600:  # noqa: PLR2004 - an hour is more than any server needs
            self.problems.append(f"{name} must be a number of seconds above 0, got {raw!r}")
            return default
        return value

    def smtp(self) -> SmtpSettings | None:
        """The SMTP settings, or ``None`` (and problems) when they are incomplete or invalid."""
        host = self.text("KUSTODIA_SMTP_HOST")
        sender = self.text("KUSTODIA_EMAIL_FROM")
        security = self.choice(
            "KUSTODIA_SMTP_SECURITY",
            SmtpSecurity,
            SmtpSecurity.STARTTLS,
            ", ".join(s.value for s in SmtpSecurity),
        )
        default_port = {SmtpSecurity.SSL: 465, SmtpSecurity.NONE: 25}.get(security, 587)
        port = self.number("KUSTODIA_SMTP_PORT", default_port, 1, 65_535)
        timeout = self.seconds("KUSTODIA_SMTP_TIMEOUT_SECONDS", 10.0)
        username = self.text("KUSTODIA_SMTP_USERNAME")
        password = self.text("KUSTODIA_SMTP_PASSWORD")
        missing = [
            name
            for name, value in (("KUSTODIA_SMTP_HOST", host), ("KUSTODIA_EMAIL_FROM", sender))
            if value is None
        ]
        for name in missing:
            self.problems.append(f"{name} is required with KUSTODIA_EMAIL_BACKEND=smtp")
        if (username is None) != (password is None):
            self.problems.append(
                "KUSTODIA_SMTP_USERNAME and KUSTODIA_SMTP_PASSWORD must be set together"
            )
            return None
        if host is None or sender is None:
            return None
        try:
            return SmtpSettings(
                host=host,
                port=port,
                from_address=sender,
                from_name=self.text("KUSTODIA_EMAIL_FROM_NAME", "Kustodia") or "Kustodia",
                username=username,
                password=password,
                security=security,
                timeout_seconds=timeout,
            )
        except ValueError as error:
            self.problems.append(f"KUSTODIA_EMAIL_FROM is not a usable address: {error}")
            return None

    def rail(self, env: Mode) -> RailApiConfig | None:
        """The provider's API, when all three variables are set; required in production."""
        base_url = self.url("KUSTODIA_RAIL_BASE_URL")
        values = [self.text(name) for name in RAIL_VARIABLES[1:]]
        given = [base_url, *values]
        if all(v is None for v in given) and env is not Mode.PRODUCTION:
            return None
        missing = [name for name, v in zip(RAIL_VARIABLES, given, strict=True) if v is None]
        if missing:
            why = "in production" if env is Mode.PRODUCTION else "with the other rail settings"
            self.problems.extend(f"{name} is required {why}" for name in missing)
            return None
        api_key, api_secret = values
        if base_url is None or api_key is None or api_secret is None:
            return None  # reported as missing above
        return RailApiConfig(base_url=base_url, api_key=api_key, api_secret=api_secret)


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
    backend = (read.text("KUSTODIA_EMAIL_BACKEND", "console") or "console").lower()
    if backend not in EMAIL_BACKENDS:
        read.problems.append(f"KUSTODIA_EMAIL_BACKEND must be console or smtp, got {backend!r}")
        backend = "console"
    llm = [read.url("KUSTODIA_LLM_BASE_URL"), read.text("KUSTODIA_LLM_MODEL")]
    settings = Settings(
        env=env,
        database_url=url,
        jwt_secret=read.secret("KUSTODIA_JWT_SECRET", env),
        spei_webhook_secret=read.secret("KUSTODIA_SPEI_WEBHOOK_SECRET", env),
        kyc_webhook_secret=read.secret("KUSTODIA_KYC_WEBHOOK_SECRET", env),
        platform_fee_bps=read.number("KUSTODIA_PLATFORM_FEE_BPS", 0, 0, 10_000),
        funding_window_days=read.number("KUSTODIA_FUNDING_WINDOW_DAYS", 7, 1, 90),
        cors_origins=origins,
        log_level=level,
        login_attempts_per_minute=read.number("KUSTODIA_LOGIN_ATTEMPTS_PER_MINUTE", 10, 1, 10_000),
        worker_interval_seconds=read.number("KUSTODIA_WORKER_INTERVAL_SECONDS", 5, 1, 3_600),
        llm_base_url=llm[0],
        llm_model=llm[1],
        llm_api_key=read.text("KUSTODIA_LLM_API_KEY"),
        email_backend=backend,
        smtp=read.smtp() if backend == "smtp" else None,
        app_url=read.url("KUSTODIA_APP_URL"),
        rail=read.rail(env),
    )
    if read.problems:
        raise SettingsError(read.problems)
    return settings
