"""The node's clock: the Clock sysvar's `unix_timestamp`, the `now` the program sees (it can differ
from this machine's clock, and the local node's can be warped)."""

from __future__ import annotations

import struct

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.sysvar import CLOCK

from perp_pool import errors

CLOCK_UNIX_TIMESTAMP_OFFSET = 32  # after slot u64, epoch_start_timestamp i64, epoch u64, leader_schedule_epoch u64


def unix_timestamp(clock_data: bytes) -> int:
    timestamp: int = struct.unpack_from("<q", clock_data, CLOCK_UNIX_TIMESTAMP_OFFSET)[0]
    return timestamp


async def _clock_data(connection: AsyncClient) -> bytes:
    info = (await connection.get_account_info(CLOCK, commitment=Confirmed)).value
    if info is None:
        raise errors.TransactionFailed("the node returned no Clock sysvar")
    return bytes(info.data)


async def node_unix_time(connection: AsyncClient) -> int:
    return unix_timestamp(await _clock_data(connection))


async def node_slot_and_time(connection: AsyncClient) -> tuple[int, int]:
    """The Clock sysvar's (slot, unix_timestamp)."""
    data = await _clock_data(connection)
    slot: int = struct.unpack_from("<Q", data, 0)[0]
    return slot, unix_timestamp(data)
