//! Oracle configuration, the program-owned custom oracle account, the Pyth pull-oracle
//! `PriceUpdateV2` reader, and `read_oracle_price`: the one place that turns an oracle account
//! into checked prices.

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
    /// Pyth pull oracle: a `PriceUpdateV2` account owned by the Pyth receiver program
    /// (`PYTH_RECEIVER_PROGRAM_ID`), fully verified, for `OracleParams::feed_id`.
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
    /// Pyth only: the price feed id the account must carry (zeros for Custom).
    pub feed_id: [u8; 32],
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
        OracleType::Pyth => {
            require_keys_eq!(
                *oracle_account.owner,
                PYTH_RECEIVER_PROGRAM_ID,
                PerpPoolError::InvalidOracleAccount
            );
            let data = oracle_account.try_borrow_data()?;
            let raw = parse_price_update_v2(&data, &params.feed_id)?;
            validate_oracle_price(&raw, &params.limits(), now)
        }
        OracleType::None => err!(PerpPoolError::InvalidOracleType),
    }
}

/// The Pyth Solana receiver program `rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ`, owner of every
/// `PriceUpdateV2` account (bytes of the base58 address; a test checks the string).
pub const PYTH_RECEIVER_PROGRAM_ID: Pubkey = Pubkey::new_from_array([
    12, 183, 250, 187, 82, 247, 166, 72, 187, 91, 49, 125, 154, 1, 139, 144, 87, 203, 2, 71, 116,
    250, 254, 1, 230, 196, 223, 152, 204, 56, 88, 129,
]);

/// Anchor discriminator of `PriceUpdateV2`: sha256("account:PriceUpdateV2")[..8].
pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];

fn take<'a>(data: &'a [u8], offset: &mut usize, len: usize) -> Result<&'a [u8]> {
    let end = offset
        .checked_add(len)
        .ok_or_else(|| error!(PerpPoolError::InvalidOracleAccount))?;
    let bytes = data
        .get(*offset..end)
        .ok_or_else(|| error!(PerpPoolError::InvalidOracleAccount))?;
    *offset = end;
    Ok(bytes)
}

fn take_array<const N: usize>(data: &[u8], offset: &mut usize) -> Result<[u8; N]> {
    take(data, offset, N)?
        .try_into()
        .map_err(|_| error!(PerpPoolError::InvalidOracleAccount))
}

/// Parses a Pyth `PriceUpdateV2` account (borsh, after the 8-byte discriminator):
/// `write_authority: Pubkey, verification_level: enum { Partial { num_signatures: u8 } = 0,
/// Full = 1 }, price_message: { feed_id: [u8; 32], price: i64, conf: u64, exponent: i32,
/// publish_time: i64, prev_publish_time: i64, ema_price: i64, ema_conf: u64 }, posted_slot: u64`.
/// Errors: InvalidOracleAccount (bad discriminator or data, or another feed than `feed_id`),
/// OracleNotFullyVerified (Partial verification), InvalidOraclePrice (price <= 0). A non-positive
/// EMA is reported as absent (0).
pub fn parse_price_update_v2(data: &[u8], feed_id: &[u8; 32]) -> Result<RawOraclePrice> {
    let mut offset = 0usize;
    require!(
        take_array::<8>(data, &mut offset)? == PRICE_UPDATE_V2_DISCRIMINATOR,
        PerpPoolError::InvalidOracleAccount
    );
    take(data, &mut offset, 32)?; // write_authority
    match take_array::<1>(data, &mut offset)? {
        [1] => {}
        [0] => return err!(PerpPoolError::OracleNotFullyVerified),
        _ => return err!(PerpPoolError::InvalidOracleAccount),
    }
    require!(
        take_array::<32>(data, &mut offset)? == *feed_id,
        PerpPoolError::InvalidOracleAccount
    );
    let price = i64::from_le_bytes(take_array(data, &mut offset)?);
    let conf = u64::from_le_bytes(take_array(data, &mut offset)?);
    let expo = i32::from_le_bytes(take_array(data, &mut offset)?);
    let publish_time = i64::from_le_bytes(take_array(data, &mut offset)?);
    take(data, &mut offset, 8)?; // prev_publish_time
    let ema_price = i64::from_le_bytes(take_array(data, &mut offset)?);
    let price = u64::try_from(price).map_err(|_| error!(PerpPoolError::InvalidOraclePrice))?;
    Ok(RawOraclePrice {
        price,
        expo,
        conf,
        ema: u64::try_from(ema_price).unwrap_or(0),
        publish_time,
    })
}

#[cfg(test)]
mod tests;
