//! perp_pool: a peer-to-pool perpetual futures exchange. This file only routes instructions;
//! each lives in `instructions/<name>.rs` (docs/design.md is the contract for names and math).
//!
//! Layers, each using only those below it: `instructions` (accounts, params, handlers) ->
//! `controller` (mutations of loaded accounts shared by handlers) and `validation` (config
//! checks, the `validate!` macro, the post-CPI vault check) -> `state` (accounts and their small
//! methods) -> `math` (pure integer math) -> `types` (plain data shared by all), `constants`,
//! `errors`.
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
pub mod controller;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;
pub mod types;
pub mod validation;

use {
    instructions::*,
    math::pnl::ProfitAndLoss,
    types::{OrderParams, SkewParams, TrancheConfigParams, WeightParams},
};

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

    /// Admin: replaces a custody's oracle, fee, pricing and borrow-rate parameters.
    pub fn set_custody_config(
        ctx: Context<SetCustodyConfig>,
        params: SetCustodyConfigParams,
    ) -> Result<()> {
        instructions::set_custody_config::handler(ctx, &params)
    }

    /// Admin: withdraws a custody's protocol fees to a token account of its mint.
    pub fn withdraw_protocol_fees(
        ctx: Context<WithdrawProtocolFees>,
        params: WithdrawProtocolFeesParams,
    ) -> Result<()> {
        instructions::withdraw_protocol_fees::handler(ctx, &params)
    }

    /// Admin: withdraws from a custody's insurance fund to a token account of its mint.
    pub fn withdraw_insurance_fund(
        ctx: Context<WithdrawProtocolFees>,
        params: InsuranceFundParams,
    ) -> Result<()> {
        instructions::withdraw_insurance_fund::handler(ctx, &params)
    }

    /// Anyone: adds tokens to a custody's insurance fund.
    pub fn top_up_insurance_fund(
        ctx: Context<TopUpInsuranceFund>,
        params: InsuranceFundParams,
    ) -> Result<()> {
        instructions::top_up_insurance_fund::handler(ctx, &params)
    }

    /// Admin: proposes a new admin (takes effect on `accept_admin`).
    pub fn transfer_admin(ctx: Context<TransferAdmin>, params: TransferAdminParams) -> Result<()> {
        instructions::transfer_admin::handler(ctx, &params)
    }

    /// The pending admin accepts the role.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::accept_admin::handler(ctx)
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

    /// Anyone: thaws an LP token account whose deposit cooldown is over.
    pub fn unlock_lp(ctx: Context<UnlockLp>) -> Result<()> {
        instructions::unlock_lp::handler(ctx)
    }

    // ---- trader ---------------------------------------------------------------------------

    /// Opens a position on `custody` with collateral in the stable `collateral_custody`.
    pub fn open_position(ctx: Context<OpenPosition>, params: OpenPositionParams) -> Result<()> {
        instructions::open_position::handler(ctx, &params)
    }

    /// Closes part of a position (strictly less than its size).
    pub fn decrease_position(
        ctx: Context<SettlePosition>,
        params: DecreasePositionParams,
    ) -> Result<()> {
        instructions::decrease_position::handler(ctx, &params)
    }

    /// Adds size (and optionally collateral) to an open position.
    pub fn increase_position(
        ctx: Context<FundPosition>,
        params: IncreasePositionParams,
    ) -> Result<()> {
        instructions::increase_position::handler(ctx, &params)
    }

    /// Closes the whole position; the owner gets the payout and the position's rent.
    pub fn close_position(ctx: Context<ClosePosition>, params: ClosePositionParams) -> Result<()> {
        instructions::close_position::handler(ctx, &params)
    }

    /// Deposits collateral into an open position.
    pub fn add_collateral(ctx: Context<FundPosition>, params: AddCollateralParams) -> Result<()> {
        instructions::add_collateral::handler(ctx, &params)
    }

    /// Withdraws collateral (USD value) from an open position, within max initial leverage.
    pub fn remove_collateral(
        ctx: Context<SettlePosition>,
        params: RemoveCollateralParams,
    ) -> Result<()> {
        instructions::remove_collateral::handler(ctx, &params)
    }

    // ---- keeper (permissionless) ----------------------------------------------------------

    /// Liquidates a liquidatable position; the signer gets the reward and the position's rent.
    pub fn liquidate(ctx: Context<Liquidate>) -> Result<()> {
        instructions::liquidate::handler(ctx)
    }

    /// Closes a position whose profit has reached its payoff cap; the owner gets the payout less
    /// the signer's reward, and the position's rent.
    pub fn close_capped_position(ctx: Context<CloseCappedPosition>) -> Result<()> {
        instructions::close_capped_position::handler(ctx)
    }

    /// Accrues every custody's interest and stores the pool's AUM. Remaining accounts:
    /// (custody (writable), oracle) of every custody.
    pub fn update_pool_aum<'info>(
        ctx: Context<'_, '_, '_, 'info, UpdatePoolAum<'info>>,
    ) -> Result<()> {
        instructions::update_pool_aum::handler(ctx)
    }

    // ---- trigger orders (docs/design.md "Trigger orders") --------------------------------

    /// Admin: replaces a market's order parameters (most orders per owner, executor fee).
    pub fn set_order_config(ctx: Context<SetCustodyConfig>, params: OrderParams) -> Result<()> {
        instructions::set_order_config::handler(ctx, &params)
    }

    /// Admin: replaces a market's skew premium and net exposure caps (all zero = none).
    pub fn set_skew_config(ctx: Context<SetCustodyConfig>, params: SkewParams) -> Result<()> {
        instructions::set_skew_config::handler(ctx, &params)
    }

    /// Admin: gives a pool without LP yet a senior tranche (its own LP mint); the pool's LP
    /// mint becomes the junior, first-loss tranche.
    pub fn add_senior_tranche(
        ctx: Context<AddSeniorTranche>,
        params: TrancheConfigParams,
    ) -> Result<()> {
        instructions::add_senior_tranche::handler(ctx, &params)
    }

    /// Admin: a tranched pool's senior target rate and coverage limit (the index is rebased
    /// first: a rate change applies from now on).
    pub fn set_tranche_config(
        ctx: Context<SetTrancheConfig>,
        params: TrancheConfigParams,
    ) -> Result<()> {
        instructions::set_tranche_config::handler(ctx, &params)
    }

    /// Owner: leaves a take-profit, stop-loss or limit order; escrows the executor fee (and a
    /// limit order's collateral).
    pub fn place_order(ctx: Context<PlaceOrder>, params: PlaceOrderParams) -> Result<()> {
        instructions::place_order::handler(ctx, &params)
    }

    /// Owner: changes an order's trigger, price limit and size.
    pub fn edit_order(ctx: Context<EditOrder>, params: EditOrderParams) -> Result<()> {
        instructions::edit_order::handler(ctx, &params)
    }

    /// Owner: closes an order; its escrow is refunded.
    pub fn cancel_order(ctx: Context<CancelOrder>) -> Result<()> {
        instructions::cancel_order::handler(ctx)
    }

    /// Anyone: executes a take-profit or stop-loss whose trigger is reached; the signer gets
    /// the executor fee.
    pub fn execute_trigger_order(ctx: Context<ExecuteTriggerOrder>) -> Result<()> {
        instructions::execute_trigger_order::handler(ctx)
    }

    /// Anyone: executes a limit order whose trigger is reached (opens or increases the
    /// position); the signer gets the executor fee.
    pub fn execute_limit_order(ctx: Context<ExecuteLimitOrder>) -> Result<()> {
        instructions::execute_limit_order::handler(ctx)
    }

    /// Anyone: removes a take-profit or stop-loss whose position is gone; the signer gets the
    /// executor fee, the owner the rent.
    pub fn remove_void_order(ctx: Context<RemoveVoidOrder>) -> Result<()> {
        instructions::remove_void_order::handler(ctx)
    }

    // ---- LP staking (docs/design.md "Lock-ups") ------------------------------------------

    /// Admin: creates the pool's stake pool (ladder, junior share, reward custody) and the junior
    /// slot's staked-LP vault.
    pub fn init_stake_pool(ctx: Context<InitStakePool>, params: InitStakePoolParams) -> Result<()> {
        instructions::init_stake_pool::handler(ctx, &params)
    }

    /// Admin: opens a tranche slot (the senior one of a tranched pool) with its staked-LP vault.
    pub fn add_stake_vault(ctx: Context<AddStakeVault>) -> Result<()> {
        instructions::add_stake_vault::handler(ctx)
    }

    /// Admin: replaces the lock ladder and the junior share (existing locks keep their terms).
    pub fn set_stake_pool_config(
        ctx: Context<SetStakePoolConfig>,
        params: SetStakePoolConfigParams,
    ) -> Result<()> {
        instructions::set_stake_pool_config::handler(ctx, &params)
    }

    /// Owner: locks LP of a tranche for a ladder tier (or extends the lock: amount 0).
    pub fn lock_lp(ctx: Context<LockLp>, params: LockLpParams) -> Result<()> {
        instructions::lock_lp::handler(ctx, &params)
    }

    /// Owner: takes LP out of a stake whose lock has ended.
    pub fn unlock_lp_stake(ctx: Context<UnlockLpStake>, params: UnlockLpStakeParams) -> Result<()> {
        instructions::unlock_lp_stake::handler(ctx, &params)
    }

    /// Owner: pays everything the stake has earned.
    pub fn claim_stake_rewards(ctx: Context<ClaimStakeRewards>) -> Result<()> {
        instructions::claim_stake_rewards::handler(ctx)
    }

    /// Anyone: takes in routed rewards, processes week boundaries, distributes.
    pub fn update_stake_pool(ctx: Context<UpdateStakePool>) -> Result<()> {
        instructions::update_stake_pool::handler(ctx)
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

    /// Admin: a custody's target weight in a multi-asset pool, its bounds and steering fees.
    pub fn set_custody_weights(ctx: Context<SetCustodyConfig>, params: WeightParams) -> Result<()> {
        instructions::set_custody_weights::handler(ctx, &params)
    }

    /// Swaps one custody's token for another's at oracle prices, less a weight-steered fee.
    /// Remaining accounts: (custody, oracle) of every custody but the two legs.
    pub fn swap<'info>(
        ctx: Context<'_, '_, '_, 'info, Swap<'info>>,
        params: SwapParams,
    ) -> Result<()> {
        instructions::swap::handler(ctx, &params)
    }

    /// Every custody's weight now against its target, and the pool's net exposure per asset.
    pub fn get_pool_weights<'info>(
        ctx: Context<'_, '_, '_, 'info, GetPoolWeights<'info>>,
    ) -> Result<PoolWeights> {
        instructions::get_pool_weights::handler(ctx)
    }

    /// What `swap` would pay now for `amount_in`.
    pub fn get_swap_amount_and_fee<'info>(
        ctx: Context<'_, '_, '_, 'info, GetSwapAmountAndFee<'info>>,
        params: GetSwapAmountAndFeeParams,
    ) -> Result<SwapAmountAndFee> {
        instructions::get_swap_amount_and_fee::handler(ctx, &params)
    }

    /// What `add_liquidity` would mint now for `amount` tokens, and its fee.
    pub fn get_add_liquidity_amount_and_fee<'info>(
        ctx: Context<'_, '_, '_, 'info, GetLiquidityAmountAndFee<'info>>,
        params: GetLiquidityAmountAndFeeParams,
    ) -> Result<LiquidityAmountAndFee> {
        instructions::get_liquidity_amount_and_fee::handler(ctx, &params, Direction::Add)
    }

    /// What `remove_liquidity` would pay now for `amount` LP, and its fee.
    pub fn get_remove_liquidity_amount_and_fee<'info>(
        ctx: Context<'_, '_, '_, 'info, GetLiquidityAmountAndFee<'info>>,
        params: GetLiquidityAmountAndFeeParams,
    ) -> Result<LiquidityAmountAndFee> {
        instructions::get_liquidity_amount_and_fee::handler(ctx, &params, Direction::Remove)
    }

    /// The pool's tranches: NAVs, prices, coverage, insurance fund, and a stressed outcome.
    pub fn get_tranche_state<'info>(
        ctx: Context<'_, '_, '_, 'info, GetTrancheState<'info>>,
        params: GetTrancheStateParams,
    ) -> Result<TrancheState> {
        instructions::get_tranche_state::handler(ctx, &params)
    }

    /// Entry price, open fee and liquidation price of a position `open_position` would open now.
    pub fn get_entry_price_and_fee(
        ctx: Context<GetEntryPriceAndFee>,
        params: GetEntryPriceAndFeeParams,
    ) -> Result<NewPositionPricesAndFee> {
        instructions::get_entry_price_and_fee::handler(ctx, &params)
    }

    /// Exit price and close fee of closing the whole position now.
    pub fn get_exit_price_and_fee(ctx: Context<PositionView>) -> Result<PriceAndFee> {
        instructions::get_exit_price_and_fee::handler(ctx)
    }

    /// The position's PnL at the exit price now (profit capped; fees and interest excluded).
    pub fn get_pnl(ctx: Context<PositionView>) -> Result<ProfitAndLoss> {
        instructions::get_pnl::handler(ctx)
    }

    /// Oracle price (PRICE_DECIMALS) at the position's liquidation boundary.
    pub fn get_liquidation_price(ctx: Context<PositionView>) -> Result<u64> {
        instructions::get_liquidation_price::handler(ctx)
    }

    /// Whether `liquidate` would accept the position now.
    pub fn get_liquidation_state(ctx: Context<PositionView>) -> Result<bool> {
        instructions::get_liquidation_state::handler(ctx)
    }

    /// Whether an order passes its own checks now (not void, trigger reached, within its limit).
    pub fn get_order_state(ctx: Context<GetOrderState>) -> Result<OrderState> {
        instructions::get_order_state::handler(ctx)
    }

    /// One market's imbalance, premiums, caps and headroom; remaining accounts: collateral
    /// custodies whose utilisation to report (read-only).
    pub fn get_market_risk<'info>(
        ctx: Context<'_, '_, '_, 'info, GetMarketRisk<'info>>,
    ) -> Result<MarketRisk> {
        instructions::get_market_risk::handler(ctx)
    }

    /// One tranche slot of the stake pool after an update to now (staked and locked shares,
    /// weighted remaining lock time, weight, pending routed rewards).
    pub fn get_stake_pool_state(ctx: Context<GetStakePoolState>) -> Result<StakeTrancheState> {
        instructions::get_stake_pool_state::handler(ctx)
    }

    /// One stake settled now (amount, weight, lock end, claimable rewards).
    pub fn get_stake_state(ctx: Context<GetStakeState>) -> Result<StakeState> {
        instructions::get_stake_state::handler(ctx)
    }

    /// A custody's oracle prices (spot, EMA, min, max), PRICE_DECIMALS.
    pub fn get_oracle_price(ctx: Context<GetOraclePrice>) -> Result<OraclePrices> {
        instructions::get_oracle_price::handler(ctx)
    }
}
