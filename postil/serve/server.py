"""The preview server: serves the last good build from memory and tells browsers to update.

It knows nothing of Markdown or of how the site is built: it is handed whole builds
(`publish`) or a failure (`publish_error`), swaps them in under a lock, and so never
serves a half-built site. Pages are served from a dict, so no request path ever reaches
the file system (no traversal, no symbolic links to follow). HTML responses get one
script tag (never written to disk) that keeps one Server-Sent Events connection per
browser, updates the tabs whose page changed (in place, or by a reload when that is not
safe), swaps changed stylesheets in place and shows build errors in an overlay.
"""
from __future__ import annotations

import errno
import ipaddress
import json
import mimetypes
import re
import secrets
import socket
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import PostilError, Problem
from ..site.paths import url_quote

CONTROL_PREFIX = "/__postil/"
LIVE_SCRIPT = Path(__file__).with_name("devserver.js")
PORT_ATTEMPTS = 20
KEEPALIVE_SECONDS = 15.0
# A kept-alive connection with no request for this long is closed: one whose client went
# away without closing it (a phone put to sleep, a dropped Wi-Fi) held its thread forever.
IDLE_SECONDS = 60.0
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
WILDCARD_HOSTS = {"", "0.0.0.0", "::"}
# host[:port]: a name, an IPv4 address (which matches as a name) or an [IPv6 address]. No
# user info, no list, no spaces, no percent-encoding: anything else is a malformed request.
_HOST = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\.?))(?::(?P<port>[0-9]{1,5}))?")


HISTORY = 100  # messages kept for connections that fall behind


@dataclass(frozen=True)
class _State:
    build: int
    files: dict[str, bytes]
    error: str | None


