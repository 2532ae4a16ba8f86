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


async def node_unix_time(connection: AsyncClient) -> int:
    info = (await connection.get_account_info(CLOCK, commitment=Confirmed)).value
    if info is None:
        raise errors.TransactionFailed("the node returned no Clock sysvar")
    return unix_timestamp(bytes(info.data))
