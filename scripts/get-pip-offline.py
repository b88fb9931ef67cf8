"""Stand-in for the get-pip.py script that `ansible-test --venv` downloads.

ansible-test creates each sanity venv without pip and then runs a get-pip
script it downloads from a host this machine cannot reach (only package
registries are). `make sanity` puts this file where ansible-test caches that
script. It does the same job with the standard library's ensurepip and then
lets pip install what ansible-test asked for (pip at its pinned version) from
PyPI. It accepts the get-pip-only flags ansible-test passes.
"""

import ensurepip
import subprocess
import sys

GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    ensurepip.bootstrap(upgrade=True, default_pip=True)
    arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    return subprocess.call([sys.executable, "-m", "pip", "install", *arguments])


if __name__ == "__main__":
    sys.exit(main())
