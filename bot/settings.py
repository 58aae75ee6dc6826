"""Settings, read from the environment and `.env` with pydantic-settings."""
from __future__ import annotations

import re
from urllib.parse import urlsplit
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.enums import Level
from services.config import ServiceConfig
from services.cron import cron_trigger
from services.deadlines import DeadlinePolicy
from services.durations import parse_duration
from services.flood import FloodLimit
from services.risk import parse_words
from services.signoff_rules import SignoffPolicy

TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_API = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = None
    bot_api_base: str = DEFAULT_API
    bot_username: str = "massline_demo_bot"
    database_url: str = "sqlite:///./data/massline.db"
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    # Telegram allows about 30 messages a second overall (paid broadcasts up to 1000).
    broadcast_rate: float = Field(25.0, gt=0, le=1000)
    # Requests the outbox sender keeps in flight; empty: enough for BROADCAST_RATE at a 250 ms round trip.
    send_concurrency: int | None = Field(None, ge=1, le=1000)
    # Seconds a Bot API call may take before the bot gives up on it (long polls get their poll time on top).
    request_timeout: float = Field(60.0, gt=0, le=600)
    followup_window: str = "3d"
    resolve_village: str | None = None
    resolve_township: str = "15d"
    resolve_county: str = "30d"
    urgent_first_response: str = "2h"
    sweep_interval: str = "60s"
    escalate_after: str = "2d"
    digest_at: str = "0 8 * * *"
    briefing_at: str = "0 8 * * 1"
    threshold_satisfaction: float = Field(0.85, ge=0, le=1)
    threshold_response: float = Field(0.92, ge=0, le=1)
    rank_weights: str | None = None
    sandbox_port: int = Field(8081, ge=0, le=65535)
    signoff_required: str = "disputes,supervised"
    danger_words: str | None = None
    pair_visit_every: str = "30d"
    # Messages and button presses one person may send in a window ("20/60s"); empty or "off": no limit.
    flood_limit: str = "20/60s"
    # Open cases a villager may have at once without a supervisor's note; 0: no cap.
    max_open_cases: int = Field(5, ge=0, le=1000)
    # The web dashboard and Open311 API: host:port to listen on (port 0: any free one; empty: off).
    dashboard_listen: str = "127.0.0.1:8082"
    # The public base URL of the dashboard, for the bot's login links; empty: http://<DASHBOARD_LISTEN>.
    dashboard_url: str | None = None
    # Webhook mode: Telegram posts updates to WEBHOOK_URL (behind a reverse proxy) with WEBHOOK_SECRET.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1:8443"

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("WEBHOOK_URL must be the public https:// address Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not SECRET_SHAPE.match(value):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _sep, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("WEBHOOK_LISTEN must be host:port, e.g. 127.0.0.1:8443")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET: Telegram sends it with every update, and "
                             "requests without it are refused")
        return self

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL, where the bot listens for updates."""
        return urlsplit(self.webhook_url or "").path or "/telegram"

    @property
    def listen(self) -> tuple[str, int]:
        """WEBHOOK_LISTEN as host and port."""
        host, _sep, port = self.webhook_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("send_concurrency", mode="before")
    @classmethod
    def _blank_is_auto(cls, value):
        return None if value == "" else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        value = value.strip()
        if not TOKEN_SHAPE.match(value):
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (digits:letters)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"TIMEZONE {value!r} is not a known time zone, e.g. Asia/Shanghai") from None
        return value

    @field_validator("followup_window", "resolve_village", "resolve_township", "resolve_county",
                     "urgent_first_response", "sweep_interval", "escalate_after", "pair_visit_every")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parse_duration(value)
        return value

    @field_validator("flood_limit")
    @classmethod
    def _flood(cls, value: str | None) -> str:
        FloodLimit.parse(value)
        return value or ""

    @field_validator("rank_weights")
    @classmethod
    def _weights(cls, value: str | None) -> str | None:
        from services.ranking import RankWeights

        if value in (None, ""):
            return None
        RankWeights.parse(value)
        return value

    @field_validator("signoff_required")
    @classmethod
    def _signoff(cls, value: str) -> str:
        from services.signoff_rules import SignoffPolicy

        SignoffPolicy.parse(value)
        return value

    @field_validator("digest_at", "briefing_at")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            cron_trigger(value, ZoneInfo("UTC"))
        except ValueError as exc:
            raise ValueError(f"not a cron expression ({exc}); write e.g. 0 8 * * *") from None
        return value

    @field_validator("bot_api_base")
    @classmethod
    def _base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("BOT_API_BASE must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("dashboard_listen")
    @classmethod
    def _dashboard_listen(cls, value: str) -> str:
        value = (value or "").strip()
        if not value:
            return ""
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"DASHBOARD_LISTEN {value!r} should be host:port, e.g. 127.0.0.1:8082 (empty: off)")
        return value

    @field_validator("dashboard_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("DASHBOARD_URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def dashboard_address(self) -> tuple[str, int] | None:
        """Return (host, port) of DASHBOARD_LISTEN, or None when the dashboard is off."""
        if not self.dashboard_listen:
            return None
        host, _, port = self.dashboard_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def duration(self, name: str) -> timedelta:
        """Return a duration setting as a timedelta."""
        return parse_duration(getattr(self, name))

    def service_config(self) -> ServiceConfig:
        """Return what the services need to know of these settings."""
        return ServiceConfig(
            tz=self.tz,
            deadlines=DeadlinePolicy(
                level_resolve={Level.township: self.duration("resolve_township"),
                               Level.county: self.duration("resolve_county")}
                | ({Level.village: self.duration("resolve_village")} if self.resolve_village else {}),
                urgent_first_response=self.duration("urgent_first_response"),
                escalate_after=self.duration("escalate_after"),
            ),
            followup_window=self.duration("followup_window"),
            signoff=SignoffPolicy.parse(self.signoff_required),
            danger_words=parse_words(self.danger_words),
            pair_visit_every=self.duration("pair_visit_every"),
            flood_limit=FloodLimit.parse(self.flood_limit),
            max_open_cases=self.max_open_cases or None,
        )


class SettingsError(Exception):
    """Settings that cannot be used; the message says what to fix, one line each."""


def load_settings(**overrides) -> Settings:
    """Read the settings, turning validation errors into one clear line each."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("\n".join(lines)) from None
