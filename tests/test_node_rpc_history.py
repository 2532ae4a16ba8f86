"""Blocks, transaction history, token queries, fees and commitment over HTTP JSON-RPC, driven with
solana-py's AsyncClient (its typed parsers check the official response shapes); a request solana-py
has no method for goes through its provider with the solders request type."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized, Processed
from solana.rpc.core import RPCException
from solana.rpc.types import TokenAccountOpts
from solders.compute_budget import set_compute_unit_price
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.rpc.requests import GetBlocksWithLimit, IsBlockhashValid
from solders.rpc.responses import GetBlocksWithLimitResp, IsBlockhashValidResp
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from spl.token.instructions import ApproveParams, approve

from perp_pool.localnet import LocalNode
from perp_pool.tokens import TOKEN_PROGRAM_ID, create_mint, ensure_ata, mint_tokens
from tests.conftest import rpc_call
from tests.helpers import World

MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


async def until_finalized(connection: AsyncClient, sig: Signature, timeout_s: float = 10.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = (await connection.get_signature_statuses([sig])).value[0]
        if status is not None and str(status.confirmation_status) == "TransactionConfirmationStatus.Finalized":
            return status.slot
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{sig} not finalized")


def error_kind(exc: BaseException) -> str:
    """The solders error type solana-py parsed the JSON-RPC error into (it keys on the code)."""
    return type(exc.args[0]).__name__


async def test_get_block_has_the_transaction_and_its_chain_links(
        world: World, connection: AsyncClient, rpc_url: str) -> None:
    memo = Instruction(MEMO_PROGRAM, b"hello block", [])
    sent = await world.client.transport.send([memo])
    slot = await until_finalized(connection, sent.signature)
    block = (await connection.get_block(slot, "json", max_supported_transaction_version=0)).value
    assert block is not None
    assert block.parent_slot == slot - 1
    assert any(tx.transaction.signatures[0] == sent.signature for tx in block.transactions)  # type: ignore[union-attr]
    parent = (await connection.get_block(slot - 1, max_supported_transaction_version=0)).value
    assert parent is not None and block.previous_blockhash == parent.blockhash
    assert block.block_height == parent.block_height + 1  # type: ignore[operator]
    assert block.block_time == (await connection.get_block_time(slot)).value
    raw = rpc_call(rpc_url, "getBlock", [slot, {
        "encoding": "base64", "transactionDetails": "signatures", "maxSupportedTransactionVersion": 0}])
    assert str(sent.signature) in raw["result"]["signatures"] and "transactions" not in raw["result"]


async def test_block_errors_are_the_validators(connection: AsyncClient, rpc_url: str) -> None:
    slot = (await connection.get_slot(Processed)).value
    with pytest.raises((RPCException, SolanaRpcException)) as future:
        await connection.get_block(slot + 1000)
    assert error_kind(future.value) == "BlockNotAvailableMessage"  # -32004
    processed = rpc_call(rpc_url, "getBlock", [slot - 1, {"commitment": "processed"}])
    assert processed["error"] == {"code": -32602, "message": "Method does not support commitment below `confirmed`"}
    with pytest.raises((RPCException, SolanaRpcException)) as time_error:
        await connection.get_block_time(slot + 1000)
    assert error_kind(time_error.value) == "BlockNotAvailableMessage"


async def test_get_blocks_and_blocks_with_limit_are_contiguous(connection: AsyncClient) -> None:
    root = (await connection.get_slot(Finalized)).value
    start = max(0, root - 5)
    blocks = (await connection.get_blocks(start, root)).value
    assert blocks == list(range(start, root + 1))
    limited = await connection._provider.make_request(  # noqa: SLF001
        GetBlocksWithLimit(start, 3), GetBlocksWithLimitResp)
    assert limited.value == [start, start + 1, start + 2]
    assert (await connection.get_first_available_block()).value == 0
    assert (await connection.get_minimum_ledger_slot()).value == 0


async def test_get_block_commitment(connection: AsyncClient) -> None:
    root = (await connection.get_slot(Finalized)).value
    rooted = (await connection.get_block_commitment(root)).value
    assert rooted.total_stake > 0
    assert rooted.commitment is not None and len(rooted.commitment) == 32
    assert rooted.commitment[-1] == rooted.total_stake
    assert (await connection.get_block_commitment(root + 1000)).value.commitment is None


async def test_get_signatures_for_address_newest_first_with_memo_and_paging(
        world: World, connection: AsyncClient) -> None:
    payer, target = await world.funded_keypair(10**9), Keypair().pubkey()
    sigs = []
    for i in range(3):
        ixs = [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=target, lamports=1_000_000 + i)),
               Instruction(MEMO_PROGRAM, f"note {i}".encode(), [])]
        sigs.append((await world.client.transport.send(ixs, [payer])).signature)
    found = (await connection.get_signatures_for_address(target, commitment=Confirmed)).value
    assert [f.signature for f in found] == sigs[::-1]
    assert found[0].memo is not None and "note 2" in found[0].memo
    assert found[0].block_time is not None and found[0].err is None
    page = (await connection.get_signatures_for_address(target, before=sigs[2], limit=1, commitment=Confirmed)).value
    assert [f.signature for f in page] == [sigs[1]]
    tail = (await connection.get_signatures_for_address(target, until=sigs[0], commitment=Confirmed)).value
    assert [f.signature for f in tail] == [sigs[2], sigs[1]]
    with pytest.raises((RPCException, SolanaRpcException)) as processed:
        await connection.get_signatures_for_address(target, commitment=Processed)
    assert error_kind(processed.value) == "InvalidParamsMessage"  # -32602


async def test_token_accounts_by_owner_delegate_and_largest(world: World, connection: AsyncClient) -> None:
    transport = world.client.transport
    mint = await create_mint(transport, 6)
    owners = [Keypair() for _ in range(3)]
    accounts = []
    for i, owner in enumerate(owners):
        ata = await ensure_ata(transport, owner.pubkey(), mint)
        await mint_tokens(transport, mint, ata, (i + 1) * 1_000_000)
        accounts.append(ata)
    by_mint = (await connection.get_token_accounts_by_owner(owners[0].pubkey(), TokenAccountOpts(mint=mint))).value
    assert [a.pubkey for a in by_mint] == [accounts[0]]
    by_program = (await connection.get_token_accounts_by_owner_json_parsed(
        owners[1].pubkey(), TokenAccountOpts(program_id=TOKEN_PROGRAM_ID))).value
    parsed = by_program[0].account.data.parsed  # type: ignore[union-attr]
    assert parsed["info"]["tokenAmount"]["uiAmountString"] == "2"
    delegate = Keypair()
    await world.airdrop(owners[2].pubkey(), 10**8)
    await transport.send([approve(ApproveParams(program_id=TOKEN_PROGRAM_ID, source=accounts[2],
                                                delegate=delegate.pubkey(), owner=owners[2].pubkey(),
                                                amount=5, signers=[]))], [owners[2]])
    delegated = (await connection.get_token_accounts_by_delegate(
        delegate.pubkey(), TokenAccountOpts(program_id=TOKEN_PROGRAM_ID))).value
    assert [a.pubkey for a in delegated] == [accounts[2]]
    largest = (await connection.get_token_largest_accounts(mint)).value
    assert [a.address for a in largest] == accounts[::-1]
    assert [a.amount.amount for a in largest] == ["3000000", "2000000", "1000000"]
    with pytest.raises((RPCException, SolanaRpcException)):
        await connection.get_token_accounts_by_owner(owners[0].pubkey(), TokenAccountOpts(mint=Keypair().pubkey()))


async def test_recent_prioritization_fees_follow_the_validators_rule(
        world: World, connection: AsyncClient, rpc_url: str) -> None:
    payer, hot = await world.funded_keypair(10**9), Keypair().pubkey()
    ixs = [set_compute_unit_price(777),
           transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=hot, lamports=1_000_000))]
    sent = await world.client.transport.send(ixs, [payer])
    await until_finalized(connection, sent.signature)
    url = rpc_url
    fees = rpc_call(url, "getRecentPrioritizationFees", [[str(hot)]])["result"]
    by_slot = {f["slot"]: f["prioritizationFee"] for f in fees}
    assert by_slot[sent.slot] == 777
    assert len(by_slot) <= 150 and sorted(by_slot) == list(by_slot)
    overall = {f["slot"]: f["prioritizationFee"] for f in rpc_call(url, "getRecentPrioritizationFees")["result"]}
    assert overall[sent.slot] <= 777
    too_many = rpc_call(url, "getRecentPrioritizationFees", [[str(Keypair().pubkey()) for _ in range(129)]])
    assert too_many["error"]["code"] == -32602


async def test_transaction_count_and_commitment_levels(world: World, connection: AsyncClient, rpc_url: str) -> None:
    before = (await connection.get_transaction_count(Confirmed)).value
    payer = await world.funded_keypair(10**9)
    target = Keypair().pubkey()
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=target, lamports=1_234_567))
    sent = await world.client.transport.send([ix], [payer])
    assert (await connection.get_transaction_count(Confirmed)).value > before
    # processed and confirmed see the transfer at once; finalized once its slot closes.
    assert (await connection.get_balance(target, Processed)).value == 1_234_567
    assert (await connection.get_balance(target, Confirmed)).value == 1_234_567
    finalized_slot = (await connection.get_slot(Finalized)).value
    assert finalized_slot < (await connection.get_slot(Processed)).value
    await until_finalized(connection, sent.signature)
    assert (await connection.get_balance(target, Finalized)).value == 1_234_567
    unreached = rpc_call(rpc_url, "getBalance", [str(target), {"commitment": "confirmed", "minContextSlot": 10**12}])
    assert unreached["error"]["code"] == -32016
    with pytest.raises((RPCException, SolanaRpcException)):
        await connection.get_transaction(sent.signature, commitment=Processed)


async def test_fee_for_a_message_on_a_blockhash_fetched_at_processed(connection: AsyncClient) -> None:
    payer = Keypair()
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))
    for fetched_at in (Processed, Confirmed, Finalized):
        blockhash = (await connection.get_latest_blockhash(fetched_at)).value.blockhash
        legacy = Message.new_with_blockhash([ix], payer.pubkey(), blockhash)
        v0 = MessageV0.try_compile(payer.pubkey(), [ix], [], blockhash)
        for asked_at in (Processed, Confirmed, Finalized):
            assert (await connection.get_fee_for_message(legacy, asked_at)).value == 5000
            assert (await connection.get_fee_for_message(v0, asked_at)).value == 5000  # type: ignore[arg-type]
        valid = await connection._provider.make_request(IsBlockhashValid(blockhash), IsBlockhashValidResp)  # noqa: SLF001
        assert valid.value is True


def test_performance_samples_every_period(tmp_path: Path, node_ext: object) -> None:
    with LocalNode(slot_ms=50, log_path=tmp_path / "node.log", extra_args=["--performance-sample-secs", "1"]) as node:
        deadline = time.monotonic() + 10
        samples: list = []
        while not samples and time.monotonic() < deadline:
            time.sleep(0.2)
            samples = rpc_call(node.url, "getRecentPerformanceSamples", [5])["result"]
        assert samples, "no performance sample after 10 s"
        sample = samples[0]
        assert sample["samplePeriodSecs"] == 1 and sample["numSlots"] > 0 and sample["slot"] > 0
        assert rpc_call(node.url, "getRecentPerformanceSamples", [721])["error"]["code"] == -32602
