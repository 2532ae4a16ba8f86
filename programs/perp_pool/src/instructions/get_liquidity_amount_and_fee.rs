//! `get_add_liquidity_amount_and_fee` and `get_remove_liquidity_amount_and_fee` (views, simulate
//! only): what `add_liquidity` / `remove_liquidity` would do now — LP out or tokens out, the fee
//! and its rate as the custody's weight steers it — with the same valuation, rules and errors
//! (weight bounds, tranche coverage, liquidity), on copies of the pool and custody: nothing is
//! written. The redemption quote ignores the holder's LP cooldown.
//!
//! Remaining accounts: as the instruction quoted — for every OTHER custody of the pool, in
//! `pool.custodies` order, the pair (custody, its oracle account).

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        controller::liquidity::{apply_deposit, apply_withdrawal},
        errors::PerpPoolError,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        validate,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::Mint,
};

#[derive(Accounts)]
pub struct GetLiquidityAmountAndFee<'info> {
    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `custody.oracle.oracle_account`; checked by `read_oracle_price`.
    #[account(
        constraint = custody_oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub custody_oracle_account: UncheckedAccount<'info>,

    /// The tranche's LP mint (junior or senior).
    #[account(
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct GetLiquidityAmountAndFeeParams {
    /// Tokens deposited (add) or LP base units redeemed (remove).
    pub amount: u64,
}

/// A deposit or redemption quote.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiquidityAmountAndFee {
    /// LP minted (add) or tokens paid (remove).
    pub amount_out: u64,
    /// The fee rate, BPS (the custody's flat rate steered by its weight).
    pub fee_bps: u64,
    /// The fee, tokens of the custody.
    pub fee_amount: u64,
    /// The deposit's value (add) or the LP's share of the tranche (remove), USD.
    pub usd: u64,
}

/// Which quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Add,
    Remove,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, GetLiquidityAmountAndFee<'info>>,
    params: &GetLiquidityAmountAndFeeParams,
    direction: Direction,
) -> Result<LiquidityAmountAndFee> {
    // permissions: a quote of an operation that would be refused is refused the same way
    let permissions = &ctx.accounts.perpetuals.permissions;
    validate!(
        match direction {
            Direction::Add => permissions.allow_add_liquidity,
            Direction::Remove => permissions.allow_remove_liquidity,
        },
        PerpPoolError::InstructionNotAllowed
    )?;

    let clock = Clock::get()?;
    let accounts = &ctx.accounts;
    let mut pool: Pool = (**accounts.pool).clone();
    let mut custody: Custody = (**accounts.custody).clone();
    let mint = &accounts.lp_token_mint;
    let tranche = pool
        .lp_mint_tranche(&mint.key())
        .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))?;
    let valuation = pool.valuations_for_liquidity_change(
        &mut custody,
        accounts.custody.key(),
        &accounts.custody_oracle_account.to_account_info(),
        ctx.remaining_accounts,
        clock.unix_timestamp,
    )?;
    Ok(match direction {
        Direction::Add => {
            let deposited = apply_deposit(
                &mut pool,
                &mut custody,
                valuation,
                tranche,
                mint.supply,
                params.amount,
                0,
                clock.unix_timestamp,
                clock.slot,
            )?;
            LiquidityAmountAndFee {
                amount_out: deposited.amounts.lp_amount_out,
                fee_bps: deposited.fee_bps,
                fee_amount: deposited.amounts.fee_amount,
                usd: deposited.amounts.deposit_usd,
            }
        }
        Direction::Remove => {
            let withdrawn = apply_withdrawal(
                &mut pool,
                &mut custody,
                valuation,
                tranche,
                mint.supply,
                params.amount,
                0,
                clock.unix_timestamp,
            )?;
            LiquidityAmountAndFee {
                amount_out: withdrawn.amounts.amount_out,
                fee_bps: withdrawn.fee_bps,
                fee_amount: withdrawn.amounts.fee_amount,
                usd: withdrawn.amounts.withdraw_usd,
            }
        }
    })
}
