//! perp_pool: a peer-to-pool perpetual futures exchange. This file only routes instructions;
//! each lives in `instructions/<name>.rs` (docs/design.md is the contract for names and math).
// Program code never panics, wraps or truncates: errors are named (math::safe_math). Tests may.
#![cfg_attr(
    not(test),
    warn(
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;

use instructions::*;

declare_id!("HxTosyLLPQKXWwvkpRwQEAc2HfF2N59y9Ce7DxTv21FX");

#[program]
pub mod perp_pool {
    use super::*;

    // ---- admin --------------------------------------------------------------------------

    /// Creates the global config; the signer becomes admin, all permissions enabled.
    pub fn initialize(ctx: Context<Initialize>) -> Result<()> {
        instructions::initialize::handler(ctx)
    }

    /// Admin: replaces the global permissions (pause / unpause).
    pub fn set_permissions(
        ctx: Context<SetPermissions>,
        params: SetPermissionsParams,
    ) -> Result<()> {
        instructions::set_permissions::handler(ctx, &params)
    }

    /// Admin: creates a pool and its LP mint.
    pub fn add_pool(ctx: Context<AddPool>, params: AddPoolParams) -> Result<()> {
        instructions::add_pool::handler(ctx, &params)
    }

    /// Admin: adds a token (custody + vault) to a pool.
    pub fn add_custody(ctx: Context<AddCustody>, params: AddCustodyParams) -> Result<()> {
        instructions::add_custody::handler(ctx, &params)
    }

    /// Oracle authority: writes a custody's custom oracle price.
    pub fn set_custom_oracle_price(
        ctx: Context<SetCustomOraclePrice>,
        params: SetCustomOraclePriceParams,
    ) -> Result<()> {
        instructions::set_custom_oracle_price::handler(ctx, &params)
    }

    // ---- LP -----------------------------------------------------------------------------

    /// Deposits tokens, mints LP. Remaining accounts: (custody, oracle) of every other custody.
    pub fn add_liquidity<'info>(
        ctx: Context<'_, '_, '_, 'info, AddLiquidity<'info>>,
        params: AddLiquidityParams,
    ) -> Result<()> {
        instructions::add_liquidity::handler(ctx, &params)
    }

    /// Burns LP, pays tokens. Remaining accounts: (custody, oracle) of every other custody.
    pub fn remove_liquidity<'info>(
        ctx: Context<'_, '_, '_, 'info, RemoveLiquidity<'info>>,
        params: RemoveLiquidityParams,
    ) -> Result<()> {
        instructions::remove_liquidity::handler(ctx, &params)
    }

    // ---- views (simulate; return data) ---------------------------------------------------

    /// Pool AUM at min prices, USD_DECIMALS. Remaining accounts: (custody, oracle) of every custody.
    pub fn get_assets_under_management<'info>(
        ctx: Context<'_, '_, '_, 'info, GetAssetsUnderManagement<'info>>,
    ) -> Result<u128> {
        instructions::get_assets_under_management::handler(ctx)
    }

    /// LP price, USD_DECIMALS per whole LP. Remaining accounts: (custody, oracle) of every custody.
    pub fn get_lp_token_price<'info>(
        ctx: Context<'_, '_, '_, 'info, GetLpTokenPrice<'info>>,
    ) -> Result<u64> {
        instructions::get_lp_token_price::handler(ctx)
    }
}
