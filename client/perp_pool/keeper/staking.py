"""The stake pool updater of the keeper's scan (docs/design.md "Lock-ups"): rewards routed between
two updates of a stake pool go to the weight present at the second, after the boosts of the locks
ending in between have left it. So on every scan the keeper sends the permissionless
`update_stake_pool` for each stake pool that has something to take in or a week boundary to process:
the custody routed rewards since its last pull, or a week started since its last processed one.
Nothing to do costs two reads (the stake pools, their reward custodies) and no transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from based58 import b58encode
from prometheus_client import CollectorRegistry, Counter
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.pubkey import Pubkey

from perp_pool.client.idl_types import account_discriminator
from perp_pool.clock import node_unix_time
from perp_pool.logfmt import kv
from perp_pool.math.staking import week_of

log = logging.getLogger("perp_pool.keeper.staking")

STAKE_POOL_DISCRIMINATOR = account_discriminator("StakePool")
STAKE_POOL_POOL_OFFSET = 8  # StakePool: pool, then reward_custody


def needs_update(stake_pool: Any, custody: Any, now: int) -> bool:
    """Whether `update_stake_pool` would change `stake_pool` (anchorpy-decoded) at `now`: its reward
    custody routed rewards it has not taken in, or a week boundary passed since it last processed one."""
    pending = custody.stake_rewards_routed > stake_pool.split.pulled_routed
    last_week = min(slot.last_week for slot in stake_pool.slots)
    return bool(pending or week_of(now) > last_week)


class StakePoolUpdater:
    """Finds the stake pools of one pool (or of every pool) and updates those that need it."""

    def __init__(self, client: Any, pool: Pubkey | None, registry: CollectorRegistry):
        self.client = client
        self.pool = pool
        self.sent = Counter("perp_keeper_stake_pool_updates", "update_stake_pool transactions landed",
                            registry=registry)

    async def stake_pools(self) -> list[tuple[Pubkey, Any]]:
        filters: list[Any] = [MemcmpOpts(offset=0, bytes=b58encode(STAKE_POOL_DISCRIMINATOR).decode())]
        if self.pool is not None:
            filters.append(MemcmpOpts(offset=STAKE_POOL_POOL_OFFSET, bytes=str(self.pool)))
        resp = await self.client.connection.get_program_accounts(self.client.program_id, commitment=Confirmed,
                                                                 encoding="base64", filters=filters)
        coder = self.client.program.coder.accounts
        return [(a.pubkey, coder.decode(bytes(a.account.data))) for a in resp.value]

    async def tick(self, now: int | None = None) -> int:
        """Updates every stake pool that needs it at `now` (default: the node's clock); returns how many
        updates landed. A program error propagates to the caller, which logs it."""
        found = await self.stake_pools()
        if not found:
            return 0
        custodies = {sp.reward_custody for _, sp in found}
        infos = (await self.client.connection.get_multiple_accounts(list(custodies), commitment=Confirmed)).value
        coder = self.client.program.coder.accounts
        decoded = {k: coder.decode(bytes(i.data)) for k, i in zip(custodies, infos, strict=True) if i is not None}
        if now is None:
            now = await node_unix_time(self.client.connection)
        landed = 0
        for address, sp in found:
            custody = decoded.get(sp.reward_custody)
            if custody is None or not needs_update(sp, custody, now):
                continue
            result = await self.client.update_stake_pool(sp.pool)
            landed += 1
            self.sent.inc()
            data = result.event("StakePoolUpdated").data
            log.info(kv(event="stake_pool_updated", stake_pool=address, new_rewards=list(data.new_rewards),
                        returned_to_lps=data.returned_to_lps, week=data.week, signature=result.signature))
        return landed


__all__ = ["STAKE_POOL_DISCRIMINATOR", "StakePoolUpdater", "needs_update"]
