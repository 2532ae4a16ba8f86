"""`OrderClient`: trigger orders (docs/design.md "Trigger orders"): the order account's layout,
builders, senders and views of place / edit / cancel / execute / remove-void, the orders of an
owner and whether one is executable now.

An order is the PDA `[b"order", owner, custody, [index]]`; `place_order` takes the lowest index
the owner does not use on that market unless given one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from based58 import b58encode
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import get_associated_token_address

from perp_pool import errors, pda
from perp_pool.client.idl_types import account_discriminator, order_kind_value, side_value
from perp_pool.client.views import Views
from perp_pool.math.orders import OrderKind
from perp_pool.math.pricing import Side
from perp_pool.transport import TxResult

__all__ = ["ORDER_DISCRIMINATOR", "ORDER_LAYOUT", "ORDER_OWNER_OFFSET", "ORDER_POOL_OFFSET", "ORDER_SIZE",
           "OrderClient", "OrderView", "decode_order"]

ORDER_DISCRIMINATOR = account_discriminator("Order")
# The Order account as borsh lays it out (tests/test_layout.py checks it against the IDL).
ORDER_LAYOUT: tuple[tuple[str, str], ...] = (
    ("discriminator", "8s"),
    ("owner", "32s"),
    ("pool", "32s"),
    ("custody", "32s"),
    ("collateral_custody", "32s"),
    ("kind", "B"),
    ("side", "B"),
    ("index", "B"),
    ("trigger_price", "Q"),
    ("price_limit", "Q"),
    ("size_usd", "Q"),
    ("collateral_amount", "Q"),
    ("executor_fee", "Q"),
    ("position_open_time", "q"),
    ("position_rent", "Q"),
    ("created_time", "q"),
    ("update_time", "q"),
    ("bump", "B"),
)
_ORDER = struct.Struct("<" + "".join(fmt for _, fmt in ORDER_LAYOUT))
ORDER_SIZE = _ORDER.size  # 212
ORDER_OWNER_OFFSET = 8
ORDER_POOL_OFFSET = 40  # as a Position's: one memcmp on the pool finds both
ORDER_CUSTODY_OFFSET = 72


@dataclass(frozen=True)
class OrderView:
    """An Order account, decoded."""

    address: Pubkey
    owner: Pubkey
    pool: Pubkey
    custody: Pubkey
    collateral_custody: Pubkey
    kind: OrderKind
    side: Side
    index: int
    trigger_price: int  # PRICE_DECIMALS, on the exit (TP/SL) or entry (limit) price
    price_limit: int
    size_usd: int
    collateral_amount: int  # escrowed, limit orders
    executor_fee: int  # escrowed, collateral tokens
    position_open_time: int  # TP/SL: the position it was placed on
    position_rent: int
    created_time: int
    update_time: int

    def position_address(self, program_id: Pubkey) -> Pubkey:
        return pda.get_position_address(self.owner, self.pool, self.custody, self.collateral_custody, self.side,
                                        program_id)[0]


def decode_order(address: Pubkey, data: bytes) -> OrderView:
    f = _ORDER.unpack_from(data)
    if f[0] != ORDER_DISCRIMINATOR:
        raise ValueError(f"{address} is not an Order account")
    owner, pool, custody, collateral_custody = (Pubkey.from_bytes(b) for b in f[1:5])
    (index, trigger_price, price_limit, size_usd, collateral_amount, executor_fee, position_open_time, position_rent,
     created_time, update_time) = f[7:17]
    return OrderView(address, owner, pool, custody, collateral_custody, list(OrderKind)[f[5]],
                     Side.LONG if f[6] == 0 else Side.SHORT, index, trigger_price, price_limit, size_usd,
                     collateral_amount, executor_fee, position_open_time, position_rent, created_time, update_time)


class OrderClient(Views):
    """Trigger orders for this wallet (the default owner or executor)."""

    # ---- addresses and reads -----------------------------------------------------------------

    def order_address(self, custody: Pubkey, index: int, owner: Pubkey | None = None) -> Pubkey:
        return pda.get_order_address(owner or self.wallet.pubkey(), custody, index, self.program_id)[0]

    async def get_orders(self, *, owner: Pubkey | None = None, pool: Pubkey | None = None,
                         custody: Pubkey | None = None) -> list[OrderView]:
        """Every order matching the filters (none: every order of the program), by index."""
        filters: list[Any] = [MemcmpOpts(offset=0, bytes=b58encode(ORDER_DISCRIMINATOR).decode())]
        for offset, key in ((ORDER_OWNER_OFFSET, owner), (ORDER_POOL_OFFSET, pool), (ORDER_CUSTODY_OFFSET, custody)):
            if key is not None:
                filters.append(MemcmpOpts(offset=offset, bytes=str(key)))
        resp = await self.connection.get_program_accounts(self.program_id, commitment=Confirmed, encoding="base64",
                                                          filters=filters)
        orders = [decode_order(a.pubkey, bytes(a.account.data)) for a in resp.value]
        return sorted(orders, key=lambda o: (bytes(o.custody), o.index))

    async def fetch_order(self, order: Pubkey) -> OrderView:
        info = (await self.connection.get_account_info(order, commitment=Confirmed)).value
        if info is None:
            raise errors.AccountNotFound(f"Order {order} does not exist")
        return decode_order(order, bytes(info.data))

    async def free_order_index(self, custody: Pubkey, owner: Pubkey | None = None) -> int:
        """The lowest order index `owner` does not use on `custody`; TooManyOrders if all are used."""
        used = {o.index for o in await self.get_orders(owner=owner or self.wallet.pubkey(), custody=custody)}
        limit = (await self.fetch_custody(custody)).orders.max_orders_per_owner
        free = [i for i in range(limit) if i not in used]
        if not free:
            raise errors.TooManyOrders(f"all {limit} order slots of this market are used")
        return free[0]

    # ---- builders ----------------------------------------------------------------------------

    def build_set_order_config_ix(self, pool: Pubkey, custody: Pubkey, *, max_orders_per_owner: int,
                                  executor_fee_usd: int, admin: Pubkey | None = None) -> Instruction:
        params = self._type("OrderParams", max_orders_per_owner=max_orders_per_owner,
                            executor_fee_usd=executor_fee_usd)
        return self._ix("set_order_config", {"admin": admin or self.wallet.pubkey(),
                                             "perpetuals": self.perpetuals_address, "pool": pool,
                                             "custody": custody}, params)

    async def build_place_order_ix(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                                   kind: OrderKind, *, trigger_price: int, price_limit: int, size_usd: int,
                                   funding_account: Pubkey, collateral_amount: int = 0, index: int | None = None,
                                   owner: Pubkey | None = None,
                                   overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """`size_usd`: to close (TP/SL; at least the position's size closes all of it) or to open / add
        (limit); `collateral_amount` only for limit orders."""
        owner = owner or self.wallet.pubkey()
        index = await self.free_order_index(custody, owner) if index is None else index
        accounts = await self._trade_accounts(pool, custody, collateral_custody, side, owner)
        accounts.update({"funding_account": funding_account, "order": self.order_address(custody, index, owner)})
        params = self._type("PlaceOrderParams", index=index, kind=order_kind_value(kind), side=side_value(side),
                            trigger_price=trigger_price, price_limit=price_limit, size_usd=size_usd,
                            collateral_amount=collateral_amount)
        return self._ix("place_order", self._only("placeOrder", accounts, overrides), params)

    def order_accounts(self, o: OrderView, market: Any, collateral: Any) -> dict[str, Pubkey]:
        """Every account an order instruction may name, from the order and its two decoded custodies
        (no network: keepers pass the custodies their scan already read)."""
        return {
            "owner": o.owner,
            "transfer_authority": self.transfer_authority_address,
            "perpetuals": self.perpetuals_address,
            "pool": o.pool,
            "custody": o.custody,
            "custody_oracle_account": market.oracle.oracle_account,
            "collateral_custody": o.collateral_custody,
            "collateral_custody_oracle_account": collateral.oracle.oracle_account,
            "collateral_custody_token_account": collateral.token_account,
            "position": o.position_address(self.program_id),
            "order": o.address,
            "system_program": SYSTEM_PROGRAM_ID,
            "token_program": TOKEN_PROGRAM_ID,
        }

    async def _custodies(self, o: OrderView) -> tuple[Any, Any]:
        market = await self.fetch_custody(o.custody)
        collateral = market if o.collateral_custody == o.custody else await self.fetch_custody(o.collateral_custody)
        return market, collateral

    async def _order_accounts(self, o: OrderView) -> dict[str, Pubkey]:
        return self.order_accounts(o, *await self._custodies(o))

    async def build_edit_order_ix(self, order: Pubkey, *, trigger_price: int, price_limit: int, size_usd: int,
                                  owner: Pubkey | None = None,
                                  overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._order_accounts(await self.fetch_order(order))
        accounts["owner"] = owner or self.wallet.pubkey()
        params = self._type("EditOrderParams", trigger_price=trigger_price, price_limit=price_limit, size_usd=size_usd)
        return self._ix("edit_order", self._only("editOrder", accounts, overrides), params)

    async def build_cancel_order_ix(self, order: Pubkey, *, receiving_account: Pubkey, owner: Pubkey | None = None,
                                    overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = await self._order_accounts(await self.fetch_order(order))
        accounts.update({"owner": owner or self.wallet.pubkey(), "receiving_account": receiving_account})
        return self._ix("cancel_order", self._only("cancelOrder", accounts, overrides))

    async def build_execute_order_ix(self, order: Pubkey | OrderView, *, executor_receiving_account: Pubkey,
                                     receiving_account: Pubkey | None = None, executor: Pubkey | None = None,
                                     overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """`execute_trigger_order` (TP/SL: the owner's payout to `receiving_account`, default the owner's
        associated token account of the collateral mint) or `execute_limit_order`; the fee goes to
        `executor_receiving_account`."""
        o = order if isinstance(order, OrderView) else await self.fetch_order(order)
        market, collateral = await self._custodies(o)
        return self.execute_order_ix(o, market, collateral, executor_receiving_account=executor_receiving_account,
                                     receiving_account=receiving_account, executor=executor, overrides=overrides)

    def execute_order_ix(self, o: OrderView, market: Any, collateral: Any, *, executor_receiving_account: Pubkey,
                         receiving_account: Pubkey | None = None, executor: Pubkey | None = None,
                         overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """`build_execute_order_ix` from the order's decoded custodies (no network)."""
        accounts = self.order_accounts(o, market, collateral)
        accounts.update({"executor": executor or self.wallet.pubkey(),
                         "executor_receiving_account": executor_receiving_account})
        if o.kind is OrderKind.LIMIT:
            return self._ix("execute_limit_order", self._only("executeLimitOrder", accounts, overrides))
        accounts["receiving_account"] = receiving_account or get_associated_token_address(o.owner, collateral.mint)
        return self._ix("execute_trigger_order", self._only("executeTriggerOrder", accounts, overrides))

    async def build_remove_void_order_ix(self, order: Pubkey | OrderView, *, keeper_receiving_account: Pubkey,
                                         keeper: Pubkey | None = None,
                                         overrides: dict[str, Pubkey] | None = None) -> Instruction:
        o = order if isinstance(order, OrderView) else await self.fetch_order(order)
        market, collateral = await self._custodies(o)
        return self.remove_void_order_ix(o, market, collateral, keeper_receiving_account=keeper_receiving_account,
                                         keeper=keeper, overrides=overrides)

    def remove_void_order_ix(self, o: OrderView, market: Any, collateral: Any, *, keeper_receiving_account: Pubkey,
                             keeper: Pubkey | None = None,
                             overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = self.order_accounts(o, market, collateral)
        accounts.update({"keeper": keeper or self.wallet.pubkey(),
                         "keeper_receiving_account": keeper_receiving_account})
        return self._ix("remove_void_order", self._only("removeVoidOrder", accounts, overrides))

    # ---- senders -----------------------------------------------------------------------------

    async def set_order_config(self, pool: Pubkey, custody: Pubkey, *, max_orders_per_owner: int,
                               executor_fee_usd: int) -> TxResult:
        return await self.transport.send([self.build_set_order_config_ix(
            pool, custody, max_orders_per_owner=max_orders_per_owner, executor_fee_usd=executor_fee_usd)])

    async def place_order(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                          kind: OrderKind, *, trigger_price: int, price_limit: int, size_usd: int,
                          funding_account: Pubkey, collateral_amount: int = 0, index: int | None = None) -> TxResult:
        return await self.transport.send([await self.build_place_order_ix(
            pool, custody, collateral_custody, side, kind, trigger_price=trigger_price, price_limit=price_limit,
            size_usd=size_usd, funding_account=funding_account, collateral_amount=collateral_amount, index=index)])

    async def edit_order(self, order: Pubkey, *, trigger_price: int, price_limit: int, size_usd: int) -> TxResult:
        return await self.transport.send([await self.build_edit_order_ix(
            order, trigger_price=trigger_price, price_limit=price_limit, size_usd=size_usd)])

    async def cancel_order(self, order: Pubkey, *, receiving_account: Pubkey) -> TxResult:
        return await self.transport.send([await self.build_cancel_order_ix(order, receiving_account=receiving_account)])

    async def execute_order(self, order: Pubkey | OrderView, *, executor_receiving_account: Pubkey,
                            receiving_account: Pubkey | None = None) -> TxResult:
        return await self.transport.send([await self.build_execute_order_ix(
            order, executor_receiving_account=executor_receiving_account, receiving_account=receiving_account)])

    async def remove_void_order(self, order: Pubkey | OrderView, *, keeper_receiving_account: Pubkey) -> TxResult:
        return await self.transport.send([await self.build_remove_void_order_ix(
            order, keeper_receiving_account=keeper_receiving_account)])

    # ---- views -------------------------------------------------------------------------------

    async def get_order_state(self, order: Pubkey | OrderView) -> Any:
        """`void`, `price` (watched now), `triggered`, `within_price_limit`, `executable`: the order's own
        checks now (the trade's caps and leverage are checked only by the execution)."""
        o = order if isinstance(order, OrderView) else await self.fetch_order(order)
        accounts = self._only("getOrderState", await self._order_accounts(o), None)
        return self._decode("OrderState", await self._view("get_order_state", accounts))
