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
        errors::PerpPoolError,
        events::LiquidityRemoved,
        math::{
            liquidity::{assets_under_management_usd, compute_remove_liquidity, AumMode},
            safe_math::{cast, Rounding, SafeMath},
        },
        state::{
            custody::Custody,
            lp_cooldown::LpCooldown,
            perpetuals::Perpetuals,
            pool::{LiquidityValuation, Pool},
        },
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

    /// LP source, burned from.
    #[account(
        mut,
        constraint = lp_token_account.mint == pool.lp_token_mint @ PerpPoolError::InvalidLpTokenMint
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

    #[account(
        mut,
        constraint = lp_token_mint.key() == pool.lp_token_mint @ PerpPoolError::InvalidLpTokenMint
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
    require!(
        ctx.accounts.perpetuals.permissions.allow_remove_liquidity,
        PerpPoolError::InstructionNotAllowed
    );

    // params
    require!(params.lp_amount_in > 0, PerpPoolError::ZeroAmount);
    let clock = Clock::get()?;
    // Only LP still in its deposit cooldown is held back; a frozen account has a record.
    let frozen = ctx.accounts.lp_token_account.is_frozen();
    if frozen {
        let cooldown = LpCooldown::load(&ctx.accounts.lp_cooldown.to_account_info())?;
        require!(
            cooldown.is_some_and(|c| c.is_over(clock.slot, clock.unix_timestamp)),
            PerpPoolError::LiquidityCooldownActive
        );
    }

    // oracle checks
    let custody_key = ctx.accounts.custody.key();
    let oracle = ctx.accounts.custody_oracle_account.to_account_info();
    let LiquidityValuation {
        min_price: _,
        max_price,
        mut valuations,
        custody_index,
    } = ctx.accounts.pool.valuations_for_liquidity_change(
        &mut ctx.accounts.custody,
        custody_key,
        &oracle,
        ctx.remaining_accounts,
        clock.unix_timestamp,
    )?;
    let custody = &ctx.accounts.custody;

    // math: LP redeemed against the pool valued low (min prices, rounded down)
    let aum_min_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    let lp_supply = ctx
        .accounts
        .pool
        .lp_supply(ctx.accounts.lp_token_mint.supply)?;
    let amounts = compute_remove_liquidity(
        params.lp_amount_in,
        aum_min_usd,
        lp_supply,
        custody.decimals,
        max_price,
        custody.available_amount()?,
        custody.fees.remove_liquidity_bps,
        custody.fees.protocol_share_bps,
    )?;
    require!(
        amounts.amount_out >= params.min_amount_out,
        PerpPoolError::SlippageExceeded
    );
    // Statistics only: the fee valued like the payout (max price, floor).
    let fee_usd: u64 =
        cast(max_price.token_to_usd(amounts.fee_amount, custody.decimals, Rounding::Floor)?)?;

    // mutate
    let custody = ctx.accounts.custody.as_mut();
    custody.assets.owned = custody.assets.owned.safe_sub(amounts.owned_decrease)?;
    custody.assets.protocol_fees = custody
        .assets
        .protocol_fees
        .safe_add(amounts.protocol_fee_amount)?;
    custody.collected_fees.remove_liquidity_usd = custody
        .collected_fees
        .remove_liquidity_usd
        .safe_add(fee_usd)?;
    custody.update_borrow_rate()?;
    let custody_owned = custody.assets.owned;
    if let Some(valuation) = valuations.get_mut(custody_index) {
        valuation.owned = custody_owned;
    }
    let pool_aum_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    ctx.accounts.pool.aum_usd = pool_aum_usd;

    // CPI
    if frozen {
        ctx.accounts.perpetuals.set_lp_account_frozen(
            false,
            ctx.accounts.lp_token_account.to_account_info(),
            ctx.accounts.lp_token_mint.to_account_info(),
            ctx.accounts.transfer_authority.to_account_info(),
            &ctx.accounts.token_program,
        )?;
    }
    Perpetuals::burn_from_user(
        ctx.accounts.lp_token_mint.to_account_info(),
        ctx.accounts.lp_token_account.to_account_info(),
        ctx.accounts.owner.to_account_info(),
        &ctx.accounts.token_program,
        params.lp_amount_in,
    )?;
    ctx.accounts.perpetuals.transfer_from_vault(
        ctx.accounts.custody_token_account.to_account_info(),
        ctx.accounts.receiving_account.to_account_info(),
        ctx.accounts.transfer_authority.to_account_info(),
        &ctx.accounts.token_program,
        amounts.amount_out,
    )?;

    // emit
    emit!(LiquidityRemoved {
        owner: ctx.accounts.owner.key(),
        pool: ctx.accounts.pool.key(),
        custody: custody_key,
        lp_amount_in: params.lp_amount_in,
        withdraw_usd: amounts.withdraw_usd,
        gross_amount: amounts.gross_amount,
        fee_amount: amounts.fee_amount,
        protocol_fee_amount: amounts.protocol_fee_amount,
        amount_out: amounts.amount_out,
        price: max_price.price,
        price_exponent: max_price.exponent,
        aum_min_usd,
        pool_aum_usd,
        lp_supply: lp_supply.safe_sub(params.lp_amount_in)?,
        custody_owned,
    });
    Ok(())
}
