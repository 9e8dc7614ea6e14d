"""The preview server under many clients at once, over real HTTP on 127.0.0.1."""
from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest

import postil.serve.server
from postil.serve.server import DevServer

CLIENTS = 200
TABS = 50  # of the clients, those that also keep the event stream open, as a tab does
REQUESTS = 20  # per client
TIMEOUT = 10.0  # per request: generous, on a machine shared with other work
PAGES = {
    "index.html": b"<!doctype html><title>Home</title><body>" + b"<p>An essay.</p>" * 2000 + b"</body>",
    "essay/index.html": b"<!doctype html><title>Essay</title><body><p>Words.</p></body>",
    "style.css": b"body { color: black }\n",
}


def read_events_until(server: DevServer, build: int, answered: list, failures: list) -> None:
    """Follow the event stream as a tab does until it tells of `build`."""
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as connection:
            connection.sendall(f"GET /__postil/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
            stream = connection.makefile("rb")
            assert stream.readline().startswith(b"HTTP/1.1 200")
            for line in stream:
                if line.startswith(b"data: ") and json.loads(line[6:])["build"] >= build:
                    answered.append("events")
                    return
    except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
        failures.append(f"events: {exc!r}")


@pytest.mark.slow  # seconds of 200 clients against one server
def test_two_hundred_clients_at_once_all_get_answers():
    server = DevServer("127.0.0.1", 0).start()
    server.publish(PAGES, [])
    start = threading.Barrier(CLIENTS + 1)
    answered: list[str] = []
    failures: list[str] = []
    final_build = server.state.build + 3

    def client(number: int) -> None:
        start.wait()
        events = threading.Thread(target=read_events_until, args=(server, final_build, answered, failures)) if number < TABS else None
        if events:
            events.start()
        connection = None
        for request in range(REQUESTS):
            # Kept-alive connections, with a new one every fifth request (a tab's pool turning over).
            path = ["/", "/essay/", "/style.css"][(number + request) % 3]
            try:
                if connection is None or request % 5 == 0:
                    if connection is not None:
                        connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                expected = PAGES[path.lstrip("/") + ("index.html" if path.endswith("/") else "")]
                assert response.status == 200 and body.startswith(expected[:-7]), (path, response.status)
                answered.append(path)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                failures.append(f"{path}: {exc!r}")
                connection = None
        if connection is not None:
            connection.close()
        if events:
            events.join()

    clients = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    try:
        for thread in clients:
            thread.start()
        start.wait()
        for build in range(3):  # builds published while the clients are at it reach every tab
            server.publish({**PAGES, "essay/index.html": PAGES["essay/index.html"] + str(build).encode()}, ["essay/index.html"])
        for thread in clients:
            thread.join(timeout=CLIENTS * REQUESTS * TIMEOUT)
    finally:
        server.close()
    assert failures == []
    assert len(answered) == CLIENTS * REQUESTS + TABS


def test_an_idle_kept_alive_connection_is_closed_by_the_server(monkeypatch):
    """A client that goes away without closing (a phone put to sleep) must not hold a thread forever."""
    monkeypatch.setattr(postil.serve.server, "IDLE_SECONDS", 0.5)
    server = DevServer("127.0.0.1", 0).start()
    server.publish(PAGES, [])
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as connection:
            connection.sendall(f"GET /style.css HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
            received = b""
            while chunk := connection.recv(65536):  # ends when the server closes the idle connection
                received += chunk
        assert received.startswith(b"HTTP/1.1 200") and received.endswith(PAGES["style.css"])
    finally:
        server.close()
