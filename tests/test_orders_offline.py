"""Offline: the client's Order layout is the IDL's byte for byte, both decoders agree, the IDL's
OrderKind round-trips, and the keeper's and CLI's small order rules."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from anchorpy.coder.accounts import AccountsCoder, AccountToSerialize
from anchorpy.coder.common import _account_size
from solders.pubkey import Pubkey

from perp_pool.cli.orders import default_price_limit
from perp_pool.client.idl_types import order_kind_of, order_kind_value, side_value
from perp_pool.client.orders import (
    ORDER_DISCRIMINATOR,
    ORDER_LAYOUT,
    ORDER_OWNER_OFFSET,
    ORDER_POOL_OFFSET,
    ORDER_SIZE,
    decode_order,
)
from perp_pool.idl import idl_dict, load_idl
from perp_pool.keeper.health import POSITION_POOL_OFFSET
from perp_pool.keeper.orders import _within_limit
from perp_pool.math.fixed import U64_MAX
from perp_pool.math.orders import OrderKind
from perp_pool.math.pricing import Side
from tests.test_layout import DISCRIMINATOR_LEN, borsh_size, snake


def idl_order_fields() -> list[tuple[str, int, int]]:
    idl = idl_dict()
    types = {t["name"]: t for t in idl["types"]}
    account = next(a for a in idl["accounts"] if a["name"] == "Order")
    out, offset = [], DISCRIMINATOR_LEN
    for f in account["type"]["fields"]:
        size = borsh_size(f["type"], types)
        out.append((snake(f["name"]), offset, size))
        offset += size
    return out


def test_order_layout_is_the_idl_layout() -> None:
    ours, offset = [], 0
    for name, fmt in ORDER_LAYOUT:
        size = struct.calcsize("<" + fmt)
        ours.append((name, offset, size))
        offset += size
    assert ours[0] == ("discriminator", 0, DISCRIMINATOR_LEN)
    assert ours[1:] == idl_order_fields()
    account = next(a for a in load_idl().accounts if a.name == "Order")
    assert ORDER_SIZE == DISCRIMINATOR_LEN + _account_size(load_idl(), account) == 212
    # One memcmp on the pool finds positions and orders alike.
    assert ORDER_POOL_OFFSET == POSITION_POOL_OFFSET == 40 and ORDER_OWNER_OFFSET == 8


def _distinct_order() -> tuple[bytes, dict[str, Any]]:
    values: dict[str, Any] = {
        "owner": Pubkey(bytes([1]) * 32), "pool": Pubkey(bytes([2]) * 32), "custody": Pubkey(bytes([3]) * 32),
        "collateral_custody": Pubkey(bytes([4]) * 32), "kind": 1, "side": 1, "index": 7,
        "trigger_price": 145_000_000_001, "price_limit": 144_000_000_002, "size_usd": U64_MAX,
        "collateral_amount": 0, "executor_fee": 100_003, "position_open_time": -1_700_000_004,
        "position_rent": 2_853_605, "created_time": 1_700_000_006, "update_time": 1_700_000_007, "bump": 253,
    }
    packed = [ORDER_DISCRIMINATOR if n == "discriminator" else
              bytes(values[n]) if isinstance(values[n], Pubkey) else values[n] for n, _ in ORDER_LAYOUT]
    return struct.Struct("<" + "".join(f for _, f in ORDER_LAYOUT)).pack(*packed), values


def test_anchorpy_and_the_client_decode_the_same_order() -> None:
    data, values = _distinct_order()
    coder = AccountsCoder(load_idl())
    decoded = coder.decode(data)
    assert order_kind_of(decoded.kind) is OrderKind.STOP_LOSS
    assert coder.build(AccountToSerialize(data=decoded, name="Order")) == data
    view = decode_order(Pubkey.default(), data)
    assert (view.kind, view.side) == (OrderKind.STOP_LOSS, Side.SHORT)
    for name, value in values.items():
        if name not in ("kind", "side", "bump"):
            assert getattr(view, name) == value, name
            assert getattr(decoded, name) == value, name
    with pytest.raises(ValueError):
        decode_order(Pubkey.default(), b"\0" * 8 + data[8:])


def test_order_kinds_round_trip_through_the_idl() -> None:
    for kind in OrderKind:
        assert order_kind_of(order_kind_value(kind)) is kind
    with pytest.raises(TypeError):
        order_kind_of(side_value(Side.LONG))


@pytest.mark.parametrize(("kind", "side", "price", "limit", "ok"), [
    (OrderKind.TAKE_PROFIT, Side.LONG, 160, 160, True), (OrderKind.TAKE_PROFIT, Side.LONG, 159, 160, False),
    (OrderKind.STOP_LOSS, Side.SHORT, 156, 157, True), (OrderKind.STOP_LOSS, Side.SHORT, 158, 157, False),
    (OrderKind.LIMIT, Side.LONG, 145, 145, True), (OrderKind.LIMIT, Side.LONG, 146, 145, False),
    (OrderKind.LIMIT, Side.SHORT, 155, 155, True), (OrderKind.LIMIT, Side.SHORT, 154, 155, False),
])
def test_the_keeper_applies_the_programs_price_limit(kind: OrderKind, side: Side, price: int, limit: int,
                                                     ok: bool) -> None:
    data, _ = _distinct_order()
    o = decode_order(Pubkey.default(), data)
    o = type(o)(**{**o.__dict__, "kind": kind, "side": side, "price_limit": limit})
    assert _within_limit(o, price) is ok


def test_the_cli_limits_a_take_profit_and_a_limit_order_at_their_trigger_and_not_a_stop() -> None:
    assert default_price_limit(OrderKind.TAKE_PROFIT, Side.LONG, 7) == 7
    assert default_price_limit(OrderKind.LIMIT, Side.SHORT, 7) == 7
    assert default_price_limit(OrderKind.STOP_LOSS, Side.LONG, 7) == 0
    assert default_price_limit(OrderKind.STOP_LOSS, Side.SHORT, 7) == U64_MAX
