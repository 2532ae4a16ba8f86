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
        controller::{
            market::MarketSnapshot,
            position::{apply_liquidation, PositionAccounts},
        },
        errors::PerpPoolError,
        events::PositionLiquidated,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Position},
        validate,
        validation::vault::VaultBaseline,
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
    validate!(
        ctx.accounts.perpetuals.permissions.allow_liquidation,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(
        ctx.accounts.position.size_usd > 0,
        PerpPoolError::InvalidPositionState
    )?;

    // oracle checks
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let snapshot = MarketSnapshot::read(
        &accounts.custody,
        &accounts.custody_oracle_account.to_account_info(),
        &accounts.collateral_custody,
        &accounts.collateral_custody_oracle_account.to_account_info(),
        now,
    )?;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // math + mutate (the position is left as it was; Anchor closes it, rent to the liquidator)
    let settled = apply_liquidation(
        PositionAccounts {
            custody: &mut accounts.custody,
            collateral_custody: &mut accounts.collateral_custody,
            position: &mut accounts.position,
            pool_aum_usd: accounts.pool.aum_usd,
        },
        &snapshot,
    )?;
    let s = &settled.amounts;

    // CPI
    if s.paid.reward_paid > 0 {
        accounts.perpetuals.transfer_from_vault(
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.receiving_account.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
            s.paid.reward_paid,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    let position = &accounts.position;
    emit!(PositionLiquidated {
        owner: position.owner,
        liquidator: accounts.liquidator.key(),
        pool: accounts.pool.key(),
        position: position.key(),
        custody: position.custody,
        collateral_custody: position.collateral_custody,
        side: position.side,
        exit_price: settled.exit_price,
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
        staker_fee_amount: s.fee_split.stakers,
        remainder_to_pool: s.paid.rest,
        insurance_draw: s.insurance_draw,
        bad_debt_usd: s.bad_debt_usd,
        borrow_rate: settled.borrow_rate,
        cumulative_interest: settled.cumulative_interest,
        time: now,
    });
    Ok(())
}
