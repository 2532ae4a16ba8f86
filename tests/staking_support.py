"""Staking on the node: a market whose USDC custody routes a share of every trading fee to LP
stakers, its stake pool, funded stakers, fee-routing trades, and `Mirror`, the Python port
(perp_pool.math.staking) run alongside the program so every claim is predicted to the unit and the
whole on-chain slot (weights, index, rings) is compared after every instruction."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from perp_pool import errors
from perp_pool.client import FeeConfig, PricingConfig
from perp_pool.constants import BPS_POWER, WEEK_SECONDS
from perp_pool.localnet import NodeExtensions
from perp_pool.math import staking
from perp_pool.math.pricing import Side
from perp_pool.transport import TxResult
from tests.helpers import USDC, Market, Wallet, World, market_deposit, new_market, price_usd

# 10 bps open and close fees on size; of each fee 20 % protocol, 10 % insurance, 30 % stakers.
FEES = FeeConfig(open_position_bps=10, close_position_bps=10, protocol_share_bps=2_000, insurance_share_bps=1_000,
                 staker_share_bps=3_000)
LADDER = [staking.LockTier(7, 10_000), staking.LockTier(30, 11_000), staking.LockTier(90, 15_000),
          staking.LockTier(180, 20_000), staking.LockTier(364, 30_000)]
JUNIOR_SHARE_BPS = 6_500  # configured; an untranched pool's junior slot takes everything anyway


@dataclass
class StakeMarket:
    world: World
    m: Market
    trader: Wallet
    stakers: list[Wallet] = field(default_factory=list)

    @property
    def pool(self):  # noqa: ANN201 - a Pubkey
        return self.m.pool

    async def refresh_prices(self) -> None:
        """Publishes both prices at the node's now (after a clock warp)."""
        await self.world.set_price(self.m.sol, price=price_usd(150))
        await self.world.set_price(self.m.usdc, price=price_usd(1))

    async def route(self, rounds: int = 1, size_usd: int = 1_000 * USDC) -> int:
        """Opens and closes a long `rounds` times; returns the tokens routed to the stakers."""
        before = (await self.world.client.fetch_custody(self.m.usdc.custody)).stake_rewards_routed
        c = self.trader.client
        args = (self.m.pool, self.m.sol.custody, self.m.usdc.custody, Side.LONG)
        for i in range(rounds):
            await c.open_position(*args, price_limit=2**63, collateral_amount=100 * USDC + i, size_usd=size_usd,
                                  funding_account=self.trader.token_account)
            await c.close_position(*args, price_limit=i, receiving_account=self.trader.token_account)
        after = (await self.world.client.fetch_custody(self.m.usdc.custody)).stake_rewards_routed
        return int(after - before)

    async def routed(self) -> int:
        return int((await self.world.client.fetch_custody(self.m.usdc.custody)).stake_rewards_routed)

    async def new_staker(self, usdc: int = 10_000 * USDC) -> Wallet:
        """A wallet holding the LP of a `usdc` deposit, its cooldown over (and 100 USDC more)."""
        w = await self.world.new_wallet(self.m.usdc, tokens=usdc + 100 * USDC)
        result = await market_deposit(self.world, self.m, w, usdc)
        await self.world.after_slot(result.slot)
        self.stakers.append(w)
        return w

    async def stake_pool(self):  # noqa: ANN201 - the decoded StakePool
        return await self.world.client.fetch_stake_pool(self.m.pool)


async def stake_market(world: World, *, traders_usdc: int = 100_000 * USDC, init: bool = True) -> StakeMarket:
    """A market with 1 M USDC of liquidity (nobody staking it), a trader, and the stake pool."""
    m = await new_market(world, liquidity=1_000_000 * USDC, fees=FEES,
                         pricing=PricingConfig(max_utilization=950_000_000))
    trader = await world.new_wallet(m.usdc, tokens=traders_usdc)
    sm = StakeMarket(world, m, trader)
    if init:
        await world.client.init_stake_pool(m.pool, m.usdc.custody, ladder=LADDER,
                                           junior_share_bps=JUNIOR_SHARE_BPS)
    return sm


