"""A fake Hugging Face Hub over real HTTP on 127.0.0.1, for testing the real huggingface_hub code.

It answers what ``hf_hub_download`` asks (huggingface_hub 2.x):

* ``HEAD/GET /{repo}/resolve/{revision}/{filename}`` (``datasets/`` and ``spaces/`` prefixes too):
  regular files answer 200 with ``X-Repo-Commit``, ``ETag`` (a git blob sha1) and
  ``Content-Length``; LFS files (``*.safetensors``, ``*.pt``, ``*.pth``, ``*.bin``, ``*.ckpt``)
  answer 302 to a "CDN" on another origin (``http://localhost:PORT/lfs/…``) with
  ``X-Linked-Etag`` (the sha256), ``X-Linked-Size`` and ``X-Repo-Commit``, like the real Hub;
* 404s with ``X-Error-Code`` ``RepoNotFound`` / ``RevisionNotFound`` / ``EntryNotFound``
  (the last with ``X-Repo-Commit``, which the client caches as "does not exist");
* ``GET /api/{models,datasets,spaces}/{repo}/revision/{rev}``: sha and siblings.

``requests`` logs every request; ``down()`` closes the socket (connection refused, the way
an unreachable network looks) and ``up()`` reopens it on the same port.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt", ".pkl")


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class FakeRepo:
    repo_id: str
    repo_type: str = "model"
    #: branch or tag name -> commit hash
    refs: dict[str, str] = field(default_factory=dict)
    #: commit hash -> {filename: bytes}
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def commit(self, files: dict[str, bytes], branch: str = "main") -> str:
        """Add a commit holding ``files`` (plus the files of the branch's previous commit)."""
        previous = dict(self.commits.get(self.refs.get(branch, ""), {}))
        previous.update(files)
        sha = hashlib.sha1(json.dumps(sorted((k, hashlib.sha256(v).hexdigest()) for k, v in previous.items()))
                           .encode() + str(len(self.commits)).encode()).hexdigest()
        self.commits[sha] = previous
        self.refs[branch] = sha
        return sha

    def commit_folder(self, folder: Path, branch: str = "main") -> str:
        """Commit every file under ``folder`` (paths relative to it)."""
        folder = Path(folder)
        return self.commit({p.relative_to(folder).as_posix(): p.read_bytes()
                            for p in sorted(folder.rglob("*")) if p.is_file()}, branch)


class FakeHub:
    """``with FakeHub() as hub: repo = hub.add_repo("owner/name"); sha = repo.commit({...})``."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], FakeRepo] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._blobs: dict[str, bytes] = {}

    # -- content ---------------------------------------------------------------------
    def add_repo(self, repo_id: str, repo_type: str = "model") -> FakeRepo:
        repo = FakeRepo(repo_id, repo_type)
        self.repos[(repo_type, repo_id)] = repo
        return repo

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- life cycle --------------------------------------------------------------------
    def up(self) -> "FakeHub":
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                hub._handle(self, head=True)

            def do_GET(self) -> None:  # noqa: N802
                hub._handle(self, head=False)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def down(self) -> None:
        """Stop listening: clients now get 'connection refused'."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeHub":
        return self.up() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # -- HTTP ------------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes, head: bool) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)) if "Content-Length" not in headers else headers["Content-Length"])
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, code: str, head: bool, commit: str | None = None) -> None:
        headers = {"X-Error-Code": code, "X-Error-Message": code, "Content-Type": "application/json"}
        if commit:
            headers["X-Repo-Commit"] = commit
        self._send(h, 404, headers, json.dumps({"error": code}).encode(), head)

    def _split_repo(self, parts: list[str]) -> tuple[str, list[str]]:
        repo_type = "model"
        if parts and parts[0] in ("datasets", "spaces"):
            repo_type, parts = parts[0][:-1], parts[1:]
        return repo_type, parts

    def _handle(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self.requests.append(("HEAD" if head else "GET", path))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] == ["lfs"] and len(parts) == 2:
            return self._serve_lfs(h, parts[1], head)
        if parts[:1] == ["api"] and "revision" in parts:
            return self._serve_api(h, parts, head)
        repo_type, parts = self._split_repo(parts)
        if "resolve" not in parts or parts.index("resolve") != 2 or len(parts) < 5:
            return self._send(h, 404, {}, b"not found", head)
        repo_id = "/".join(parts[:2])
        revision, filename = parts[3], "/".join(parts[4:])
        repo = self.repos.get((repo_type, repo_id))
        if repo is None:
            return self._error(h, "RepoNotFound", head)
        commit = repo.refs.get(revision, revision if revision in repo.commits else None)
        if commit is None:
            return self._error(h, "RevisionNotFound", head)
        data = repo.commits[commit].get(filename)
        if data is None:
            return self._error(h, "EntryNotFound", head, commit)
        if filename.endswith(LFS_SUFFIXES):
            sha = hashlib.sha256(data).hexdigest()
            with self._lock:
                self._blobs[sha] = data
            headers = {
                "X-Repo-Commit": commit,
                "ETag": f'"{git_blob_sha1(data)}"',
                "X-Linked-Etag": f'"{sha}"',
                "X-Linked-Size": str(len(data)),
                # another origin than the endpoint, as the real CDN is: the client must not follow it on HEAD
                "Location": f"http://localhost:{self.port}/lfs/{sha}",
            }
            return self._send(h, 302, headers, b"", head)
        headers = {"X-Repo-Commit": commit, "ETag": f'"{git_blob_sha1(data)}"',
                   "Content-Type": "application/octet-stream"}
        self._send(h, 200, headers, data, head)

    def _serve_lfs(self, h: BaseHTTPRequestHandler, sha: str, head: bool) -> None:
        data = self._blobs.get(sha)
        if data is None:
            return self._send(h, 404, {}, b"no such blob", head)
        self._send(h, 200, {"Content-Type": "application/octet-stream", "ETag": f'"{sha}"'}, data, head)

    def _serve_api(self, h: BaseHTTPRequestHandler, parts: list[str], head: bool) -> None:
        # /api/{models|datasets|spaces}/{owner}/{name}/revision/{rev}
        kind = parts[1]
        repo_type = {"models": "model", "datasets": "dataset", "spaces": "space"}.get(kind, "model")
        repo = self.repos.get((repo_type, "/".join(parts[2:4])))
        if repo is None:
            return self._error(h, "RepoNotFound", head)
        rev = "/".join(parts[5:])
        commit = repo.refs.get(rev, rev if rev in repo.commits else None)
        if commit is None:
            return self._error(h, "RevisionNotFound", head)
        body = json.dumps({"id": repo.repo_id, "sha": commit,
                           "siblings": [{"rfilename": f} for f in sorted(repo.commits[commit])]}).encode()
        self._send(h, 200, {"Content-Type": "application/json"}, body, head)


def serve_online(tmp_path: Path, monkeypatch):
    """A started FakeHub with huggingface_hub and the weight store pointed at it and "online":
    offline flags and proxies cleared, HF and GAN Hub caches under ``tmp_path``. A generator, for a fixture."""
    from huggingface_hub import constants

    from hub import weights as store

    # huggingface_hub read the env at import; the store reads it at call time. Make both "online".
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "GANHUB_WEIGHTS_DIR", "HTTPS_PROXY", "https_proxy",
                 "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path / "ganhub"))
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    store._PROBES.clear()
    with FakeHub() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.endpoint)
        yield fake
