//! `add_collateral`: deposits collateral into an open position (lowers its leverage). Interest is
//! not settled (the size does not change). Allowed while opens OR liquidations are allowed: a
//! pause of new positions must not stop traders defending positions that can still be
//! liquidated.

use {
    super::fund_position::FundPosition,
    crate::{
        errors::PerpPoolError,
        events::CollateralAdded,
        math::safe_math::SafeMath,
        state::{custody::sync_aliased_custodies, perpetuals::Perpetuals},
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct AddCollateralParams {
    /// Collateral tokens taken from `funding_account` (> 0).
    pub collateral_amount: u64,
}

pub fn handler(ctx: Context<FundPosition>, params: &AddCollateralParams) -> Result<()> {
    // permissions
    let permissions = &ctx.accounts.perpetuals.permissions;
    require!(
        permissions.allow_open_position || permissions.allow_liquidation,
        PerpPoolError::InstructionNotAllowed
    );

    // params
    require!(params.collateral_amount > 0, PerpPoolError::ZeroAmount);
    require!(
        ctx.accounts.position.size_usd > 0,
        PerpPoolError::InvalidPositionState
    );

    // oracle checks (the traded market's oracle is not needed: nothing is priced in it)
    let now = Clock::get()?.unix_timestamp;
    let (min_price, max_price) = ctx.accounts.collateral_custody.read_min_max_price(
        &ctx.accounts
            .collateral_custody_oracle_account
            .to_account_info(),
        now,
    )?;

    // math
    let collateral_amount = ctx
        .accounts
        .position
        .collateral_amount
        .safe_add(params.collateral_amount)?;
    let collateral_view = ctx
        .accounts
        .collateral_custody
        .collateral_view(min_price, max_price);
    let collateral_usd = collateral_view.value_usd(collateral_amount)?;
    let cumulative_interest = ctx
        .accounts
        .collateral_custody
        .borrow_rate_state
        .cumulative_interest_at(now)?;

    // mutate
    let position = ctx.accounts.position.as_mut();
    let side = position.side;
    ctx.accounts.custody.stats_mut(side).remove(position)?;
    position.collateral_amount = collateral_amount;
    position.collateral_usd = collateral_usd;
    position.update_time = now;
    ctx.accounts
        .custody
        .stats_mut(side)
        .add(position, &collateral_view, cumulative_interest)?;
    let collateral_custody = ctx.accounts.collateral_custody.as_mut();
    collateral_custody.accrue_interest(now)?;
    collateral_custody.assets.collateral = collateral_custody
        .assets
        .collateral
        .safe_add(params.collateral_amount)?;
    sync_aliased_custodies(
        &mut ctx.accounts.custody,
        &mut ctx.accounts.collateral_custody,
    );

    // CPI
    Perpetuals::transfer_from_user(
        ctx.accounts.funding_account.to_account_info(),
        ctx.accounts
            .collateral_custody_token_account
            .to_account_info(),
        ctx.accounts.owner.to_account_info(),
        &ctx.accounts.token_program,
        params.collateral_amount,
    )?;

    // emit
    let position = &ctx.accounts.position;
    emit!(CollateralAdded {
        owner: position.owner,
        pool: ctx.accounts.pool.key(),
        position: position.key(),
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side,
        amount: params.collateral_amount,
        collateral_amount,
        collateral_usd,
        time: now,
    });
    Ok(())
}
