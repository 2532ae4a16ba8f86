//! `swap`: `amount_in` of the receiving custody's token for the dispensing custody's token, at
//! oracle prices (in at the min price, out at the max price) less a fee that the two custodies'
//! weights steer (`controller::swap`), so arbitrageurs rebalance a multi-asset pool toward its
//! target weights. Needs both liquidity permissions (a swap is a deposit and a redemption).
//!
//! Remaining accounts: for every OTHER custody of the pool (neither leg), in `pool.custodies`
//! order, the pair (custody, its oracle account), read-only.

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, TRANSFER_AUTHORITY_SEED},
        controller::swap::{apply_swap, swap_valuation},
        errors::PerpPoolError,
        events::Swapped,
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool},
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
pub struct Swap<'info> {
    /// The swapper; authority of `funding_account`.
    pub owner: Signer<'info>,

    /// Source of the tokens in, in the receiving custody's token.
    #[account(
        mut,
        constraint = funding_account.mint == receiving_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub funding_account: Box<Account<'info, TokenAccount>>,

    /// Receives the tokens out, in the dispensing custody's token (any holder).
    #[account(
        mut,
        constraint = receiving_account.mint == dispensing_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: data-less PDA; owner of the vaults.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(mut, seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The custody the tokens go into.
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), receiving_custody.mint.as_ref()],
        bump = receiving_custody.bump
    )]
    pub receiving_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `receiving_custody.oracle.oracle_account`; checked by `read_oracle_price`.
    #[account(
        constraint = receiving_custody_oracle_account.key() == receiving_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub receiving_custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        mut,
        constraint = receiving_custody_token_account.key() == receiving_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub receiving_custody_token_account: Box<Account<'info, TokenAccount>>,

    /// The custody the tokens come out of (another custody: InvalidSwap).
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), dispensing_custody.mint.as_ref()],
        bump = dispensing_custody.bump,
        constraint = dispensing_custody.key() != receiving_custody.key() @ PerpPoolError::InvalidSwap
    )]
    pub dispensing_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `dispensing_custody.oracle.oracle_account`.
    #[account(
        constraint = dispensing_custody_oracle_account.key() == dispensing_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub dispensing_custody_oracle_account: UncheckedAccount<'info>,

    #[account(
        mut,
        constraint = dispensing_custody_token_account.key() == dispensing_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub dispensing_custody_token_account: Box<Account<'info, TokenAccount>>,

    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct SwapParams {
    /// Tokens of the receiving custody taken from `funding_account`.
    pub amount_in: u64,
    /// Slippage guard: fail (SlippageExceeded) if fewer dispensing-custody tokens would be paid.
    pub min_amount_out: u64,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, Swap<'info>>,
    params: &SwapParams,
) -> Result<()> {
    // permissions
    let permissions = &ctx.accounts.perpetuals.permissions;
    validate!(
        permissions.allow_add_liquidity && permissions.allow_remove_liquidity,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.amount_in > 0, PerpPoolError::ZeroAmount)?;

    // oracle checks
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let receiving_vault = VaultBaseline::capture(
        &accounts.receiving_custody,
        &accounts.receiving_custody_token_account,
    )?;
    let dispensing_vault = VaultBaseline::capture(
        &accounts.dispensing_custody,
        &accounts.dispensing_custody_token_account,
    )?;
    let receiving_key = accounts.receiving_custody.key();
    let dispensing_key = accounts.dispensing_custody.key();
    let valuation = swap_valuation(
        &accounts.pool,
        &mut accounts.receiving_custody,
        receiving_key,
        &accounts.receiving_custody_oracle_account.to_account_info(),
        &mut accounts.dispensing_custody,
        dispensing_key,
        &accounts.dispensing_custody_oracle_account.to_account_info(),
        ctx.remaining_accounts,
        now,
    )?;

    // math + mutate
    let swapped = apply_swap(
        &mut accounts.receiving_custody,
        &mut accounts.dispensing_custody,
        &valuation,
        params.amount_in,
        params.min_amount_out,
    )?;
    accounts.pool.aum_usd = swapped.pool_aum_usd;
    let amounts = &swapped.amounts;

    // CPI
    Perpetuals::transfer_from_user(
        accounts.funding_account.to_account_info(),
        accounts.receiving_custody_token_account.to_account_info(),
        accounts.owner.to_account_info(),
        &accounts.token_program,
        params.amount_in,
    )?;
    accounts.perpetuals.transfer_from_vault(
        accounts.dispensing_custody_token_account.to_account_info(),
        accounts.receiving_account.to_account_info(),
        accounts.transfer_authority.to_account_info(),
        &accounts.token_program,
        amounts.amount_out,
    )?;
    receiving_vault.verify(
        &accounts.receiving_custody,
        &mut accounts.receiving_custody_token_account,
    )?;
    dispensing_vault.verify(
        &accounts.dispensing_custody,
        &mut accounts.dispensing_custody_token_account,
    )?;

    // emit
    emit!(Swapped {
        owner: accounts.owner.key(),
        pool: accounts.pool.key(),
        receiving_custody: receiving_key,
        dispensing_custody: dispensing_key,
        amount_in: params.amount_in,
        in_usd: amounts.in_usd,
        gross_out: amounts.gross_out,
        fee_bps: amounts.fee_bps,
        fee_amount: amounts.fee_amount,
        protocol_fee_amount: amounts.protocol_fee_amount,
        amount_out: amounts.amount_out,
        receiving_weight_ppb: swapped.receiving_weight_ppb,
        dispensing_weight_ppb: swapped.dispensing_weight_ppb,
        pool_aum_usd: swapped.pool_aum_usd,
        receiving_price: valuation.receiving_min_price.price,
        receiving_price_exponent: valuation.receiving_min_price.exponent,
        dispensing_price: valuation.dispensing_max_price.price,
        dispensing_price_exponent: valuation.dispensing_max_price.exponent,
    });
    Ok(())
}
