"""The preview server over real HTTP against a real site in a temporary folder, with real saves."""
from __future__ import annotations

import http.client
import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from conftest import SITE_SETTINGS, Site
from postil.serve.preview import Preview


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Running:
    """A started preview and helpers to talk to it like a browser would."""

    def __init__(self, preview: Preview):
        self.preview = preview
        self.output = preview.out

    def request(self, path: str, host: str | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.preview.server.port, timeout=5)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{self.preview.server.port}" if host is None else host)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), body

    def html(self, path: str) -> HTMLParser:
        status, _, body = self.request(path)
        assert status == 200, (path, status)
        return HTMLParser(body.decode())

    def save(self, action) -> None:
        """Run one save and wait until the rebuild it causes has finished."""
        before = self.preview.builds
        action()
        assert self.preview.wait_for_builds(before + 1), "no rebuild after the save"

    def settle(self) -> int:
        """Builds that happen in a short while after the last one (should be none)."""
        before = self.preview.builds
        self.preview.wait_for_builds(before + 1, timeout=0.5)
        return self.preview.builds - before


def two_essays_served(site: Site) -> Iterator[Running]:
    site.essay("first.md", title="First", date="2026-01-01", body="The first text.")
    site.essay("second.md", title="Second", date="2026-01-02", body="The second text.")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    yield Running(preview)
    preview.close()


