"""The errors commands raise, typed by what went wrong. Which exit code each one means is
decided in one table, at the CLI edge (cli/app.py, EXIT_FOR); the EXIT_* numbers are documented
in README.md."""

import re
from typing import Any, Dict, Optional, Set, Type

EXIT_OK = 0
EXIT_ERROR = 1            # any other failure (kubectl's own convention)
EXIT_USAGE = 2            # bad flags or arguments
EXIT_NOT_FOUND = 3        # the StatefulSet (or namespace) does not exist
EXIT_FORBIDDEN = 4        # 401 / 403 from the API server
EXIT_UNREACHABLE = 5      # connection refused, TLS failure, timeout
EXIT_CONFLICT = 6         # a write lost a race (409) and could not be retried safely
EXIT_CONFIG = 7           # kubeconfig missing or malformed, unknown context
EXIT_CHECK_FAILED = 8     # `status --check`: not every ordinal is Ready at the update revision
EXIT_ROLLOUT_FAILED = 9   # a pod failed: a rollout step's health gate, or a scale the controller
#                           is blocked on (crash loop, image pull, restart)
EXIT_TIMEOUT = 10         # a wait ran out of time (--timeout)
EXIT_REFUSED = 11         # a safety check refused the plan (--force overrides)
EXIT_DELETE_PENDING = 12  # `wait --ondelete=report`: OnDelete pods wait to be deleted
EXIT_HAZARDS = 13         # `doctor`: a finding of severity error
EXIT_INTERRUPTED = 130    # SIGINT
EXIT_TERMINATED = 143     # SIGTERM (128 + 15, as a shell reports it)


class StsError(Exception):
    """A failure the user reads on stderr (its message: one line, or a diagnosis that was
    asked for). Its exit code comes from its class (cli.EXIT_FOR); this base is exit 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(StsError):
    """Bad flags or arguments, found before any request."""


class ConfigError(StsError):
    """The kubeconfig is missing or malformed, or names what it does not have."""


class ApiError(StsError):
    """The API server refused: `status` (HTTP), `reason` (the Status reason), `retry_after`
    (seconds the server asked to wait), `details` (the Status details)."""

    def __init__(self, message: str, status: int = 0, reason: str = "",
                 retry_after: Optional[float] = None,
                 details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.retry_after = status, reason, retry_after
        self.details = details or {}


class NotFound(ApiError):
    """404."""


class Unauthorized(ApiError):
    """401: no valid credentials."""


class CredentialsFailed(Unauthorized):
    """The kubeconfig's exec credential plugin failed: no request was sent (exit 4, as 401)."""


class Forbidden(ApiError):
    """403: credentials without the permission."""


class Conflict(ApiError):
    """409: a stale resourceVersion or a failed precondition (or AlreadyExists)."""


class Invalid(ApiError):
    """422: the object is not valid."""


class TooManyRequests(ApiError):
    """429: the server asked to come back later."""


class ServerError(ApiError):
    """5xx, or an answer that is not the API's."""


class TransportError(StsError):
    """The cluster could not be reached, or the connection broke. `phase`: "connect"
    (nothing was sent; worth repeating once the server was reached before), "sent" (the
    request may have been received), or None (never worth repeating: TLS, DNS, a timeout)."""

    def __init__(self, message: str, phase: Optional[str] = None) -> None:
        super().__init__(message)
        self.phase = phase


class CheckFailed(StsError):
    """`status --check`: the set is not all Ready at its update revision."""


class PodFailed(StsError):
    """A pod failed a health gate, or blocks the controller (the message is the diagnosis)."""


class WaitTimeout(StsError):
    """A wait ran out of time; the message says where things stand."""


class HazardsFound(StsError):
    """`doctor` found at least one error."""


class DeletePending(StsError):
    """Under OnDelete, pods still run the old revision until someone deletes them."""


class Refused(StsError):
    """A safety check refused the plan (--force overrides)."""


def reworded(exc: StsError, message: str) -> StsError:
    """`exc` (same type, so the same exit code) saying `message` instead."""
    exc.message = message
    exc.args = (message,)
    return exc


def api_error_class(status: int) -> Type[ApiError]:
    """The ApiError subclass of an HTTP status."""
    if status >= 500:
        return ServerError
    return {401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 422: Invalid,
            429: TooManyRequests}.get(status, ApiError)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread by cli.main's handler: every `except
    KeyboardInterrupt` that leaves the StatefulSet consistent handles it too."""

    signum = 15


def interrupt_code(exc: Optional[BaseException]) -> int:
    """The exit code of an interruption: 143 for SIGTERM, 130 for SIGINT (Ctrl-C)."""
    while exc is not None:
        if isinstance(exc, Terminated):
            return EXIT_TERMINATED
        if isinstance(exc, KeyboardInterrupt):
            return EXIT_INTERRUPTED
        exc = exc.__cause__ or exc.__context__
    return EXIT_INTERRUPTED


# -- secrets --------------------------------------------------------------------------------------
# Every credential the connection resolves (bearer tokens, passwords, basic-auth headers, inline
# keys) is registered here; everything printed on the error paths goes through redact().

_SECRETS: Set[str] = set()


def register_secret(value: Any) -> None:
    """Never print `value` (a token, password, key...): redact() replaces it."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return
    value = value.strip()
    if len(value) >= 4:
        _SECRETS.add(value)
        for line in value.splitlines():     # a PEM key's lines, one by one
            line = line.strip()
            if len(line) >= 16 and not line.startswith("-----"):
                _SECRETS.add(line)


# a URL in a message, and the query parameters whose values are credentials (access_token,
# id_token, X-Amz-Signature, sig, password, api_key, client_secret, ...)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]*[^\s\"'<>.,;:)\]]")
_SECRET_PARAM = re.compile(r"token|passw|pwd|secret|key|sig|auth|credential|session|code",
                           re.IGNORECASE)


def redact_url(url: str) -> str:
    """`url` as it may be printed: a password in its userinfo as `***` (`https://admin:***@h`,
    what kubectl prints: Go's net/http stripPassword), a userinfo without a password (which may
    be a token) as `***`, and the values of token-like query parameters as `***`. Every message
    that names a URL prints it through this (redact() applies it to any text)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    cut = min([i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0],
              default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        user, colon, _ = userinfo.partition(":")
        authority = "%s:***@%s" % (user, host) if colon else "***@%s" % host
    path, qmark, query = tail.partition("?")
    if qmark:
        query, hash_, fragment = query.partition("#")
        params = []
        for param in query.split("&"):
            name, eq, value = param.partition("=")
            params.append("%s=***" % name if eq and value and _SECRET_PARAM.search(name)
                          else param)
        tail = path + "?" + "&".join(params) + hash_ + fragment
    return "%s://%s%s" % (scheme, authority, tail)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by <redacted>, and every URL in it passed
    through redact_url()."""
    if not isinstance(text, str):
        return text
    if "://" in text:
        text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "<redacted>")
    return text
