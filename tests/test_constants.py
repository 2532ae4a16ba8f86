"""Offline: the client's seeds, precisions and program id are the program's (no drift possible)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from solders.keypair import Keypair

from perp_pool import constants, errors
from perp_pool.idl import idl_dict, load_idl

ROOT = Path(__file__).resolve().parents[1]


def _idl_constant(entry: dict) -> object:
    if entry["type"] == "bytes":
        return bytes(json.loads(entry["value"]))
    return int(entry["value"].replace("_", ""))


@pytest.mark.parametrize("entry", idl_dict()["constants"], ids=lambda e: e["name"])
def test_python_constant_equals_program_constant(entry: dict) -> None:
    if entry["name"] == "MAX_PRICE_EXPONENT":
        from perp_pool.math.oracle import MAX_PRICE_EXPONENT as value
    else:
        value = getattr(constants, entry["name"])
    assert value == _idl_constant(entry)


def test_program_id_is_declared_everywhere_the_same() -> None:
    lib = (ROOT / "programs/perp_pool/src/lib.rs").read_text()
    declared = re.search(r'declare_id!\("(\w+)"\)', lib).group(1)
    anchor_toml = (ROOT / "Anchor.toml").read_text()
    keypair = Keypair.from_bytes(bytes(json.loads((ROOT / "programs/perp_pool/keypair.json").read_text())))
    assert declared == str(constants.PROGRAM_ID)
    assert f'perp_pool = "{declared}"' in anchor_toml
    assert str(keypair.pubkey()) == declared


def test_idl_loads_in_anchorpy_with_every_instruction() -> None:
    idl = load_idl()
    names = {ix.name for ix in idl.instructions}
    assert {"initialize", "setPermissions", "addPool", "addCustody", "setCustomOraclePrice", "addLiquidity",
            "removeLiquidity", "getAssetsUnderManagement", "getLpTokenPrice"} <= names


def test_every_program_error_has_a_named_exception() -> None:
    for entry in idl_dict()["errors"]:
        cls = errors.error_class(entry["name"])
        assert issubclass(cls, errors.PerpPoolError)
        assert cls.code == entry["code"] and cls.code >= 6000
    assert errors.error_class("ConstraintSeeds").code == 2006
    assert errors.error_class("TokenInsufficientFunds").code == 1