@pytest.fixture
def running(site):
    yield from two_essays_served(site)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One preview shared by the tests that only send it requests (hostile paths and Host
    headers), ~0.4 s of CPU saved on each: every such test asks for a page afterwards, so a
    request that harmed the server fails the test that sent it."""
    root = tmp_path_factory.mktemp("served")
    (root / "pyproject.toml").write_text(SITE_SETTINGS, encoding="utf-8")
    yield from two_essays_served(Site(root))


def first_paragraph(running: Running, path: str) -> str:
    return running.html(path).css_first("article p, main p").text()


def body_of(running: Running, path: str) -> str:
    return running.html(path).css_first("main").text()


# --- saving -------------------------------------------------------------------------

def essay_text(body: str) -> str:
    return f"---\ntitle: First\ndate: 2026-01-01\n---\n{body}\n"


def test_save_in_place_shows_new_text_after_exactly_one_rebuild(running, site):
    path = site.root / "content/first.md"
    running.save(lambda: path.write_text(essay_text("Saved in place."), encoding="utf-8"))
    assert "Saved in place." in body_of(running, "/first/")
    assert running.settle() == 0


def test_save_through_temp_file_and_rename_gives_one_rebuild(running, site):
    def vim_like() -> None:
        folder = site.root / "content"
        (folder / ".first.md.swp").write_text("swap")
        (folder / "4913").write_text("")
        (folder / "4913").unlink()
        os.rename(folder / "first.md", folder / "first.md~")
        (folder / "first.md").write_text(essay_text("Saved like vim."), encoding="utf-8")
        (folder / "first.md~").unlink()
        (folder / ".first.md.swp").unlink()

    running.save(vim_like)
    assert "Saved like vim." in body_of(running, "/first/")
    assert running.settle() == 0


@pytest.mark.parametrize("temp_name", ["first.md___jb_tmp___", ".goutputstream-ABC123"])
def test_save_through_editor_temp_file_renamed_over_gives_one_rebuild(running, site, temp_name):
    folder = site.root / "content"

    def safe_write() -> None:
        (folder / temp_name).write_text(essay_text("Safely written."), encoding="utf-8")
        os.replace(folder / temp_name, folder / "first.md")

    running.save(safe_write)
    assert "Safely written." in body_of(running, "/first/")
    assert running.settle() == 0


def test_sed_in_place_gives_one_rebuild(running, site):
    if shutil.which("sed") is None:
        pytest.skip("no sed")
    running.save(lambda: subprocess.run(["sed", "-i", "s/The first text./Edited by sed./", str(site.root / "content/first.md")], check=True))
    assert "Edited by sed." in body_of(running, "/first/")
    assert running.settle() == 0


def test_delete_then_create_gives_one_rebuild(running, site):
    path = site.root / "content/first.md"

    def delete_and_create() -> None:
        path.unlink()
        path.write_text(essay_text("Created again."), encoding="utf-8")

    running.save(delete_and_create)
    assert "Created again." in body_of(running, "/first/")
    assert running.settle() == 0


def test_swap_file_alone_causes_no_rebuild(running, site):
    (site.root / "content/.first.md.swp").write_text("swap file")
    (site.root / "content/first.md~").write_text("backup")
    assert running.settle() == 0


@pytest.mark.slow
def test_burst_of_a_thousand_files_is_at_most_two_rebuilds(running, site):
    before = running.preview.builds
    folder = site.root / "content/burst"
    folder.mkdir()
    for number in range(1000):
        (folder / f"essay-{number}.md").write_text(f"---\ntitle: Burst {number}\ndate: 2025-01-01\n---\nText.\n", encoding="utf-8")
    # Deadlines, not measurements: on a machine shared by several test runs a build of a
    # thousand new essays can take tens of seconds; what is asserted is how many builds there were.
    assert running.preview.wait_for_builds(before + 1, timeout=120)
    status, _, _ = running.request("/burst/essay-999/")
    while status != 200 and running.preview.wait_for_builds(running.preview.builds + 1, timeout=120):
        status, _, _ = running.request("/burst/essay-999/")
    assert status == 200
    running.settle()
    assert running.preview.builds - before <= 2


def test_edit_during_a_build_is_not_lost(running, site):
    path = site.root / "content/first.md"
    started, release = threading.Event(), threading.Event()
    original = running.preview.builder.build

    def held_build(changed=None, **options):
        started.set()
        release.wait(5)  # hold the build open while the second edit is saved
        return original(changed, **options)

    running.preview.builder.build = held_build
    path.write_text(essay_text("Edit one."), encoding="utf-8")
    assert started.wait(5)
    before = running.preview.builds
    path.write_text(essay_text("Edit two, during the build."), encoding="utf-8")
    release.set()
    assert running.preview.wait_for_builds(before + 2)
    assert "Edit two, during the build." in body_of(running, "/first/")


def test_watcher_rescans_when_the_kernel_queue_overflows(running):
    before = running.preview.builds
    # watchdog reports an overflow only through its logger; this is the record it writes
    logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
    assert running.preview.wait_for_builds(before + 1)
    assert running.preview.builds == before + 1


# --- errors -------------------------------------------------------------------------

def test_build_error_keeps_last_good_build_and_reports_once(running, site):
    path = site.root / "content/first.md"
    running.save(lambda: path.write_text("---\ntitle: [unclosed\ndate: 2026-01-01\n---\nBroken.\n", encoding="utf-8"))
    assert "The first text." in body_of(running, "/first/")
    overlay = running.preview.server.state.error
    assert overlay.startswith("content/first.md:2:8: error: invalid YAML: the list that starts here with '[' is never closed")
    assert running.output.getvalue().count(overlay) == 1


def test_fixing_the_error_clears_it_and_serves_the_fix(running, site):
    path = site.root / "content/first.md"
    running.save(lambda: path.write_text("---\ntitle: [unclosed\n---\nBroken.\n", encoding="utf-8"))
    running.save(lambda: path.write_text(essay_text("Fixed."), encoding="utf-8"))
    assert running.preview.server.state.error is None
    assert "Fixed." in body_of(running, "/first/")


class EventStream:
    """The server's stream of messages to tabs, read over HTTP as a tab's EventSource would."""

    def __init__(self, running: Running):
        self.connection = http.client.HTTPConnection("127.0.0.1", running.preview.server.port, timeout=10)
        self.connection.request("GET", "/__postil/events")
        self.response = self.connection.getresponse()

    def next(self) -> dict:
        """The next message; a stream the server ended fails the test (readline would return
        nothing, at once, forever)."""
        while line := self.response.fp.readline().decode():
            if line.startswith("data: "):
                return json.loads(line[len("data: "):])
        raise AssertionError("the server ended the stream of events")


def test_events_stream_tells_of_an_error_then_of_the_fix(running, site):
    events = EventStream(running)
    assert events.next()["hello"] is True
    path = site.root / "content/first.md"
    path.write_text("---\ntitle: [unclosed\n---\nBroken.\n", encoding="utf-8")
    broken = events.next()
    assert broken["error"].startswith("content/first.md:")
    path.write_text(essay_text("Fixed."), encoding="utf-8")
    fixed = events.next()
    assert fixed["error"] is None and "/first/" in fixed["changed"]
    events.connection.close()


def test_the_saved_page_comes_first_and_tabs_are_told_of_it_once(running, site):
    """The page just saved is served before the rest of the build, the home page next;
    the build's own message then does not send tabs to fetch the same bytes again."""
    events = EventStream(running)
    hello = events.next()
    running.save(lambda: (site.root / "content/first.md").write_text(essay_text("Saved and shown first."), encoding="utf-8"))
    messages = [events.next() for _ in range(running.preview.server.state.build - hello["build"])]
    assert messages[0]["changed"] == ["/first/", "/first/index.html"] and messages[0]["error"] is None
    assert messages[1]["changed"] == ["/", "/index.html"]  # its summary on the home page changed with it
    assert [message["build"] for message in messages] == list(range(hello["build"] + 1, hello["build"] + 4))
    told = [url for message in messages for url in message["changed"]]
    assert told.count("/first/") == 1 and told.count("/") == 1
    assert "Saved and shown first." in body_of(running, "/first/")
    events.connection.close()


