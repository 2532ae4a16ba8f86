//! `update_pool_aum` (permissionless keeper): accrues every custody's borrow interest to now and
//! stores the pool's min-mode AUM (owned value + accrued interest - traders' unrealised PnL) in
//! `pool.aum_usd`.
//!
//! Remaining accounts: for EVERY custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account); the custodies must be writable.

use {
    crate::{
        constants::{PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        events::PoolAumUpdated,
        math::liquidity::{assets_under_management_usd, AumMode},
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        validate,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct UpdatePoolAum<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(mut, seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,
}

pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, UpdatePoolAum<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    // oracle checks + valuation (also checks count, order and keys of the remaining accounts)
    let valuations = ctx
        .accounts
        .pool
        .custody_valuations(None, ctx.remaining_accounts, now)?;
    let aum_usd = assets_under_management_usd(&valuations, AumMode::Min)?;

    // mutate: book the interest (and skew premium) each custody accrued; the borrow rate stays
    // (utilisation is unchanged), the premium rates are re-derived at the new AUM
    for custody_info in ctx.remaining_accounts.iter().step_by(2) {
        validate!(
            custody_info.is_writable,
            PerpPoolError::InvalidCustodyAccounts
        )?;
        let mut custody = Custody::load(custody_info)?;
        custody.accrue_interest(now)?;
        custody.update_borrow_rate()?;
        // the market's borrow premium follows the new AUM from now on
        custody.accrue_skew_premium(now)?;
        custody.update_skew_rates(aum_usd)?;
        custody.store(custody_info)?;
    }
    ctx.accounts.pool.aum_usd = aum_usd;

    // emit
    emit!(PoolAumUpdated {
        pool: ctx.accounts.pool.key(),
        aum_usd,
        time: now,
    });
    Ok(())
}
