//! `liquidate` (permissionless): closes a liquidatable position at the current exit price.
//! Collateral plus the capped profit pays, in order: loss + interest (LPs), the liquidation fee
//! (split), the liquidator's reward (to `receiving_account`); anything left goes to the LPs
//! (an underwater position pays no reward: docs/design.md "LP capital safety", F4; the fee
//! before the reward and `liquidation_bps >= close_position_bps` keep a self-liquidation from
//! paying its owner more than a close). Unpaid loss + interest draws the insurance fund, the
//! rest is recorded as bad debt.
//! The liquidator also receives the position's rent. Fails with PositionHealthy otherwise.

use {
    crate::{
        constants::{
            CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED, TRANSFER_AUTHORITY_SEED,
        },
        errors::PerpPoolError,
        events::PositionLiquidated,
        math::{pricing::exit_price, trade::compute_liquidation},
        state::{
            custody::{sync_aliased_custodies, Custody, SettlementKind},
            perpetuals::Perpetuals,
            pool::Pool,
            position::Position,
        },
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct Liquidate<'info> {
    /// Anyone; receives the position's rent.
    #[account(mut)]
    pub liquidator: Signer<'info>,

    /// Receives the liquidator's reward, in the collateral custody's token (any holder).
    #[account(
        mut,
        constraint = receiving_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: data-less PDA; owner of the vault.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `custody.oracle.oracle_account`; checked by `read_oracle_price`.
    #[account(
        constraint = custody_oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        mut,
        constraint = collateral_custody_token_account.key() == collateral_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub collateral_custody_token_account: Box<Account<'info, TokenAccount>>,

    /// Closed by this instruction (rent to `liquidator`).
    #[account(
        mut,
        seeds = [
            POSITION_SEED,
            position.owner.as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[position.side.seed_byte()]
        ],
        bump = position.bump,
        close = liquidator
    )]
    pub position: Box<Account<'info, Position>>,

    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Liquidate>) -> Result<()> {
    // permissions
    require!(
        ctx.accounts.perpetuals.permissions.allow_liquidation,
        PerpPoolError::InstructionNotAllowed
    );

    // params
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
    let s = compute_liquidation(
        &position.state(),
        price,
        interest_usd,
        collateral_custody.assets.insurance_fund,
        &collateral_custody.collateral_view(min_price, max_price),
        &custody.market(),
    )?;

    // mutate
    let position = ctx.accounts.position.as_ref();
    ctx.accounts.custody.stats_mut(side).remove(position)?;
    let collateral_custody = ctx.accounts.collateral_custody.as_mut();
    collateral_custody
        .borrow_rate_state
        .remove_position(position)?;
    collateral_custody.accrue_interest(now)?;
    collateral_custody.apply_settlement(&s, max_price, SettlementKind::Liquidation)?;
    collateral_custody.update_borrow_rate()?;
    let borrow_rate = collateral_custody.borrow_rate_state.current_rate;
    sync_aliased_custodies(
        &mut ctx.accounts.custody,
        &mut ctx.accounts.collateral_custody,
    );

    // CPI
    if s.paid.reward_paid > 0 {
        ctx.accounts.perpetuals.transfer_from_vault(
            ctx.accounts
                .collateral_custody_token_account
                .to_account_info(),
            ctx.accounts.receiving_account.to_account_info(),
            ctx.accounts.transfer_authority.to_account_info(),
            &ctx.accounts.token_program,
            s.paid.reward_paid,
        )?;
    }

    // emit
    let position = &ctx.accounts.position;
    emit!(PositionLiquidated {
        owner: position.owner,
        liquidator: ctx.accounts.liquidator.key(),
        pool: ctx.accounts.pool.key(),
        position: position.key(),
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side,
        exit_price: price,
        entry_price: position.price,
        size_usd: position.size_usd,
        collateral_amount: position.collateral_amount,
        profit_usd: s.pnl.profit_usd,
        loss_usd: s.pnl.loss_usd,
        fee_usd: s.fee_usd,
        interest_usd: s.interest_usd,
        reward_usd: s.reward_usd,
        reward_paid: s.paid.reward_paid,
        lp_paid: s.paid.lp_paid,
        fee_paid: s.paid.fee_paid,
        protocol_fee_amount: s.fee_split.protocol,
        insurance_fee_amount: s.fee_split.insurance,
        remainder_to_pool: s.paid.rest,
        insurance_draw: s.insurance_draw,
        bad_debt_usd: s.bad_debt_usd,
        borrow_rate,
        cumulative_interest,
        time: now,
    });
    Ok(())
}
