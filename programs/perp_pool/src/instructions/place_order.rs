//! `place_order`: the owner leaves a take-profit or stop-loss on its open position, or a limit
//! order that opens or increases it (docs/design.md "Trigger orders"). The executor fee
//! (`custody.orders.executor_fee_usd` at the collateral's max price, rounded up) and a limit
//! order's collateral move into the collateral custody's vault, booked in `assets.escrow`; a
//! limit order also holds the rent of the position it may open. The trigger must not be reached
//! now (InvalidTriggerPrice), a stop-loss must be on the safe side of the position's liquidation
//! boundary (StopLossPastLiquidation), and `index` must be below the market's maximum orders per
//! owner (TooManyOrders).

use {
    crate::{
        constants::{CUSTODY_SEED, ORDER_SEED, PERPETUALS_SEED, POOL_SEED, POSITION_SEED},
        controller::{
            market::MarketSnapshot,
            order::{check_order, escrow_in},
        },
        errors::PerpPoolError,
        events::OrderPlaced,
        math::safe_math::SafeMath,
        state::{
            custody::Custody, order::Order, perpetuals::Perpetuals, pool::Pool, position::Position,
        },
        types::{OrderKind, Side},
        validate,
        validation::vault::VaultBaseline,
    },
    anchor_lang::{prelude::*, system_program},
    anchor_spl::token::{Token, TokenAccount},
};

#[derive(Accounts)]
#[instruction(params: PlaceOrderParams)]
pub struct PlaceOrder<'info> {
    /// The order's owner; pays its rent (and a limit order's position rent); authority of
    /// `funding_account`.
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Source of the escrow, in the collateral custody's token.
    #[account(
        mut,
        constraint = crate::math::backing::collateral_custody_allowed(params.side, custody.key() == collateral_custody.key(), collateral_custody.is_stable) @ PerpPoolError::InvalidCollateralCustody,
        constraint = funding_account.mint == collateral_custody.mint @ PerpPoolError::InvalidMint
    )]
    pub funding_account: Box<Account<'info, TokenAccount>>,

    #[account(seeds = [PERPETUALS_SEED], bump = perpetuals.perpetuals_bump)]
    pub perpetuals: Box<Account<'info, Perpetuals>>,

    #[account(seeds = [POOL_SEED, pool.name.as_bytes()], bump = pool.bump)]
    pub pool: Box<Account<'info, Pool>>,

    /// The traded custody (its order parameters and price).
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

    /// A stable custody of the same pool, or `custody` itself for a long (asset-backed,
    /// `math::backing::collateral_custody_allowed`): holds the escrow.
    #[account(
        mut,
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump,
        constraint = crate::math::backing::collateral_custody_allowed(params.side, custody.key() == collateral_custody.key(), collateral_custody.is_stable) @ PerpPoolError::InvalidCollateralCustody
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

    /// CHECK: the owner's position PDA for this market, collateral custody and side; a
    /// take-profit or stop-loss needs an open position there (InvalidPositionState), a limit
    /// order does not.
    #[account(
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
    pub position: UncheckedAccount<'info>,

    /// PDA `[ORDER_SEED, owner, custody, [index]]`; created here.
    #[account(
        init,
        payer = owner,
        space = 8 + Order::INIT_SPACE,
        seeds = [ORDER_SEED, owner.key().as_ref(), custody.key().as_ref(), &[params.index]],
        bump
    )]
    pub order: Box<Account<'info, Order>>,

    pub system_program: Program<'info, System>,
    pub token_program: Program<'info, Token>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct PlaceOrderParams {
    /// Slot of this order, `< custody.orders.max_orders_per_owner` (the client takes the lowest
    /// free one).
    pub index: u8,
    pub kind: OrderKind,
    pub side: Side,
    /// PRICE_DECIMALS: the exit (TP/SL) or entry (limit) price at which the order executes.
    pub trigger_price: u64,
    /// Worst acceptable execution price, PRICE_DECIMALS (long TP/SL: min exit; short: max exit;
    /// long limit: max entry; short: min entry).
    pub price_limit: u64,
    /// USD (> 0). TP/SL: to close (at least the position's size: all of it); limit: to open or
    /// add.
    pub size_usd: u64,
    /// Limit: collateral tokens to escrow (> 0). TP/SL: 0.
    pub collateral_amount: u64,
}

