"""The IDL's enums and account discriminators, mapped once to the client's own types.

anchorpy makes one class per variant of an IDL enum (`Side.Long`, `OracleType.Pyth`, in the
program's `Program.type` namespace); decoded accounts hold instances of them and instructions take
them. Code outside this module never looks at those classes' names: it converts with `side_of` /
`side_value` and `oracle_kind` / `oracle_type_value`, which compare with `isinstance` against the
classes of the committed IDL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from anchorpy import Program, Provider, Wallet
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair

from perp_pool.constants import PROGRAM_ID
from perp_pool.idl import load_idl
from perp_pool.math.orders import OrderKind
from perp_pool.math.pricing import Side

__all__ = ["ACCOUNT_DISCRIMINATOR_SIZE", "IdlEnums", "OracleKind", "account_discriminator", "idl_enums",
           "oracle_kind", "oracle_type_value", "order_kind_of", "order_kind_value", "side_of", "side_value"]

ACCOUNT_DISCRIMINATOR_SIZE = 8

# Never contacted: the Program built from it is only asked for its `.type` namespace.
_OFFLINE_RPC_URL = "http://127.0.0.1:0"


class OracleKind(Enum):
    """`OracleType` of the IDL: who writes a custody's oracle account."""

    CUSTOM = "Custom"  # the custody's custom oracle PDA, set by its oracle authority
    PYTH = "Pyth"  # a Pyth pull-oracle PriceUpdateV2 account


@dataclass(frozen=True)
class IdlEnums:
    """The anchorpy variant classes of the IDL's enums."""

    long: type
    short: type
    custom: type
    pyth: type
    order_kinds: tuple[type, type, type]  # TakeProfit, StopLoss, Limit: OrderKind's order

    @classmethod
    def of(cls, program: Program) -> IdlEnums:
        side, oracle, kind = program.type["Side"], program.type["OracleType"], program.type["OrderKind"]
        return cls(long=side.Long, short=side.Short, custom=oracle.Custom, pyth=oracle.Pyth,
                   order_kinds=(kind.TakeProfit, kind.StopLoss, kind.Limit))


@lru_cache(maxsize=1)
def idl_enums() -> IdlEnums:
    """The variant classes of the committed IDL, which every `PerpPoolClient`'s program is built
    from (anchorpy builds each enum's classes once per process, so they are the same classes)."""
    offline = Provider(AsyncClient(_OFFLINE_RPC_URL), Wallet(Keypair()))
    return IdlEnums.of(Program(load_idl(), PROGRAM_ID, offline))


def side_of(side: Any) -> Side:
    """anchorpy's decoded `Side` enum value -> Side."""
    enums = idl_enums()
    if isinstance(side, enums.long):
        return Side.LONG
    if isinstance(side, enums.short):
        return Side.SHORT
    raise TypeError(f"not a Side of the IDL: {side!r}")


def side_value(side: Side) -> Any:
    """Side -> the IDL's `Side` value an instruction takes."""
    enums = idl_enums()
    return enums.long() if side is Side.LONG else enums.short()


def oracle_kind(oracle_type: Any) -> OracleKind:
    """anchorpy's decoded `OracleType` value (`custody.oracle.oracle_type`) -> OracleKind."""
    enums = idl_enums()
    if isinstance(oracle_type, enums.custom):
        return OracleKind.CUSTOM
    if isinstance(oracle_type, enums.pyth):
        return OracleKind.PYTH
    raise TypeError(f"not an OracleType of the IDL: {oracle_type!r}")


def oracle_type_value(kind: OracleKind | str) -> Any:
    """OracleKind (or its name, "Custom" | "Pyth") -> the IDL's `OracleType` value."""
    enums = idl_enums()
    return enums.custom() if OracleKind(kind) is OracleKind.CUSTOM else enums.pyth()


def order_kind_of(kind: Any) -> OrderKind:
    """anchorpy's decoded `OrderKind` value (`order.kind`) -> OrderKind."""
    for variant, cls in zip(OrderKind, idl_enums().order_kinds, strict=True):
        if isinstance(kind, cls):
            return variant
    raise TypeError(f"not an OrderKind of the IDL: {kind!r}")


def order_kind_value(kind: OrderKind) -> Any:
    """OrderKind -> the IDL's `OrderKind` value an instruction takes."""
    return idl_enums().order_kinds[kind.index]()


def account_discriminator(name: str) -> bytes:
    """The 8 bytes Anchor prefixes account `name`'s data with: `sha256("account:<name>")[:8]`
    (Anchor's rule; anchorpy has it only as a private helper)."""
    return hashlib.sha256(f"account:{name}".encode()).digest()[:ACCOUNT_DISCRIMINATOR_SIZE]
