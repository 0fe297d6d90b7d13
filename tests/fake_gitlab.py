"""The few GitLab REST API v4 calls the emitted jobs make, served on 127.0.0.1 for the tests.

``/user``, a merge request, its approvals and its notes (list with ``X-Next-Page``
pagination, create, update), behind a ``PRIVATE-TOKEN``: enough to run the diff
and review jobs as GitLab would answer them, and to see what they posted.
"""
from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeGitLab:
    def __init__(self, *, token: str, project: int, mr: int, author: str, approved_by: list[str],
                 bot: str = "konfig-bot", page_size: int = 2) -> None:
        self.token, self.project, self.mr = token, project, mr
        self.author, self.approved_by, self.bot = author, approved_by, bot
        self.page_size = page_size  # small: the jobs must follow pagination
        self.notes: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.users = {bot: 900, author: 901}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v4"

    def __enter__(self) -> "FakeGitLab":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_note(self, username: str, body: str) -> None:
        with self._lock:
            uid = self.users.setdefault(username, 902 + len(self.users))
            self.notes.append({"id": len(self.notes) + 1, "body": body,
                               "author": {"id": uid, "username": username}})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def reply(self, code: int, data: Any, headers: dict[str, str] | None = None) -> None:
                body = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def route(self, method: str) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                fake.requests.append((method, url.path))
                if self.headers.get("PRIVATE-TOKEN") != fake.token:
                    return self.reply(401, {"message": "401 Unauthorized"})
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode())) if length else {}
                mr = f"/api/v4/projects/{fake.project}/merge_requests/{fake.mr}"
                if method == "GET" and url.path == "/api/v4/user":
                    return self.reply(200, {"id": fake.users[fake.bot], "username": fake.bot})
                if method == "GET" and url.path == mr:
                    return self.reply(200, {"iid": fake.mr, "author": {"username": fake.author}})
                if method == "GET" and url.path == mr + "/approvals":
                    return self.reply(200, {"approved_by": [{"user": {"username": u}} for u in fake.approved_by]})
                if url.path == mr + "/notes":
                    with fake._lock:
                        if method == "GET":
                            page = int(query.get("page", "1"))
                            size = min(int(query.get("per_page", "20")), fake.page_size)
                            items = fake.notes[(page - 1) * size: page * size]
                            more = page * size < len(fake.notes)
                            return self.reply(200, items, {"X-Next-Page": str(page + 1) if more else ""})
                        if method == "POST":
                            note = {"id": len(fake.notes) + 1, "body": form["body"],
                                    "author": {"id": fake.users[fake.bot], "username": fake.bot}}
                            fake.notes.append(note)
                            return self.reply(201, note)
                m = re.fullmatch(re.escape(mr) + r"/notes/(\d+)", url.path)
                if m and method == "PUT":
                    with fake._lock:
                        for note in fake.notes:
                            if note["id"] == int(m.group(1)):
                                if note["author"]["id"] != fake.users[fake.bot]:
                                    return self.reply(403, {"message": "403 Forbidden"})
                                note["body"] = form["body"]
                                return self.reply(200, note)
                return self.reply(404, {"message": "404 Not Found"})

            def do_GET(self) -> None:  # noqa: N802
                self.route("GET")

            def do_POST(self) -> None:  # noqa: N802
                self.route("POST")

            def do_PUT(self) -> None:  # noqa: N802
                self.route("PUT")

        return Handler
