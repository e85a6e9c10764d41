"""The probe of ``byline.postgres.base``: does the server let a new connection in?

A trusted connection whose round trip is unanswered for ``PROBE_SECONDS`` asks
whether the server lets a new connection in (``_server_lets_in``): a server
that answers, even with a refusal, is alive; one that says nothing is frozen.
The probe's own connection is closed whatever the answer.
"""

from __future__ import annotations

import gc
import os
import socket
import time

from byline.postgres.base import DeadlineConnection


def probe(conninfo: str, seconds: float) -> bool:
    connection = DeadlineConnection.__new__(DeadlineConnection)  # no server needed
    connection.conninfo = conninfo
    return connection._server_lets_in(seconds)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_silent_server_is_told_in_time_and_the_probe_leaves_no_socket_open():
    """A listener that never answers (a frozen server's kernel still completes the
    handshake): not let in after the probe's time, and its socket closed at once,
    not when the garbage collector comes by."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        gc.disable()
        try:
            before = open_descriptors()
            started = time.monotonic()
            answers = [probe(f"host=127.0.0.1 port={port} dbname=x user=x", 0.2) for _ in range(3)]
            waited = time.monotonic() - started
            after = open_descriptors()
        finally:
            gc.enable()
        assert answers == [False, False, False]
        assert waited < 3
        assert after == before
        listener.settimeout(1)
        peer, _ = listener.accept()  # the probe's connection, closed by the client
        with peer:
            peer.settimeout(1)
            while peer.recv(4096):
                pass  # the start-up packet, then the end of the stream


def test_a_refused_connection_is_an_answer():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: refused at once
        assert probe(f"host=127.0.0.1 port={port} dbname=x user=x", 1.0) is True
