//! One event per state change, for indexers and bots. Units are in every field's doc:
//! "tokens" = base units of the named mint, USD = USD_DECIMALS (10^-6 USD),
//! an oracle price = `price * 10^price_exponent` USD per whole token (exact, as read).

use {
    crate::state::{custody::Fees, oracle::OracleParams, perpetuals::Permissions},
    anchor_lang::prelude::*,
};

/// `initialize`.
#[event]
pub struct PerpetualsInitialized {
    pub admin: Pubkey,
    pub perpetuals: Pubkey,
    pub transfer_authority: Pubkey,
    pub permissions: Permissions,
    /// Unix seconds.
    pub inception_time: i64,
}

/// `set_permissions`.
#[event]
pub struct PermissionsSet {
    pub admin: Pubkey,
    pub permissions: Permissions,
}

/// `add_pool`.
#[event]
pub struct PoolAdded {
    pub pool: Pubkey,
    pub name: String,
    pub lp_token_mint: Pubkey,
    /// Unix seconds.
    pub inception_time: i64,
}

/// `add_custody`.
#[event]
pub struct CustodyAdded {
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub mint: Pubkey,
    /// The custody's vault.
    pub token_account: Pubkey,
    /// Decimals of `mint`.
    pub decimals: u8,
    pub is_stable: bool,
    /// As stored (for Custom, `oracle_account` is the derived PDA).
    pub oracle: OracleParams,
    /// BPS.
    pub fees: Fees,
    /// Number of custodies in the pool after this one.
    pub custody_count: u8,
}

/// `set_custom_oracle_price`: the values written, in the oracle's own scale.
#[event]
pub struct CustomOraclePriceSet {
    pub custody: Pubkey,
    pub oracle_account: Pubkey,
    pub oracle_authority: Pubkey,
    /// `price * 10^expo` USD per whole token.
    pub price: u64,
    pub expo: i32,
    /// Same scale as `price`.
    pub conf: u64,
    /// Same scale as `price`; 0 = none.
    pub ema: u64,
    /// Unix seconds.
    pub publish_time: i64,
}

/// `add_liquidity`.
#[event]
pub struct LiquidityAdded {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    /// Tokens taken from the funding account (fee included).
    pub amount_in: u64,
    /// Tokens: deposit fee (rounded up).
    pub fee_amount: u64,
    /// Tokens: protocol's part of the fee.
    pub protocol_fee_amount: u64,
    /// USD: (amount_in - fee_amount) at the min price (rounded down).
    pub deposit_usd: u64,
    /// LP base units (LP_DECIMALS) minted.
    pub lp_amount_out: u64,
    /// Min oracle price used to value the deposit: `price * 10^price_exponent` USD per token.
    pub price: u64,
    pub price_exponent: i32,
    /// USD: pool AUM at max prices before the deposit (what LP was issued against).
    pub aum_max_usd: u128,
    /// USD: pool AUM at min prices after the deposit (= pool.aum_usd).
    pub pool_aum_usd: u128,
    /// LP base units: LP supply after the deposit.
    pub lp_supply: u64,
    /// Tokens: custody.assets.owned after the deposit.
    pub custody_owned: u64,
    /// Slot of the deposit (= pool.last_add_liquidity_slot).
    pub slot: u64,
}

/// `remove_liquidity`.
#[event]
pub struct LiquidityRemoved {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    /// LP base units burned.
    pub lp_amount_in: u64,
    /// USD: the LP's share of AUM at min prices (rounded down).
    pub withdraw_usd: u64,
    /// Tokens: withdraw_usd at the max price (rounded down), before the fee.
    pub gross_amount: u64,
    /// Tokens: redemption fee (rounded up).
    pub fee_amount: u64,
    /// Tokens: protocol's part of the fee.
    pub protocol_fee_amount: u64,
    /// Tokens sent to the receiving account.
    pub amount_out: u64,
    /// Max oracle price used to pay out: `price * 10^price_exponent` USD per token.
    pub price: u64,
    pub price_exponent: i32,
    /// USD: pool AUM at min prices before the withdrawal (what LP was redeemed against).
    pub aum_min_usd: u128,
    /// USD: pool AUM at min prices after the withdrawal (= pool.aum_usd).
    pub pool_aum_usd: u128,
    /// LP base units: LP supply after the burn.
    pub lp_supply: u64,
    /// Tokens: custody.assets.owned after the withdrawal.
    pub custody_owned: u64,
}
