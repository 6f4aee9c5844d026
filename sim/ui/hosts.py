"""The classroom server answers only requests addressed to it: a Host header check (DNS rebinding).

A page on another site can make a student's browser send requests to
``127.0.0.1:8765`` under that site's own name (DNS rebinding): the browser
then treats the classroom UI as the other site's and lets its scripts read
and drive it. Such requests carry the other site's name in their ``Host``
header. :class:`HostCheck` wraps the server's ASGI app and refuses every
HTTP request and websocket whose ``Host`` is not one of the names the server
was started under: ``127.0.0.1``, ``localhost``, ``::1`` and the ``--host``
given (for ``0.0.0.0`` or ``::``, this machine's names and addresses).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

__all__ = ["HostCheck", "allowed_hosts", "guard_solara", "host_of"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")


def allowed_hosts(host: str) -> set[str]:
    """The host names a server listening on ``host`` answers to (lower case, no port, no brackets)."""
    names = {*LOOPBACK, host.strip("[]").lower()}
    if host in WILDCARDS:  # every interface: the names and addresses others reach this machine by
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        try:
            import psutil

            names |= {a.address.split("%")[0].lower() for addrs in psutil.net_if_addrs().values() for a in addrs}
        except Exception:  # no psutil, or no permission: the hostname still works
            pass
    names.discard("")
    return names


def host_of(header: str) -> str:
    """The host part of a ``Host`` header: ``"[::1]:8765"`` -> ``"::1"``, ``"a.b:80"`` -> ``"a.b"``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        return header.split(":", 1)[0]
    return header


class HostCheck:
    """ASGI middleware: 400 for an HTTP request, a closed websocket, when the Host is not allowed.

    Args:
        app: The ASGI app to guard.
        hosts: The allowed host names (see :func:`allowed_hosts`).
    """

    def __init__(self, app: Any, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = host_of(headers.get(b"host", b"").decode("latin-1"))
        if host in self.hosts:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b"Invalid Host header: this server answers only to its own address\n"
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def guard_solara(host: str) -> set[str]:
    """Put :class:`HostCheck` in front of solara's server app (before it starts); return the allowed names."""
    import solara.server.starlette as server

    hosts = allowed_hosts(host)
    server.app.add_middleware(HostCheck, hosts=hosts)
    return hosts
