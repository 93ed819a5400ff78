"""Every setting, declared once: name, type, default and help; read from the environment."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from survey_service import bundled
from survey_service.release.options import ReleaseOptions

# The repository's questionnaires/, or its copy inside an installed wheel.
BUNDLED_QUESTIONNAIRES = bundled.folder(bundled.QUESTIONNAIRES)
ENV_PREFIX = "SURVEY_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: Annotated[str, Meta(description="Address the server listens on.")] = "127.0.0.1"
    port: Annotated[int, Meta(ge=0, le=65535, description="TCP port the server listens on.")] = 8000
    data_dir: Annotated[
        Path, Meta(description="Folder holding the SQLite database file (created if missing).")
    ] = Path("var")
    database_url: Annotated[
        str,
        Meta(
            description="PostgreSQL URL (postgresql://user:password@host/db) that every instance"
            " shares; empty: the SQLite file in SURVEY_DATA_DIR."
        ),
    ] = ""
    database_pool_size: Annotated[
        int, Meta(ge=2, description="Most PostgreSQL connections one instance holds open.")
    ] = 10
    questionnaires_dir: Annotated[
        Path, Meta(description="Folder of questionnaire definition files (*.toml).")
    ] = BUNDLED_QUESTIONNAIRES
    date_precision: Annotated[
        Literal["day", "week"],
        Meta(description="How precisely the date a response arrived is stored: day or ISO week."),
    ] = "day"
    max_body_bytes: Annotated[
        int, Meta(ge=1024, description="Largest body accepted by POST /api/responses, in bytes.")
    ] = 64 * 1024
    max_batch_body_bytes: Annotated[
        int,
        Meta(ge=1024, description="Largest body accepted by POST /api/responses/batch, in bytes."),
    ] = 2 * 1024 * 1024
    max_batch_items: Annotated[
        int, Meta(ge=1, description="Most responses one batch request may carry.")
    ] = 500
    retired_refresh_seconds: Annotated[
        float,
        Meta(gt=0, description="How often a running service re-reads which versions are retired."),
    ] = 10.0
    # -- hardening: limits, rate limiting, storage timeouts -------------------------------------
    max_json_depth: Annotated[
        int,
        Meta(
            ge=4,
            le=64,
            description="Deepest nesting of JSON arrays and objects accepted in a"
            " request body; deeper bodies are refused with 400 before decoding.",
        ),
    ] = 8
    request_timeout_seconds: Annotated[
        float,
        Meta(
            gt=0,
            description="Longest time a client may take to send a request body; a slower"
            " body is refused with 408.",
        ),
    ] = 15.0
    rate_limit_per_second: Annotated[
        float,
        Meta(
            ge=0,
            description="Sustained POSTs per second allowed from one client address on"
            " the respondent routes (0 turns rate limiting off).",
        ),
    ] = 2.0
    rate_limit_burst: Annotated[
        int,
        Meta(
            ge=1,
            description="POSTs one client address may send at once before it is slowed to"
            " the sustained rate (a whole class behind one school NAT).",
        ),
    ] = 120
    login_rate_limit_per_second: Annotated[
        float,
        Meta(
            ge=0,
            description="Sustained inspector login attempts per second allowed from one"
            " client address (0 turns it off).",
        ),
    ] = 0.2
    login_rate_limit_burst: Annotated[
        int,
        Meta(
            ge=1,
            description="Login attempts one client address may make at once (names are also"
            " locked on their own after repeated failures).",
        ),
    ] = 20
    trusted_proxies: Annotated[
        str,
        Meta(
            description="Addresses or CIDR networks of the reverse proxies in front of the"
            " service, comma-separated; X-Forwarded-For is believed only from these peers."
            " Empty: the header is ignored and the connecting address is used.",
        ),
    ] = ""
    busy_timeout_ms: Annotated[
        int,
        Meta(
            ge=0,
            description="How long a write waits for a database lock held elsewhere before"
            " the request gets 503 and Retry-After.",
        ),
    ] = 5000
    screening_workers: Annotated[
        int,
        Meta(
            ge=1,
            le=32,
            description="Worker processes that screen long free text for personal details,"
            " off the event loop (started on first use).",
        ),
    ] = 1
    screening_timeout_seconds: Annotated[
        float,
        Meta(
            gt=0,
            description="Longest time screening one request's free text may take; past it the"
            " request gets 503 with Retry-After and nothing is saved.",
        ),
    ] = 30.0
    # -- the inspectors' side --
    public_base_url: Annotated[
        str,
        Meta(
            pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
            description="Address respondents reach the service at; QR codes and posters point"
            " at {public_base_url}/q/{id}.",
        ),
    ] = "http://127.0.0.1:8000"
    posters_allow_private_url: Annotated[
        bool,
        Meta(
            description="Make QR codes and posters even though SURVEY_PUBLIC_BASE_URL is a"
            " loopback or private address (a trial on one network); off, they are refused,"
            " since phones elsewhere could not open the link.",
        ),
    ] = False
    min_batch: Annotated[
        int, Meta(ge=1, description="Fewest new responses a batch may release (rule 6).")
    ] = 10
    release_delay_days: Annotated[
        int,
        Meta(
            ge=0,
            le=60,
            description="Each response becomes ready for a batch a random 1 to this many + 1"
            " days after the day (or week) it arrived, drawn when it arrives, so no one can tell"
            " which batch holds a given answer (rule 6).",
        ),
    ] = 7
    release_schedule: Annotated[
        Literal["manual", "daily", "weekly", "monthly"],
        Meta(
            description="manual: inspectors release batches; daily, weekly (Mondays) or monthly"
            " (the 1st): the service releases every ready response itself (UTC) and inspectors"
            " cannot choose the moment."
        ),
    ] = "manual"
    release_period: Annotated[
        Literal["day", "week", "month"],
        Meta(
            description="The period a released row shows for the date its answer arrived:"
            " day (as stored), ISO week or month; rarer periods make more rows hidden."
        ),
    ] = "week"
    k_anonymity: Annotated[
        int,
        Meta(
            ge=2,
            description="A released row shows its period, language and quasi-identifier answers"
            " only when at least this many rows of its batch share all of them (rule 7).",
        ),
    ] = 5
    suppression_policy: Annotated[
        Literal["cellkey", "dfe", "ons", "nhs"],
        Meta(
            description="The least protection summaries get (rule 8): cellkey (the cell key"
            " method alone), or it plus dfe, ons or nhs small-number hiding; a request may ask"
            " only for one at least as strict."
        ),
    ] = "cellkey"
    session_hours: Annotated[
        float, Meta(gt=0, description="How long an inspector stays signed in, in hours.")
    ] = 12.0
    token_days: Annotated[
        float,
        Meta(gt=0, description="How long a new API token lasts, in days (`--days` overrides)."),
    ] = 90.0
    login_max_failures: Annotated[
        int,
        Meta(
            ge=1,
            description="Failed logins for one name, within SURVEY_LOGIN_LOCKOUT_MINUTES, that"
            " pause sign-in for that name.",
        ),
    ] = 5
    login_lockout_minutes: Annotated[
        float,
        Meta(
            gt=0,
            description="The window failed logins are counted in: each stops counting this"
            " long after it happened, so a pause ends as the oldest leaves the window.",
        ),
    ] = 15.0
    login_slowdown_seconds: Annotated[
        float,
        Meta(ge=0, description="Delay added per earlier failed login for the same name."),
    ] = 1.0
    retention_days: Annotated[
        int,
        Meta(
            ge=1,
            description="Responses received more than this many days ago are purged (daily, and"
            " by `survey-service purge`).",
        ),
    ] = 365
    compaction_hours: Annotated[
        float,
        Meta(
            ge=0,
            description="How often the running service rewrites the database in key order and"
            " empties its log (rule 3), in hours from the last compaction; 0 turns it off.",
        ),
    ] = 24.0
    safety_copy_days: Annotated[
        int,
        Meta(
            ge=1,
            description="Days the running service keeps the copy `restore` makes of the"
            " database it replaced (it holds every response of its time).",
        ),
    ] = 7
    log_level: Annotated[
        Literal["debug", "info", "warning", "error"],
        Meta(description="Least severe log level written to standard error."),
    ] = "info"

    def __post_init__(self) -> None:
        from survey_service.http.ratelimit import TrustedProxies

        try:
            TrustedProxies.parse(self.trusted_proxies)
        except ValueError as exc:
            raise ValueError(f"SURVEY_TRUSTED_PROXIES: {exc}") from None
        # asyncpg is the [postgres] extra: say so at start-up, not on the first request.
        if self.database_url and importlib.util.find_spec("asyncpg") is None:
            raise ValueError(
                "SURVEY_DATABASE_URL: the PostgreSQL backend needs asyncpg;"
                " install survey-service[postgres]"
            )

    @property
    def database_path(self) -> Path:
        return self.data_dir / "survey.sqlite3"

    @property
    def release(self) -> ReleaseOptions:
        return ReleaseOptions(
            self.k_anonymity,
            self.min_batch,
            self.release_delay_days,
            self.release_schedule,
            self.release_period,
        )


# Variables that meant something once: refused at start-up, so a deployment that still sets
# one hears what replaced it rather than running on a silently different configuration.
RETIRED = {
    "SURVEY_TRUSTED_PROXY_HOPS": "set SURVEY_TRUSTED_PROXIES to your proxies' addresses"
    " (X-Forwarded-For was believed from any peer)",
}


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def declared() -> list[tuple[str, Any, str]]:
    """(environment variable, default, help) for each setting, in declaration order."""
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    rows = []
    for field in info.fields:
        description = ""
        ftype = field.type
        if isinstance(ftype, msgspec.inspect.Metadata):
            description = (ftype.extra_json_schema or {}).get("description", "")
        constraints = getattr(ftype, "type", ftype)
        description = description or getattr(constraints, "description", "") or ""
        rows.append((env_name(field.name), field.default, description))
    return rows


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from SURVEY_* variables; a bad value names its variable."""
    environ = os.environ if environ is None else environ
    for name, instead in RETIRED.items():
        if name in environ:
            raise SettingsError(f"{name} is no longer read: {instead}")
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(Settings):
        name = env_name(field.name)
        if name in environ:
            values[field.name] = environ[name]
    values.update(overrides)
    try:
        return msgspec.convert(values, Settings, strict=False, dec_hook=_decode_path)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_variable(str(exc))) from None


class SettingsError(ValueError):
    pass


def _decode_path(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError


def _name_variable(message: str) -> str:
    # msgspec says "... - at `$.port`"; point the operator at the variable instead.
    if "`$." in message:
        head, _, rest = message.partition("`$.")
        field = rest.split("`", 1)[0]
        return f"{env_name(field)}: {head.rstrip(' -at')}"
    return message
