"""Exit codes (documented in README) and the one error type commands raise."""

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
EXIT_INTERRUPTED = 130    # SIGINT
EXIT_TERMINATED = 143     # SIGTERM (128 + 15, as a shell reports it)

EXIT_CODES = [
    (EXIT_OK, "success"),
    (EXIT_ERROR, "any other failure"),
    (EXIT_USAGE, "bad flags or arguments"),
    (EXIT_NOT_FOUND, "StatefulSet or namespace not found"),
    (EXIT_FORBIDDEN, "access denied (401/403)"),
    (EXIT_UNREACHABLE, "cluster unreachable, TLS failure or timeout"),
    (EXIT_CONFLICT, "a concurrent change won (409 Conflict)"),
    (EXIT_CONFIG, "kubeconfig missing or malformed, or unknown context"),
    (EXIT_CHECK_FAILED, "status --check: not every ordinal is Ready at the update revision"),
    (EXIT_ROLLOUT_FAILED, "a pod failed: a rollout step's health gate, or a blocked scale"),
    (EXIT_TIMEOUT, "a wait ran out of time (--timeout)"),
    (EXIT_REFUSED, "a safety check refused the plan (--force overrides)"),
    (EXIT_INTERRUPTED, "interrupted (SIGINT)"),
    (EXIT_TERMINATED, "terminated (SIGTERM)"),
]


class StsError(Exception):
    """A failure the user should read as one line on stderr, with its exit code."""

    def __init__(self, message, code=EXIT_ERROR):
        super().__init__(message)
        self.message = message
        self.code = code


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread by cli.main's handler: every `except
    KeyboardInterrupt` that leaves the StatefulSet consistent handles it too."""

    signum = 15


def interrupt_code(exc):
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

_SECRETS = set()


def register_secret(value):
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


def redact(text):
    """`text` with every registered secret replaced by <redacted>."""
    if not isinstance(text, str) or not _SECRETS:
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "<redacted>")
    return text