pub fn handler(ctx: Context<PlaceOrder>, params: &PlaceOrderParams) -> Result<()> {
    // permissions: an order is accepted only while the trade it stands for is
    let permissions = &ctx.accounts.perpetuals.permissions;
    let allowed = match params.kind {
        OrderKind::Limit => permissions.allow_open_position,
        OrderKind::TakeProfit | OrderKind::StopLoss => permissions.allow_close_position,
    };
    validate!(allowed, PerpPoolError::InstructionNotAllowed)?;

    // params
    validate!(
        params.index < ctx.accounts.custody.orders.max_orders_per_owner,
        PerpPoolError::TooManyOrders
    )?;
    validate!(params.size_usd > 0, PerpPoolError::ZeroAmount)?;
    let is_limit = params.kind == OrderKind::Limit;
    if is_limit {
        validate!(params.collateral_amount > 0, PerpPoolError::ZeroAmount)?;
    } else {
        validate!(
            params.collateral_amount == 0,
            PerpPoolError::InvalidOrderKind
        )?;
    }
    let position = Position::load_optional(&ctx.accounts.position.to_account_info())?
        .filter(|p| p.size_usd > 0);
    if !is_limit {
        validate!(position.is_some(), PerpPoolError::InvalidPositionState)?;
    }

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
    let watched_price = check_order(
        &snapshot,
        params.kind,
        params.side,
        params.trigger_price,
        position.as_ref(),
    )?;
    let vault = VaultBaseline::capture(
        &accounts.collateral_custody,
        &accounts.collateral_custody_token_account,
    )?;

    // math + mutate
    let executor_fee = snapshot
        .collateral
        .view
        .owed_tokens(accounts.custody.orders.executor_fee_usd)?;
    let escrowed = params.collateral_amount.safe_add(executor_fee)?;
    escrow_in(&mut accounts.collateral_custody, escrowed)?;
    let position_rent = if is_limit {
        Rent::get()?.minimum_balance(8 + Position::INIT_SPACE)
    } else {
        0
    };
    let order = accounts.order.as_mut();
    order.owner = accounts.owner.key();
    order.pool = accounts.pool.key();
    order.custody = accounts.custody.key();
    order.collateral_custody = accounts.collateral_custody.key();
    order.kind = params.kind;
    order.side = params.side;
    order.index = params.index;
    order.trigger_price = params.trigger_price;
    order.price_limit = params.price_limit;
    order.size_usd = params.size_usd;
    order.collateral_amount = params.collateral_amount;
    order.executor_fee = executor_fee;
    order.position_open_time = position.map_or(0, |p| if is_limit { 0 } else { p.open_time });
    order.position_rent = position_rent;
    order.created_time = now;
    order.update_time = now;
    order.bump = ctx.bumps.order;

    // CPI
    if escrowed > 0 {
        Perpetuals::transfer_from_user(
            accounts.funding_account.to_account_info(),
            accounts.collateral_custody_token_account.to_account_info(),
            accounts.owner.to_account_info(),
            &accounts.token_program,
            escrowed,
        )?;
    }
    if position_rent > 0 {
        system_program::transfer(
            CpiContext::new(
                accounts.system_program.to_account_info(),
                system_program::Transfer {
                    from: accounts.owner.to_account_info(),
                    to: accounts.order.to_account_info(),
                },
            ),
            position_rent,
        )?;
    }
    vault.verify(
        &accounts.collateral_custody,
        &mut accounts.collateral_custody_token_account,
    )?;

    // emit
    let order = &accounts.order;
    emit!(OrderPlaced {
        order: order.key(),
        owner: order.owner,
        pool: order.pool,
        custody: order.custody,
        collateral_custody: order.collateral_custody,
        kind: order.kind,
        side: order.side,
        index: order.index,
        trigger_price: order.trigger_price,
        price_limit: order.price_limit,
        size_usd: order.size_usd,
        collateral_amount: order.collateral_amount,
        executor_fee: order.executor_fee,
        watched_price,
        time: now,
    });
    Ok(())
}
