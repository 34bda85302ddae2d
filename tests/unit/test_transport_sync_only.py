"""The transport blocks; called from inside an event loop it refuses, saying what to do instead."""

from __future__ import annotations

import asyncio

import pytest

from brokeforge.ssh import SshTarget, connect, generate_keypair


def test_transport_refuses_to_block_a_running_event_loop() -> None:
    async def inside_a_loop() -> None:
        # A documentation address: the call is refused before any packet is sent.
        connect(SshTarget("192.0.2.1", 22, "root", generate_keypair("x").private_key))

    with pytest.raises(RuntimeError, match="not from inside a running event loop"):
        asyncio.run(inside_a_loop())