def test_a_build_failing_after_its_early_page_takes_that_page_back(site):
    site.essay("first.md", title="First", date="2026-01-01", body="The first text.")
    preview = Preview(site.root, port=free_port(), out=io.StringIO(), strict=True).start()
    running = Running(preview)
    try:
        # A link to nowhere is found once pages are rendered, after the essay's page was served;
        # with --strict it fails the build, so the last good page must come back.
        running.save(lambda: site.essay("first.md", title="First", date="2026-01-01", body="See [nowhere](/nowhere/)."))
        assert "points at no page" in preview.server.state.error
        assert "The first text." in body_of(running, "/first/")
    finally:
        preview.close()


def test_template_error_names_the_template_and_line(running, site):
    running.save(lambda: site.write("templates/tags.html", "line one\n{% if %}\n"))
    assert running.preview.server.state.error.startswith("templates/tags.html:2: error: template error")
    assert running.request("/first/")[0] == 200


def test_site_broken_from_the_start_shows_the_error_until_fixed(site):
    path = site.write("content/first.md", "---\ntitle: [unclosed\n---\nBroken.\n")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    try:
        running = Running(preview)
        status, _, body = running.request("/first/")
        assert status == 503 and b"/__postil/live.js" in body
        running.save(lambda: path.write_text(essay_text("Working now."), encoding="utf-8"))
        assert "Working now." in body_of(running, "/first/")
    finally:
        preview.close()


def test_config_change_rebuilds_with_the_new_settings(running, site):
    config = '[tool.postil]\ntitle = "Renamed Site"\nbase_url = "https://example.org/"\n'
    running.save(lambda: (site.root / "pyproject.toml").write_text(config, encoding="utf-8"))
    assert running.html("/first/").css_first(".site-title").text() == "Renamed Site"


# --- what is served -----------------------------------------------------------------

def test_served_pages_carry_the_live_script_and_build_output_does_not(running, site):
    assert running.html("/first/").css_first('script[src="/__postil/live.js"]') is not None
    assert site.build() == 0
    for page in site.out.rglob("*.html"):
        assert "__postil" not in page.read_text(encoding="utf-8"), page


def test_preview_does_not_touch_the_output_folder(running, site):
    assert not (site.root / "public").exists()


def test_drafts_are_served_and_marked(running, site):
    running.save(lambda: site.essay("draft.md", title="Unfinished", date="2026-01-03", draft="true", body="Not yet."))
    assert running.html("/draft/").css_first(".draft-badge").text() == "Draft"


def test_no_drafts_leaves_drafts_out(site):
    site.essay("draft.md", title="Unfinished", date="2026-01-03", draft="true", body="Not yet.")
    preview = Preview(site.root, port=free_port(), drafts=False, out=io.StringIO()).start()
    try:
        assert Running(preview).request("/draft/")[0] == 404
    finally:
        preview.close()


def test_preview_builds_no_search_index_even_when_the_site_has_search(site):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "Test Site"\nbase_url = "https://example.org/"\nsearch = true\n')
    site.essay("first.md", title="First")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    try:
        running = Running(preview)
        assert running.request("/pagefind/pagefind.js")[0] == 404
        assert running.html("/first/").css_first("form[role=search], .search-box") is None
    finally:
        preview.close()


def test_served_links_point_at_the_local_server(served):
    canonical = served.html("/first/").css_first('link[rel="canonical"]').attributes["href"]
    assert canonical == f"http://127.0.0.1:{served.preview.server.port}/first/"


def test_sub_path_site_is_served_under_its_path(site):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "T"\nbase_url = "https://example.org/blog/"\n')
    site.essay("first.md", title="First", date="2026-01-01", body="Under a sub-path.")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    try:
        running = Running(preview)
        assert "Under a sub-path." in body_of(running, "/blog/first/")
        status, headers, _ = running.request("/")
        assert (status, headers["Location"]) == (302, "/blog/")
        stylesheet = running.html("/blog/first/").css_first('link[rel="stylesheet"]').attributes["href"]
        assert running.request(stylesheet)[0] == 200
    finally:
        preview.close()


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/%252e%252e/pyproject.toml",
        "/..%5c..%5cpyproject.toml",
        "/first/..\\..\\pyproject.toml",
        "//etc/passwd",
        "/etc/passwd",
        "/first/%00index.html",
        "/first/index.html%00.css",
    ],
)
def test_traversal_attempt_is_not_found_and_server_stays_up(served, path):
    status, _, body = served.request(path)
    assert status == 404
    assert b"root:" not in body and b"tool.postil" not in body
    assert served.request("/first/")[0] == 200


