//! `get_pool_weights` (view, simulate only): every custody's owned tokens and their value, its
//! weight now against its target and bounds, and the pool's net exposure to its asset (owned
//! tokens minus the longs' quantity plus the shorts', in tokens and in USD). The view behind
//! `pool info`'s weights table and the rebalancing bots.
//!
//! Remaining accounts: for EVERY custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account).

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        math::{
            pnl::quantity_value_usd,
            safe_math::{cast, Rounding, SafeMath},
            weights::{net_exposure_quantity, weight_ppb},
        },
        state::{perpetuals::Perpetuals, pool::Pool},
        types::WeightParams,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct GetPoolWeights<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,
}

/// One custody's weight and exposure.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CustodyWeight {
    pub custody: Pubkey,
    /// Tokens the pool owns (LP assets, locked payoffs included).
    pub owned: u64,
    /// `owned` at the min price (floor), USD: what the weight is a share of.
    pub owned_usd: u64,
    /// Share of the pool's owned value now, parts per billion (0 when the pool owns nothing).
    pub weight_ppb: u64,
    pub weights: WeightParams,
    /// The pool's net exposure to the asset, QUANTITY_DECIMALS units of the token.
    pub net_quantity: i128,
    /// `net_quantity` at the min price, USD (rounded toward zero).
    pub net_usd: i64,
}

/// The pool's weights (return data stays under 1 KiB for MAX_CUSTODIES custodies).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolWeights {
    /// Σ owned_usd.
    pub total_owned_usd: u64,
    pub custodies: Vec<CustodyWeight>,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, GetPoolWeights<'info>>,
) -> Result<PoolWeights> {
    let now = Clock::get()?.unix_timestamp;
    let priced = ctx
        .accounts
        .pool
        .priced_custodies(ctx.remaining_accounts, now)?;
    let mut values = Vec::with_capacity(priced.len());
    for entry in &priced {
        values.push(entry.min_price.token_to_usd(
            entry.custody.assets.owned,
            entry.custody.decimals,
            Rounding::Floor,
        )?);
    }
    let total = values
        .iter()
        .try_fold(0u128, |total, value| total.safe_add(*value))?;
    let mut custodies = Vec::with_capacity(priced.len());
    for (entry, value) in priced.iter().zip(values) {
        let custody = &entry.custody;
        let net_quantity = net_exposure_quantity(
            custody.assets.owned,
            custody.decimals,
            custody.long_positions.total_quantity,
            custody.short_positions.total_quantity,
        )?;
        let price = entry.min_price.scale_to_price_decimals(Rounding::Floor)?;
        let magnitude: i64 = cast(quantity_value_usd(
            net_quantity.unsigned_abs(),
            price,
            Rounding::Floor,
        )?)?;
        custodies.push(CustodyWeight {
            custody: entry.key,
            owned: custody.assets.owned,
            owned_usd: cast(value)?,
            weight_ppb: weight_ppb(value, total)?.unwrap_or_default(),
            weights: custody.weights,
            net_quantity,
            net_usd: if net_quantity < 0 {
                magnitude.safe_mul(-1)?
            } else {
                magnitude
            },
        });
    }
    Ok(PoolWeights {
        total_owned_usd: cast(total)?,
        custodies,
    })
}
