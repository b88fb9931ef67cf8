# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry a call with capped exponential backoff and full jitter.

amazon.aws has AWSRetry for boto3 calls; the Kubernetes client has nothing
comparable for 429/5xx answers and reset connections, hence this small helper.
A server's Retry-After hint, when given, is honoured as the minimum delay.
"""

import random
import time


class RetryPolicy:
    def __init__(self, attempts=8, base_delay=0.25, max_delay=8.0, sleep=time.sleep, rng=None):
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrets

    def delay(self, attempt, hint=None):
        """Seconds to wait before try number `attempt + 1` (attempt counts from 0)."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        delay = self.rng.uniform(0, ceiling)
        if hint is not None:
            delay = max(delay, min(hint, self.max_delay))
        return delay

    def call(self, function, classify):
        """Call `function()`; `classify(exc)` returns None (give up) or a Retry-After hint
        in seconds (0.0 when the server gave none) for an exception worth retrying."""
        for attempt in range(self.attempts):
            try:
                return function()
            except Exception as exc:
                hint = classify(exc)
                if hint is None or attempt == self.attempts - 1:
                    raise
                self.sleep(self.delay(attempt, hint or None))
        raise AssertionError("unreachable")
