//! `get_market_risk` (view, simulate only): one market's imbalance and what it costs now
//! (docs/design.md "Skew premium and exposure limits"): net exposure, open interest, the
//! premium each side pays, the caps and their headroom, and the utilisation of the collateral
//! custodies passed as remaining accounts (any stable custodies of the pool, read-only).

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        math::skew::{
            full_scale_usd, headroom_usd, marginal_fee_premium_bps, net_exposure_cap_usd,
        },
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        types::{Side, SkewParams},
    },
    anchor_lang::prelude::*,
};

/// A collateral custody's lending state.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CustodyUtilization {
    pub custody: Pubkey,
    /// locked / owned, RATE_DECIMALS.
    pub utilization: u64,
    /// Borrow rate now, RATE_DECIMALS per hour.
    pub borrow_rate: u64,
}

/// One side of a market.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketSideRisk {
    /// Open interest, USD.
    pub open_interest_usd: u64,
    pub open_positions: u64,
    /// Marginal open-fee premium for a trade on this side that increases the imbalance, BPS of
    /// the open fee (0 when this side is the minority).
    pub fee_premium_bps: u64,
    /// Marginal open-fee discount for a trade on this side that reduces it, BPS of the open fee
    /// (0 unless this side is the minority).
    pub fee_discount_bps: u64,
    /// Borrow premium rate accruing now (set at the market's last change or `update_pool_aum`),
    /// RATE_DECIMALS per hour (0 for the minority side).
    pub borrow_premium_rate: u64,
    /// The side's premium index at now, RATE_DECIMALS x seconds.
    pub premium_cumulative: u128,
    /// Premium the side owes now (accrued, unsettled), USD, floor.
    pub premium_owed_usd: u128,
    /// Most size this side can open now under the caps, USD (u128::MAX without a cap).
    pub headroom_usd: u128,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct MarketRisk {
    /// Traders' net exposure `long OI - short OI`, USD (the pool holds the opposite).
    pub net_usd: i128,
    pub long: MarketSideRisk,
    pub short: MarketSideRisk,
    /// The pool's cached AUM (`pool.aum_usd`) the premiums and the AUM cap are scaled by, USD.
    pub aum_usd: u128,
    /// Imbalance at which the premiums reach their maximum, USD (0 without a premium).
    pub full_scale_usd: u128,
    /// The cap on |net| now, USD (u128::MAX without a cap).
    pub net_cap_usd: u128,
    pub params: SkewParams,
    /// The remaining accounts' lending state, in their order.
    pub collateral: Vec<CustodyUtilization>,
}

#[derive(Accounts)]
pub struct GetMarketRisk<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The market (traded custody).
    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,
}

pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, GetMarketRisk<'info>>) -> Result<MarketRisk> {
    let now = Clock::get()?.unix_timestamp;
    let pool = &ctx.accounts.pool;
    let custody = &ctx.accounts.custody;
    let params = custody.skew;
    let aum_usd = pool.aum_usd;
    let net = custody.net_exposure_usd();
    let index = custody.skew_state.index().at(now)?;
    let abs_net = net.unsigned_abs();
    let premium = marginal_fee_premium_bps(abs_net, aum_usd, &params)?;
    let discount = marginal_fee_premium_bps(
        abs_net,
        aum_usd,
        &SkewParams {
            fee_premium_max_bps: params.fee_discount_max_bps,
            ..params
        },
    )?;
    let side = |side: Side| -> Result<MarketSideRisk> {
        let stats = match side {
            Side::Long => &custody.long_positions,
            Side::Short => &custody.short_positions,
        };
        let (majority, minority) = match side {
            Side::Long => (net >= 0, net < 0),
            Side::Short => (net <= 0, net > 0),
        };
        let weighted = match side {
            Side::Long => custody.skew_state.long_weighted,
            Side::Short => custody.skew_state.short_weighted,
        };
        Ok(MarketSideRisk {
            open_interest_usd: stats.size_usd,
            open_positions: stats.open_positions,
            fee_premium_bps: if majority { premium } else { 0 },
            fee_discount_bps: if minority { discount } else { 0 },
            borrow_premium_rate: index.rate(side),
            premium_cumulative: index.cumulative(side),
            premium_owed_usd: crate::math::skew::aggregate_premium_usd(
                index.cumulative(side),
                stats.size_usd,
                weighted,
                crate::math::safe_math::Rounding::Floor,
            )?,
            headroom_usd: headroom_usd(side, net, aum_usd, &params)?,
        })
    };
    let mut collateral = Vec::with_capacity(ctx.remaining_accounts.len());
    for info in ctx.remaining_accounts {
        let other = Custody::load(info)?;
        require_keys_eq!(
            other.pool,
            pool.key(),
            PerpPoolError::InvalidCustodyAccounts
        );
        collateral.push(CustodyUtilization {
            custody: info.key(),
            utilization: other.utilization()?,
            borrow_rate: other.borrow_rate_state.current_rate,
        });
    }
    Ok(MarketRisk {
        net_usd: net,
        long: side(Side::Long)?,
        short: side(Side::Short)?,
        aum_usd,
        full_scale_usd: if params.scale_aum_bps == 0 {
            0
        } else {
            full_scale_usd(aum_usd, params.scale_aum_bps)?
        },
        net_cap_usd: net_exposure_cap_usd(aum_usd, &params)?.unwrap_or(u128::MAX),
        params,
        collateral,
    })
}
