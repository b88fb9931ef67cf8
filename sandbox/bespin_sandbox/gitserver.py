"""The sandbox's git server: git's own `git http-backend` behind basic auth, on loopback.

Smart HTTP is git's protocol, served by git itself: this module only does what a
web server does for `git http-backend` (its manual's Apache set-up): check the
caller's credentials, then run the CGI program with the request's environment
and body, and relay its answer. Every repository under the root is served; the
user is `git` and the password the token of the sandbox's credentials folder.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import os
import shutil
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

USER = "git"
HEALTH_PATH = "/bespin-git/healthz"
REALM = "bespin sandbox git"


def http_backend() -> str:
    """git-http-backend lives in git's exec path, not on PATH."""
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip()
    return str(Path(exec_path) / "git-http-backend")


def create_repository(root: Path, name: str) -> Path:
    """An empty bare repository at ROOT/NAME.git (idempotent); NAME may hold slashes."""
    if not name or name.startswith("/") or ".." in Path(name).parts:
        raise ValueError(f"{name!r}: a repository name is a relative path such as petclinic/gitops")
    path = root / f"{name.removesuffix('.git')}.git"
    if not (path / "HEAD").exists():
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(path)], check=True)
    return path


def delete_repository(root: Path, name: str) -> None:
    shutil.rmtree(root / f"{name.removesuffix('.git')}.git", ignore_errors=True)


class GitHandler(BaseHTTPRequestHandler):
    # HTTP/1.0: each answer ends with the connection, so the CGI output needs no framing.
    protocol_version = "HTTP/1.0"
    server_version = "bespin-git"
    root: Path
    token: str
    backend: str

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _serve(self) -> None:
        url = urlsplit(self.path)
        if url.path == HEALTH_PATH:
            self._answer(200, b"ok\n")
            return
        if not self._authorized():
            self._answer(401, b"authentication required\n", [("WWW-Authenticate", f'Basic realm="{REALM}"')])
            return
        body = self._body()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": USER,  # git enables receive-pack (push) for an authenticated user only
            "REMOTE_ADDR": self.client_address[0],
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        for header, variable in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "GIT_PROTOCOL")):
            if self.headers.get(header):
                env[variable] = self.headers[header]
        result = subprocess.run([self.backend], input=body, env=env, capture_output=True, check=False)
        if result.stderr:
            sys.stderr.write(result.stderr.decode(errors="replace"))
        head, _sep, payload = result.stdout.partition(b"\r\n\r\n")
        if not _sep:
            head, _sep, payload = result.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _colon, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self._answer(status, payload, headers)

    def _authorized(self) -> bool:
        scheme, _sep, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _colon, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(user, USER) & hmac.compare_digest(password, self.token)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, payload: bytes, headers: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="folder of the bare repositories")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--token-file", type=Path, required=True, help="the password of user git")
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    handler = type(
        "SandboxGitHandler",
        (GitHandler,),
        {"root": args.root, "token": args.token_file.read_text().strip(), "backend": http_backend()},
    )
    ThreadingHTTPServer((args.bind, args.port), handler).serve_forever()


if __name__ == "__main__":
    main()
