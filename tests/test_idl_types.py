"""The IDL's enums and account discriminators, mapped once (perp_pool.client.idl_types); offline."""

from __future__ import annotations

import pytest
from anchorpy import Coder
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair

from perp_pool.client import PerpPoolClient
from perp_pool.client.idl_types import (
    OracleKind,
    account_discriminator,
    oracle_kind,
    oracle_type_value,
    side_of,
    side_value,
)
from perp_pool.idl import load_idl
from perp_pool.keeper.health import POSITION_DISCRIMINATOR
from perp_pool.math.pricing import Side


def test_sides_round_trip_through_a_clients_own_types() -> None:
    client = PerpPoolClient(AsyncClient("http://127.0.0.1:0"), Keypair())
    side_type = client.program.type["Side"]
    assert side_of(side_type.Long()) is Side.LONG and side_of(side_type.Short()) is Side.SHORT
    for side in Side:
        assert side_of(side_value(side)) is side
        encoded = client.program.coder.types.encode("Side", side_value(side))
        assert side_of(client.program.coder.types.decode("Side", encoded)) is side


def test_oracle_kinds_round_trip() -> None:
    for kind in OracleKind:
        assert oracle_kind(oracle_type_value(kind)) is kind
        assert oracle_kind(oracle_type_value(kind.value)) is kind


def test_values_of_other_types_are_refused() -> None:
    with pytest.raises(TypeError):
        side_of(oracle_type_value(OracleKind.CUSTOM))
    with pytest.raises(TypeError):
        oracle_kind(side_value(Side.LONG))
    with pytest.raises(ValueError):
        oracle_type_value("Chainlink")


def test_account_discriminators_are_anchors() -> None:
    coder = Coder(load_idl())
    for name, discriminator in coder.accounts.acc_name_to_discriminator.items():
        assert account_discriminator(name) == discriminator
    assert POSITION_DISCRIMINATOR == coder.accounts.acc_name_to_discriminator["Position"]
