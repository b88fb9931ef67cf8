# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy of the collection's AWS clients.

amazon.aws's AWSRetry retries throttling and the generic 5xx codes with jittered
exponential backoff; a service's own transient codes are added per client.
botocore's own retries are turned off (CLIENT_CONFIG) so that attempts do not
multiply and this policy is the documented one (a user's ``aws_config`` that sets
``retries`` still wins).
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

CLIENT_CONFIG = {"retries": {"total_max_attempts": 1}}


def jittered_retry(extra_codes=None):
    """The retry decorator to give ``module.client(..., retry_decorator=...)``."""
    return AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30, catch_extra_error_codes=extra_codes)
