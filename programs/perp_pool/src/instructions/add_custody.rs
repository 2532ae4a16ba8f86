//! `add_custody` (admin): adds a token to a pool: a Custody PDA and its vault (a token account
//! PDA owned by the transfer authority). At most MAX_CUSTODIES per pool. Trigger orders start
//! with the defaults DEFAULT_MAX_ORDERS_PER_OWNER and DEFAULT_EXECUTOR_FEE_USD
//! (`set_order_config` changes them).

use {
    crate::{
        constants::{
            CUSTODY_SEED, CUSTODY_TOKEN_ACCOUNT_SEED, DEFAULT_EXECUTOR_FEE_USD,
            DEFAULT_MAX_ORDERS_PER_OWNER, MAX_CUSTODIES, ORACLE_SEED, PERPETUALS_SEED, POOL_SEED,
            TRANSFER_AUTHORITY_SEED,
        },
        errors::PerpPoolError,
        events::CustodyAdded,
        math::safe_math::cast,
        state::{
            custody::{Assets, BorrowRateState, Custody, FeesStats, PositionStats},
            oracle::{OracleParams, OracleType},
            perpetuals::Perpetuals,
            pool::Pool,
        },
        types::{BorrowRateParams, Fees, OrderParams, PricingParams},
        validate,
        validation::config::validate_custody_config,
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Mint, Token, TokenAccount},
};

#[derive(Accounts)]
pub struct AddCustody<'info> {
    /// Pays for the custody and its vault.
    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(
        seeds = [PERPETUALS_SEED],
        bump = perpetuals.perpetuals_bump,
        has_one = admin @ PerpPoolError::Unauthorized
    )]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    /// CHECK: data-less PDA, becomes the vault's owner.
    #[account(seeds = [TRANSFER_AUTHORITY_SEED], bump = perpetuals.transfer_authority_bump)]
    pub transfer_authority: UncheckedAccount<'info>,

    #[account(
        mut,
        seeds = [POOL_SEED, pool.name.as_bytes()],
        bump = pool.bump
    )]
    pub pool: Box<Account<'info, Pool>>,

    #[account(
        init,
        payer = admin,
        space = 8 + Custody::INIT_SPACE,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), custody_token_mint.key().as_ref()],
        bump
    )]
    pub custody: Box<Account<'info, Custody>>,

    #[account(
        init,
        payer = admin,
        token::mint = custody_token_mint,
        token::authority = transfer_authority,
        seeds = [CUSTODY_TOKEN_ACCOUNT_SEED, pool.key().as_ref(), custody_token_mint.key().as_ref()],
        bump
    )]
    pub custody_token_account: Box<Account<'info, TokenAccount>>,

    /// The token this custody holds (not the pool's own LP mint).
    #[account(constraint = custody_token_mint.key() != pool.lp_token_mint @ PerpPoolError::InvalidCustodyConfig)]
    pub custody_token_mint: Box<Account<'info, Mint>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct AddCustodyParams {
    pub is_stable: bool,
    /// For Custom, `oracle.oracle_account` is ignored and set to the `[ORACLE_SEED, custody]` PDA;
    /// for Pyth it is the price account.
    pub oracle: OracleParams,
    pub fees: Fees,
    /// Trading parameters when this custody is traded (and lending caps when it is collateral).
    pub pricing: PricingParams,
    /// Borrow curve when this custody is collateral (RATE_DECIMALS per hour).
    pub borrow_rate: BorrowRateParams,
}

pub fn handler(ctx: Context<AddCustody>, params: &AddCustodyParams) -> Result<()> {
    // params
    validate!(
        ctx.accounts.pool.custodies.len() < usize::from(MAX_CUSTODIES),
        PerpPoolError::TooManyCustodies
    )?;
    validate_custody_config(
        &params.oracle,
        &params.fees,
        &params.pricing,
        &params.borrow_rate,
    )?;
    let now = Clock::get()?.unix_timestamp;

    let custody_key = ctx.accounts.custody.key();
    let pool_key = ctx.accounts.pool.key();
    let mut oracle = params.oracle;
    if oracle.oracle_type == OracleType::Custom {
        oracle.oracle_account =
            Pubkey::find_program_address(&[ORACLE_SEED, custody_key.as_ref()], ctx.program_id).0;
    }

    // mutate
    let custody = ctx.accounts.custody.as_mut();
    custody.pool = pool_key;
    custody.mint = ctx.accounts.custody_token_mint.key();
    custody.token_account = ctx.accounts.custody_token_account.key();
    custody.decimals = ctx.accounts.custody_token_mint.decimals;
    custody.is_stable = params.is_stable;
    custody.oracle = oracle;
    custody.fees = params.fees;
    custody.pricing = params.pricing;
    custody.borrow_rate = params.borrow_rate;
    custody.borrow_rate_state = BorrowRateState {
        last_update: now,
        ..BorrowRateState::default()
    };
    custody.assets = Assets::default();
    custody.collected_fees = FeesStats::default();
    custody.long_positions = PositionStats::default();
    custody.short_positions = PositionStats::default();
    custody.bad_debt_usd = 0;
    custody.orders = OrderParams {
        max_orders_per_owner: DEFAULT_MAX_ORDERS_PER_OWNER,
        executor_fee_usd: DEFAULT_EXECUTOR_FEE_USD,
    };
    // The rate at zero utilisation (base_rate), so accrual before the first trade is exact.
    custody.update_borrow_rate()?;
    custody.bump = ctx.bumps.custody;
    custody.token_account_bump = ctx.bumps.custody_token_account;

    let pool = ctx.accounts.pool.as_mut();
    pool.custodies.push(custody_key);
    let custody_count: u8 = cast(pool.custodies.len())?;

    // emit
    emit!(CustodyAdded {
        pool: pool_key,
        custody: custody_key,
        mint: custody.mint,
        token_account: custody.token_account,
        decimals: custody.decimals,
        is_stable: custody.is_stable,
        oracle,
        fees: custody.fees,
        pricing: custody.pricing,
        borrow_rate: custody.borrow_rate,
        custody_count,
    });
    Ok(())
}
