"""The node speaks Solana's JSON-RPC the way solana-py and anchorpy need (any node passes these)."""

from __future__ import annotations

import gzip
import json
import time

import httpx
import pytest
from anchorpy.coder.accounts import _account_discriminator
from based58 import b58encode
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts, TxOpts
from solders.keypair import Keypair
from solders.message import Message
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from perp_pool.constants import PROGRAM_ID
from tests.conftest import rpc_call


def test_health_version_and_genesis(rpc_url: str) -> None:
    assert rpc_call(rpc_url, "getHealth")["result"] == "ok"
    assert "solana-core" in rpc_call(rpc_url, "getVersion")["result"]
    assert len(rpc_call(rpc_url, "getGenesisHash")["result"]) >= 32


def test_unknown_method_is_method_not_found(rpc_url: str) -> None:
    reply = rpc_call(rpc_url, "getNoSuchThing")
    assert reply["error"]["code"] == -32601
    assert reply["error"]["message"] == "Method not found"


def test_batch_request_answers_each_call(rpc_url: str) -> None:
    body = [
        {"jsonrpc": "2.0", "id": 1, "method": "getSlot"},
        {"jsonrpc": "2.0", "id": 2, "method": "getNoSuchThing"},
        {"jsonrpc": "2.0", "id": 3, "method": "getMinimumBalanceForRentExemption", "params": [165]},
    ]
    replies = {r["id"]: r for r in httpx.post(rpc_url, json=body, timeout=10).json()}
    assert isinstance(replies[1]["result"], int)
    assert replies[2]["error"]["code"] == -32601
    assert replies[3]["result"] == 2_039_280  # SPL token account rent, as on mainnet


def test_body_labelled_gzip_is_accepted_compressed_or_not(rpc_url: str) -> None:
    call = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "getHealth"}).encode()
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    for body in (call, gzip.compress(call)):
        reply = httpx.post(rpc_url, content=body, headers=headers, timeout=10).json()
        assert reply == {"jsonrpc": "2.0", "id": 7, "result": "ok"}


def test_slots_and_blockhashes_advance_on_their_own(rpc_url: str) -> None:
    first = rpc_call(rpc_url, "getLatestBlockhash")["result"]
    deadline = time.monotonic() + 5
    latest = first
    while latest["context"]["slot"] == first["context"]["slot"] and time.monotonic() < deadline:
        time.sleep(0.05)
        latest = rpc_call(rpc_url, "getLatestBlockhash")["result"]
    assert latest["context"]["slot"] > first["context"]["slot"]
    assert latest["value"]["blockhash"] != first["value"]["blockhash"]
    assert latest["value"]["lastValidBlockHeight"] > first["value"]["lastValidBlockHeight"]


async def test_transfer_lands_with_status_logs_and_balances(connection: AsyncClient) -> None:
    payer, to = Keypair(), Keypair()
    await connection.confirm_transaction((await connection.request_airdrop(payer.pubkey(), 10**9)).value, Confirmed)
    bh = (await connection.get_latest_blockhash()).value
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to.pubkey(), lamports=1_000_000))
    tx = Transaction([payer], Message.new_with_blockhash([ix], payer.pubkey(), bh.blockhash), bh.blockhash)
    sig = (await connection.send_raw_transaction(bytes(tx), TxOpts(preflight_commitment=Confirmed))).value
    status = (await connection.confirm_transaction(sig, Confirmed, last_valid_block_height=bh.last_valid_block_height))
    assert status.value[0] is not None and status.value[0].err is None
    got = (await connection.get_transaction(sig, max_supported_transaction_version=0)).value
    assert got is not None
    meta = got.transaction.meta
    assert meta.fee == 5000
    assert meta.log_messages == [
        "Program 11111111111111111111111111111111 invoke [1]",
        "Program 11111111111111111111111111111111 success",
    ]
    assert (await connection.get_balance(to.pubkey())).value == 1_000_000
    assert meta.pre_balances[0] - meta.post_balances[0] == 1_000_000 + 5000


async def test_failed_preflight_is_error_32002_with_logs(rpc_url: str, connection: AsyncClient) -> None:
    payer = Keypair()  # never funded: the fee payer does not exist
    bh = (await connection.get_latest_blockhash()).value
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))
    tx = Transaction([payer], Message.new_with_blockhash([ix], payer.pubkey(), bh.blockhash), bh.blockhash)
    import base64

    reply = rpc_call(rpc_url, "sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
    assert reply["error"]["code"] == -32002
    assert reply["error"]["message"].startswith("Transaction simulation failed")
    assert "logs" in reply["error"]["data"]


def test_bad_signature_is_rejected(rpc_url: str) -> None:
    import base64

    payer = Keypair()
    blockhash = rpc_call(rpc_url, "getLatestBlockhash")["result"]["value"]["blockhash"]
    from solders.hash import Hash

    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))
    tx = Transaction([payer], Message.new_with_blockhash([ix], payer.pubkey(), Hash.from_string(blockhash)),
                     Hash.from_string(blockhash))
    raw = bytearray(bytes(tx))
    raw[5] ^= 0xFF  # corrupt the signature
    reply = rpc_call(rpc_url, "sendTransaction", [base64.b64encode(bytes(raw)).decode(), {"encoding": "base64"}])
    assert reply["error"]["code"] == -32003


async def test_program_accounts_filters(connection: AsyncClient, world) -> None:
    # The global config is the only 8-byte-discriminated Perpetuals account.
    disc = _account_discriminator("Perpetuals")
    memcmp = MemcmpOpts(offset=0, bytes=b58encode(disc).decode())
    found = (await connection.get_program_accounts(PROGRAM_ID, encoding="base64", filters=[memcmp])).value
    assert [a.pubkey for a in found] == [world.client.perpetuals_address]
    sized = (await connection.get_program_accounts(PROGRAM_ID, encoding="base64", filters=[memcmp, 1])).value
    assert sized == []


@pytest.mark.node_ext
def test_warp_clock_moves_unix_timestamp_forward(node_ext) -> None:
    before = node_ext.info()["unixTimestamp"]
    after = node_ext.warp_clock(120)
    assert after >= before + 120


@pytest.mark.node_ext
def test_advance_slots_closes_slots_now(rpc_url: str, node_ext) -> None:
    slot = rpc_call(rpc_url, "getSlot")["result"]
    assert node_ext.advance_slots(5) >= slot + 5


async def test_multiple_accounts_in_base64_zstd_match_base64(connection: AsyncClient, world) -> None:
    keys = [world.client.perpetuals_address, Keypair().pubkey()]
    plain = (await connection.get_multiple_accounts(keys, encoding="base64")).value
    packed = (await connection.get_multiple_accounts(keys, encoding="base64+zstd")).value
    assert packed[1] is None and plain[1] is None
    assert bytes(packed[0].data) == bytes(plain[0].data)
    assert packed[0].owner == PROGRAM_ID


async def test_data_slice_returns_the_requested_bytes(connection: AsyncClient, world) -> None:
    from solana.rpc.types import DataSliceOpts

    full = (await connection.get_account_info(world.client.perpetuals_address)).value
    part = (await connection.get_account_info(world.client.perpetuals_address,
                                              data_slice=DataSliceOpts(offset=8, length=32))).value
    assert bytes(part.data) == bytes(full.data)[8:40]
