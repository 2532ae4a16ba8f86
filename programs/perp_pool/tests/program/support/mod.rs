//! What every scenario shares: the pool set-up (`env`), instruction builders for the pool side
//! (`pool`) and the trading side (`trading`), and small helpers to build instructions from the
//! program's own Accounts structs and to read its events.

pub mod env;
pub mod orders;
pub mod pool;
pub mod staking;
pub mod trading;

pub use env::{setup, setup_with_cooldown, Env};
pub use staking::{example_ladder, setup_staking};
pub use trading::{set_sol_price_decimals, setup_trading, sol_fees, sol_pricing, Trading};

use anchor_lang::{InstructionData, ToAccountMetas};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use perp_pool::constants::PRICE_DECIMALS;
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};

/// One USD in USD amounts (6 decimals).
pub const USD: u64 = 1_000_000;
/// 1 USD per whole token in PRICE_DECIMALS.
pub const PRICE: u64 = 10u64.pow(PRICE_DECIMALS as u32);

pub fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &perp_pool::ID).0
}

/// A perp_pool instruction from its Accounts struct (account overrides are made by field name
/// on the struct before this) and its instruction data.
pub fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: perp_pool::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// `ix` with `keys` appended as read-only remaining accounts.
pub fn with_remaining(mut ix: Instruction, keys: &[Pubkey]) -> Instruction {
    ix.accounts
        .extend(keys.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    ix
}

/// `ix` with an extra read-only account nobody reads: the same instruction as a transaction
/// that differs from an earlier identical one (the runtime would answer AlreadyProcessed).
pub fn made_unique(ix: Instruction) -> Instruction {
    with_remaining(ix, &[Pubkey::new_unique()])
}

/// The first `Program data:` log that decodes as event `T` (Anchor: 8-byte discriminator +
/// borsh), exactly the lines an SBF program's `emit!` writes.
pub fn decode_event<T: anchor_lang::Event + anchor_lang::AnchorDeserialize>(
    logs: &[String],
) -> Option<T> {
    logs.iter()
        .filter_map(|line| line.strip_prefix("Program data: "))
        .filter_map(|b64| B64.decode(b64).ok())
        .find(|bytes| bytes.starts_with(&T::discriminator()))
        .and_then(|bytes| T::try_from_slice(&bytes[8..]).ok())
}