def raw_request(port: int, head: bytes) -> tuple[int, bytes]:
    """Send request bytes as they are (no client library tidying the Host header) and read
    the status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, response.read()


def get_with_host(port: int, host: str) -> int:
    return raw_request(port, f"GET /first/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())[0]


@pytest.mark.parametrize(
    "host",
    [
        "evil.com\\@127.0.0.1", "127.0.0.1@evil.com", "user@127.0.0.1:{port}", "127.0.0.1:{port}, evil.com",
        "127.0.0.1:{port} evil.com", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:{port}/x", "[::1", "[evil.com]:{port}",
        "127.0.0.1%2f", "", " ",
    ],
)
def test_malformed_host_header_is_a_bad_request(served, host):
    port = served.preview.server.port
    assert get_with_host(port, host.format(port=port)) == 400
    assert served.request("/first/")[0] == 200


@pytest.mark.parametrize("host", ["evil.example:80", "evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "198.51.100.7:{port}", "vm-not-this-one"])
def test_host_header_naming_another_machine_is_misdirected(served, host):
    port = served.preview.server.port
    status, body = raw_request(port, f"GET /first/ HTTP/1.1\r\nHost: {host.format(port=port)}\r\n\r\n".encode())
    assert status == 421
    assert f"open http://127.0.0.1:{port}/".encode() in body


def test_two_host_headers_or_none_are_refused(served):
    port = served.preview.server.port
    assert raw_request(port, f"GET /first/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n".encode())[0] == 400
    assert raw_request(port, b"GET /first/ HTTP/1.1\r\nConnection: close\r\n\r\n")[0] == 400
    assert raw_request(port, b"GET /first/ HTTP/1.0\r\n\r\n")[0] == 400


def test_a_whole_url_as_request_target_is_refused(served):
    port = served.preview.server.port
    assert raw_request(port, f"GET http://evil.example/first/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())[0] == 400


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "127.0.0.1", "127.0.0.2:{port}", "[::1]:{port}", "LocalHost.:{port}", "site.localhost:{port}", "localhost:9999"])
def test_loopback_names_and_addresses_are_allowed_on_any_port(served, host):
    port = served.preview.server.port
    assert get_with_host(port, host.format(port=port)) == 200


def test_a_loopback_server_refuses_the_machines_own_name(served):
    port = served.preview.server.port
    assert get_with_host(port, f"{socket.gethostname()}:{port}") == 421


def own_outside_address() -> str | None:
    """An address of this machine other than loopback (found by routing, no packet sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_a_wildcard_bind_answers_to_the_machines_own_addresses_and_names_only(site):
    site.essay("first.md", title="First")
    preview = Preview(site.root, host="0.0.0.0", port=free_port(), out=io.StringIO()).start()
    try:
        port = preview.server.port
        address = own_outside_address()
        allowed = [f"127.0.0.1:{port}", f"{socket.gethostname()}:{port}", f"{socket.gethostname()}.local:{port}"] + ([f"{address}:{port}"] if address else [])
        for host in allowed:
            assert get_with_host(port, host) == 200, host
        for host in ["evil.example", f"198.51.100.7:{port}", f"{socket.gethostname()}.evil.example:{port}"]:
            assert get_with_host(port, host) == 421, host
        assert get_with_host(port, f"{address or '127.0.0.1'}:{port}, evil.example") == 400
    finally:
        preview.close()


def test_no_wildcard_cross_origin_header(served):
    _, headers, _ = served.request("/first/")
    assert "Access-Control-Allow-Origin" not in headers


def test_port_in_use_takes_the_next_free_one(site):
    site.essay("first.md")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        preview = Preview(site.root, port=port, out=io.StringIO())
        try:
            assert preview.server.port != port
        finally:
            preview.server.close()


def test_serve_command_on_a_taken_port_says_so_without_traceback(site, tmp_path):
    site.essay("first.md")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-c", "from postil.cli import main; raise SystemExit(main())", "-C", str(site.root), "serve", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent,
        )
        try:
            first_line = process.stdout.readline()
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=10)
    assert first_line.startswith(f"Port {port} is in use; using ")
    assert "Traceback" not in errors


def test_binding_beyond_loopback_warns(site):
    site.essay("first.md")
    output = io.StringIO()
    preview = Preview(site.root, host="0.0.0.0", port=free_port(), out=output).start()
    try:
        assert "Warning: listening on 0.0.0.0" in output.getvalue()
    finally:
        preview.close()
