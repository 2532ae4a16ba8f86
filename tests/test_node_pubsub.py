"""PubSub over websocket, driven with solana-py's own client (`solana.rpc.websocket_api.connect`):
every subscription, its notifications in the official format, commitment, unsubscribe, and many
subscribers at once. Any node with PubSub passes these (a validator too)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized, Processed
from solana.rpc.types import MemcmpOpts
from solana.rpc.websocket_api import SolanaWsClientProtocol, connect
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.rpc.config import RpcTransactionLogsFilter, RpcTransactionLogsFilterMentions
from solders.rpc.responses import (
    AccountNotification,
    LogsNotification,
    ProgramNotification,
    RootNotification,
    SignatureNotification,
    SlotNotification,
    SlotUpdateNotification,
    SubscriptionResult,
    UnsubscribeResult,
)
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction
from spl.token.constants import TOKEN_PROGRAM_ID

from perp_pool.tokens import create_mint, ensure_ata, mint_tokens
from tests.helpers import World

TOKEN_PROGRAM = TOKEN_PROGRAM_ID
WAIT_S = 10.0


@asynccontextmanager
async def ws_client(ws_url: str) -> AsyncIterator[SolanaWsClientProtocol]:
    async with connect(ws_url) as ws:
        yield ws


async def next_of(ws: SolanaWsClientProtocol, kind: type, timeout: float = WAIT_S) -> Any:
    """The next message of type `kind` (others are skipped)."""
    async def wait() -> Any:
        while True:
            for message in await ws.recv():
                if isinstance(message, kind):
                    return message
    return await asyncio.wait_for(wait(), timeout)


async def subscribed(ws: SolanaWsClientProtocol) -> int:
    result = await next_of(ws, SubscriptionResult)
    return int(result.result)


async def send_transfer(connection: AsyncClient, payer: Keypair, to: Pubkey, lamports: int) -> Any:
    bh = (await connection.get_latest_blockhash(Confirmed)).value.blockhash
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=lamports))
    tx = Transaction([payer], Message.new_with_blockhash([ix], payer.pubkey(), bh), bh)
    return (await connection.send_raw_transaction(bytes(tx))).value


async def funded(world: World, lamports: int = 10**9) -> Keypair:
    return await world.funded_keypair(lamports)


async def test_account_subscribe_notifies_each_change_in_the_asked_encoding(
        ws_url: str, world: World, connection: AsyncClient) -> None:
    payer, watched = await funded(world), Keypair()
    async with ws_client(ws_url) as ws:
        await ws.account_subscribe(watched.pubkey(), commitment=Confirmed, encoding="base64")
        sub = await subscribed(ws)
        await send_transfer(connection, payer, watched.pubkey(), 5_000_000)
        note = await next_of(ws, AccountNotification)
        assert note.subscription == sub
        assert note.result.value.lamports == 5_000_000
        assert note.result.value.owner == Pubkey.default()
        assert note.result.context.slot >= 1
        await send_transfer(connection, payer, watched.pubkey(), 1_000_000)
        assert (await next_of(ws, AccountNotification)).result.value.lamports == 6_000_000
        await ws.account_unsubscribe(sub)
        assert (await next_of(ws, UnsubscribeResult)).result is True


async def test_unsubscribe_of_an_unknown_id_is_invalid_params(ws_url: str) -> None:
    async with websockets.connect(ws_url) as raw:
        await raw.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountUnsubscribe", "params": [987654]}))
        reply = json.loads(await raw.recv())
        assert reply["error"] == {"code": -32602, "message": "Invalid subscription id."}
        await raw.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "blockSubscribe", "params": ["all"]}))
        assert json.loads(await raw.recv())["error"]["code"] == -32601


async def test_account_subscribe_finalized_comes_after_the_slot_closes(
        ws_url: str, world: World, connection: AsyncClient) -> None:
    payer, watched = await funded(world), Keypair()
    async with ws_client(ws_url) as fast, ws_client(ws_url) as final:
        await fast.account_subscribe(watched.pubkey(), commitment=Processed, encoding="base64")
        await final.account_subscribe(watched.pubkey(), commitment=Finalized, encoding="base64")
        await subscribed(fast), await subscribed(final)
        sig = await send_transfer(connection, payer, watched.pubkey(), 2_000_000)
        processed = await next_of(fast, AccountNotification)
        finalized = await next_of(final, AccountNotification)
        assert processed.result.value.lamports == finalized.result.value.lamports == 2_000_000
        status = (await connection.get_signature_statuses([sig])).value[0]
        assert status is not None and finalized.result.context.slot >= status.slot


async def test_program_subscribe_with_filters_and_encodings(
        ws_url: str, world: World, connection: AsyncClient) -> None:
    owner = Keypair()
    transport = world.client.transport
    mint = await create_mint(transport, 6)
    owner_filter = MemcmpOpts(offset=32, bytes=str(owner.pubkey()))
    parsed_params = [str(TOKEN_PROGRAM), {"encoding": "jsonParsed", "commitment": "confirmed", "filters": [
        {"dataSize": 165}, {"memcmp": {"offset": 32, "bytes": str(owner.pubkey())}}]}]
    async with ws_client(ws_url) as zstd, websockets.connect(ws_url) as parsed:
        await zstd.program_subscribe(TOKEN_PROGRAM, Confirmed, "base64+zstd", filters=[165, owner_filter])
        await subscribed(zstd)
        request = {"jsonrpc": "2.0", "id": 1, "method": "programSubscribe", "params": parsed_params}
        await parsed.send(json.dumps(request))
        assert isinstance(json.loads(await parsed.recv())["result"], int)
        ata = await ensure_ata(transport, owner.pubkey(), mint)
        await mint_tokens(transport, mint, ata, 42)
        note = await next_of(zstd, ProgramNotification)
        assert note.result.value.pubkey == ata
        assert note.result.value.account.owner == TOKEN_PROGRAM
        assert len(note.result.value.account.data) == 165  # solders decompressed the zstd
        # jsonParsed: the token account decoded, its amount in the mint's decimals.
        while True:
            value = json.loads(await asyncio.wait_for(parsed.recv(), WAIT_S))["params"]["result"]["value"]
            assert value["pubkey"] == str(ata)
            info = value["account"]["data"]["parsed"]["info"]
            if info["tokenAmount"]["amount"] == "42":
                break
        assert info["owner"] == str(owner.pubkey()) and info["tokenAmount"]["decimals"] == 6
        assert value["account"]["data"]["program"] == "spl-token"


async def test_json_parsed_falls_back_to_base64_for_other_programs(
        ws_url: str, world: World, connection: AsyncClient) -> None:
    payer, watched = await funded(world), Keypair()
    async with websockets.connect(ws_url) as raw:
        await raw.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe", "params": [
            str(watched.pubkey()), {"encoding": "jsonParsed", "commitment": "processed"}]}))
        json.loads(await raw.recv())
        await send_transfer(connection, payer, watched.pubkey(), 4_000_000)
        value = json.loads(await asyncio.wait_for(raw.recv(), WAIT_S))["params"]["result"]["value"]
        # A system account with no data parses as nothing: the validator sends base64.
        assert value["data"] == ["", "base64"] and value["lamports"] == 4_000_000
        assert base64.b64decode(value["data"][0]) == b""


async def test_logs_subscribe_all_mentions_and_errors(ws_url: str, world: World, connection: AsyncClient) -> None:
    payer, target = await funded(world), Keypair()
    async with ws_client(ws_url) as ws:
        await ws.logs_subscribe(RpcTransactionLogsFilterMentions(target.pubkey()), Confirmed)
        mentions = await subscribed(ws)
        await ws.logs_subscribe(RpcTransactionLogsFilter.All, Confirmed)
        everything = await subscribed(ws)
        sig = await send_transfer(connection, payer, target.pubkey(), 1_000_000)
        seen: set[int] = set()
        while seen != {mentions, everything}:
            note = await next_of(ws, LogsNotification)
            if note.result.value.signature == sig:
                seen.add(note.subscription)
                assert note.result.value.err is None
                assert any("invoke [1]" in line for line in note.result.value.logs)
    async with websockets.connect(ws_url) as raw:
        two = [str(Keypair().pubkey()), str(Keypair().pubkey())]
        await raw.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
                                   "params": [{"mentions": two}]}))
        reply = json.loads(await raw.recv())
        assert reply["error"] == {"code": -32602, "message": "Invalid Request: Only 1 address supported"}


async def test_signature_subscribe_received_then_processed_then_gone(
        ws_url: str, world: World, connection: AsyncClient) -> None:
    payer = await funded(world)
    bh = (await connection.get_latest_blockhash(Confirmed)).value.blockhash
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))
    tx = Transaction([payer], Message.new_with_blockhash([ix], payer.pubkey(), bh), bh)
    sig = tx.signatures[0]
    async with websockets.connect(ws_url) as raw:
        await raw.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "signatureSubscribe", "params": [
            str(sig), {"commitment": "confirmed", "enableReceivedNotification": True}]}))
        sub = json.loads(await raw.recv())["result"]
        await connection.send_raw_transaction(bytes(tx))
        received = json.loads(await asyncio.wait_for(raw.recv(), WAIT_S))
        processed = json.loads(await asyncio.wait_for(raw.recv(), WAIT_S))
        assert received["method"] == "signatureNotification"
        assert received["params"]["subscription"] == sub
        assert received["params"]["result"]["value"] == "receivedSignature"
        assert processed["params"]["result"]["value"] == {"err": None}
        # A signature subscription ends with its notification.
        await raw.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "signatureUnsubscribe", "params": [sub]}))
        assert json.loads(await raw.recv())["error"]["code"] == -32602
    async with ws_client(ws_url) as ws:  # already landed: notified at once, at finalized too
        await ws.signature_subscribe(sig, Finalized)
        await subscribed(ws)
        note = await next_of(ws, SignatureNotification)
        assert note.result.value.err is None


async def test_slot_root_and_slots_updates_subscriptions(ws_url: str) -> None:
    async with ws_client(ws_url) as ws:
        await ws.slot_subscribe()
        slot_sub = await subscribed(ws)
        await ws.root_subscribe()
        root_sub = await subscribed(ws)
        await ws.slots_updates_subscribe()
        await subscribed(ws)
        first = await next_of(ws, SlotNotification)
        second = await next_of(ws, SlotNotification)
        assert first.subscription == slot_sub
        assert second.result.slot > first.result.slot
        assert second.result.parent == second.result.slot - 1 and second.result.root <= second.result.parent
        root = await next_of(ws, RootNotification)
        assert root.subscription == root_sub and root.result >= first.result.root
        update = await next_of(ws, SlotUpdateNotification)
        assert update.result.slot > 0
        await ws.slot_unsubscribe(slot_sub)
        assert (await next_of(ws, UnsubscribeResult)).result is True


async def test_a_bad_pubkey_is_invalid_params(ws_url: str) -> None:
    async with websockets.connect(ws_url) as raw:
        await raw.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe", "params": ["nope"]}))
        reply = json.loads(await raw.recv())
        assert reply["error"] == {"code": -32602, "message": "Invalid Request: Invalid pubkey provided"}


async def test_many_concurrent_subscribers_all_hear_the_change(
        ws_url: str, world: World, connection: AsyncClient) -> None:
    payer, watched = await funded(world), Keypair()
    clients = 40
    async with websockets.connect(ws_url) as first:
        sockets = [first] + [await websockets.connect(ws_url) for _ in range(clients - 1)]
        try:
            for i, sock in enumerate(sockets):
                await sock.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "accountSubscribe", "params": [
                    str(watched.pubkey()), {"encoding": "base64", "commitment": "confirmed"}]}))
                assert isinstance(json.loads(await sock.recv())["result"], int)
            await send_transfer(connection, payer, watched.pubkey(), 3_000_000)
            notes = await asyncio.gather(*(asyncio.wait_for(s.recv(), WAIT_S) for s in sockets))
            for text in notes:
                note = json.loads(text)
                assert note["method"] == "accountNotification"
                value = note["params"]["result"]["value"]
                assert value["lamports"] == 3_000_000 and value["data"] == ["", "base64"]
                assert set(note["params"]["result"]["context"]) == {"slot"}
        finally:
            for sock in sockets[1:]:
                await sock.close()
