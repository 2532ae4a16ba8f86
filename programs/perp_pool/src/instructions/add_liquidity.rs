//! `add_liquidity`: deposits `amount_in` of a custody's token and mints LP into the depositor's
//! own LP token account, which stays frozen for the pool's LP cooldown (`state::lp_cooldown`).
//!
//! Remaining accounts: for every OTHER custody of the pool, in `pool.custodies` order, the pair
//! (custody, its oracle account), read-only. A single-custody pool passes none.

use {
    crate::{
        constants::{
            CUSTODY_SEED, LP_COOLDOWN_SEED, PERPETUALS_SEED, POOL_SEED, TRANSFER_AUTHORITY_SEED,
        },
        errors::PerpPoolError,
        events::LiquidityAdded,
        math::{
            liquidity::{assets_under_management_usd, compute_add_liquidity, AumMode},
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
pub struct AddLiquidity<'info> {
    /// Depositor; authority of `funding_account`, owner of `lp_token_account`; pays the
    /// cooldown record's rent the first time.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Source of the deposit, in the custody's token.
    #[account(
        mut,
        constraint = funding_account.mint == custody.mint @ PerpPoolError::InvalidMint
    )]
    pub funding_account: Box<Account<'info, TokenAccount>>,

    /// Receives the LP; must be the depositor's own (it is frozen for the cooldown, so nobody
    /// can freeze someone else's LP by depositing into it).
    #[account(
        mut,
        constraint = lp_token_account.mint == pool.lp_token_mint @ PerpPoolError::InvalidLpTokenMint,
        constraint = lp_token_account.owner == owner.key() @ PerpPoolError::InvalidLpTokenAccount
    )]
    pub lp_token_account: Box<Account<'info, TokenAccount>>,

    /// PDA `[LP_COOLDOWN_SEED, lp_token_account]`: created on the first deposit into the account.
    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + LpCooldown::INIT_SPACE,
        seeds = [LP_COOLDOWN_SEED, lp_token_account.key().as_ref()],
        bump
    )]
    pub lp_cooldown: Box<Account<'info, LpCooldown>>,

    /// CHECK: data-less PDA; LP mint authority.
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
    pub system_program: Program<'info, System>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct AddLiquidityParams {
    /// Tokens (custody mint base units) taken from `funding_account`, fee included.
    pub amount_in: u64,
    /// Slippage guard: fail (SlippageExceeded) if fewer LP base units would be minted.
    pub min_lp_amount_out: u64,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, '_, 'info, AddLiquidity<'info>>,
    params: &AddLiquidityParams,
) -> Result<()> {
    // permissions
    require!(
        ctx.accounts.perpetuals.permissions.allow_add_liquidity,
        PerpPoolError::InstructionNotAllowed
    );

    // params
    require!(params.amount_in > 0, PerpPoolError::ZeroAmount);

    // oracle checks
    let clock = Clock::get()?;
    let custody_key = ctx.accounts.custody.key();
    let oracle = ctx.accounts.custody_oracle_account.to_account_info();
    let LiquidityValuation {
        min_price,
        max_price: _,
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

    // math: LP issued against the pool valued high (max prices, rounded up)
    let aum_max_usd = assets_under_management_usd(&valuations, AumMode::Max)?;
    let lp_supply = ctx
        .accounts
        .pool
        .lp_supply(ctx.accounts.lp_token_mint.supply)?;
    let amounts = compute_add_liquidity(
        params.amount_in,
        custody.decimals,
        min_price,
        aum_max_usd,
        lp_supply,
        custody.fees.add_liquidity_bps,
        custody.fees.protocol_share_bps,
    )?;
    require!(
        amounts.lp_amount_out >= params.min_lp_amount_out,
        PerpPoolError::SlippageExceeded
    );
    // Statistics only: the fee valued like the deposit (min price, floor).
    let fee_usd: u64 =
        cast(min_price.token_to_usd(amounts.fee_amount, custody.decimals, Rounding::Floor)?)?;

    // mutate
    let custody = ctx.accounts.custody.as_mut();
    custody.assets.owned = custody.assets.owned.safe_add(amounts.owned_increase)?;
    custody.assets.protocol_fees = custody
        .assets
        .protocol_fees
        .safe_add(amounts.protocol_fee_amount)?;
    custody.collected_fees.add_liquidity_usd =
        custody.collected_fees.add_liquidity_usd.safe_add(fee_usd)?;
    custody.update_borrow_rate()?;
    let custody_owned = custody.assets.owned;
    if let Some(valuation) = valuations.get_mut(custody_index) {
        valuation.owned = custody_owned;
    }
    let pool_aum_usd = assets_under_management_usd(&valuations, AumMode::Min)?;
    let pool = ctx.accounts.pool.as_mut();
    pool.aum_usd = pool_aum_usd;
    pool.last_add_liquidity_slot = clock.slot;
    pool.dead_lp_supply = pool.dead_lp_supply.safe_add(amounts.dead_lp_amount)?;
    let unlock_time = clock
        .unix_timestamp
        .safe_add(i64::from(pool.lp_cooldown_sec))?;
    let pool_key = ctx.accounts.pool.key();
    let lp_token_account_key = ctx.accounts.lp_token_account.key();
    let cooldown = ctx.accounts.lp_cooldown.as_mut();
    cooldown.pool = pool_key;
    cooldown.lp_token_account = lp_token_account_key;
    cooldown.deposit_slot = clock.slot;
    cooldown.unlock_time = unlock_time;
    cooldown.bump = ctx.bumps.lp_cooldown;

    // CPI
    Perpetuals::transfer_from_user(
        ctx.accounts.funding_account.to_account_info(),
        ctx.accounts.custody_token_account.to_account_info(),
        ctx.accounts.owner.to_account_info(),
        &ctx.accounts.token_program,
        params.amount_in,
    )?;
    // A frozen account (a deposit still in its cooldown) cannot receive: thaw, mint, freeze.
    let perpetuals = &ctx.accounts.perpetuals;
    let lp_account = ctx.accounts.lp_token_account.to_account_info();
    let lp_mint = ctx.accounts.lp_token_mint.to_account_info();
    let authority = ctx.accounts.transfer_authority.to_account_info();
    let token_program = &ctx.accounts.token_program;
    if ctx.accounts.lp_token_account.is_frozen() {
        perpetuals.set_lp_account_frozen(
            false,
            lp_account.clone(),
            lp_mint.clone(),
            authority.clone(),
            token_program,
        )?;
    }
    perpetuals.mint_tokens(
        lp_mint.clone(),
        lp_account.clone(),
        authority.clone(),
        token_program,
        amounts.lp_amount_out,
    )?;
    perpetuals.set_lp_account_frozen(true, lp_account, lp_mint, authority, token_program)?;

    // emit
    emit!(LiquidityAdded {
        owner: ctx.accounts.owner.key(),
        pool: ctx.accounts.pool.key(),
        custody: custody_key,
        amount_in: params.amount_in,
        fee_amount: amounts.fee_amount,
        protocol_fee_amount: amounts.protocol_fee_amount,
        deposit_usd: amounts.deposit_usd,
        lp_amount_out: amounts.lp_amount_out,
        price: min_price.price,
        price_exponent: min_price.exponent,
        aum_max_usd,
        pool_aum_usd,
        lp_supply: lp_supply
            .safe_add(amounts.lp_amount_out)?
            .safe_add(amounts.dead_lp_amount)?,
        dead_lp_amount: amounts.dead_lp_amount,
        unlock_time,
        custody_owned,
        slot: clock.slot,
    });
    Ok(())
}
