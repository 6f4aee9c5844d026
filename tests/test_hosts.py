"""The classroom server's Host check (DNS rebinding): only its own names get an answer."""

from __future__ import annotations

import asyncio

import pytest

from sim.ui.hosts import HostCheck, allowed_hosts, host_of


@pytest.mark.parametrize(
    ("header", "host"),
    [("127.0.0.1:8765", "127.0.0.1"), ("[::1]:8765", "::1"), ("LOCALHOST", "localhost"), ("a.example:80", "a.example")],
)
def test_host_of_a_header(header, host):
    assert host_of(header) == host


def test_allowed_hosts_are_loopback_and_the_host_given():
    assert allowed_hosts("127.0.0.1") == {"127.0.0.1", "localhost", "::1"}
    assert "10.0.0.5" in allowed_hosts("10.0.0.5")
    assert "evil.example" not in allowed_hosts("0.0.0.0")


def _call(scope_type: str, host: bytes | None) -> list[dict]:
    async def app(scope, receive, send):
        await send({"type": "app", "called": True})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {}

    headers = [] if host is None else [(b"host", host)]
    check = HostCheck(app, allowed_hosts("127.0.0.1"))
    asyncio.run(check({"type": scope_type, "headers": headers}, receive, send))
    return sent


@pytest.mark.parametrize("host", [b"127.0.0.1:8765", b"localhost:8765", b"[::1]:8765"])
def test_own_names_reach_the_app(host):
    assert _call("http", host) == [{"type": "app", "called": True}]
    assert _call("websocket", host) == [{"type": "app", "called": True}]


@pytest.mark.parametrize("host", [b"evil.example:8765", b"127.0.0.1.evil.example", b"", None])
def test_other_names_are_refused(host):
    http = _call("http", host)
    assert http[0]["type"] == "http.response.start" and http[0]["status"] == 400
    assert _call("websocket", host) == [{"type": "websocket.close", "code": 1008}]
