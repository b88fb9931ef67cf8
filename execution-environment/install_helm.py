# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install one Helm release binary into the execution environment image.

    python3 install_helm.py --version v3.22.0 [--sha256 HEX] [--dest /usr/local/bin]

kubernetes.core.helm runs the helm binary, which no distribution package
provides. This runs in the image's final build stage with the image's own
Python, so the base image needs no curl, tar or gzip. The archive is checked
against --sha256 when given (pin it for a reproducible image), otherwise
against the checksum file published beside the release; a mismatch fails the
build.
"""

import argparse
import hashlib
import io
import os
import platform
import sys
import tarfile
import urllib.request

DEFAULT_BASE_URL = "https://get.helm.sh"
# Helm's archive names use Go's architecture names.
ARCHITECTURES = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def fetch(url):
    # Only the release host (or a file:// mirror given on purpose) is ever read.
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
        return response.read()


def helm_arch(machine=None):
    machine = (machine or platform.machine()).lower()
    if machine not in ARCHITECTURES:
        raise SystemExit(f"install_helm: no Helm release for architecture {machine}")
    return ARCHITECTURES[machine]


def install(version, dest, base_url=DEFAULT_BASE_URL, sha256=None, machine=None):
    arch = helm_arch(machine)
    archive_name = f"helm-{version}-linux-{arch}.tar.gz"
    archive_url = f"{base_url.rstrip('/')}/{archive_name}"
    archive = fetch(archive_url)
    expected = sha256
    if not expected:
        # The published file reads "<hex>  <archive name>".
        expected = fetch(archive_url + ".sha256sum").decode("ascii").split()[0]
    actual = hashlib.sha256(archive).hexdigest()
    if actual != expected.strip().lower():
        raise SystemExit(f"install_helm: {archive_name} has sha256 {actual}, expected {expected}")
    member = f"linux-{arch}/helm"
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        try:
            binary = tar.extractfile(member)
        except KeyError:
            binary = None
        if binary is None:
            raise SystemExit(f"install_helm: {archive_name} has no {member}")
        content = binary.read()
    os.makedirs(dest, exist_ok=True)
    target = os.path.join(dest, "helm")
    with open(target, "wb") as handle:
        handle.write(content)
    os.chmod(target, 0o755)  # noqa: S103 - a command every user of the image runs
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description="Install a Helm release binary.")
    parser.add_argument("--version", required=True, help="Helm release tag, e.g. v3.22.0")
    parser.add_argument("--sha256", default="", help="expected sha256 of the release archive")
    parser.add_argument("--dest", default="/usr/local/bin")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL)
    args = parser.parse_args(argv)
    target = install(args.version, args.dest, args.base_url, args.sha256 or None)
    print(f"install_helm: helm {args.version} installed as {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
