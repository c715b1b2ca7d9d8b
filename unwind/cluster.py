"""Work on a dask.distributed cluster (`--scheduler tcp://HOST:PORT`): a checked client, and a
map of tasks whose results come back as they complete. Scorecards and sweeps share it."""

from __future__ import annotations

import socket
from typing import Callable

from feeds.errors import DataError


def dask_client(address: str):
    """A client of the dask.distributed scheduler at `address` that has workers, or one
    DataError line."""
    try:
        from distributed import Client
    except ImportError:
        raise DataError("--scheduler needs dask.distributed (pip install 'dask[distributed]')"
                        ) from None
    host, _, port = address.partition("://")[2].rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
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
