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
]


class StsError(Exception):
    """A failure the user should read as one line on stderr, with its exit code."""

    def __init__(self, message, code=EXIT_ERROR):
        super().__init__(message)
        self.message = message
        self.code = code
