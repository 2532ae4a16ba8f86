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

/// `[SENIOR_LP_TOKEN_MINT_SEED, pool]`: the senior tranche's LP mint of a tranched pool.
#[constant]
pub const SENIOR_LP_TOKEN_MINT_SEED: &[u8] = b"senior_lp_token_mint";

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

/// `[ORDER_SEED, owner, custody, [index]]`: a trigger order of `owner` on the traded `custody`
/// (whose address already names the pool); `index < custody.orders.max_orders_per_owner`.
#[constant]
pub const ORDER_SEED: &[u8] = b"order";

/// `[STAKE_POOL_SEED, pool]`: the pool's stake pool (LP lock-ups, docs/design.md "Lock-ups").
#[constant]
pub const STAKE_POOL_SEED: &[u8] = b"stake_pool";

/// `[STAKE_VAULT_SEED, stake_pool, lp_mint]`: the staked-LP token account of one tranche slot
/// (authority: the transfer authority).
#[constant]
pub const STAKE_VAULT_SEED: &[u8] = b"stake_vault";

/// `[STAKE_SEED, stake_pool, lp_mint, owner]`: one owner's stake of one tranche's LP.
#[constant]
pub const STAKE_SEED: &[u8] = b"stake";

// ---------------------------------------------------------------------------------------------
// Precision (docs/design.md "Precision")
// ---------------------------------------------------------------------------------------------

/// Every `*_usd` value is an integer count of 10^-USD_DECIMALS USD (1_000_000 = 1 USD).
#[constant]
pub const USD_DECIMALS: u8 = 6;

/// 10^USD_DECIMALS.
#[constant]
pub const USD_POWER: u64 = 1_000_000;

/// Trade prices (entry, exit, liquidation, price limits, events, views) are integer counts of
/// 10^-PRICE_DECIMALS USD per whole token (1_000_000_000 = 1 USD). An oracle reading keeps its
/// own exponent (`OraclePrice`) and is scaled to PRICE_DECIMALS once (`scale_to_price_decimals`).
/// Range: one unit is 10^-9 USD, so a token at 0.00002 USD is 20_000 units (a 0.005 % step) and
/// a token at 10^-4 USD moves in steps of 10^-5 of its price; the smallest tradeable price is
/// 10^-9 USD. A u64 holds prices up to about 1.8 x 10^10 USD per token; the liquidation-price
/// search stops at LIQUIDATION_PRICE_SEARCH_MAX = u64::MAX / 2 (about 9.2 x 10^9 USD). Headroom
/// of the u128 products: `size_usd x 10^15` (quantity, average entry) is at most 1.8 x 10^34;
/// `quantity x price` overflows only for a value above 3.4 x 10^17 USD (position PnL saturates
/// instead; the AUM fails with MathOverflow), which open interest that fits u64 micro-USD
/// (1.8 x 10^13 USD) reaches only after a 19_000-fold price rise.
#[constant]
pub const PRICE_DECIMALS: u8 = 9;

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
/// entry_price` (scale 10^15), rounded against the trader (long floor, short ceil). With 12
/// decimals one unit is worth at most 1 micro-USD for tokens priced up to 10^6 USD, and the
/// largest size (u64::MAX micro-USD) at the smallest price (10^-9 USD) is 1.8 x 10^34 units,
/// well inside u128.
#[constant]
pub const QUANTITY_DECIMALS: u8 = 12;

/// The senior tranche's target index: USD per senior LP base unit, scaled by 10^12
/// (SENIOR_INDEX_POWER = 1 micro-USD per base unit, i.e. 1 USD per whole senior LP token, the
/// index at a tranche's creation). It grows linearly at the senior target rate between rate
/// changes (`math::tranche::senior_index`).
#[constant]
pub const SENIOR_INDEX_DECIMALS: u8 = 12;

#[constant]
pub const SENIOR_INDEX_POWER: u128 = 1_000_000_000_000;

/// Seconds in the year the senior target rate is quoted per (365 days: an APR, not compounded
/// between rate changes).
#[constant]
pub const YEAR_SECONDS: i64 = 31_536_000;

