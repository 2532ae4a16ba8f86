//! `open_position`: opens a long or short on `custody` (the traded market), backed by collateral
//! in `collateral_custody` (a stable custody of the same pool). The open fee is taken from the
//! deposited collateral; `size_usd * max_payoff_mult_bps / BPS` USD of collateral-custody tokens
//! are locked for the payoff. One position per (owner, pool, custody, collateral custody, side):
//! a second open fails with InvalidPositionState (use `increase_position`).

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        errors::PerpPoolError,
        events::PositionOpened,
        math::{
            pricing::{entry_price, exit_price},
            safe_math::SafeMath,
            trade::compute_open_position,
        },
        state::{
            custody::{sync_aliased_custodies, Custody},
            perpetuals::Perpetuals,
            pool::Pool,
            position::{Position, Side},
        },
    },
    anchor_lang::prelude::*,
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
#[instruction(params: OpenPositionParams)]
pub struct OpenPosition<'info> {
    /// Position owner; pays the position's rent; authority of `funding_account`.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Source of the collateral, in the collateral custody's token. (The collateral custody's
    /// stability is checked here first, so a non-stable one is reported as such rather than as
    /// a mint mismatch.)
    #[account(
        mut,
        constraint = collateral_custody.is_stable @ PerpPoolError::InvalidCollateralCustody,
        constraint = funding_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub funding_account: Box<Account<'info, TokenAccount>>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The traded custody (its stats change).
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

    /// A stable custody of the same pool.
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump,
        constraint = collateral_custody.is_stable @ PerpPoolError::InvalidCollateralCustody
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,

    /// The collateral custody's vault.
    #[account(
        mut,
        constraint = collateral_custody_token_account.key() == collateral_custody.token_account @ PerpPoolError::InvalidVault
    )]
    pub collateral_custody_token_account: Box<Account<'info, TokenAccount>>,

    /// PDA `[POSITION_SEED, owner, pool, custody, collateral_custody, [side]]`; created here.
    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + Position::INIT_SPACE,
        seeds = [
            POSITION_SEED,
            owner.key().as_ref(),
            pool.key().as_ref(),
            custody.key().as_ref(),
            collateral_custody.key().as_ref(),
            &[params.side.seed_byte()]
        ],
        bump
    )]
    pub position: Box<Account<'info, Position>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct OpenPositionParams {
    /// Worst acceptable entry price, PRICE_DECIMALS: a long fails (PriceSlippage) above it, a
    /// short below it.
    pub price_limit: u64,
    /// Collateral tokens taken from `funding_account`; the open fee is paid out of them.
    pub collateral_amount: u64,
    /// Position size, USD.
    pub size_usd: u64,
    pub side: Side,
}

/// Long: `price <= limit`; short: `price >= limit`.
pub fn check_entry_slippage(side: Side, price: u64, price_limit: u64) -> Result<()> {
    let ok = match side {
        Side::Long => price <= price_limit,
        Side::Short => price >= price_limit,
    };
    require!(ok, PerpPoolError::PriceSlippage);
    Ok(())
}

pub fn handler(ctx: Context<OpenPosition>, params: &OpenPositionParams) -> Result<()> {
    // permissions
    require!(
        ctx.accounts.perpetuals.permissions.allow_open_position,
        PerpPoolError::InstructionNotAllowed
    );

    // params
    require!(
        params.size_usd > 0 && params.collateral_amount > 0,
        PerpPoolError::ZeroAmount
    );
    require!(
        ctx.accounts.position.size_usd == 0,
        PerpPoolError::InvalidPositionState
    );

    // oracle checks
    let now = Clock::get()?.unix_timestamp;
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
    let spread_bps = custody.pricing.spread_bps(params.side);
    let price = entry_price(params.side, prices, spread_bps)?;
    check_entry_slippage(params.side, price, params.price_limit)?;
    // The position must not open liquidatable: it is checked at the exit price too.
    let exit = exit_price(params.side, prices, spread_bps)?;
    let collateral_view = collateral_custody.collateral_view(min_price, max_price);
    let amounts = compute_open_position(
        params.side,
        params.size_usd,
        price,
        exit,
        params.collateral_amount,
        &collateral_view,
        &custody.market(),
    )?;
    let cumulative_interest = collateral_custody
        .borrow_rate_state
        .cumulative_interest_at(now)?;

    // mutate
    let position_key = ctx.accounts.position.key();
    let position = ctx.accounts.position.as_mut();
    position.owner = ctx.accounts.owner.key();
    position.pool = ctx.accounts.pool.key();
    position.custody = ctx.accounts.custody.key();
    position.collateral_custody = ctx.accounts.collateral_custody.key();
    position.side = params.side;
    position.open_time = now;
    position.update_time = now;
    position.price = price;
    position.size_usd = params.size_usd;
    position.quantity = amounts.quantity;
    position.collateral_amount = amounts.collateral_amount;
    position.collateral_usd = amounts.collateral_usd;
    position.locked_amount = amounts.locked_amount;
    position.cumulative_interest_snapshot = cumulative_interest;
    position.realized_pnl_usd = 0;
    position.realized_fees_usd = amounts.fee_usd;
    position.bump = ctx.bumps.position;

    let collateral_custody = ctx.accounts.collateral_custody.as_mut();
    collateral_custody.accrue_interest(now)?;
    collateral_custody.assets.collateral = collateral_custody
        .assets
        .collateral
        .safe_add(amounts.collateral_amount)?;
    collateral_custody.add_fee_split(&amounts.fee_split)?;
    collateral_custody.assets.locked = collateral_custody
        .assets
        .locked
        .safe_add(amounts.locked_amount)?;
    collateral_custody.collected_fees.open_position_usd = collateral_custody
        .collected_fees
        .open_position_usd
        .safe_add(amounts.fee_usd)?;
    collateral_custody
        .borrow_rate_state
        .add_position(position)?;
    collateral_custody.update_borrow_rate()?;
    let borrow_rate = collateral_custody.borrow_rate_state.current_rate;
    ctx.accounts.custody.stats_mut(params.side).add(
        position,
        &collateral_view,
        cumulative_interest,
    )?;
    sync_aliased_custodies(
        &mut ctx.accounts.custody,
        &mut ctx.accounts.collateral_custody,
    );

    // CPI
    Perpetuals::transfer_from_user(
        ctx.accounts.funding_account.to_account_info(),
        ctx.accounts
            .collateral_custody_token_account
            .to_account_info(),
        ctx.accounts.owner.to_account_info(),
        &ctx.accounts.token_program,
        params.collateral_amount,
    )?;

    // emit
    emit!(PositionOpened {
        owner: ctx.accounts.owner.key(),
        pool: ctx.accounts.pool.key(),
        position: position_key,
        custody: ctx.accounts.custody.key(),
        collateral_custody: ctx.accounts.collateral_custody.key(),
        side: params.side,
        price,
        quantity: amounts.quantity,
        size_usd: params.size_usd,
        collateral_in: params.collateral_amount,
        collateral_amount: amounts.collateral_amount,
        collateral_usd: amounts.collateral_usd,
        locked_amount: amounts.locked_amount,
        fee_usd: amounts.fee_usd,
        fee_amount: amounts.fee_amount,
        protocol_fee_amount: amounts.fee_split.protocol,
        insurance_fee_amount: amounts.fee_split.insurance,
        utilization: amounts.utilization_after,
        borrow_rate,
        cumulative_interest,
        time: now,
    });
    Ok(())
}
