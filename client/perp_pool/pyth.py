"""Pyth pull-oracle `PriceUpdateV2` accounts: encode (for local nodes and tests) and decode.

Layout (borsh, Pyth Solana receiver): 8-byte Anchor discriminator, write_authority (32),
verification_level (Partial {num_signatures: u8} = tag 0, Full = tag 1), price_message {feed_id
[32], price i64, conf u64, exponent i32, publish_time i64, prev_publish_time i64, ema_price i64,
ema_conf u64}, posted_slot u64. The program reads exactly this (programs/perp_pool/src/state/oracle.rs).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

PYTH_RECEIVER_PROGRAM_ID = Pubkey.from_string("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ")
PRICE_UPDATE_V2_DISCRIMINATOR = hashlib.sha256(b"account:PriceUpdateV2").digest()[:8]


@dataclass(frozen=True)
class PriceUpdate:
    feed_id: bytes
    price: int
    conf: int
    exponent: int
    publish_time: int
    ema_price: int
    ema_conf: int = 0
    prev_publish_time: int | None = None
    write_authority: Pubkey = Pubkey.default()
    fully_verified: bool = True
    posted_slot: int = 0

    def encode(self) -> bytes:
        if len(self.feed_id) != 32:
            raise ValueError("feed_id must be 32 bytes")
        level = b"\x01" if self.fully_verified else b"\x00\x01"  # Partial carries num_signatures
        prev = self.publish_time if self.prev_publish_time is None else self.prev_publish_time
        return (PRICE_UPDATE_V2_DISCRIMINATOR + bytes(self.write_authority) + level + self.feed_id
                + struct.pack("<qQiqqqQQ", self.price, self.conf, self.exponent, self.publish_time, prev,
                              self.ema_price, self.ema_conf, self.posted_slot))


def decode(data: bytes) -> PriceUpdate:
    if data[:8] != PRICE_UPDATE_V2_DISCRIMINATOR:
        raise ValueError("not a PriceUpdateV2 account")
    authority = Pubkey.from_bytes(data[8:40])
    offset = 40
    full = data[offset] == 1
    offset += 1 if full else 2
    feed_id = data[offset:offset + 32]
    price, conf, exponent, publish, prev, ema, ema_conf, slot = struct.unpack_from("<qQiqqqQQ", data, offset + 32)
    return PriceUpdate(feed_id, price, conf, exponent, publish, ema, ema_conf, prev, authority, full, slot)
