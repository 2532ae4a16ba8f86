"""Sending and simulating transactions, with program errors raised as named exceptions.

One place owns the round trip (blockhash, sign, send with preflight, confirm, read back logs and
events) so every instruction wrapper behaves the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from anchorpy import Event, EventParser, Program
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.rpc.errors import SendTransactionPreflightFailureMessage
from solders.signature import Signature
from solders.transaction import Transaction

from perp_pool import errors

log = logging.getLogger(__name__)

RECENT_MESSAGES = 256
DUPLICATE_WAIT_S = 5.0


@dataclass
class TxResult:
    """A landed transaction: its signature, slot, logs and the program's decoded events."""

    signature: Signature
    slot: int
    logs: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def event(self, name: str) -> Event:
        """The one event called `name` (raises if there is not exactly one)."""
        found = [e for e in self.events if e.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {name} event, found {len(found)}: {[e.name for e in self.events]}")
        return found[0]


@dataclass
class SimulationResult:
    logs: list[str]
    return_data: bytes | None
    events: list[Event]
    units_consumed: int | None


class Transport:
    """Builds, signs, sends and confirms transactions for one payer."""

    def __init__(self, connection: AsyncClient, payer: Keypair, program: Program):
        self.connection = connection
        self.payer = payer
        self.program = program
        self._events = EventParser(program.program_id, program.coder)
        self._recent: dict[bytes, None] = {}  # messages signed lately (insertion-ordered)

    def parse_events(self, logs: Sequence[str]) -> list[Event]:
        out: list[Event] = []
        self._events.parse_logs(list(logs), out.append)
        return out

    async def _signed(self, ixs: Sequence[Instruction], signers: Sequence[Keypair],
                      unique: bool = True) -> tuple[Transaction, int]:
        """Signs with a recent blockhash. The same instructions signed twice with one blockhash are
        the same transaction, which a node drops as already processed; so an identical repeat
        (close the same position twice, say) waits for the next blockhash instead."""
        keypairs = [self.payer, *[s for s in signers if s.pubkey() != self.payer.pubkey()]]
        deadline = time.monotonic() + DUPLICATE_WAIT_S
        # Not a retry of a failure (perp_pool.retry): nothing failed, we poll for a newer
        # blockhash, and after DUPLICATE_WAIT_S sign with what we have.
        while True:
            latest = (await self.connection.get_latest_blockhash(Confirmed)).value
            message = Message.new_with_blockhash(list(ixs), self.payer.pubkey(), latest.blockhash)
            key = bytes(message)
            if not unique or key not in self._recent or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if unique:
            self._recent[key] = None
        while len(self._recent) > RECENT_MESSAGES:
            self._recent.pop(next(iter(self._recent)))
        return Transaction(keypairs, message, latest.blockhash), latest.last_valid_block_height

    async def send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair] = (), *,
                   skip_preflight: bool = False) -> TxResult:
        """Sends and confirms; raises an `errors.TransactionFailed` subclass if it fails."""
        tx, last_valid = await self._signed(ixs, signers)
        try:
            resp = await self.connection.send_raw_transaction(
                bytes(tx),
                opts=TxOpts(skip_preflight=skip_preflight, preflight_commitment=Confirmed, skip_confirmation=True),
            )
        except RPCException as exc:
            info = exc.args[0] if exc.args else None
            if isinstance(info, SendTransactionPreflightFailureMessage):
                raise errors.translate(info.data.err, info.data.logs, self.program.program_id) from exc
            raise
        sig = resp.value
        await self.connection.confirm_transaction(sig, Confirmed, sleep_seconds=0.1, last_valid_block_height=last_valid)
        got = await self.connection.get_transaction(sig, commitment=Confirmed, max_supported_transaction_version=0)
        if got.value is None:
            raise errors.TransactionFailed(f"{sig} confirmed but not found")
        meta = got.value.transaction.meta
        logs = list(meta.log_messages or []) if meta else []
        if meta is not None and meta.err is not None:
            raise errors.translate(meta.err, logs, self.program.program_id)
        return TxResult(sig, got.value.slot, logs, self.parse_events(logs))

    async def simulate(self, ixs: Sequence[Instruction], signers: Sequence[Keypair] = (), *,
                       fee_payer: Pubkey | None = None) -> SimulationResult:
        """Simulates (signatures checked); raises like `send` when the simulation fails. A simulation
        never lands, so repeating one under the same blockhash is fine.

        `fee_payer`: simulate unsigned with this account paying instead (views only: a read-only
        wallet with no SOL can still ask the program; the payer must exist and hold lamports)."""
        if fee_payer is None:
            tx, _ = await self._signed(ixs, signers, unique=False)
            resp = (await self.connection.simulate_transaction(tx, sig_verify=True, commitment=Confirmed)).value
        else:
            blockhash = (await self.connection.get_latest_blockhash(Confirmed)).value.blockhash
            unsigned = Transaction.new_unsigned(Message.new_with_blockhash(list(ixs), fee_payer, blockhash))
            resp = (await self.connection.simulate_transaction(unsigned, sig_verify=False,
                                                               commitment=Confirmed)).value
        logs = list(resp.logs or [])
        if resp.err is not None:
            raise errors.translate(resp.err, logs, self.program.program_id)
        data = None
        if resp.return_data is not None and resp.return_data.program_id == self.program.program_id:
            data = bytes(resp.return_data.data)
        return SimulationResult(logs, data, self.parse_events(logs), resp.units_consumed)


def decode_return(data: bytes | None, kind: str) -> int:
    """Borsh-decodes a view's integer return value (`u64`, `u128`, `i64`...)."""
    if data is None:
        raise errors.TransactionFailed("the view returned no data")
    size = {"u64": 8, "i64": 8, "u128": 16, "i128": 16, "u32": 4}[kind]
    if len(data) != size:
        raise errors.TransactionFailed(f"expected {size} bytes of {kind}, got {len(data)}")
    return int.from_bytes(data, "little", signed=kind.startswith("i"))


__all__ = ["Transport", "TxResult", "SimulationResult", "decode_return"]