class DevServer:
    """Serves published builds over HTTP on `host`, from the first free port at or after `port`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, base_path: str = "/"):
        self.host = host
        self.base_path = base_path
        self.server_id = secrets.token_hex(8)
        self._condition = threading.Condition()
        self._state = _State(0, {}, None)
        self._early: dict[str, bytes] = {}  # pages served from a build still under way
        self._good: dict[str, bytes] = {}  # the last whole build's files, while there are such pages
        self._messages: list[tuple[int, dict]] = []  # (sequence number, message), oldest first
        self._sequence = 0
        self._closed = False
        self._httpd = _bind(host, port, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="postil-devserver", daemon=True)

    @property
    def origin(self) -> str:
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0") else "[::1]" if self.host == "::" else self.host
        return f"http://{f'[{shown}]' if ':' in shown and not shown.startswith('[') else shown}:{self.port}"

    def start(self) -> DevServer:
        self._thread.start()
        return self

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    def publish(self, files: dict[str, bytes], changed: list[str]) -> None:
        """Serve `files` from now on; tell tabs showing one of `changed` (output paths) to update."""
        with self._condition:
            early, self._early = self._early, {}
            # Tabs already told of a page published early need not fetch the same bytes again.
            told = [name for name in changed if name not in early or files.get(name) != early[name]]
            self._set(files, None, told)

    def publish_early(self, files: dict[str, bytes]) -> None:
        """Serve these pages of a build still under way (the page just edited) over the last
        build's, and lift an error shown, as they come from a build without one so far. The
        build's `publish` or `publish_error` follows."""
        with self._condition:
            files = {name: data for name, data in files.items() if self._state.files.get(name) != data}
            if not files:
                return
            if not self._early:
                self._good = self._state.files
            self._early = {**self._early, **files}
            self._set({**self._state.files, **files}, None, list(files))

    def publish_error(self, text: str) -> None:
        """Keep serving the last good build; show `text` over every open page."""
        with self._condition:
            early, self._early = self._early, {}
            if early:  # pages published early came from this failed build: take them back
                self._set(self._good, None, list(early))
            state = self._state
            self._state = _State(state.build, state.files, text)
            self._tell({"server": self.server_id, "build": state.build, "changed": [], "error": text})

    def _set(self, files: dict[str, bytes], error: str | None, changed: list[str]) -> None:
        build = self._state.build + 1
        urls = sorted({url for name in changed for url in self._urls(name)})
        self._state = _State(build, files, error)
        self._tell({"server": self.server_id, "build": build, "changed": urls, "error": error})

    def _tell(self, message: dict) -> None:
        self._sequence += 1
        self._messages = [*self._messages[-HISTORY + 1 :], (self._sequence, message)]
        self._condition.notify_all()

    def _urls(self, output: str) -> list[str]:
        """The addresses a tab shows an output file at, as `location.pathname` writes them."""
        url = self.base_path + url_quote(output)
        return [url, url[: -len("index.html")]] if output == "index.html" or output.endswith("/index.html") else [url]

    def hello(self) -> tuple[int, dict]:
        """The current state as a first message, and the sequence number it stands for."""
        with self._condition:
            state = self._state
            return self._sequence, {"server": self.server_id, "build": state.build, "changed": [], "error": state.error, "hello": True}

    def wait_for_messages(self, after: int, timeout: float) -> list[tuple[int, dict]]:
        """Messages newer than sequence number `after`; empty on timeout or when closing."""
        with self._condition:
            self._condition.wait_for(lambda: self._closed or self._sequence > after, timeout)
            return [] if self._closed else [item for item in self._messages if item[0] > after]

    @property
    def closed(self) -> bool:
        return self._closed

    def refuse_host(self, values: list[str]) -> tuple[int, str] | None:
        """Why a request's Host header is refused, as (status, reason), or None when it names
        this server. A page on another site that its owner points at 127.0.0.1 (DNS rebinding)
        sends its own name: only loopback, the address listened on, and, when listening on
        every address, this machine's own addresses and names are answered. Any port is
        accepted, so that a forwarded port (an SSH tunnel, `adb reverse`) works."""
        if len(values) != 1:
            return 400, "exactly one Host header is needed"
        match = _HOST.fullmatch(values[0])
        if match is None or int(match["port"] or 0) > 65535:
            return 400, "the Host header is not a host name or address with an optional port"
        name = (match["ipv6"] or match["name"]).lower().removesuffix(".")
        bound = self.host.strip("[]").lower().removesuffix(".")
        if name in LOOPBACK_NAMES or name == bound:  # the usual case, without parsing an address
            return None
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            if match["ipv6"]:
                return 400, "the Host header's [address] is not an IPv6 address"
            address = None
        if name.endswith(".localhost") or (address is not None and address.is_loopback):
            return None
        if bound in WILDCARD_HOSTS and (_is_own_name(name) if address is None else _is_own_address(address)):
            return None
        return 421, f"this preview answers only to its own addresses; open {self.origin}/"

    @property
    def state(self) -> _State:
        return self._state

    def lookup(self, files: dict[str, bytes], request_path: str) -> tuple[int, str, bytes]:
        """(status, output path or redirect location, bytes) for a request path."""
        raw = urlsplit(request_path).path
        path = unquote(raw)  # '/%C3%BCn%C3%AF/' → '/ünï/', the output file's own name
        base_path = unquote(self.base_path)
        if "\0" in path or "\\" in path or not path.startswith("/"):
            return self._not_found(files)
        if not path.startswith(base_path):
            if path + "/" == base_path or path == "/":
                return 302, self.base_path, b""
            return self._not_found(files)
        inside = path[len(base_path):]
        segments = inside.split("/")
        if any(segment in ("..", ".") for segment in segments) or inside.startswith("/"):
            return self._not_found(files)
        name = inside + "index.html" if inside == "" or inside.endswith("/") else inside
        if name in files:
            return 200, name, files[name]
        if inside and name + "/index.html" in files:
            return 301, raw + "/", b""  # as the request wrote it: a header carries no raw 'ü'
        return self._not_found(files)

    def _not_found(self, files: dict[str, bytes]) -> tuple[int, str, bytes]:
        if "404.html" in files:
            return 404, "404.html", files["404.html"]
        return 404, "404.html", b"<!doctype html><title>Not found</title><p>Not found.</p>"

    def live_script_tag(self, state: _State) -> bytes:
        return (
            f'<script src="{CONTROL_PREFIX}live.js" data-server="{self.server_id}" data-build="{state.build}"'
            f' data-error="{1 if state.error else 0}"></script>'
        ).encode()

    def waiting_page(self) -> bytes:
        """What every path shows before the first good build: nothing but the overlay."""
        return b"<!doctype html><meta charset=utf-8><title>Building\xe2\x80\xa6</title><body><p>Waiting for a good build\xe2\x80\xa6</p></body>"



