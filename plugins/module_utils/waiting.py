# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until something read from an API is ready, with a deadline and growing poll delays.

kubernetes.core's k8s_info waits for one object per task; the modules here wait
for several in one process, with the same condition rules.
"""

import time


class WaitTimeout(Exception):
    """Not ready by the deadline; the message says what was still waited for."""


def has_condition(obj, condition_type, status="True"):
    """Whether a Kubernetes object's status carries the condition with that status."""
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == condition_type and c.get("status") == status for c in conditions)


class Poller:
    def __init__(self, timeout, first_delay=0.5, max_delay=5.0, clock=time.monotonic, sleep=time.sleep):
        self.deadline = clock() + timeout
        self.timeout = timeout
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.clock = clock
        self.sleep = sleep

    def until_ready(self, pending, check):
        """Call check(item) for every item of `pending` until each returns True; WaitTimeout names the rest."""
        pending = list(pending)
        delay = self.first_delay
        while True:
            pending = [item for item in pending if not check(item)]
            if not pending:
                return
            remaining = self.deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeout(f"not ready after {self.timeout} s: {', '.join(map(str, pending))}")
            self.sleep(min(delay, remaining))
            delay = min(delay * 2, self.max_delay)
