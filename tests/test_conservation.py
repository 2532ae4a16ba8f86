"""Conservation: random sequences of ≥ 200 operations by several traders and LPs (trigger orders
included) never create or lose a token, the vault always equals its accounting buckets (the escrow
being exactly what the open orders hold), and no trader is paid a profit the pool did not lock for
them. The pool is tranched (LP 0 junior, LP 1 senior): tranches add no bucket, the senior LP supply
the pool counts is always its mint's, and junior + senior NAV is always the AUM."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from perp_pool import errors
from perp_pool.client import FeeConfig, OrderKind, PricingConfig
from perp_pool.localnet import NodeExtensions
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche
from perp_pool.tokens import ensure_ata
from tests.helpers import USDC, World, new_market, price_usd

LP_COUNT, TRADER_COUNT = 2, 3
FEES = FeeConfig(open_position_bps=10, close_position_bps=10, liquidation_bps=50, liquidator_reward_bps=20,
                 protocol_share_bps=2_000, insurance_share_bps=1_000, staker_share_bps=1_500, add_liquidity_bps=10,
                 remove_liquidity_bps=10)

sides = st.sampled_from([Side.LONG, Side.SHORT])
operations = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, LP_COUNT - 1), st.integers(USDC, 5_000 * USDC)),
    st.tuples(st.just("withdraw"), st.integers(0, LP_COUNT - 1), st.integers(1, 10_000)),
    st.tuples(st.just("open"), st.integers(0, TRADER_COUNT - 1), sides, st.integers(USDC, 300 * USDC),
              st.integers(11_000, 400_000)),
    st.tuples(st.just("increase"), st.integers(0, TRADER_COUNT - 1), sides, st.integers(0, 100 * USDC),
              st.integers(1, 2_000 * USDC)),
    st.tuples(st.just("decrease"), st.integers(0, TRADER_COUNT - 1), sides, st.integers(1, 9_999)),
    st.tuples(st.just("add_collateral"), st.integers(0, TRADER_COUNT - 1), sides, st.integers(1, 100 * USDC)),
    st.tuples(st.just("remove_collateral"), st.integers(0, TRADER_COUNT - 1), sides, st.integers(1, 100 * USDC)),
    st.tuples(st.just("close"), st.integers(0, TRADER_COUNT - 1), sides),
    st.tuples(st.just("liquidate"), st.integers(0, TRADER_COUNT - 1), sides),
    st.tuples(st.just("price"), st.integers(-1_500, 1_500)),
    st.tuples(st.just("warp"), st.integers(1, 48 * 3_600)),
    st.tuples(st.just("update_aum")),
    st.tuples(st.just("place_order"), st.integers(0, TRADER_COUNT - 1), sides, st.sampled_from(list(OrderKind)),
              st.integers(1, 1_500), st.integers(USDC, 2_000 * USDC), st.integers(USDC, 200 * USDC)),
    st.tuples(st.just("cancel_order"), st.integers(0, TRADER_COUNT - 1)),
    st.tuples(st.just("execute_order"), st.integers(0, TRADER_COUNT - 1)),
)


def order_trigger(kind: OrderKind, side: Side, price: int, offset_bps: int) -> int:
    """A trigger `offset_bps` away from `price`, on the side where the order is not yet reached."""
    up = (kind is OrderKind.TAKE_PROFIT) == (side is Side.LONG)
    return price * (10_000 + offset_bps) // 10_000 if up else price * (10_000 - offset_bps) // 10_000


@dataclass
class Ledger:
    total: int = 0
    succeeded: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)


async def run_sequence(url: str, admin, ops: list[tuple], ext: NodeExtensions | None) -> Ledger:
    connection = AsyncClient(url, commitment=Confirmed, timeout=30)
    world = World(connection, admin)
    m = await new_market(world, liquidity=0, fees=FEES, pricing=PricingConfig(max_utilization=950_000_000))
    await world.client.add_senior_tranche(m.pool, rate_bps=500, max_senior_junior_ratio_bps=100_000,
                                          senior_deposit_ratio_bps=100_000)
    senior_mint = world.client.lp_mint_address(m.pool, Tranche.SENIOR)
    lps = [await world.new_wallet(m.usdc, tokens=50_000 * USDC) for _ in range(LP_COUNT)]
    lp_tranche = [Tranche.JUNIOR if i % 2 == 0 else Tranche.SENIOR for i in range(LP_COUNT)]
    for lp, tranche in zip(lps, lp_tranche, strict=True):
        if tranche is Tranche.SENIOR:
            lp.lp_account = await ensure_ata(world.client.transport, lp.pubkey, senior_mint)
    traders = [await world.new_wallet(m.usdc, tokens=5_000 * USDC) for _ in range(TRADER_COUNT)]

    async def lp_deposit(i: int, amount: int):
        lp = lps[i]
        ix = await lp.client.build_add_liquidity_ix(m.pool, m.usdc.custody, amount_in=amount, min_lp_amount_out=0,
                                                    funding_account=lp.token_account, lp_token_account=lp.lp_account,
                                                    tranche=lp_tranche[i])
        return await lp.client.send([ix])

    for i in range(LP_COUNT):
        await lp_deposit(i, 20_000 * USDC)
    keeper = await world.funded_keypair()
    keeper_account = await ensure_ata(world.client.transport, keeper.pubkey(), m.usdc.mint)
    keeper_client = world.client.with_wallet(keeper)
    accounts = [w.token_account for w in lps + traders] + [keeper_account]
    ledger = Ledger(total=(LP_COUNT * 50_000 + TRADER_COUNT * 5_000) * USDC)
    sol_price = price_usd(150)

    async def check_invariants() -> None:
        c = await world.client.fetch_custody(m.usdc.custody)
        a = c.assets
        vault = await world.balance(m.usdc.vault)
        assert vault == (a.owned + a.collateral + a.protocol_fees + a.insurance_fund
                         + a.escrow + a.stake_rewards), "vault != its buckets"
        orders = await world.client.get_orders(pool=m.pool)
        assert a.escrow == sum(o.collateral_amount + o.executor_fee for o in orders), "escrow != Σ orders' escrow"
        wallets = sum([await world.balance(acc) for acc in accounts])
        assert wallets + vault == ledger.total, "tokens created or destroyed"
        locked = 0
        for w in traders:
            for side in Side:
                info = (await connection.get_account_info(m.position(w, side))).value
                if info is not None:
                    locked += (await world.client.fetch_position(m.position(w, side))).locked_amount
        assert a.locked == locked, "custody locked != Σ positions' locked"
        pool = await world.client.fetch_pool(m.pool)
        senior_mint_supply = int((await connection.get_token_supply(senior_mint)).value.amount)
        assert pool.senior.supply == senior_mint_supply, "pool's senior supply != the senior mint's"
        state = await world.client.get_tranche_state(m.pool)
        assert state.senior_supply == pool.senior.supply
        assert state.junior_nav_min_usd + state.senior_nav_min_usd == state.aum_min_usd, "junior + senior != AUM"
        assert state.junior_nav_max_usd + state.senior_nav_max_usd == state.aum_max_usd, "junior + senior != AUM"

    def check_payouts(result) -> None:
        for ev in result.events:
            if ev.name == "PositionDecreased":
                assert ev.data.profit_amount <= ev.data.locked_released, "paid a profit the pool had not locked"

    async def refresh_prices() -> None:
        await world.set_price(m.sol, price=sol_price)
        await world.set_price(m.usdc, price=price_usd(1))

    c = world.client
    for op in ops:
        kind = op[0]
        try:
            result = None
            if kind == "deposit":
                result = await lp_deposit(op[1], op[2])
            elif kind == "withdraw":
                lp = lps[op[1]]
                held = await world.balance(lp.lp_account)
                ix = await lp.client.build_remove_liquidity_ix(m.pool, m.usdc.custody,
                                                               lp_amount_in=held * op[2] // 10_000, min_amount_out=0,
                                                               receiving_account=lp.token_account,
                                                               lp_token_account=lp.lp_account,
                                                               tranche=lp_tranche[op[1]])
                result = await lp.client.send([ix])
            elif kind in ("open", "increase", "add_collateral", "remove_collateral", "decrease", "close"):
                w, side = traders[op[1]], op[2]
                args = (m.pool, m.sol.custody, m.usdc.custody, side)
                worst = 2**63 if side is Side.LONG else 0
                best = 0 if side is Side.LONG else 2**63
                if kind == "open":
                    result = await w.client.open_position(*args, price_limit=worst, collateral_amount=op[3],
                                                          size_usd=op[3] * op[4] // 10_000,
                                                          funding_account=w.token_account)
                elif kind == "increase":
                    result = await w.client.increase_position(*args, price_limit=worst, collateral_amount=op[3],
                                                              size_usd=op[4], funding_account=w.token_account)
                elif kind == "add_collateral":
                    result = await w.client.add_collateral(*args, collateral_amount=op[3],
                                                           funding_account=w.token_account)
                elif kind == "remove_collateral":
                    result = await w.client.remove_collateral(*args, collateral_usd=op[3],
                                                              receiving_account=w.token_account)
                elif kind == "decrease":
                    p = await c.fetch_position(m.position(w, side))
                    result = await w.client.decrease_position(*args, price_limit=best,
                                                              size_usd=p.size_usd * op[3] // 10_000,
                                                              receiving_account=w.token_account)
                else:
                    result = await w.client.close_position(*args, price_limit=best, receiving_account=w.token_account)
            elif kind == "liquidate":
                result = await keeper_client.liquidate(m.position(traders[op[1]], op[2]),
                                                       receiving_account=keeper_account)
            elif kind == "price":
                sol_price = min(max(sol_price * (10_000 + op[1]) // 10_000, price_usd(20)), price_usd(1_000))
                await refresh_prices()
            elif kind == "warp":
                if ext is None:
                    raise errors.TransactionFailed("no clock warp on this node")
                ext.warp_clock(op[1])
                await refresh_prices()
            elif kind == "update_aum":
                result = await c.update_pool_aum(m.pool)
            elif kind == "place_order":
                w, side, order_kind = traders[op[1]], op[2], op[3]
                trigger = order_trigger(order_kind, side, sol_price, op[4])
                limit = trigger if order_kind is not OrderKind.STOP_LOSS else (0 if side is Side.LONG else 2**64 - 1)
                is_limit = order_kind is OrderKind.LIMIT
                result = await w.client.place_order(m.pool, m.sol.custody, m.usdc.custody, side, order_kind,
                                                    trigger_price=trigger, price_limit=limit,
                                                    size_usd=op[5] if is_limit else 2**64 - 1,
                                                    funding_account=w.token_account,
                                                    collateral_amount=op[6] if is_limit else 0)
            elif kind in ("cancel_order", "execute_order"):
                w = traders[op[1]]
                mine = await c.get_orders(owner=w.pubkey, pool=m.pool)
                if not mine:
                    raise LookupError("no order")
                if kind == "cancel_order":
                    result = await w.client.cancel_order(mine[0].address, receiving_account=w.token_account)
                else:
                    result = await keeper_client.execute_order(mine[0], executor_receiving_account=keeper_account,
                                                               receiving_account=w.token_account)
            if result is not None:
                check_payouts(result)
            ledger.succeeded[kind] = ledger.succeeded.get(kind, 0) + 1
        except (errors.TransactionFailed, errors.AccountNotFound, ValueError, LookupError) as exc:
            # Random operations are often invalid (no position, too much leverage, LP still in its
            # deposit cooldown): the program must refuse them and change nothing, which the
            # invariants check.
            name = type(exc).__name__
            ledger.failed[name] = ledger.failed.get(name, 0) + 1
        await check_invariants()
    await connection.close()
    return ledger


@settings(max_examples=2, deadline=None, phases=[Phase.generate], print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
# A sequence mixing at least eight kinds of operation (this also skips Hypothesis's "simplest"
# example, 200 identical deposits, which exercises nothing).
@given(ops=st.lists(operations, min_size=200, max_size=220).filter(lambda ops: len({o[0] for o in ops}) >= 8))
def test_random_operations_conserve_every_token(rpc_url: str, world: World, ops: list[tuple]) -> None:
    ext = NodeExtensions(rpc_url)
    ledger = asyncio.run(run_sequence(rpc_url, world.admin, ops, ext if ext.available() else None))
    print("conservation:", len(ops), "ops; succeeded", ledger.succeeded, "refused", ledger.failed)
    assert sum(ledger.succeeded.values()) >= 60, (ledger.succeeded, ledger.failed)
    for kind in ("deposit", "open", "price"):
        assert ledger.succeeded.get(kind, 0) > 0, (kind, ledger.succeeded, ledger.failed)