def inject(html: bytes, tag: bytes) -> bytes:
    """Put `tag` just before the last </body>, or at the end when there is none.

    The page's end is searched first: lower-casing a whole page of 700 KB (a list of a
    thousand essays) for every request held up the build running beside the server."""
    tail = len(html) - 4096
    index = html[tail:].lower().rfind(b"</body>") if tail > 0 else -1
    index = tail + index if index >= 0 else html.lower().rfind(b"</body>")
    return html + tag if index < 0 else b"".join((html[:index], tag, html[index:]))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Connections the kernel holds until they are accepted. socketserver's 5 made a burst
    # of new connections (many tabs, a phone and a laptop, a load test) lose their SYNs
    # and wait for a retry: 0.6% of 200 clients' requests went unanswered for over 5 s.
    request_queue_size = socket.SOMAXCONN

    def handle_error(self, request: object, client_address: object) -> None:
        """A tab closed mid-response is normal; anything else is one line, not a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            print(f"preview server: {type(error).__name__}: {error}", file=sys.stderr)


def _is_own_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` is one of this machine's: the kernel lets a socket bind only those."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


def _is_own_name(name: str) -> bool:
    """Whether `name` is this machine's host name, short or full, or its `.local` name (mDNS)."""
    full = socket.gethostname().lower()
    names = {full, full.partition(".")[0]}
    return name in names or name in {own + ".local" for own in names}


def _bind(host: str, port: int, server: DevServer) -> ThreadingHTTPServer:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("_FamilyServer", (_Server,), {"address_family": family})
    handler = type("_BoundHandler", (_Handler,), {"dev": server, "timeout": IDLE_SECONDS})
    for attempt in range(PORT_ATTEMPTS if port else 1):
        try:
            return server_class((host, port + attempt), handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise PostilError([Problem("serve", None, None, f"cannot listen on {host}:{port + attempt}: {exc.strerror}", "pick another --host or --port")]) from None
    last = port + PORT_ATTEMPTS - 1
    raise PostilError([Problem("serve", None, None, f"ports {port}–{last} on {host} are all in use", "stop the other server or pick another --port")])


class _Handler(BaseHTTPRequestHandler):
    dev: DevServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; on a kept-alive connection, with Nagle's
    # algorithm on, the body waited for the tab's delayed ACK of the headers: 40 ms.
    disable_nagle_algorithm = True
    server_version = "postil"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # the terminal shows builds, not every request

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    def _respond(self, head: bool) -> None:
        refused = self.dev.refuse_host(self.headers.get_all("Host") or [])
        if refused is None and not self.path.startswith("/"):
            refused = 400, "only a path may be asked for, not a whole URL"
        if refused is not None:
            self.close_connection = True
            status, reason = refused
            return self._send(status, "text/plain; charset=utf-8", f"{self.responses[status][0]}: {reason}\n".encode(), head)
        path = urlsplit(self.path).path
        if path == CONTROL_PREFIX + "live.js":
            return self._send(200, "text/javascript; charset=utf-8", LIVE_SCRIPT.read_bytes(), head)
        if path == CONTROL_PREFIX + "events":
            return self._events()
        state = self.dev.state
        if not state.files:
            body = inject(self.dev.waiting_page(), self.dev.live_script_tag(state))
            return self._send(503, "text/html; charset=utf-8", body, head)
        status, name, body = self.dev.lookup(state.files, self.path)
        if status in (301, 302):
            return self._send(status, "text/plain; charset=utf-8", b"", head, location=name)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/xml", "application/atom+xml"):
            content_type += "; charset=utf-8"
        if content_type.startswith("text/html"):
            body = inject(body, self.dev.live_script_tag(state))
        self._send(status, content_type, body, head)

    def _send(self, status: int, content_type: str, body: bytes, head: bool, location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        last, message = self.dev.hello()
        try:
            self.wfile.write(b"retry: 500\n\n")
            self._event(message)
            while not self.dev.closed:
                newer = self.dev.wait_for_messages(last, KEEPALIVE_SECONDS)
                if not newer:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                for last, message in newer:
                    self._event(message)
        except OSError:
            pass  # the tab went away

    def _event(self, message: dict) -> None:
        self.wfile.write(b"data: " + json.dumps(message).encode() + b"\n\n")
        self.wfile.flush()
