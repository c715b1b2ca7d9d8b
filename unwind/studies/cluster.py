"""Work on a dask.distributed cluster (`--scheduler tcp://HOST:PORT`): a checked client, and a
map of tasks whose results come back as they complete. Scorecards and sweeps share it.

Before dask's own client is made, the address is checked by hand, with a timeout on every
step: a Dask peer speaks first (an 8-byte frame length, then a small msgpack handshake naming
its pickle protocol), so anything else at the address (an HTTP server, a silent listener, a
service sending random bytes) is one line within seconds. dask's client itself waits on such a
peer past any timeout or, reading a random frame length, tries to allocate exabytes.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Callable

from feeds.errors import DataError, excerpt

# Seconds to connect, and to wait for the scheduler's handshake (a live one sends it at once).
CONNECT_SECONDS = 10.0
HANDSHAKE_SECONDS = 5.0
# A Dask handshake is about 100 bytes; a frame longer than this is not one.
_HANDSHAKE_MAX_BYTES = 1 << 16
_PROBE = b"GET / HTTP/1.0\r\n\r\n"


def check_address(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of `tcp://HOST:PORT`, or one DataError line."""
    scheme, separator, rest = str(address).partition("://")
    host, _, port = rest.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DataError(f"--scheduler {excerpt(address)}: expected an address such as "
                        "tcp://HOST:8786")
    return scheme, host.strip("[]"), int(port)


def check_scheduler(address: str) -> None:
    """Refuse, in one line, an address where no Dask scheduler answers its handshake."""
    scheme, host, port = check_address(address)
    try:
        connection = socket.create_connection((host, port), timeout=CONNECT_SECONDS)
    except (OSError, ValueError) as error:
        raise DataError(f"--scheduler {address}: cannot reach a Dask scheduler ({error})"
                        ) from None
    with connection:
        if scheme != "tcp":    # TLS and other transports: dask's client checks the rest
            return
        first = _receive(connection, 8, HANDSHAKE_SECONDS)
        if not first:          # silent: an HTTP server waits for a request, so send one
            try:
                connection.sendall(_PROBE)
            except OSError:
                pass
            first = _receive(connection, 8, HANDSHAKE_SECONDS)
        if not first:
            raise DataError(f"--scheduler {address}: not a Dask scheduler (it sent nothing in "
                            f"{2 * HANDSHAKE_SECONDS:g} s)")
        if first.startswith(b"HTTP/"):
            raise DataError(f"--scheduler {address}: not a Dask scheduler (it answered HTTP)")
        length = struct.unpack("<Q", first.ljust(8, b"\0"))[0]
        body = _receive(connection, length, HANDSHAKE_SECONDS) \
            if len(first) == 8 and 0 < length <= _HANDSHAKE_MAX_BYTES else b""
        if b"pickle-protocol" not in body:
            raise DataError(f"--scheduler {address}: not a Dask scheduler (it answered "
                            f"{first[:24]!r}, not a Dask handshake)")


def _receive(connection: socket.socket, size: int, seconds: float) -> bytes:
    """Up to `size` bytes, whatever arrived within `seconds` (fewer if the peer closed)."""
    deadline = time.monotonic() + seconds
    received = b""
    while len(received) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        connection.settimeout(left)
        try:
            chunk = connection.recv(min(size - len(received), 1 << 16))
        except (TimeoutError, socket.timeout):
            break
        except OSError:
            break
        if not chunk:
            break
        received += chunk
    return received


def dask_client(address: str):
    """A client of the dask.distributed scheduler at `address` that has workers, or one
    DataError line."""
    try:
        from distributed import Client
    except ImportError:
        raise DataError("--scheduler needs dask.distributed (pip install 'dask[distributed]')"
                        ) from None
    check_scheduler(address)
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as error:
        raise DataError(f"--scheduler {address}: cannot reach a Dask scheduler ({error})"
                        ) from None
    if not client.scheduler_info().get("workers"):
        client.close()
        raise DataError(f"--scheduler {address}: the cluster has no workers")
    return client


def dask_map(address: str, tasks: list[tuple[Callable, tuple]]):
    """Run `tasks` ((function, args) pairs) on the cluster at `address`; yields each result
    as it completes."""
    from distributed import as_completed as completed

    with dask_client(address) as client:
        futures = [client.submit(function, *args, pure=False) for function, args in tasks]
        for future in completed(futures):
            yield future.result()
