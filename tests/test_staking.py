"""LP lock-ups with yield boosts on the node (docs/design.md "Lock-ups"): many stakers with
different tiers over simulated weeks are paid exactly what the trades routed to them (to the unit,
the Python port predicting every claim and matching the whole on-chain slot after every
instruction), boosts end at their week boundary, a hypothesis sequence keeps the books, bad input
gets a named error and changes nothing, and the pause stops new locks only."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from perp_pool import errors, pda
from perp_pool.client import Permissions
from perp_pool.constants import BPS_POWER, DAY_SECONDS, WEEK_SECONDS
from perp_pool.localnet import NodeExtensions
from perp_pool.math import staking
from perp_pool.tokens import ensure_ata, token_account_frozen
from tests.helpers import USDC, World, assert_rejected, market_deposit
from tests.staking_support import LADDER, Mirror, StakeMarket, event_time, stake_market, warp_to

pytestmark = pytest.mark.node_ext


async def op(sm: StakeMarket, mirror: Mirror, kind: str, who: int, *args: int) -> int | None:
    """Runs one staking instruction of staker `who` on the node and in the mirror; returns what a
    claim paid. A refused instruction must be refused by the port too, with the same error, and
    change nothing on chain."""
    w = sm.stakers[who]
    c = w.client
    routed = await sm.routed()
    try:
        if kind == "lock":
            result = await c.lock_lp(sm.pool, amount=args[0], tier=args[1], lp_token_account=w.lp_account)
        elif kind == "unlock":
            result = await c.unlock_lp_stake(sm.pool, amount=args[0], lp_token_account=w.lp_account)
        else:
            result = await c.claim_stake_rewards(sm.pool, receiving_account=w.token_account)
    except errors.TransactionFailed as exc:
        address = sm.world.client.stake_address(sm.pool, owner=w.pubkey)
        exists = (await sm.world.connection.get_account_info(address, Confirmed)).value is not None
        if kind != "lock" and not exists:
            # No stake yet: Anchor refuses the account before the program runs.
            assert isinstance(exc, errors.AccountNotInitialized), exc
        else:
            now = await sm.world.now()
            assert type(exc) is mirror.expect_refused(kind, who, *args, routed, now), exc
        await check(sm, mirror)
        return None
    now = event_time(result)
    paid = None
    if kind == "lock":
        mirror.lock(who, args[0], args[1], routed, now)
    elif kind == "unlock":
        mirror.unlock(who, args[0], routed, now)
    else:
        paid = mirror.claim(who, routed, now)
        assert result.event("StakeRewardsClaimed").data.amount == paid
    await check(sm, mirror)
    return paid


async def check(sm: StakeMarket, mirror: Mirror) -> None:
    c = sm.world.client
    stakes = []
    for w in sm.stakers:
        address = c.stake_address(sm.pool, owner=w.pubkey)
        info = (await sm.world.connection.get_account_info(address, Confirmed)).value
        stakes.append(None if info is None else await c.fetch_stake(address))
    mirror.check(await sm.stake_pool(), stakes)
    custody = await c.fetch_custody(sm.m.usdc.custody)
    a = custody.assets
    assert await sm.world.balance(sm.m.usdc.vault) == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                                                       + a.escrow + a.stake_rewards)
    vault = c.stake_vault_address(sm.pool)
    assert await sm.world.balance(vault) == sum(s.amount for s in mirror.stakes)


async def update(sm: StakeMarket, mirror: Mirror) -> None:
    routed = await sm.routed()
    result = await sm.world.client.update_stake_pool(sm.pool)
    mirror.update(routed, event_time(result))
    await check(sm, mirror)


async def settle_all_and_check_books(sm: StakeMarket, mirror: Mirror) -> None:
    """Everyone claims what is left: paid + dust + given back == routed, to the unit."""
    for who in range(len(sm.stakers)):
        await op(sm, mirror, "claim", who)
    custody = await sm.world.client.fetch_custody(sm.m.usdc.custody)
    routed = int(custody.stake_rewards_routed)
    paid_on_chain = 0
    for w in sm.stakers:
        address = sm.world.client.stake_address(sm.pool, owner=w.pubkey)
        info = (await sm.world.connection.get_account_info(address, Confirmed)).value
        if info is not None:
            paid_on_chain += (await sm.world.client.fetch_stake(address)).claimed
    assert paid_on_chain == sum(mirror.paid)
    dust = custody.assets.stake_rewards
    # Nothing is claimable any more: what is left in the bucket is the floors' dust.
    assert all(s.earned == 0 for s in mirror.stakes)
    assert paid_on_chain + dust + mirror.returned == routed
    assert dust <= 2 * len(sm.stakers) + 50


async def test_many_stakers_over_weeks_are_paid_what_was_routed_to_the_unit(world: World, node_ext) -> None:
    sm = await stake_market(world)
    stakers = [await sm.new_staker(usdc) for usdc in (10_000 * USDC, 25_000 * USDC, 3_333 * USDC, 50_000 * USDC,
                                                       777 * USDC)]
    warp_to(node_ext, await world.now(), 1)
    await sm.refresh_prices()
    mirror = Mirror(await sm.stake_pool(), len(stakers))
    lp = [await world.balance(w.lp_account) for w in stakers]
    # Five tiers, one staker each; the last stakes in two steps.
    for who, tier in enumerate((0, 1, 2, 3, 4)):
        amount = lp[who] if who != 4 else lp[who] // 3
        await op(sm, mirror, "lock", who, amount, tier)
    assert await sm.route(3) > 0
    await op(sm, mirror, "lock", 4, lp[4] - lp[4] // 3, 4)
    await op(sm, mirror, "claim", 0)
    # Five weeks on: the 30-day lock's boost has ended at its boundary; fees before and after it.
    await sm.route(2)
    warp_to(node_ext, await world.now(), 5)
    await sm.refresh_prices()
    await sm.route(2)
    await update(sm, mirror)
    await op(sm, mirror, "claim", 1)
    assert mirror.stakes[1].boost_weight == 0
    # The 90-day staker extends to a year; the ended 30-day stake may relock lower, and unlock.
    await op(sm, mirror, "lock", 2, 0, 4)
    await op(sm, mirror, "unlock", 1, lp[1] // 2)
    await op(sm, mirror, "lock", 1, 0, 0)
    await op(sm, mirror, "unlock", 2, 1)  # still locked: StakeLocked
    # A year of weeks, fees now and then.
    for who, weeks in enumerate((10, 20, 30)):
        warp_to(node_ext, await world.now(), weeks)
        await sm.refresh_prices()
        await sm.route(1)
        await op(sm, mirror, "claim", who + 2)
    await op(sm, mirror, "unlock", 3, lp[3])
    await sm.route(2)
    await settle_all_and_check_books(sm, mirror)
    assert sum(mirror.paid) > 0


async def test_a_boost_ends_at_its_week_boundary(world: World, node_ext) -> None:
    sm = await stake_market(world)
    a, b = await sm.new_staker(), await sm.new_staker()
    warp_to(node_ext, await world.now(), 1)
    await sm.refresh_prices()
    mirror = Mirror(await sm.stake_pool(), 2)
    amount = min(await world.balance(a.lp_account), await world.balance(b.lp_account))
    await op(sm, mirror, "lock", 0, amount, 0)  # weight = amount
    await op(sm, mirror, "lock", 1, amount, 1)  # 1.1x for 30 days
    end = mirror.stakes[1].lock_end
    assert end % WEEK_SECONDS == 0
    # Routed before the end: 1 : 1.1. Pulled right at the boundary: 1 : 1.
    before = await sm.route(2)
    await update(sm, mirror)
    now = await world.now()
    node_ext.warp_clock(end - now)
    await sm.refresh_prices()
    after = await sm.route(2)
    await update(sm, mirror)
    paid_a = await op(sm, mirror, "claim", 0)
    paid_b = await op(sm, mirror, "claim", 1)
    assert paid_a is not None and paid_b is not None
    assert abs(paid_a - (before * 10 // 21 + after // 2)) <= 2
    assert abs(paid_b - (before * 11 // 21 + after // 2)) <= 2
    state = await world.client.get_stake_pool_state(sm.pool)
    assert state.locked_amount == 0 and state.total_weight == 2 * amount


async def test_rewards_with_nothing_staked_go_back_to_the_lps(world: World) -> None:
    sm = await stake_market(world, init=False)
    routed = await sm.route(2)
    custody = await world.client.fetch_custody(sm.m.usdc.custody)
    assert custody.assets.stake_rewards == routed == custody.stake_rewards_routed
    result = await world.client.init_stake_pool(sm.pool, sm.m.usdc.custody, ladder=LADDER, junior_share_bps=5_000)
    assert result.event("StakePoolInitialized").data.returned_to_lps == routed
    after = await world.client.fetch_custody(sm.m.usdc.custody)
    assert after.assets.stake_rewards == 0
    assert after.assets.owned == custody.assets.owned + routed
    # And so do later fees while nobody stakes.
    later = await sm.route(1)
    result = await world.client.update_stake_pool(sm.pool)
    assert result.event("StakePoolUpdated").data.returned_to_lps == later


async def test_the_pool_view_shows_the_locked_share_and_remaining_lock_time(world: World) -> None:
    sm = await stake_market(world)
    a, b = await sm.new_staker(10_000 * USDC), await sm.new_staker(30_000 * USDC)
    la, lb = await world.balance(a.lp_account), await world.balance(b.lp_account)
    ra = await a.client.lock_lp(sm.pool, amount=la, tier=2, lp_token_account=a.lp_account)
    rb = await b.client.lock_lp(sm.pool, amount=lb // 2, tier=0, lp_token_account=b.lp_account)
    end, end_b = ra.event("LpLocked").data.lock_end, rb.event("LpLocked").data.lock_end
    # The shortest tier locks too: 7 days at 1x, to a week boundary.
    assert end_b % WEEK_SECONDS == 0 and end_b >= event_time(rb) + 7 * DAY_SECONDS
    routed = await sm.route(1)
    state = await world.client.get_stake_pool_state(sm.pool)
    now = await world.now()
    supply = await world.lp_supply(sm.m)
    staked = la + lb // 2
    assert (state.staked_amount, state.locked_amount, state.lp_supply) == (staked, staked, supply)
    assert state.staked_share_bps == staked * BPS_POWER // supply
    assert state.locked_share_bps == staked * BPS_POWER // supply
    # Two locks: their amount-weighted remaining time (the view ran a moment ago: within seconds).
    weighted_end = (la * end + lb // 2 * end_b) // staked
    assert 0 <= (weighted_end - now) - state.weighted_remaining_lock_sec <= 5
    assert state.pending_routed == routed
    assert state.total_weight == staking.lock_weight(la, 15_000) + lb // 2


async def test_the_pause_stops_new_locks_but_never_unlocks_or_claims(world: World, node_ext) -> None:
    sm = await stake_market(world)
    w = await sm.new_staker()
    lp = await world.balance(w.lp_account)
    locked = await w.client.lock_lp(sm.pool, amount=lp // 2, tier=0, lp_token_account=w.lp_account)
    await sm.route(1)
    await world.client.set_permissions(Permissions(allow_lp_staking=False))
    try:
        stake = w.client.stake_address(sm.pool)
        await assert_rejected(errors.InstructionNotAllowed,
                              lambda: w.client.lock_lp(sm.pool, amount=1, tier=0, lp_token_account=w.lp_account),
                              world.connection, [stake, w.lp_account, w.client.stake_vault_address(sm.pool)])
        paid = (await w.client.claim_stake_rewards(sm.pool, receiving_account=w.token_account)).event(
            "StakeRewardsClaimed").data.amount
        assert paid > 0
        node_ext.warp_clock(locked.event("LpLocked").data.lock_end - await world.now())
        await w.client.unlock_lp_stake(sm.pool, amount=lp // 2, lp_token_account=w.lp_account)
        assert await world.balance(w.lp_account) == lp
    finally:
        await world.client.set_permissions(Permissions())


# ---- bad input: a named error, nothing changed -------------------------------------------------


async def test_bad_input_gets_a_named_error_and_changes_nothing(world: World) -> None:
    sm = await stake_market(world)
    w = await sm.new_staker()
    other = await sm.new_staker()
    lp = await world.balance(w.lp_account)
    await w.client.lock_lp(sm.pool, amount=lp // 2, tier=2, lp_token_account=w.lp_account)
    await other.client.lock_lp(sm.pool, amount=1_000, tier=0, lp_token_account=other.lp_account)
    await sm.route(1)
    c = w.client
    stake = c.stake_address(sm.pool)
    vault = c.stake_vault_address(sm.pool)
    stake_pool = c.stake_pool_address(sm.pool)
    watched = [stake, vault, stake_pool, w.lp_account, w.token_account, sm.m.usdc.custody, sm.m.usdc.vault]
    stranger_vault = await ensure_ata(world.client.transport, other.pubkey, sm.m.lp_mint)
    usdc = sm.m.usdc.mint

    async def lock_ix(amount: int, tier: int, **overrides):  # noqa: ANN202
        return await c.build_lock_lp_ix(sm.pool, amount=amount, tier=tier, lp_token_account=w.lp_account,
                                        overrides=overrides or None)

    cases = [
        # (expected error, instruction builder)
        (errors.LockShortened, lambda: lock_ix(1, 1)),
        (errors.LockShortened, lambda: lock_ix(0, 0)),
        (errors.InvalidLockTier, lambda: lock_ix(1, 5)),
        (errors.InvalidVault, lambda: lock_ix(1, 2, stake_vault=stranger_vault)),
        (errors.InvalidRewardCustody, lambda: lock_ix(1, 2, reward_custody=sm.m.sol.custody)),
        (errors.InvalidLpTokenAccount, lambda: lock_ix(1, 2, lp_token_account=other.lp_account)),
        # A mint that is not one of the pool's LP mints (with the stake address it implies).
        (errors.InvalidLpTokenMint, lambda: lock_ix(1, 2, lp_token_mint=usdc, lp_token_account=w.token_account,
                                                  stake=pda.get_stake_address(stake_pool, usdc, w.pubkey)[0])),
        (errors.StakeLocked, lambda: c.build_unlock_lp_stake_ix(sm.pool, amount=1, lp_token_account=w.lp_account)),
        (errors.ZeroAmount, lambda: c.build_unlock_lp_stake_ix(sm.pool, amount=0, lp_token_account=w.lp_account)),
        (errors.InvalidMint, lambda: c.build_claim_stake_rewards_ix(sm.pool, receiving_account=w.lp_account)),
        (errors.InvalidVault, lambda: c.build_claim_stake_rewards_ix(
            sm.pool, receiving_account=w.token_account, overrides={"reward_custody_token_account": vault})),
        # Someone else's stake: the signer is not its owner.
        (errors.Unauthorized, lambda: other.client.build_claim_stake_rewards_ix(
            sm.pool, receiving_account=other.token_account, overrides={"stake": stake})),
        (errors.Unauthorized, lambda: other.client.build_unlock_lp_stake_ix(
            sm.pool, amount=1, lp_token_account=other.lp_account, overrides={"stake": stake})),
    ]
    for expected, build in cases:
        ix = await build()
        signer = other if ix.accounts[0].pubkey == other.pubkey else w
        await assert_rejected(expected, lambda ix=ix, signer=signer: signer.client.send([ix]), world.connection,
                              watched)
    # A lock whose tier is out of the ladder, a relock of nothing, a claim of nothing.
    fresh = await sm.new_staker(1_000 * USDC)
    await assert_rejected(errors.ZeroAmount,
                          lambda: fresh.client.lock_lp(sm.pool, amount=0, tier=1, lp_token_account=fresh.lp_account),
                          world.connection, [fresh.client.stake_address(sm.pool), fresh.lp_account, vault])
    await fresh.client.lock_lp(sm.pool, amount=1, tier=0, lp_token_account=fresh.lp_account)
    await assert_rejected(errors.ZeroAmount,
                          lambda: fresh.client.claim_stake_rewards(sm.pool, receiving_account=fresh.token_account),
                          world.connection, [fresh.client.stake_address(sm.pool), fresh.token_account])
    # The admin's instructions: only the admin, only valid ladders, a slot opens once.
    await assert_rejected(errors.Unauthorized,
                          lambda: w.client.set_stake_pool_config(sm.pool, ladder=LADDER, junior_share_bps=1),
                          world.connection, [stake_pool])
    await assert_rejected(errors.InvalidStakeConfig,
                          lambda: world.client.set_stake_pool_config(sm.pool, ladder=LADDER[::-1],
                                                                     junior_share_bps=1),
                          world.connection, [stake_pool])
    # Every tier locks: a 0-day tier (lock, fee, unlock in one transaction) is refused.
    no_lock = [staking.LockTier(0, 10_000), *LADDER[1:]]
    await assert_rejected(errors.InvalidStakeConfig,
                          lambda: world.client.set_stake_pool_config(sm.pool, ladder=no_lock, junior_share_bps=1),
                          world.connection, [stake_pool])
    await assert_rejected(errors.StakeVaultExists, lambda: world.client.add_stake_vault(sm.pool, sm.m.lp_mint),
                          world.connection, [stake_pool, vault])
    await assert_rejected(errors.InvalidLpTokenMint, lambda: world.client.add_stake_vault(sm.pool, usdc),
                          world.connection, [stake_pool])


async def test_lp_in_its_deposit_cooldown_cannot_be_locked(world: World) -> None:
    sm = await stake_market(world)
    w = await sm.new_staker()
    # A second deposit freezes the account again (the pool's cooldown is 0 s: until the next slot).
    await market_deposit(world, sm.m, w, 10 * USDC)
    ix = await w.client.build_lock_lp_ix(sm.pool, amount=1, tier=0, lp_token_account=w.lp_account)
    await assert_rejected(errors.LiquidityCooldownActive, lambda: w.client.send([ix]), world.connection,
                          [w.lp_account, w.client.stake_vault_address(sm.pool)])


async def test_an_unlock_into_a_frozen_lp_account_keeps_it_frozen(world: World, node_ext) -> None:
    sm = await stake_market(world)
    w = await sm.new_staker()
    lp = await world.balance(w.lp_account)
    locked = await w.client.lock_lp(sm.pool, amount=lp, tier=0, lp_token_account=w.lp_account)
    node_ext.warp_clock(locked.event("LpLocked").data.lock_end - await world.now())
    await sm.refresh_prices()
    await market_deposit(world, sm.m, w, 10 * USDC)
    assert await token_account_frozen(world.connection, w.lp_account)
    held = await world.balance(w.lp_account)
    await w.client.unlock_lp_stake(sm.pool, amount=lp, lp_token_account=w.lp_account)
    assert await world.balance(w.lp_account) == held + lp
    assert await token_account_frozen(world.connection, w.lp_account)


async def test_the_stake_pool_fits_a_cpi_allocation(world: World) -> None:
    sm = await stake_market(world)
    info = (await world.connection.get_account_info(world.client.stake_pool_address(sm.pool))).value
    assert info is not None and len(info.data) <= 10_240
    w = await sm.new_staker(1_000 * USDC)
    await w.client.lock_lp(sm.pool, amount=1, tier=4, lp_token_account=w.lp_account)
    stake = (await world.connection.get_account_info(w.client.stake_address(sm.pool))).value
    assert stake is not None and len(stake.data) < 300


# ---- hypothesis: random histories on the node --------------------------------------------------

STAKERS = 3
history_ops = st.one_of(
    st.tuples(st.just("route"), st.integers(1, 3)),
    st.tuples(st.just("warp"), st.integers(1, 8 * 7)),  # days
    st.tuples(st.just("update")),
    st.tuples(st.just("lock"), st.integers(0, STAKERS - 1), st.integers(0, 10_000), st.integers(0, 4)),
    st.tuples(st.just("unlock"), st.integers(0, STAKERS - 1), st.integers(1, 10_000)),
    st.tuples(st.just("claim"), st.integers(0, STAKERS - 1)),
)


async def run_history(url: str, admin, ops: list[tuple]) -> None:
    connection = AsyncClient(url, commitment=Confirmed, timeout=30)
    ext = NodeExtensions(url)
    try:
        world = World(connection, admin)
        sm = await stake_market(world)
        for _ in range(STAKERS):
            await sm.new_staker(5_000 * USDC)
        lp = [await world.balance(w.lp_account) for w in sm.stakers]
        mirror = Mirror(await sm.stake_pool(), STAKERS)
        for o in ops:
            kind = o[0]
            if kind == "route":
                await sm.route(o[1])
            elif kind == "warp":
                ext.warp_clock(o[1] * DAY_SECONDS)
                await sm.refresh_prices()
            elif kind == "update":
                await update(sm, mirror)
            elif kind == "lock":
                # Amounts in 1/10_000 of what the staker holds (0: a relock).
                held = await world.balance(sm.stakers[o[1]].lp_account)
                await op(sm, mirror, "lock", o[1], held * o[2] // 10_000, o[3])
            elif kind == "unlock":
                await op(sm, mirror, "unlock", o[1], max(1, lp[o[1]] * o[2] // 10_000))
            else:
                await op(sm, mirror, "claim", o[1])
        await settle_all_and_check_books(sm, mirror)
    finally:
        await connection.close()


@settings(max_examples=6, deadline=None, phases=[Phase.generate], print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ops=st.lists(history_ops, min_size=12, max_size=24).filter(
    lambda ops: {o[0] for o in ops} >= {"route", "lock", "warp"}))
def test_random_staking_histories_keep_the_books(rpc_url: str, world: World, node_ext, ops: list[tuple]) -> None:
    asyncio.run(run_history(rpc_url, world.admin, ops))


async def test_the_keeper_updates_a_stake_pool_that_has_something_to_take_in(world: World, node_ext) -> None:
    from perp_pool.keeper.liquidator import LiquidationKeeper

    sm = await stake_market(world)
    w = await sm.new_staker()
    await w.client.lock_lp(sm.pool, amount=1_000, tier=0, lp_token_account=w.lp_account)
    keeper = LiquidationKeeper(world.client, sm.pool, subscribe=False)
    stop = asyncio.Event()
    assert await keeper.update_stake_pools(stop) == 0  # nothing routed, same week: no transaction
    routed = await sm.route(1)
    assert await keeper.update_stake_pools(stop) == 1
    assert (await sm.stake_pool()).split.pulled_routed == await sm.routed()
    assert await keeper.update_stake_pools(stop) == 0
    # A new week: its boundary is processed (the boosts ending there leave before the next fees).
    warp_to(node_ext, await world.now(), 1)
    assert await keeper.update_stake_pools(stop) == 1
    slot = (await sm.stake_pool()).slots[0]
    assert slot.last_week == staking.week_of(await world.now())
    assert routed > 0
