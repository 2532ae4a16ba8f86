//! Seeds and fixed-point scales, defined once and exported to the IDL (`#[constant]`) so the
//! client's PDA helpers and integer math can assert they agree with the program.

use anchor_lang::prelude::*;

// ---------------------------------------------------------------------------------------------
// PDA seeds (docs/design.md "PDAs")
// ---------------------------------------------------------------------------------------------

/// `[PERPETUALS_SEED]`: the single global config account.
#[constant]
pub const PERPETUALS_SEED: &[u8] = b"perpetuals";

/// `[TRANSFER_AUTHORITY_SEED]`: data-less PDA that owns every vault and is the LP mints' authority.
#[constant]
pub const TRANSFER_AUTHORITY_SEED: &[u8] = b"transfer_authority";

/// `[POOL_SEED, name.as_bytes()]`.
#[constant]
pub const POOL_SEED: &[u8] = b"pool";

/// `[LP_TOKEN_MINT_SEED, pool]`.
#[constant]
pub const LP_TOKEN_MINT_SEED: &[u8] = b"lp_token_mint";

/// `[CUSTODY_SEED, pool, custody_mint]`.
#[constant]
pub const CUSTODY_SEED: &[u8] = b"custody";

/// `[CUSTODY_TOKEN_ACCOUNT_SEED, pool, custody_mint]`: the custody's vault.
#[constant]
pub const CUSTODY_TOKEN_ACCOUNT_SEED: &[u8] = b"custody_token_account";

/// `[ORACLE_SEED, custody]`: the custody's custom (program-owned) oracle.
#[constant]
pub const ORACLE_SEED: &[u8] = b"oracle";

/// `[LP_COOLDOWN_SEED, lp_token_account]`: the per-depositor LP cooldown record.
#[constant]
pub const LP_COOLDOWN_SEED: &[u8] = b"lp_cooldown";

/// `[POSITION_SEED, owner, pool, custody, collateral_custody, [side]]` with side Long = 1,
/// Short = 2 (`Side::seed_byte`).
#[constant]
pub const POSITION_SEED: &[u8] = b"position";

// ---------------------------------------------------------------------------------------------
// Precision (docs/design.md "Precision")
// ---------------------------------------------------------------------------------------------

/// Every `*_usd` value is an integer count of 10^-USD_DECIMALS USD (1_000_000 = 1 USD).
#[constant]
pub const USD_DECIMALS: u8 = 6;

/// 10^USD_DECIMALS.
#[constant]
pub const USD_POWER: u64 = 1_000_000;

/// Prices reported outside the program (events, views) are 10^-PRICE_DECIMALS USD per whole token.
/// Internally a price keeps the oracle's own exponent (`OraclePrice`) so no precision is lost.
#[constant]
pub const PRICE_DECIMALS: u8 = 6;

/// Decimals of every pool's LP mint. With USD_DECIMALS equal, the first deposit mints 1 LP unit
/// per micro-USD, i.e. LP starts at 1 USD per whole LP token.
#[constant]
pub const LP_DECIMALS: u8 = 6;

/// Basis points: 10_000 = 100 %.
#[constant]
pub const BPS_DECIMALS: u8 = 4;

/// 10^BPS_DECIMALS.
#[constant]
pub const BPS_POWER: u64 = 10_000;

/// Rates (borrow rates, perpetuals core): 1_000_000_000 = 100 %.
#[constant]
pub const RATE_DECIMALS: u8 = 9;

/// 10^RATE_DECIMALS.
#[constant]
pub const RATE_POWER: u64 = 1_000_000_000;

/// A position's size in the traded token ("quantity") is kept in units of 10^-QUANTITY_DECIMALS
/// token, u128: `quantity = size_usd * 10^(QUANTITY_DECIMALS + PRICE_DECIMALS - USD_DECIMALS) /
/// entry_price`, rounded against the trader (long floor, short ceil). With 12 decimals one unit
/// is worth at most 1 micro-USD for tokens priced up to 10^6 USD, and a 10^12 USD position in a
/// token priced 10^-6 USD still fits u128.
#[constant]
pub const QUANTITY_DECIMALS: u8 = 12;

/// Borrow rates are per hour. The cumulative interest index grows by `rate * elapsed_seconds`
/// exactly (units: RATE_DECIMALS x seconds), so interest never depends on how often it is accrued;
/// interest owed divides by `RATE_POWER * HOUR_SECONDS` once, when it is settled.
#[constant]
pub const HOUR_SECONDS: i64 = 3_600;

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/// Longest pool name in bytes: the name is a PDA seed and a seed is at most 32 bytes.
#[constant]
pub const MAX_POOL_NAME_LEN: u8 = 32;

/// LP base units issued to no one by a pool's first deposit (1 whole LP token, about 1 USD, paid
/// by the first depositor). They are never redeemable, so the LP supply never returns to zero
/// and one LP base unit can never be made worth more than AUM / MIN_LP_SUPPLY (the first-depositor
/// share inflation of docs/design.md "LP capital safety").
#[constant]
pub const DEAD_LP_SUPPLY: u64 = 1_000_000;

/// Longest LP cooldown a pool may set: 7 days.
#[constant]
pub const MAX_LP_COOLDOWN_SEC: u32 = 604_800;

/// Most custodies in one pool: every liquidity instruction loads all of them to value the pool,
/// so this bounds that instruction's account list and compute.
#[constant]
pub const MAX_CUSTODIES: u8 = 8;

/// Largest |exponent| accepted from an oracle. Pyth uses about -5..-10; beyond ±18 the
/// conversions to USD could only overflow or round to nothing, so such a price is rejected.
#[constant]
pub const MAX_PRICE_EXPONENT: i32 = 18;