/// Borrow rates are per hour. The cumulative interest index grows by `rate * elapsed_seconds`
/// exactly (units: RATE_DECIMALS x seconds), so interest never depends on how often it is accrued;
/// interest owed divides by `RATE_POWER * HOUR_SECONDS` once, when it is settled.
#[constant]
pub const HOUR_SECONDS: i64 = 3_600;

/// A stake pool's reward index counts reward tokens per weight unit in units of
/// 10^-REWARD_INDEX_DECIMALS: `index += floor(new_tokens * 10^18 / total_weight)`. A stake earns
/// `floor(weight * (index - snapshot) / 10^18)` tokens. Headroom: `weight * index delta` is at
/// most (tokens distributed while the stake was in) x 10^18, in u128 for up to 3.4 x 10^20 tokens.
#[constant]
pub const REWARD_INDEX_DECIMALS: u8 = 18;

/// Locks end on week boundaries: unix times that are multiples of WEEK_SECONDS (a week starts on
/// a Thursday 00:00 UTC, as unix time 0 did).
#[constant]
pub const WEEK_SECONDS: i64 = 604_800;

/// A lock tier's duration is in days of DAY_SECONDS.
#[constant]
pub const DAY_SECONDS: i64 = 86_400;

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

/// Lowest junior LP price (USD_DECIMALS per whole LP token: 0.001 USD) at which a tranched pool
/// still issues junior LP; below it the junior tranche counts as wiped out
/// (`math::tranche::junior_issuable`).
#[constant]
pub const MIN_JUNIOR_LP_PRICE_USD: u64 = 1_000;

/// Highest senior target rate: 50 % a year.
#[constant]
pub const MAX_SENIOR_RATE_BPS: u32 = 5_000;

/// Highest coverage limit a pool may set: senior NAV at most 20x junior NAV.
#[constant]
pub const MAX_SENIOR_JUNIOR_RATIO_BPS: u32 = 200_000;

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

/// Custody weights (`math::weights`) are computed in parts per billion of the pool's owned value.
#[constant]
pub const WEIGHT_DECIMALS: u8 = 9;
#[constant]
pub const WEIGHT_POWER: u64 = 1_000_000_000;

/// Highest weight tax (`WeightParams::tax_bps`) and base swap fee (`WeightParams::swap_bps`) a
/// custody may set: 10 %.
#[constant]
pub const MAX_WEIGHT_FEE_BPS: u64 = 1_000;

/// Orders one owner may keep on a market, as `add_custody` sets it (`set_order_config` changes it).
#[constant]
pub const DEFAULT_MAX_ORDERS_PER_OWNER: u8 = 8;

/// Executor fee of a market's orders as `add_custody` sets it: 0.10 USD.
#[constant]
pub const DEFAULT_EXECUTOR_FEE_USD: u64 = 100_000;

/// Highest executor fee `set_order_config` accepts: 100 USD.
#[constant]
pub const MAX_EXECUTOR_FEE_USD: u64 = 100_000_000;

/// Most lock tiers in a stake pool's ladder.
#[constant]
pub const MAX_LOCK_TIERS: u8 = 5;

/// Shortest lock tier: 1 day. Every tier locks: a 0-day tier (no lock) would let an LP holding
/// unfrozen LP lock, let a trade route a fee to the stakers, unlock and claim in ONE transaction,
/// taking its weight's share of that fee with no time at risk (a liquidator could wrap its own
/// liquidation so). With at least a day, a lock's weight is at risk until its end (a week
/// boundary at least a day ahead), like every other staker's (docs/design.md "Lock-ups").
#[constant]
pub const MIN_LOCK_DAYS: u16 = 1;

/// Longest lock tier: 364 days (52 weeks). A lock started now ends at the first week boundary at
/// or after now + duration, so at most 53 week boundaries ahead: the expiry ring (64 weeks)
/// never holds two weeks in one slot.
#[constant]
pub const MAX_LOCK_DAYS: u16 = 364;

/// Highest lock multiplier: 10x (BPS).
#[constant]
pub const MAX_LOCK_MULTIPLIER_BPS: u32 = 100_000;
