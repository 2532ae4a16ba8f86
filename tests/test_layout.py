"""Offline: the keeper's fixed Position layout (keeper/health.py) is the IDL's, byte for byte.

The keeper decodes positions with one `struct.unpack_from` instead of the anchorpy coder. These
tests derive every field's offset and size from the IDL's Position type (borsh: no padding,
little-endian) and compare them with POSITION_LAYOUT, then round-trip an account through both
decoders, so adding, removing, resizing or reordering a Position field fails here.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import pytest
from anchorpy.coder.accounts import AccountsCoder, AccountToSerialize
from anchorpy.coder.common import _account_size
from solders.pubkey import Pubkey

from perp_pool.idl import idl_dict, load_idl
from perp_pool.keeper import health
from perp_pool.math.pricing import Side

ROOT = Path(__file__).resolve().parents[1]
DISCRIMINATOR_LEN = 8
PRIMITIVES = {"bool": 1, "u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8, "u128": 16,
              "i128": 16, "publicKey": 32}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def borsh_size(ty: Any, types: dict[str, dict]) -> int:
    """Fixed borsh size of an IDL type (the Position account has no variable-length field)."""
    if isinstance(ty, str):
        return PRIMITIVES[ty]
    if "array" in ty:
        inner, n = ty["array"]
        return borsh_size(inner, types) * n
    if "defined" in ty:
        t = types[ty["defined"]]["type"]
        if t["kind"] == "enum":
            assert all("fields" not in v for v in t["variants"]), "only unit enums have a fixed size"
            return 1
        return sum(borsh_size(f["type"], types) for f in t["fields"])
    raise AssertionError(f"variable-size IDL type in Position: {ty}")


def idl_position_fields() -> list[tuple[str, int, int]]:
    """(field, offset, size) of every Position field per the IDL, after the discriminator."""
    idl = idl_dict()
    types = {t["name"]: t for t in idl["types"]}
    account = next(a for a in idl["accounts"] if a["name"] == "Position")
    out, offset = [], DISCRIMINATOR_LEN
    for f in account["type"]["fields"]:
        size = borsh_size(f["type"], types)
        out.append((snake(f["name"]), offset, size))
        offset += size
    return out


def keeper_position_fields() -> list[tuple[str, int, int]]:
    """(field, offset, size) per the keeper's POSITION_LAYOUT, u128 halves joined."""
    out: list[tuple[str, int, int]] = []
    offset = 0
    for name, fmt in health.POSITION_LAYOUT:
        size = struct.calcsize("<" + fmt)
        if name.endswith("_hi"):
            base, lo_offset, lo_size = out.pop()
            assert base == name[:-3], f"{name} does not follow its _lo half"
            out.append((base, lo_offset, lo_size + size))
        else:
            out.append((name[:-3] if name.endswith("_lo") else name, offset, size))
        offset += size
    assert out[0] == ("discriminator", 0, DISCRIMINATOR_LEN)
    return out[1:]


def test_keeper_position_layout_is_the_idl_layout() -> None:
    assert keeper_position_fields() == idl_position_fields()


def test_keeper_position_size_and_offsets() -> None:
    fields = idl_position_fields()
    name, offset, size = fields[-1]
    assert health.POSITION_SIZE == offset + size
    assert health.POSITION_POOL_OFFSET == dict((n, o) for n, o, _ in fields)["pool"]
    # anchorpy agrees on the account size (what getProgramAccounts returns for a Position).
    account = next(a for a in load_idl().accounts if a.name == "Position")
    assert health.POSITION_SIZE == DISCRIMINATOR_LEN + _account_size(load_idl(), account)


def test_position_space_in_rust_is_the_keeper_size() -> None:
    """The account is allocated as `8 + Position::INIT_SPACE`, i.e. exactly the borsh size."""
    src = (ROOT / "programs/perp_pool/src/instructions/open_position.rs").read_text()
    assert re.search(r"space\s*=\s*8\s*\+\s*Position::INIT_SPACE", src)


def _distinct_position() -> tuple[bytes, dict[str, Any]]:
    """A Position whose every field is distinct, u128s above 2^64, signed fields negative."""
    values = {
        "owner": Pubkey(bytes([1]) * 32), "pool": Pubkey(bytes([2]) * 32), "custody": Pubkey(bytes([3]) * 32),
        "collateral_custody": Pubkey(bytes([4]) * 32), "side": 1, "open_time": -1_700_000_000,
        "update_time": 1_700_000_123, "price": 150_123_456_789, "size_usd": 1_500_000_001,
        "quantity": (7 << 64) + 123_456_789, "collateral_amount": 99_000_001, "collateral_usd": 98_990_002,
        "locked_amount": 1_500_000_003, "cumulative_interest_snapshot": (9 << 64) + 5, "realized_pnl_usd": -42,
        "realized_fees_usd": 77, "bump": 254, "exposure_cap_usd": (3 << 64) + 11,
        "exposure_bankruptcy_usd": (5 << 64) + 13, "exposure_max_profit_usd": 1_500_000_007,
        "skew_premium_snapshot": (11 << 64) + 17,
    }
    packed = []
    for name, _fmt in health.POSITION_LAYOUT:
        if name == "discriminator":
            packed.append(health.POSITION_DISCRIMINATOR)
        elif name.endswith("_lo"):
            packed.append(values[name[:-3]] & (2**64 - 1))
        elif name.endswith("_hi"):
            packed.append(values[name[:-3]] >> 64)
        elif isinstance(values[name], Pubkey):
            packed.append(bytes(values[name]))
        else:
            packed.append(values[name])
    return struct.Struct("<" + "".join(f for _, f in health.POSITION_LAYOUT)).pack(*packed), values


def test_anchorpy_and_the_keeper_decode_the_same_account() -> None:
    data, values = _distinct_position()
    coder = AccountsCoder(load_idl())
    decoded = coder.decode(data)
    for name, value in values.items():
        got = getattr(decoded, name)
        if name == "side":
            assert type(got).__name__ == "Short"
        else:
            assert got == value, name
    # And anchorpy re-encodes it to the same bytes: the layout has no byte the IDL does not know.
    assert coder.build(AccountToSerialize(data=decoded, name="Position")) == data

    view = health.decode_position(Pubkey.default(), data)
    assert view.side is Side.SHORT
    for name in ("owner", "pool", "custody", "collateral_custody", "price", "size_usd", "quantity", "collateral_amount",
                 "locked_amount", "cumulative_interest_snapshot", "skew_premium_snapshot"):
        assert getattr(view, name) == values[name], name
    assert view == health.PositionView.from_account(Pubkey.default(), decoded)


def test_decode_position_refuses_other_accounts() -> None:
    data, _ = _distinct_position()
    with pytest.raises(ValueError):
        health.decode_position(Pubkey.default(), b"\0" * 8 + data[8:])
