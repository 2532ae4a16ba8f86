//! `set_custom_oracle_price` (the custody's oracle authority): writes the custody's custom
//! oracle, creating it on first use (the authority pays its rent).

use {
    crate::{
        constants::{MAX_PRICE_EXPONENT, ORACLE_SEED},
        errors::PerpPoolError,
        events::CustomOraclePriceSet,
        state::{
            custody::Custody,
            oracle::{CustomOracle, OracleType},
        },
        validate,
    },
    anchor_lang::prelude::*,
};

#[derive(Accounts)]
pub struct SetCustomOraclePrice<'info> {
    /// Must be `custody.oracle.oracle_authority`; pays for the oracle account on first use.
    #[account(mut)]
    pub oracle_authority: Signer<'info>,

    #[account(
        constraint = custody.oracle.oracle_type == OracleType::Custom @ PerpPoolError::InvalidOracleType,
        constraint = custody.oracle.oracle_authority == oracle_authority.key() @ PerpPoolError::InvalidOracleAuthority
    )]
    pub custody: Box<Account<'info, Custody>>,

    #[account(
        init_if_needed,
        payer = oracle_authority,
        space = 8 + CustomOracle::INIT_SPACE,
        seeds = [ORACLE_SEED, custody.key().as_ref()],
        bump,
        constraint = oracle_account.key() == custody.oracle.oracle_account @ PerpPoolError::InvalidOracleAccount
    )]
    pub oracle_account: Box<Account<'info, CustomOracle>>,

    pub system_program: Program<'info, System>,
}

/// A reading in the oracle's own scale: value = `price * 10^expo` USD per whole token.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct SetCustomOraclePriceParams {
    /// > 0.
    pub price: u64,
    /// |expo| <= MAX_PRICE_EXPONENT.
    pub expo: i32,
    /// Confidence interval, same scale as `price`.
    pub conf: u64,
    /// EMA price, same scale as `price`; 0 = none (readers use spot).
    pub ema: u64,
    /// Unix seconds. Not checked here: readers reject future and stale prices.
    pub publish_time: i64,
}

pub fn handler(
    ctx: Context<SetCustomOraclePrice>,
    params: &SetCustomOraclePriceParams,
) -> Result<()> {
    // params: readers would reject these anyway; failing here tells the pusher at once.
    validate!(params.price > 0, PerpPoolError::InvalidOraclePrice)?;
    validate!(
        params.expo.unsigned_abs() <= MAX_PRICE_EXPONENT.unsigned_abs(),
        PerpPoolError::InvalidOraclePrice
    )?;

    // A reading never replaces a newer one: a delayed or replayed push cannot roll the price
    // back (a fresh account has publish_time 0).
    validate!(
        params.publish_time >= ctx.accounts.oracle_account.publish_time,
        PerpPoolError::OraclePublishTimeRegressed
    )?;

    // mutate
    let oracle = ctx.accounts.oracle_account.as_mut();
    oracle.price = params.price;
    oracle.expo = params.expo;
    oracle.conf = params.conf;
    oracle.ema = params.ema;
    oracle.publish_time = params.publish_time;
    oracle.bump = ctx.bumps.oracle_account;

    // emit
    emit!(CustomOraclePriceSet {
        custody: ctx.accounts.custody.key(),
        oracle_account: ctx.accounts.oracle_account.key(),
        oracle_authority: ctx.accounts.oracle_authority.key(),
        price: params.price,
        expo: params.expo,
        conf: params.conf,
        ema: params.ema,
        publish_time: params.publish_time,
    });
    Ok(())
}
