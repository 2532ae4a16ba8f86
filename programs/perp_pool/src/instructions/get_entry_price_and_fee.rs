//! `get_entry_price_and_fee` (view, simulate only): what `open_position` would do now for
//! `collateral_amount` / `size_usd` / `side`: entry price, open fee (utilisation-scaled) and the
//! new position's liquidation price (oracle price, as `get_liquidation_price`). Fails with the
//! errors `open_position` would (caps, leverage, liquidity).

use {
    crate::{
        constants::{CUSTODY_SEED, PERPETUALS_SEED, POOL_SEED},
        errors::PerpPoolError,
        math::{
            backing::{collateral_custody_allowed, TokenBacking},
            pnl::liquidation_price_backed,
            pricing::{entry_price, exit_price},
            trade::{compute_open_position, health_inputs, PositionState},
        },
        state::{custody::Custody, perpetuals::Perpetuals, pool::Pool, position::Side},
        validate,
    },
    anchor_lang::prelude::*,
};

/// Entry price and liquidation price (PRICE_DECIMALS), open fee (USD, and collateral tokens).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NewPositionPricesAndFee {
    pub price: u64,
    pub fee_usd: u64,
    pub fee_amount: u64,
    pub liquidation_price: u64,
}

#[derive(Accounts)]
pub struct GetEntryPriceAndFee<'info> {
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

    #[account(
        seeds = [CUSTODY_SEED, pool.key().as_ref(), collateral_custody.mint.as_ref()],
        bump = collateral_custody.bump
    )]
    pub collateral_custody: Box<Account<'info, Custody>>,

    /// CHECK: must be `collateral_custody.oracle.oracle_account`.
    #[account(
        constraint = collateral_custody_oracle_account.key() == collateral_custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub collateral_custody_oracle_account: UncheckedAccount<'info>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct GetEntryPriceAndFeeParams {
    /// Collateral tokens that would be deposited (fee included).
    pub collateral_amount: u64,
    pub size_usd: u64,
    pub side: Side,
}

pub fn handler(
    ctx: Context<GetEntryPriceAndFee>,
    params: &GetEntryPriceAndFeeParams,
) -> Result<NewPositionPricesAndFee> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let aliased = a.custody.key() == a.collateral_custody.key();
    validate!(
        collateral_custody_allowed(params.side, aliased, a.collateral_custody.is_stable),
        PerpPoolError::InvalidCollateralCustody
    )?;
    let prices = a
        .custody
        .read_trade_prices(&a.custody_oracle_account.to_account_info(), now)?;
    let (min_price, max_price) = a
        .collateral_custody
        .read_min_max_price(&a.collateral_custody_oracle_account.to_account_info(), now)?;
    let spread_bps = a.custody.pricing.spread_bps(params.side);
    let price = entry_price(params.side, prices, spread_bps)?;
    let exit = exit_price(params.side, prices, spread_bps)?;
    let collateral = a.collateral_custody.collateral_view(min_price, max_price);
    let market = a.custody.market().with_aum(a.pool.aum_usd);
    let amounts = compute_open_position(
        params.side,
        params.size_usd,
        price,
        exit,
        params.collateral_amount,
        &collateral,
        &market,
    )?;
    let health = health_inputs(
        &PositionState {
            side: params.side,
            quantity: amounts.quantity,
            size_usd: params.size_usd,
            collateral_amount: amounts.collateral_amount,
            locked_amount: amounts.locked_amount,
        },
        0,
        &collateral,
        &market,
    )?;
    Ok(NewPositionPricesAndFee {
        price,
        fee_usd: amounts.fee_usd,
        fee_amount: amounts.fee_amount,
        liquidation_price: liquidation_price_backed(
            &health,
            spread_bps,
            aliased
                .then_some(TokenBacking {
                    collateral_amount: amounts.collateral_amount,
                    locked_amount: amounts.locked_amount,
                    decimals: a.collateral_custody.decimals,
                })
                .as_ref(),
        )?,
    })
}
