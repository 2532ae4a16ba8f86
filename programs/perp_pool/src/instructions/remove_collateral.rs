//! `remove_collateral`: withdraws `collateral_usd` worth of collateral (tokens at the collateral
//! custody's max price, rounded down) from an open position. The position left must stay within
//! the market's max INITIAL leverage with unrealised profit not counted (loss, close fee and
//! accrued interest are). Interest is not settled.

use {
    super::settle_position::SettlePosition,
    crate::{
        errors::PerpPoolError,
        events::CollateralRemoved,
        math::{pricing::exit_price, safe_math::SafeMath, trade::compute_remove_collateral},
        state::custody::sync_aliased_custodies,
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct RemoveCollateralParams {
    /// USD to withdraw (converted at the collateral custody's max price, rounded down).
    pub collateral_usd: u64,
}

pub fn handler(ctx: Context<SettlePosition>, params: &RemoveCollateralParams) -> Result<()> {
    // permissions
    require!(
        ctx.accounts.perpetuals.permissions.allow_close_position,
        PerpPoolError::InstructionNotAllowed
    );

    // params
    require!(params.collateral_usd > 0, PerpPoolError::ZeroAmount);
    require!(
        ctx.accounts.position.size_usd > 0,
        PerpPoolError::InvalidPositionState
    );

    // oracle checks
    let now = Clock::get()?.unix_timestamp;
    let position = &ctx.accounts.position;
    let side = position.side;
    let custody = &ctx.accounts.custody;
    let collateral_custody = &ctx.accounts.collateral_custody;
    let prices =
        custody.read_trade_prices(&ctx.accounts.custody_oracle_account.to_account_info(), now)?;
    let (min_price, max_price) = collateral_custody.read_min_max_price(
        &ctx.accounts
            .collateral_custody_oracle_account
            .to_account_info(),
        now,
    )?;

    // math
    let price = exit_price(side, prices, custody.pricing.spread_bps(side))?;
    let cumulative_interest = collateral_custody
        .borrow_rate_state
        .cumulative_interest_at(now)?;
    let interest_usd = position.interest_usd(cumulative_interest)?;
    let collateral_view = collateral_custody.collateral_view(min_price, max_price);
    let amounts = compute_remove_collateral(
        &position.state(),
        params.collateral_usd,
        price,
        interest_usd,
        &collateral_view,
        &custody.market(),
    )?;

    // mutate
    let position = ctx.accounts.position.as_mut();
    ctx.accounts.custody.stats_mut(side).remove(position)?;
    position.collateral_amount = amounts.collateral_amount;
    position.collateral_usd = amounts.collateral_usd;
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
        .safe_sub(amounts.amount_out)?;
    sync_aliased_custodies(
        &mut ctx.accounts.custody,
        &mut ctx.accounts.collateral_custody,
    );

    // CPI
    ctx.accounts.perpetuals.transfer_from_vault(
        ctx.accounts
            .collateral_custody_token_account
            .to_account_info(),
        ctx.accounts.receiving_account.to_account_info(),
        ctx.accounts.transfer_authority.to_account_info(),
        &ctx.accounts.token_program,
        amounts.amount_out,
    )?;

    // emit
    let position = &ctx.accounts.position;
    emit!(CollateralRemoved {
        owner: position.owner,
        pool: ctx.accounts.pool.key(),
        position: position.key(),
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side,
        collateral_usd_requested: params.collateral_usd,
        amount_out: amounts.amount_out,
        collateral_amount: amounts.collateral_amount,
        collateral_usd: amounts.collateral_usd,
        time: now,
    });
    Ok(())
}
