"""A long-only grid bot on one market, built only on the public `PerpPoolClient` API.

The grid: a reference price R (the oracle spot price at the first step, unless `reference_price`
is set before) and `levels` levels below it, level i at `L_i = floor(R * (BPS - i * spacing_bps) /
BPS)` (L_0 = R). Each level is one unit of `size_usd`. A unit is bought when the price falls to
its level (`price <= L_i`) and sold one level higher (`price >= L_{i-1}`), the classic grid: every
round trip earns one spacing. So at price P the bot wants at least `buy(P) = #{i : P <= L_i}` units
and at most `keep(P) = #{i : P < L_{i-1}}` units (`buy <= keep`, the gap is the hysteresis that
stops it churning on a level); when the position is outside `[buy, keep]` units it moves to the
nearer bound in one action: open / increase up to `buy`, decrease down to `keep`, close at 0.
The position never exceeds `levels * size_usd` (`max_size_usd`). Below the last level the bot
holds; it has no stop-loss (liquidation is the pool's, at the position's liquidation price).
While flat, a price one spacing or more above R re-centres the grid on that price, so a rally
does not leave the bot idle forever.

Why long-only: one position account and one direction keep the state the chain holds (the
position's `size_usd`) the whole truth, so the bot recovers from restarts and half-known sends
by reading it; the short mirror would be the same code with the inequalities reversed.

Orders: collateral for `size` is `ceil(size * BPS / leverage_bps)` USD, in collateral tokens at
the collateral custody's min price (how the program values it), plus the open fee the program
quotes (`get_entry_price_and_fee`, the fee is taken from the deposit), paid from the wallet's
associated token account of the collateral mint, which also receives what reductions pay out.
Price limits allow `slippage_bps` (default 0.5 %) past the current quote: above the entry price
for opens and increases, below the exit price (oracle low price less the market's spread, the
program's rule) for decreases and closes.

`dry_run=True` sends nothing: `step` reads prices and quotes (views only simulate), logs and
returns the actions it would take, and tracks the position it would have in memory.

`run` follows the node's PubSub (keeper/subscriptions.py, as the liquidation keeper does): a change
of the market's oracle account (`accountSubscribe`) steps the bot at once, and slots
(`slotSubscribe`) step it every `interval` (the heartbeat, for what the price alone does not
change); while the websocket is down it steps every `interval` on a timer. The `perp_grid_mode`
gauge says which.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from anchorpy.error import AccountDoesNotExistError
from prometheus_client import CollectorRegistry, Counter, start_http_server
from solders.pubkey import Pubkey

from perp_pool import errors
from perp_pool.constants import BPS_POWER, PRICE_DECIMALS
from perp_pool.keeper.subscriptions import ScanTriggers, TriggerMetrics, client_ws_url, stop_task
from perp_pool.logfmt import kv
from perp_pool.math.fixed import Rounding, mul_div
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pricing import Side, TradePrices, exit_price
from perp_pool.retry import RETRY_BASE_S, Stopped, retry_transient, sleep_or_stop
from perp_pool.tokens import get_associated_token_address

log = logging.getLogger(__name__)

DEFAULT_SLIPPAGE_BPS = 50


class ActionKind(Enum):
    OPEN = "open"
    INCREASE = "increase"
    DECREASE = "decrease"
    CLOSE = "close"

    @property
    def adds(self) -> bool:
        return self in (ActionKind.OPEN, ActionKind.INCREASE)


@dataclass(frozen=True)
class Action:
    """One order. `size_usd` is the size delta (the whole size for a close), USD_DECIMALS;
    `price_limit` PRICE_DECIMALS; `collateral_amount` tokens deposited (0 for reductions)."""

    kind: ActionKind
    side: Side
    size_usd: int
    price_limit: int
    collateral_amount: int = 0


def grid_level_price(reference: int, level: int, spacing_bps: int) -> int:
    """`L_level = floor(reference * (BPS - level * spacing_bps) / BPS)`; level 0 is the reference,
    level -1 one spacing above it."""
    return mul_div(reference, BPS_POWER - level * spacing_bps, BPS_POWER, Rounding.FLOOR)


def grid_targets(price: int, reference: int, levels: int, spacing_bps: int) -> tuple[int, int]:
    """(buy, keep): hold at least `buy` and at most `keep` units at `price`."""
    buy = sum(1 for i in range(1, levels + 1) if price <= grid_level_price(reference, i, spacing_bps))
    keep = sum(1 for i in range(1, levels + 1) if price < grid_level_price(reference, i - 1, spacing_bps))
    return buy, keep


def grid_decision(size_usd: int, price: int, reference: int, *, levels: int, spacing_bps: int,
                  unit_usd: int) -> tuple[ActionKind, int] | None:
    """What a long position of `size_usd` should do at `price`: (kind, size delta) or None."""
    buy, keep = grid_targets(price, reference, levels, spacing_bps)
    if size_usd < buy * unit_usd:
        return (ActionKind.OPEN if size_usd == 0 else ActionKind.INCREASE), buy * unit_usd - size_usd
    if size_usd > keep * unit_usd:
        if keep == 0:
            return ActionKind.CLOSE, size_usd
        return ActionKind.DECREASE, size_usd - keep * unit_usd
    return None


class GridMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        self.steps = Counter("perp_grid_steps", "Grid steps taken", registry=registry)
        # perp_grid_mode: polling or subscription; notifications; websocket reconnects.
        self.triggers = TriggerMetrics(registry, "perp_grid")


class GridBot:
    """Trades `custody`'s market long with stable `collateral_custody` collateral (see module doc).
    `ws_url`: the node's PubSub (default: the RPC URL's port + 1, the validator convention);
    `subscribe=False` steps on a timer only."""

    side = Side.LONG

    def __init__(self, client: Any, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, *, levels: int,
                 spacing_bps: int, size_usd: int, leverage_bps: int, dry_run: bool = False,
                 ws_url: str | None = None, subscribe: bool = True, registry: CollectorRegistry | None = None,
                 metrics_port: int | None = None):
        if levels < 1:
            raise ValueError("levels must be >= 1")
        if spacing_bps < 1 or levels * spacing_bps >= BPS_POWER:
            raise ValueError("spacing_bps must be >= 1 and levels * spacing_bps < 10_000 (every level above 0)")
        if size_usd <= 0:
            raise ValueError("size_usd must be > 0")
        if leverage_bps < BPS_POWER:
            raise ValueError("leverage_bps must be >= 10_000 (1x)")
        self.client = client
        self.pool = pool
        self.custody = custody
        self.collateral_custody = collateral_custody
        self.levels = levels
        self.spacing_bps = spacing_bps
        self.size_usd = size_usd
        self.leverage_bps = leverage_bps
        self.dry_run = dry_run
        self.slippage_bps = DEFAULT_SLIPPAGE_BPS
        self.reference_price: int | None = None
        self.position = client.position_address(pool, custody, collateral_custody, self.side)
        self._simulated_size: int | None = None  # dry run: the size the bot would hold
        self._collateral: tuple[Pubkey, int] | None = None  # (mint, decimals)
        self.metrics = GridMetrics(registry or CollectorRegistry())
        self.metrics_port = metrics_port
        self.triggers: ScanTriggers | None = None
        ws_url = ws_url or (client_ws_url(client) if subscribe else None)
        if subscribe and ws_url:
            self.triggers = ScanTriggers(ws_url, None, heartbeat_s=1.0, metrics=self.metrics.triggers, name="grid")
        self._watching_oracle = False

    @property
    def max_size_usd(self) -> int:
        return self.levels * self.size_usd

    def level_prices(self) -> list[int]:
        """L_1 .. L_levels (empty before the reference is known)."""
        if self.reference_price is None:
            return []
        return [grid_level_price(self.reference_price, i, self.spacing_bps) for i in range(1, self.levels + 1)]

    # ---- reading ---------------------------------------------------------------------------

    async def _chain_size(self) -> int:
        try:
            size_usd: int = (await self.client.fetch_position(self.position)).size_usd
            return size_usd
        except AccountDoesNotExistError:
            return 0

    async def position_size(self) -> int:
        """The size the bot holds (dry run: would hold), USD_DECIMALS."""
        if not self.dry_run:
            return await self._chain_size()
        if self._simulated_size is None:
            self._simulated_size = await self._chain_size()
        return self._simulated_size

    async def _collateral_mint(self) -> tuple[Pubkey, int]:
        if self._collateral is None:
            c = await self.client.fetch_custody(self.collateral_custody)
            self._collateral = (c.mint, c.decimals)
        return self._collateral

    async def _token_account(self) -> Pubkey:
        mint, _ = await self._collateral_mint()
        return get_associated_token_address(self.client.wallet.pubkey(), mint)

    async def _entry_order(self, kind: ActionKind, size_usd: int) -> Action:
        mint, decimals = await self._collateral_mint()
        collateral_prices = await self.client.get_oracle_price(self.pool, self.collateral_custody)
        net_usd = mul_div(size_usd, BPS_POWER, self.leverage_bps, Rounding.CEIL)
        # The view's min price is PRICE_DECIMALS: tokens = USD / price, rounded up.
        net_tokens = OraclePrice(collateral_prices.min, -PRICE_DECIMALS).usd_to_token(net_usd, decimals, Rounding.CEIL)
        quote = await self.client.get_entry_price_and_fee(self.pool, self.custody, self.collateral_custody, self.side,
                                                          collateral_amount=net_tokens, size_usd=size_usd)
        limit = mul_div(quote.price, BPS_POWER + self.slippage_bps, BPS_POWER, Rounding.CEIL)
        return Action(kind, self.side, size_usd, limit, net_tokens + quote.fee_amount)

    async def _exit_order(self, kind: ActionKind, size_usd: int, prices: Any) -> Action:
        market = await self.client.fetch_custody(self.custody)
        use_ema = market.pricing.use_ema
        lo, hi = (prices.min, prices.max) if use_ema else (prices.spot, prices.spot)
        price = exit_price(self.side, TradePrices(lo, hi), market.pricing.trade_spread_long_bps)
        limit = mul_div(price, BPS_POWER - self.slippage_bps, BPS_POWER, Rounding.FLOOR)
        return Action(kind, self.side, size_usd, limit)

    # ---- acting ----------------------------------------------------------------------------

    async def _execute(self, action: Action) -> Any:
        c, args = self.client, (self.pool, self.custody, self.collateral_custody, action.side)
        account = await self._token_account()
        if action.kind is ActionKind.OPEN:
            return await c.open_position(*args, price_limit=action.price_limit, size_usd=action.size_usd,
                                         collateral_amount=action.collateral_amount, funding_account=account)
        if action.kind is ActionKind.INCREASE:
            return await c.increase_position(*args, price_limit=action.price_limit, size_usd=action.size_usd,
                                             collateral_amount=action.collateral_amount, funding_account=account)
        if action.kind is ActionKind.DECREASE:
            return await c.decrease_position(*args, price_limit=action.price_limit, size_usd=action.size_usd,
                                             receiving_account=account)
        return await c.close_position(*args, price_limit=action.price_limit, receiving_account=account)

    async def step(self) -> list[Action]:
        """Reads the price and the position, and takes (dry run: returns) at most one action."""
        prices = await self.client.get_oracle_price(self.pool, self.custody)
        price = prices.spot
        if self.reference_price is None:
            self.reference_price = price
            log.info(kv(event="grid_anchored", custody=self.custody, reference=price, levels=self.level_prices()))
        size = await self.position_size()
        if size == 0 and price >= grid_level_price(self.reference_price, -1, self.spacing_bps):
            self.reference_price = price
            log.info(kv(event="grid_recentred", custody=self.custody, reference=price, levels=self.level_prices()))
        decision = grid_decision(size, price, self.reference_price, levels=self.levels,
                                 spacing_bps=self.spacing_bps, unit_usd=self.size_usd)
        if decision is None:
            log.debug(kv(event="grid_hold", price=price, size_usd=size))
            return []
        kind, delta = decision
        action = await (self._entry_order(kind, delta) if kind.adds else self._exit_order(kind, delta, prices))
        fields = dict(kind=kind.value, side=action.side.value, size_usd=action.size_usd,
                      price_limit=action.price_limit, collateral_amount=action.collateral_amount, price=price,
                      position_size_usd=size)
        if self.dry_run:
            self._simulated_size = size + delta if kind.adds else size - delta
            log.info(kv(event="grid_action", dry_run=True, **fields))
            return [action]
        result = await self._execute(action)
        log.info(kv(event="grid_action", dry_run=False, **fields, signature=getattr(result, "signature", None)))
        return [action]

    async def run(self, stop: asyncio.Event, *, interval: float = 1.0, max_steps: int | None = None) -> list[Action]:
        """Steps every `interval` seconds until `stop` is set or after `max_steps` steps; returns
        the actions taken. A step that fails transiently is retried with the client's retry policy
        (`perp_pool.retry`; it reads the chain again, so a send whose fate was unknown is not
        repeated blindly) and counts as one step; a refused order (slippage, stale oracle, caps...)
        is logged and the grid is re-evaluated at the next step."""
        if interval < 0:
            raise ValueError("interval must be >= 0")
        taken: list[Action] = []
        steps = 0
        started = time.monotonic()

        async def step() -> list[Action]:
            nonlocal started
            started = time.monotonic()  # the interval runs from the attempt that acted or was refused
            if self.triggers is not None and not self._watching_oracle:
                market = await self.client.fetch_custody(self.custody)
                self.triggers.watch_accounts([market.oracle.oracle_account])  # a price change steps the bot
                self._watching_oracle = True
            return await self.step()

        if self.metrics_port is not None:
            start_http_server(self.metrics_port, registry=self.metrics.registry)
        log.info(kv(event="grid_started", custody=self.custody, levels=self.levels, spacing_bps=self.spacing_bps,
                    size_usd=self.size_usd, leverage_bps=self.leverage_bps, dry_run=self.dry_run,
                    ws=self.triggers.ws_url if self.triggers else None))
        subscriber = None
        if self.triggers is not None:
            self.triggers.heartbeat_s = interval
            subscriber = asyncio.create_task(self.triggers.run())
        try:
            while not stop.is_set() and (max_steps is None or steps < max_steps):
                refused = False
                try:
                    taken += await retry_transient(step, stop=stop, what="grid_step", logger=log)
                except Stopped:
                    break
                except errors.TransactionFailed as exc:  # the program refused the order: re-evaluate next step
                    refused = True
                    wait = max(interval - (time.monotonic() - started), RETRY_BASE_S)
                    log.warning(kv(event="grid_order_refused", error=type(exc).__name__, detail=str(exc)[:200]))
                else:
                    wait = interval - (time.monotonic() - started)
                steps += 1
                self.metrics.steps.inc()
                if max_steps is not None and steps >= max_steps:
                    break
                if await self._wait(stop, wait, refused):
                    break
        finally:
            await stop_task(subscriber)
        log.info(kv(event="grid_stopped", steps=steps, actions=len(taken)))
        return taken

    async def _wait(self, stop: asyncio.Event, wait: float, refused: bool) -> bool:
        """Until the next step: a price notification or the slot heartbeat while subscribed, `wait`
        seconds while polling (or after a refused order); True if `stop` was set."""
        if self.triggers is None or refused:
            return await sleep_or_stop(stop, wait)
        await self.triggers.wait(stop, max(wait, 0.0))
        return stop.is_set()


__all__ = ["Action", "ActionKind", "GridBot", "GridMetrics", "grid_decision", "grid_level_price", "grid_targets"]
