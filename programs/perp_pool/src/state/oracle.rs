//! Oracle configuration, the program-owned custom oracle account, and `read_oracle_price`: the
//! one place that turns an oracle account into checked prices, so Pyth can slot in later.

use {
    crate::{
        errors::PerpPoolError,
        math::oracle::{validate_oracle_price, OracleLimits, OraclePrice, RawOraclePrice},
    },
    anchor_lang::prelude::*,
};

#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub enum OracleType {
    /// Not configured; never valid for a custody.
    #[default]
    None,
    /// `CustomOracle` PDA `[ORACLE_SEED, custody]`, written by `oracle_authority`.
    Custom,
    /// Pyth price account (read not implemented yet: InvalidOracleType).
    Pyth,
}

/// How a custody gets its price.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct OracleParams {
    /// Custom: the custody's `[ORACLE_SEED, custody]` PDA (derived by `add_custody`, the value
    /// passed in is ignored). Pyth: the price account.
    pub oracle_account: Pubkey,
    pub oracle_type: OracleType,
    /// Custom only: the signer allowed to call `set_custom_oracle_price`.
    pub oracle_authority: Pubkey,
    /// Widest accepted confidence interval, in BPS of the spot price.
    pub max_price_error_bps: u64,
    /// Oldest accepted price, in seconds before the current unix time.
    pub max_price_age_sec: u32,
}

/// PDA `[ORACLE_SEED, custody]`, owned by this program. Price value = `price * 10^expo` USD per
/// whole token; `conf` and `ema` use the same scale (ema 0 = use spot).
#[account]
#[derive(Debug, Default, InitSpace)]
pub struct CustomOracle {
    pub price: u64,
    pub expo: i32,
    pub conf: u64,
    pub ema: u64,
    pub publish_time: i64,
    pub bump: u8,
}

impl CustomOracle {
    pub fn raw_price(&self) -> RawOraclePrice {
        RawOraclePrice {
            price: self.price,
            expo: self.expo,
            conf: self.conf,
            ema: self.ema,
            publish_time: self.publish_time,
        }
    }
}

impl OracleParams {
    pub fn limits(&self) -> OracleLimits {
        OracleLimits {
            max_price_age_sec: self.max_price_age_sec,
            max_price_error_bps: self.max_price_error_bps,
        }
    }
}

/// Reads and checks the oracle behind `params`, returning `(spot, ema)` (ema equal to spot when
/// the oracle has none). The account must be `params.oracle_account` and, for Custom, owned by
/// this program and hold a `CustomOracle` (all InvalidOracleAccount); the price must pass
/// `validate_oracle_price` at `now`.
pub fn read_oracle_price(
    oracle_account: &AccountInfo,
    params: &OracleParams,
    now: i64,
) -> Result<(OraclePrice, OraclePrice)> {
    require_keys_eq!(
        oracle_account.key(),
        params.oracle_account,
        PerpPoolError::InvalidOracleAccount
    );
    match params.oracle_type {
        OracleType::Custom => {
            require_keys_eq!(
                *oracle_account.owner,
                crate::ID,
                PerpPoolError::InvalidOracleAccount
            );
            let data = oracle_account.try_borrow_data()?;
            let oracle = CustomOracle::try_deserialize(&mut &data[..])
                .map_err(|_| error!(PerpPoolError::InvalidOracleAccount))?;
            validate_oracle_price(&oracle.raw_price(), &params.limits(), now)
        }
        OracleType::None | OracleType::Pyth => err!(PerpPoolError::InvalidOracleType),
    }
}