def warp_to(ext: NodeExtensions, now: int, weeks: int, offset: int = WEEK_SECONDS * 3 // 14) -> int:
    """Moves the clock to `offset` seconds into the week `weeks` after the current one (default 1.5
    days in: no lock end of the ladder is then within seconds of `now`). Returns the new time."""
    target = (staking.week_of(now) + weeks) * WEEK_SECONDS + offset
    assert target > now
    return ext.warp_clock(target - now)


class Mirror:
    """The program's staking accounting, replayed with the Python port from each instruction's own
    time (its event) and the custody's routed counter before it (nothing else routes meanwhile)."""

    def __init__(self, stake_pool: object, stakers: int) -> None:
        sp = stake_pool
        self.split = staking.RewardSplit(sp.split.junior_share_bps, sp.split.pulled_routed,  # type: ignore[attr-defined]
                                         sp.split.base_routed, sp.split.base_junior)  # type: ignore[attr-defined]
        self.slot = staking.TrancheStakes.from_account(sp.slots[0])  # type: ignore[attr-defined]
        self.senior = staking.TrancheStakes.from_account(sp.slots[1])  # type: ignore[attr-defined]
        self.stakes = [staking.StakePosition() for _ in range(stakers)]
        self.paid = [0] * stakers
        self.returned = 0

    def update(self, routed: int, now: int) -> staking.Pulled:
        # The senior slot is closed in a pool without tranches: the junior slot takes everything.
        pulled = staking.update_slots(self.split, [self.slot, self.senior], routed, BPS_POWER, now)
        self.returned += pulled.returned_to_lps
        return pulled

    def lock(self, who: int, amount: int, tier: int, routed: int, now: int) -> None:
        self.update(routed, now)
        staking.lock(self.slot, self.stakes[who], amount, tier, LADDER[tier], now)

    def unlock(self, who: int, amount: int, routed: int, now: int) -> None:
        self.update(routed, now)
        staking.unlock(self.slot, self.stakes[who], amount, now)

    def claim(self, who: int, routed: int, now: int) -> int:
        self.update(routed, now)
        paid = staking.claim(self.slot, self.stakes[who])
        self.paid[who] += paid
        return paid

    def expect_refused(self, op: str, *args: int) -> type[errors.PerpPoolError]:
        """What the port says an instruction the program refused fails with; the mirror is unchanged."""
        saved = copy.deepcopy(self.__dict__)
        try:
            getattr(self, op)(*args)
        except errors.PerpPoolError as exc:
            return type(exc)
        finally:
            self.__dict__ = saved
        raise AssertionError(f"the port accepts {op}{args} the program refused")

    def check(self, stake_pool: object, stakes: list[object | None]) -> None:
        """The on-chain slot and stakes are the mirror's, field for field (rings included)."""
        on_chain = staking.TrancheStakes.from_account(stake_pool.slots[0])  # type: ignore[attr-defined]
        assert on_chain == self.slot
        assert stake_pool.split.pulled_routed == self.split.pulled_routed  # type: ignore[attr-defined]
        for mine, theirs in zip(self.stakes, stakes, strict=True):
            if theirs is None:
                assert mine == staking.StakePosition()
                continue
            got = staking.StakePosition(theirs.amount, theirs.tier, theirs.multiplier_bps,  # type: ignore[attr-defined]
                                        theirs.lock_end, theirs.weight, theirs.boost_weight,  # type: ignore[attr-defined]
                                        theirs.index_snapshot, theirs.earned)  # type: ignore[attr-defined]
            assert got == mine


def event_time(result: TxResult) -> int:
    """The time of the staking instruction a transaction ran (its last staking event)."""
    times = [e.data.time for e in result.events if hasattr(e.data, "time") and e.name in (
        "LpLocked", "LpStakeUnlocked", "StakeRewardsClaimed", "StakePoolUpdated")]
    assert times, [e.name for e in result.events]
    return int(times[-1])
