//! `remove_liquidity`: burns `lp_amount_in` LP and pays the LP's share of the pool in one
//! custody's token. LP still in its deposit cooldown (a frozen LP account, `state::lp_cooldown`)
//! cannot be redeemed; once the cooldown is over the account is thawed here.
//!
//! Remaining accounts: for every OTHER custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account), read-only. A single-custody pool passes none.

use {
    crate::{
        constants::{
            CUSTODY_SEED, LP_COOLDOWN_SEED, PERPETUALS_SEED, POOL_SEED, TRANSFER_AUTHORITY_SEED,
        },
        controller::liquidity::apply_withdrawal,
        errors::PerpPoolError,
        events::LiquidityRemoved,
        math::safe_math::SafeMath,
        state::{custody::Custody, lp_cooldown::LpCooldown, perpetuals::Perpetuals, pool::Pool},
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token, TokenAccount},
};

#[derive(Accounts)]
pub struct RemoveLiquidity<'info> {
    /// LP holder; authority of `lp_token_account`.
    pub owner: Signer<'info>,

    /// Receives the tokens, in the custody's token (any holder).
    #[account(
        mut,
        constraint = receiving_account.mint == custody.mint @ PerpPoolError::InvalidMint
    )]
    pub receiving_account: Box<Account<'info, TokenAccount>>,

    /// LP source, burned from, of the tranche `lp_token_mint` names.
    #[account(
        mut,
        constraint = lp_token_account.mint == lp_token_mint.key() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_account: Box<Account<'info, TokenAccount>>,

    /// CHECK: PDA `[LP_COOLDOWN_SEED, lp_token_account]` (may not exist: LP that was never
    /// deposited into this account); read only when the account is frozen.
    #[account(seeds = [LP_COOLDOWN_SEED, lp_token_account.key().as_ref()], bump)]
    pub lp_cooldown: UncheckedAccount<'info>,

    /// CHECK: data-less PDA; owner of the vault.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(mut, seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody.mint.as_ref()],
        bump = custody.bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `custody.oracle.oracle_account`; owner and data are checked by
    /// `read_oracle_price`.
    #[account(
        constraint = custody_oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub custody_oracle_account: UncheckedAccount<'info>,

    /// The custody's vault.
    #[account(
        mut,
        constraint = custody_token_account.key() == custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub custody_token_account: Box<Account<'info, TokenAccount>>,

    /// The tranche redeemed: `pool.lp_token_mint` (junior; the only LP of a pool without
    /// tranches) or `pool.senior.mint` (senior).
    #[account(
        mut,
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
    )]
    pub lp_token_mint: Box<Account<'info, Mint>>,

    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct RemoveLiquidityParams {
    /// LP base units to burn.
    pub lp_amount_in: u64,
    /// Slippage guard: fail (SlippageExceeded) if fewer tokens would be paid out.
    pub min_amount_out: u64,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, RemoveLiquidity<'info>>,
    params: &RemoveLiquidityParams,
) -> Result<()> {
    // permissions
    validate!(
        ctx.accounts.perpetuals.permissions.allow_remove_liquidity,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.lp_amount_in > 0, PerpPoolError::ZeroAmount)?;
    let clock = Clock::get()?;
    let accounts = ctx.accounts;
    // Only LP still in its deposit cooldown is held back; a frozen account has a record.
    let frozen = accounts.lp_token_account.is_frozen();
    if frozen {
        let cooldown = LpCooldown::load(&accounts.lp_cooldown.to_account_info())?;
        validate!(
            cooldown.is_some_and(|c| c.is_over(clock.slot, clock.unix_timestamp)),
            PerpPoolError::LiquidityCooldownActive
        )?;
    }

    // oracle checks
    let vault = VaultBaseline::capture(&accounts.custody, &accounts.custody_token_account)?;
    let custody_key = accounts.custody.key();
    let oracle = accounts.custody_oracle_account.to_account_info();
    let valuation = accounts.pool.valuations_for_liquidity_change(
        &mut accounts.custody,
        custody_key,
        &oracle,
        ctx.remaining_accounts,
        clock.unix_timestamp,
    )?;
    let max_price = valuation.max_price;
    let tranche = accounts
        .pool
        .lp_mint_tranche(&accounts.lp_token_mint.key())
        .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))?;

    // math + mutate
    let withdrawn = apply_withdrawal(
        &mut accounts.pool,
        &mut accounts.custody,
        valuation,
        tranche,
        accounts.lp_token_mint.supply,
        params.lp_amount_in,
        params.min_amount_out,
        clock.unix_timestamp,
    )?;
    let amounts = &withdrawn.amounts;

    // CPI
    if frozen {
        accounts.perpetuals.set_lp_account_frozen(
            false,
            accounts.lp_token_account.to_account_info(),
            accounts.lp_token_mint.to_account_info(),
            accounts.transfer_authority.to_account_info(),
            &accounts.token_program,
        )?;
    }
    Perpetuals::burn_from_user(
        accounts.lp_token_mint.to_account_info(),
        accounts.lp_token_account.to_account_info(),
        accounts.owner.to_account_info(),
        &accounts.token_program,
        params.lp_amount_in,
    )?;
    accounts.perpetuals.transfer_from_vault(
        accounts.custody_token_account.to_account_info(),
        accounts.receiving_account.to_account_info(),
        accounts.transfer_authority.to_account_info(),
        &accounts.token_program,
        amounts.amount_out,
    )?;
    vault.verify(&accounts.custody, &mut accounts.custody_token_account)?;

    // emit
    emit!(LiquidityRemoved {
        owner: accounts.owner.key(),
        pool: accounts.pool.key(),
        custody: custody_key,
        tranche,
        lp_token_mint: accounts.lp_token_mint.key(),
        lp_amount_in: params.lp_amount_in,
        withdraw_usd: amounts.withdraw_usd,
        gross_amount: amounts.gross_amount,
        fee_amount: amounts.fee_amount,
        fee_bps: withdrawn.fee_bps,
        protocol_fee_amount: amounts.protocol_fee_amount,
        amount_out: amounts.amount_out,
        price: max_price.price,
        price_exponent: max_price.exponent,
        aum_min_usd: withdrawn.aum_min_usd,
        junior_nav_usd: withdrawn.navs.junior_usd,
        senior_nav_usd: withdrawn.navs.senior_usd,
        pool_aum_usd: withdrawn.pool_aum_usd,
        lp_supply: withdrawn.lp_supply.safe_sub(params.lp_amount_in)?,
        custody_owned: withdrawn.custody_owned,
    });
    Ok(())
}
