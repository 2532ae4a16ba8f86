//! A custody: one token of a pool, its vault, oracle, fee parameters and asset accounting.
//! The perpetuals core will add pricing, borrow-rate and position statistics here.

use {
    crate::{
        constants::BPS_POWER,
        errors::PerpPoolError,
        math::{liquidity::CustodyValuation, oracle::OraclePrice, safe_math::SafeMath},
        state::oracle::{OracleParams, OracleType},
    },
    anchor_lang::prelude::*,
};

/// Fee rates, in BPS (10_000 = 100 %).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Fees {
    /// Deposit fee, charged on the tokens deposited (rounded up).
    pub add_liquidity_bps: u64,
    /// Redemption fee, charged on the tokens redeemed (rounded up).
    pub remove_liquidity_bps: u64,
    /// Share of every fee set aside as protocol fees (rounded down); the rest stays with LPs.
    pub protocol_share_bps: u64,
}

/// Token amounts (base units of the custody mint).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Assets {
    /// Tokens that belong to the pool (LPs), excluding protocol fees. Vault = owned + protocol_fees
    /// (+ trader collateral, later).
    pub owned: u64,
    /// Part of `owned` reserved for open positions' payouts (perpetuals core; 0 for now).
    pub locked: u64,
    /// Fees owed to the protocol, held in the vault until withdrawn.
    pub protocol_fees: u64,
}

/// Cumulative fee statistics, USD_DECIMALS, valued at the price of each operation.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct FeesStats {
    pub add_liquidity_usd: u64,
    pub remove_liquidity_usd: u64,
}

/// PDA `[CUSTODY_SEED, pool, mint]`.
#[account]
#[derive(Debug, InitSpace)]
pub struct Custody {
    pub pool: Pubkey,
    pub mint: Pubkey,
    /// The vault, PDA `[CUSTODY_TOKEN_ACCOUNT_SEED, pool, mint]`.
    pub token_account: Pubkey,
    pub decimals: u8,
    pub is_stable: bool,
    pub oracle: OracleParams,
    pub fees: Fees,
    pub assets: Assets,
    pub collected_fees: FeesStats,
    pub bump: u8,
    pub token_account_bump: u8,
}

impl Fees {
    /// Every rate is a fraction of an amount, so at most 100 %.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.add_liquidity_bps <= BPS_POWER
                && self.remove_liquidity_bps <= BPS_POWER
                && self.protocol_share_bps <= BPS_POWER,
            PerpPoolError::InvalidCustodyConfig
        );
        Ok(())
    }
}

impl OracleParams {
    /// Config-time checks (the price itself is checked on every read).
    pub fn validate(&self) -> Result<()> {
        match self.oracle_type {
            OracleType::None => return err!(PerpPoolError::InvalidOracleType),
            OracleType::Custom => require_keys_neq!(
                self.oracle_authority,
                Pubkey::default(),
                PerpPoolError::InvalidCustodyConfig
            ),
            OracleType::Pyth => require_keys_neq!(
                self.oracle_account,
                Pubkey::default(),
                PerpPoolError::InvalidOracleAccount
            ),
        }
        require!(
            self.max_price_error_bps <= BPS_POWER && self.max_price_age_sec > 0,
            PerpPoolError::InvalidCustodyConfig
        );
        Ok(())
    }
}

impl Custody {
    /// Loads a custody from an unchecked account (remaining accounts): owner and discriminator
    /// are checked, any failure is InvalidCustodyAccounts.
    pub fn load(info: &AccountInfo) -> Result<Custody> {
        require_keys_eq!(
            *info.owner,
            crate::ID,
            PerpPoolError::InvalidCustodyAccounts
        );
        let data = info.try_borrow_data()?;
        Custody::try_deserialize(&mut &data[..])
            .map_err(|_| error!(PerpPoolError::InvalidCustodyAccounts))
    }

    pub fn valuation(&self, min_price: OraclePrice, max_price: OraclePrice) -> CustodyValuation {
        CustodyValuation {
            owned: self.assets.owned,
            decimals: self.decimals,
            min_price,
            max_price,
        }
    }

    /// Tokens that may leave the pool: owned minus what open positions have locked.
    pub fn available_amount(&self) -> Result<u64> {
        self.assets.owned.safe_sub(self.assets.locked)
    }
}
