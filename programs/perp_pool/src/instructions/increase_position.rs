//! `increase_position`: adds size (and optionally collateral) to an open position at the current
//! entry price. Interest accrued so far is settled from the collateral; the open fee on the added
//! size is taken from the collateral; the entry price becomes the size-weighted average
//! (new size / (old quantity + added quantity)). The whole position must stay within the market's
//! max initial leverage and position size, and the collateral custody within its lending caps.

use {
    super::fund_position::FundPosition,
    crate::{
        errors::PerpPoolError,
        events::PositionIncreased,
        instructions::open_position::check_entry_slippage,
        math::{
            pricing::{entry_price, exit_price},
            safe_math::SafeMath,
            trade::compute_increase_position,
        },
        state::{custody::sync_aliased_custodies, perpetuals::Perpetuals},
    },
    anchor_lang::prelude::*,
};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct IncreasePositionParams {
    /// Worst acceptable entry price for the added size, PRICE_DECIMALS (long: max, short: min).
    pub price_limit: u64,
    /// Collateral tokens added from `funding_account` (may be 0).
    pub collateral_amount: u64,
    /// USD added to the size (> 0).
    pub size_usd: u64,
}

pub fn handler(ctx: Context<FundPosition>, params: &IncreasePositionParams) -> Result<()> {
    // permissions
    require!(
        ctx.accounts.perpetuals.permissions.allow_open_position,
        PerpPoolError::InstructionNotAllowed
    );

    // params
    require!(params.size_usd > 0, PerpPoolError::ZeroAmount);
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
    let spread_bps = custody.pricing.spread_bps(side);
    let price = entry_price(side, prices, spread_bps)?;
    check_entry_slippage(side, price, params.price_limit)?;
    let exit = exit_price(side, prices, spread_bps)?;
    let cumulative_interest = collateral_custody
        .borrow_rate_state
        .cumulative_interest_at(now)?;
    let interest_usd = position.interest_usd(cumulative_interest)?;
    let collateral_view = collateral_custody.collateral_view(min_price, max_price);
    let amounts = compute_increase_position(
        &position.state(),
        params.size_usd,
        params.collateral_amount,
        price,
        exit,
        interest_usd,
        &collateral_view,
        &custody.market(),
    )?;

    // mutate: take the position's old contribution out of the aggregates, update, put it back
    let position = ctx.accounts.position.as_mut();
    ctx.accounts.custody.stats_mut(side).remove(position)?;
    let collateral_custody = ctx.accounts.collateral_custody.as_mut();
    collateral_custody
        .borrow_rate_state
        .remove_position(position)?;
    collateral_custody.accrue_interest(now)?;
    // Collateral: + deposit - fee - interest; fee split; interest to LPs; more locked.
    collateral_custody.assets.collateral = collateral_custody
        .assets
        .collateral
        .safe_add(params.collateral_amount)?
        .safe_sub(amounts.fee_amount)?
        .safe_sub(amounts.interest_amount)?;
    collateral_custody.add_fee_split(&amounts.fee_split)?;
    collateral_custody.assets.owned = collateral_custody
        .assets
        .owned
        .safe_add(amounts.interest_amount)?;
    collateral_custody.assets.locked = collateral_custody
        .assets
        .locked
        .safe_add(amounts.locked_delta)?;
    collateral_custody.collected_fees.open_position_usd = collateral_custody
        .collected_fees
        .open_position_usd
        .safe_add(amounts.fee_usd)?;

    position.price = amounts.price;
    position.quantity = amounts.quantity;
    position.size_usd = amounts.size_usd;
    position.collateral_amount = amounts.collateral_amount;
    position.collateral_usd = amounts.collateral_usd;
    position.locked_amount = amounts.locked_amount;
    position.cumulative_interest_snapshot = cumulative_interest;
    position.update_time = now;
    position.realized_fees_usd = position
        .realized_fees_usd
        .safe_add(amounts.fee_usd)?
        .safe_add(amounts.interest_usd)?;

    collateral_custody
        .borrow_rate_state
        .add_position(position)?;
    collateral_custody.update_borrow_rate()?;
    let borrow_rate = collateral_custody.borrow_rate_state.current_rate;
    ctx.accounts
        .custody
        .stats_mut(side)
        .add(position, &collateral_view, cumulative_interest)?;
    sync_aliased_custodies(
        &mut ctx.accounts.custody,
        &mut ctx.accounts.collateral_custody,
    );

    // CPI
    if params.collateral_amount > 0 {
        Perpetuals::transfer_from_user(
            ctx.accounts.funding_account.to_account_info(),
            ctx.accounts
                .collateral_custody_token_account
                .to_account_info(),
            ctx.accounts.owner.to_account_info(),
            &ctx.accounts.token_program,
            params.collateral_amount,
        )?;
    }

    // emit
    let position = &ctx.accounts.position;
    emit!(PositionIncreased {
        owner: position.owner,
        pool: ctx.accounts.pool.key(),
        position: position.key(),
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side,
        entry_price: price,
        size_delta_usd: params.size_usd,
        quantity_delta: amounts.quantity_delta,
        collateral_in: params.collateral_amount,
        fee_usd: amounts.fee_usd,
        fee_amount: amounts.fee_amount,
        protocol_fee_amount: amounts.fee_split.protocol,
        insurance_fee_amount: amounts.fee_split.insurance,
        interest_usd: amounts.interest_usd,
        interest_amount: amounts.interest_amount,
        price: position.price,
        quantity: position.quantity,
        size_usd: position.size_usd,
        collateral_amount: position.collateral_amount,
        collateral_usd: position.collateral_usd,
        locked_amount: position.locked_amount,
        utilization: amounts.utilization_after,
        borrow_rate,
        cumulative_interest,
        time: now,
    });
    Ok(())
}
