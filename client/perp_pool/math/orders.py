"""Trigger orders, mirroring math/orders.rs: the price an order watches, when its trigger is
reached, what placement accepts and how much of a position a take-profit or stop-loss closes.

The watched price is the one the order's trade would execute at now (spread and EMA rule
included): the exit price for a take-profit or stop-loss, the entry price for a limit order.
"""

from __future__ import annotations

from enum import Enum

from perp_pool import errors
from perp_pool.math.pnl import HealthInputs, is_liquidatable
from perp_pool.math.pricing import Side, TradePrices, entry_price, exit_price

__all__ = ["OrderKind", "check_stop_loss_safe", "check_trigger_placement", "stop_loss_safe", "trigger_close_size",
           "trigger_reached", "watched_price"]


class OrderKind(Enum):
    """`OrderKind` of the IDL (borsh: TakeProfit 0, StopLoss 1, Limit 2)."""

    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    LIMIT = "limit"

    @property
    def index(self) -> int:
        return list(OrderKind).index(self)


def watched_price(kind: OrderKind, side: Side, prices: TradePrices, spread_bps: int) -> int:
    """Exit price for a take-profit or stop-loss, entry price for a limit order."""
    if kind is OrderKind.LIMIT:
        return entry_price(side, prices, spread_bps)
    return exit_price(side, prices, spread_bps)


def trigger_reached(kind: OrderKind, side: Side, price: int, trigger: int) -> bool:
    """Take-profit: long `price >= trigger`, short `<=`; stop-loss and limit: long `<=`, short `>=`."""
    if kind is OrderKind.TAKE_PROFIT:
        return price >= trigger if side is Side.LONG else price <= trigger
    return price <= trigger if side is Side.LONG else price >= trigger


def check_trigger_placement(kind: OrderKind, side: Side, price: int, trigger: int) -> None:
    """Placement and edit: the trigger is positive and not reached now (InvalidTriggerPrice)."""
    if trigger <= 0 or trigger_reached(kind, side, price, trigger):
        raise errors.InvalidTriggerPrice()


def stop_loss_safe(health: HealthInputs, trigger: int) -> bool:
    """The position (as it is now) is not liquidatable at an exit price equal to the trigger."""
    return not is_liquidatable(health, trigger)


def check_stop_loss_safe(health: HealthInputs, trigger: int) -> None:
    if not stop_loss_safe(health, trigger):
        raise errors.StopLossPastLiquidation()


def trigger_close_size(order_size_usd: int, position_size_usd: int) -> tuple[int, bool]:
    """`(size closed, whole position)`: an order at least as large as the position closes all of it."""
    if order_size_usd >= position_size_usd:
        return position_size_usd, True
    return order_size_usd, False
