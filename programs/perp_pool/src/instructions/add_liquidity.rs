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
        controller::liquidity::apply_deposit,
        errors::PerpPoolError,
        events::LiquidityAdded,
        math::safe_math::SafeMath,
        state::{custody::Custody, lp_cooldown::LpCooldown, perpetuals::Perpetuals, pool::Pool},
        validate,
        validation::vault::VaultBaseline,
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

    /// Receives the LP of the tranche `lp_token_mint` names; must be the depositor's own (it is
    /// frozen for the cooldown, so nobody can freeze someone else's LP by depositing into it).
    #[account(
        mut,
        constraint = lp_token_account.mint == lp_token_mint.key() @ PerpPoolError::InvalidLpTokenMint,
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

    /// The tranche deposited into: `pool.lp_token_mint` (junior; the only LP of a pool without
    /// tranches) or `pool.senior.mint` (senior).
    #[account(
        mut,
        constraint = pool.lp_mint_tranche(&lp_token_mint.key()).is_some() @ PerpPoolError::InvalidLpTokenMint
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
    validate!(
        ctx.accounts.perpetuals.permissions.allow_add_liquidity,
        PerpPoolError::InstructionNotAllowed
    )?;

    // params
    validate!(params.amount_in > 0, PerpPoolError::ZeroAmount)?;

    // oracle checks
    let clock = Clock::get()?;
    let accounts = ctx.accounts;
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
    let min_price = valuation.min_price;
    let tranche = accounts
        .pool
        .lp_mint_tranche(&accounts.lp_token_mint.key())
        .ok_or_else(|| error!(PerpPoolError::InvalidLpTokenMint))?;

    // math + mutate
    let deposited = apply_deposit(
        &mut accounts.pool,
        &mut accounts.custody,
        valuation,
        tranche,
        accounts.lp_token_mint.supply,
        params.amount_in,
        params.min_lp_amount_out,
        clock.unix_timestamp,
        clock.slot,
    )?;
    let amounts = &deposited.amounts;
    let unlock_time = clock
        .unix_timestamp
        .safe_add(i64::from(accounts.pool.lp_cooldown_sec))?;
    let pool_key = accounts.pool.key();
    let lp_token_account_key = accounts.lp_token_account.key();
    let cooldown = accounts.lp_cooldown.as_mut();
    cooldown.pool = pool_key;
    cooldown.lp_token_account = lp_token_account_key;
    cooldown.deposit_slot = clock.slot;
    cooldown.unlock_time = unlock_time;
    cooldown.bump = ctx.bumps.lp_cooldown;

    // CPI
    Perpetuals::transfer_from_user(
        accounts.funding_account.to_account_info(),
        accounts.custody_token_account.to_account_info(),
        accounts.owner.to_account_info(),
        &accounts.token_program,
        params.amount_in,
    )?;
    // A frozen account (a deposit still in its cooldown) cannot receive: thaw, mint, freeze.
    let perpetuals = &accounts.perpetuals;
    let lp_account = accounts.lp_token_account.to_account_info();
    let lp_mint = accounts.lp_token_mint.to_account_info();
    let authority = accounts.transfer_authority.to_account_info();
    let token_program = &accounts.token_program;
    if accounts.lp_token_account.is_frozen() {
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
    vault.verify(&accounts.custody, &mut accounts.custody_token_account)?;

    // emit
    emit!(LiquidityAdded {
        owner: accounts.owner.key(),
        pool: pool_key,
        custody: custody_key,
        tranche,
        lp_token_mint: accounts.lp_token_mint.key(),
        amount_in: params.amount_in,
        fee_amount: amounts.fee_amount,
        fee_bps: deposited.fee_bps,
        protocol_fee_amount: amounts.protocol_fee_amount,
        deposit_usd: amounts.deposit_usd,
        lp_amount_out: amounts.lp_amount_out,
        price: min_price.price,
        price_exponent: min_price.exponent,
        aum_max_usd: deposited.aum_max_usd,
        junior_nav_usd: deposited.navs.junior_usd,
        senior_nav_usd: deposited.navs.senior_usd,
        pool_aum_usd: deposited.pool_aum_usd,
        lp_supply: deposited
            .lp_supply
            .safe_add(amounts.lp_amount_out)?
            .safe_add(amounts.dead_lp_amount)?,
        dead_lp_amount: amounts.dead_lp_amount,
        unlock_time,
        custody_owned: deposited.custody_owned,
        slot: clock.slot,
    });
    Ok(())
}
