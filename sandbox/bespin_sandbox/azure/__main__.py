"""``python -m bespin_sandbox.azure``: run the ARM stand-in (started by ``sandbox up``)."""

from __future__ import annotations

import argparse

from .server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bespin_sandbox.azure")
    parser.add_argument("--state", required=True, help="the sandbox folder")
    parser.add_argument("--writes", required=True, help="the write-accounting folder")
    parser.add_argument("--faults", required=True, help="the fault plan file")
    parser.add_argument("--arm-port", type=int, required=True)
    parser.add_argument("--identity-port", type=int, required=True)
    parser.add_argument("--azurite-url", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--debug", action="store_true", help="log every request and response body")
    serve(parser.parse_args())


if __name__ == "__main__":
    main()
