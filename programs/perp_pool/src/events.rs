//! One event per state change, for indexers and bots. Units are in every field's doc:
//! "tokens" = base units of the named mint, USD = USD_DECIMALS (10^-6 USD),
//! an oracle price = `price * 10^price_exponent` USD per whole token (exact, as read).

use {
    crate::{
        state::{
            custody::{BorrowRateParams, Fees, PricingParams},
            oracle::OracleParams,
            perpetuals::Permissions,
            position::Side,
        },
        types::{LockTier, OrderKind, OrderParams, SkewParams, Tranche, WeightParams},
    },
    anchor_lang::prelude::*,
};

/// `initialize`.
#[event]
pub struct PerpetualsInitialized {
    pub admin: Pubkey,
    pub perpetuals: Pubkey,
    pub transfer_authority: Pubkey,
    pub permissions: Permissions,
    /// Unix seconds.
    pub inception_time: i64,
}

/// `set_permissions`.
#[event]
pub struct PermissionsSet {
    pub admin: Pubkey,
    pub permissions: Permissions,
}

/// `add_pool`.
#[event]
pub struct PoolAdded {
    pub pool: Pubkey,
    pub name: String,
    pub lp_token_mint: Pubkey,
    pub lp_cooldown_sec: u32,
    /// Unix seconds.
    pub inception_time: i64,
}

/// `add_custody`.
#[event]
pub struct CustodyAdded {
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub mint: Pubkey,
    /// The custody's vault.
    pub token_account: Pubkey,
    /// Decimals of `mint`.
    pub decimals: u8,
    pub is_stable: bool,
    /// As stored (for Custom, `oracle_account` is the derived PDA).
    pub oracle: OracleParams,
    /// BPS.
    pub fees: Fees,
    pub pricing: PricingParams,
    /// RATE_DECIMALS per hour.
    pub borrow_rate: BorrowRateParams,
    /// Number of custodies in the pool after this one.
    pub custody_count: u8,
}

/// `set_custom_oracle_price`: the values written, in the oracle's own scale.
#[event]
pub struct CustomOraclePriceSet {
    pub custody: Pubkey,
    pub oracle_account: Pubkey,
    pub oracle_authority: Pubkey,
    /// `price * 10^expo` USD per whole token.
    pub price: u64,
    pub expo: i32,
    /// Same scale as `price`.
    pub conf: u64,
    /// Same scale as `price`; 0 = none.
    pub ema: u64,
    /// Unix seconds.
    pub publish_time: i64,
}

/// `add_liquidity`.
#[event]
pub struct LiquidityAdded {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    /// The tranche (Junior: the pool's LP mint, the only one of a pool without tranches).
    pub tranche: Tranche,
    pub lp_token_mint: Pubkey,
    /// Tokens taken from the funding account (fee included).
    pub amount_in: u64,
    /// Tokens: deposit fee (rounded up).
    pub fee_amount: u64,
    /// The deposit fee rate, BPS: the custody's flat rate steered by its weight.
    pub fee_bps: u64,
    /// Tokens: protocol's part of the fee.
    pub protocol_fee_amount: u64,
    /// USD: (amount_in - fee_amount) at the min price (rounded down).
    pub deposit_usd: u64,
    /// LP base units (LP_DECIMALS) minted.
    pub lp_amount_out: u64,
    /// Min oracle price used to value the deposit: `price * 10^price_exponent` USD per token.
    pub price: u64,
    pub price_exponent: i32,
    /// USD: pool AUM at max prices before the deposit (what LP was issued against).
    pub aum_max_usd: u128,
    /// USD: the tranches' NAVs at `aum_max_usd` (the deposited one valued high); the LP was
    /// priced against the deposited tranche's.
    pub junior_nav_usd: u128,
    pub senior_nav_usd: u128,
    /// USD: pool AUM at min prices after the deposit (= pool.aum_usd).
    pub pool_aum_usd: u128,
    /// LP base units: the tranche's LP supply after the deposit (the junior's with its dead
    /// shares).
    pub lp_supply: u64,
    /// LP base units issued to no one (the first deposit's DEAD_LP_SUPPLY, else 0).
    pub dead_lp_amount: u64,
    /// Unix seconds until which the receiving LP account stays frozen (`LpCooldown`).
    pub unlock_time: i64,
    /// Tokens: custody.assets.owned after the deposit.
    pub custody_owned: u64,
    /// Slot of the deposit (= pool.last_add_liquidity_slot).
    pub slot: u64,
}

/// `remove_liquidity`.
#[event]
pub struct LiquidityRemoved {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    /// The tranche (Junior: the pool's LP mint, the only one of a pool without tranches).
    pub tranche: Tranche,
    pub lp_token_mint: Pubkey,
    /// LP base units burned.
    pub lp_amount_in: u64,
    /// USD: the LP's share of AUM at min prices (rounded down).
    pub withdraw_usd: u64,
    /// Tokens: withdraw_usd at the max price (rounded down), before the fee.
    pub gross_amount: u64,
    /// Tokens: redemption fee (rounded up).
    pub fee_amount: u64,
    /// The redemption fee rate, BPS: the custody's flat rate steered by its weight.
    pub fee_bps: u64,
    /// Tokens: protocol's part of the fee.
    pub protocol_fee_amount: u64,
    /// Tokens sent to the receiving account.
    pub amount_out: u64,
    /// Max oracle price used to pay out: `price * 10^price_exponent` USD per token.
    pub price: u64,
    pub price_exponent: i32,
    /// USD: pool AUM at min prices before the withdrawal (what LP was redeemed against).
    pub aum_min_usd: u128,
    /// USD: the tranches' NAVs at `aum_min_usd` (the redeemed one valued low); the LP was
    /// redeemed against the redeemed tranche's.
    pub junior_nav_usd: u128,
    pub senior_nav_usd: u128,
    /// USD: pool AUM at min prices after the withdrawal (= pool.aum_usd).
    pub pool_aum_usd: u128,
    /// LP base units: the tranche's LP supply after the burn (the junior's with its dead shares).
    pub lp_supply: u64,
    /// Tokens: custody.assets.owned after the withdrawal.
    pub custody_owned: u64,
}

// ---------------------------------------------------------------------------------------------
// Perpetuals core. Prices are PRICE_DECIMALS (10^-9 USD per whole traded token); "tokens" are
// base units of the collateral custody's mint; rates RATE_DECIMALS.
// ---------------------------------------------------------------------------------------------

/// `open_position`.
#[event]
pub struct PositionOpened {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub position: Pubkey,
    pub custody: Pubkey,
    pub collateral_custody: Pubkey,
    pub side: Side,
    /// Entry price (spread included).
    pub price: u64,
    /// Size in the traded token, QUANTITY_DECIMALS (rounded against the trader).
    pub quantity: u128,
    /// USD.
    pub size_usd: u64,
    /// Tokens taken from the funding account (open fee included).
    pub collateral_in: u64,
    /// Tokens: position collateral after the fee.
    pub collateral_amount: u64,
    /// USD: collateral_amount at the collateral custody's min price.
    pub collateral_usd: u64,
    /// Tokens locked for the payoff.
    pub locked_amount: u64,
    /// USD: open fee (utilisation-scaled).
    pub fee_usd: u64,
    /// Tokens: fee_usd at the max price (ceil); split below, the rest to LPs.
    pub fee_amount: u64,
    pub protocol_fee_amount: u64,
    pub insurance_fee_amount: u64,
    /// Tokens: LP stakers' part of the fee (into the custody's stake rewards).
    pub staker_fee_amount: u64,
    /// Collateral custody utilisation after the lock.
    pub utilization: u64,
    /// Collateral custody borrow rate after the trade (per hour) and index (the snapshot).
    pub borrow_rate: u64,
    pub cumulative_interest: u128,
    /// Unix seconds.
    pub time: i64,
}

/// `increase_position`.
#[event]
pub struct PositionIncreased {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub position: Pubkey,
    pub custody: Pubkey,
    pub collateral_custody: Pubkey,
    pub side: Side,
    /// Entry price of the added size.
    pub entry_price: u64,
    /// USD added.
    pub size_delta_usd: u64,
    /// Quantity added (QUANTITY_DECIMALS, rounded against the trader).
    pub quantity_delta: u128,
    /// Tokens taken from the funding account (may be 0).
    pub collateral_in: u64,
    pub fee_usd: u64,
    pub fee_amount: u64,
    pub protocol_fee_amount: u64,
    pub insurance_fee_amount: u64,
    /// Tokens: LP stakers' part of the fee (into the custody's stake rewards).
    pub staker_fee_amount: u64,
    /// Interest settled on the previous size, USD and tokens (to LPs).
    pub interest_usd: u64,
    pub interest_amount: u64,
    /// The position after: average entry price, quantity, size, collateral, lock.
    pub price: u64,
    pub quantity: u128,
    pub size_usd: u64,
    pub collateral_amount: u64,
    pub collateral_usd: u64,
    pub locked_amount: u64,
    pub utilization: u64,
    pub borrow_rate: u64,
    pub cumulative_interest: u128,
    pub time: i64,
}

/// `decrease_position` (partial) and `close_position` (`size_usd == 0` after).
#[event]
pub struct PositionDecreased {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub position: Pubkey,
    pub custody: Pubkey,
    pub collateral_custody: Pubkey,
    pub side: Side,
    /// Exit price (spread included).
    pub exit_price: u64,
    /// USD closed.
    pub size_delta_usd: u64,
    /// Quantity given back (QUANTITY_DECIMALS, rounded against the trader).
    pub quantity_delta: u128,
    /// USD on the closed size; profit capped at the released lock's value.
    pub profit_usd: u64,
    pub loss_usd: u64,
    /// USD owed: close fee, interest (on the whole size, settled).
    pub fee_usd: u64,
    pub interest_usd: u64,
    /// Tokens: profit paid by the pool.
    pub profit_amount: u64,
    /// Tokens actually paid: to LPs (loss + interest), fee (split), to the owner.
    pub lp_paid: u64,
    pub fee_paid: u64,
    pub protocol_fee_amount: u64,
    pub insurance_fee_amount: u64,
    /// Tokens: LP stakers' part of the fee (into the custody's stake rewards).
    pub staker_fee_amount: u64,
    pub amount_out: u64,
    /// Tokens leaving the position's collateral; lock released.
    pub collateral_taken: u64,
    pub locked_released: u64,
    /// Tokens of unpaid loss + interest covered by the insurance fund, USD left as bad debt
    /// (only when a close cannot pay).
    pub insurance_draw: u64,
    pub bad_debt_usd: u64,
    /// The position after (all 0 once closed).
    pub size_usd: u64,
    pub quantity: u128,
    pub collateral_amount: u64,
    pub collateral_usd: u64,
    pub locked_amount: u64,
    /// Position totals so far, USD.
    pub realized_pnl_usd: i64,
    pub realized_fees_usd: u64,
    pub borrow_rate: u64,
    pub cumulative_interest: u128,
    pub time: i64,
}

/// `liquidate`.
#[event]
pub struct PositionLiquidated {
    pub owner: Pubkey,
    pub liquidator: Pubkey,
    pub pool: Pubkey,
    pub position: Pubkey,
    pub custody: Pubkey,
    pub collateral_custody: Pubkey,
    pub side: Side,
    pub exit_price: u64,
    /// The position liquidated: entry price, USD size, collateral tokens.
    pub entry_price: u64,
    pub size_usd: u64,
    pub collateral_amount: u64,
    pub profit_usd: u64,
    pub loss_usd: u64,
    /// USD owed: liquidation fee, interest, liquidator reward.
    pub fee_usd: u64,
    pub interest_usd: u64,
    pub reward_usd: u64,
    /// Tokens actually paid (waterfall order: lp_paid, fee_paid, then reward_paid).
    pub reward_paid: u64,
    pub lp_paid: u64,
    pub fee_paid: u64,
    pub protocol_fee_amount: u64,
    pub insurance_fee_amount: u64,
    /// Tokens: LP stakers' part of the fee (into the custody's stake rewards).
    pub staker_fee_amount: u64,
    /// Tokens left after everything, to LPs.
    pub remainder_to_pool: u64,
    /// Tokens of unpaid loss + interest covered by the insurance fund; USD left as bad debt.
    pub insurance_draw: u64,
    pub bad_debt_usd: u64,
    pub borrow_rate: u64,
    pub cumulative_interest: u128,
    pub time: i64,
}

/// `add_collateral`.
#[event]
pub struct CollateralAdded {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub position: Pubkey,
    pub custody: Pubkey,
    pub collateral_custody: Pubkey,
    pub side: Side,
    /// Tokens added.
    pub amount: u64,
    /// The position's collateral after, tokens and USD (min price).
    pub collateral_amount: u64,
    pub collateral_usd: u64,
    pub time: i64,
}

/// `remove_collateral`.
#[event]
pub struct CollateralRemoved {
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub position: Pubkey,
    pub custody: Pubkey,
    pub collateral_custody: Pubkey,
    pub side: Side,
    /// USD requested.
    pub collateral_usd_requested: u64,
    /// Tokens sent (requested USD at the max price, floor).
    pub amount_out: u64,
    pub collateral_amount: u64,
    pub collateral_usd: u64,
    pub time: i64,
}

/// `set_custody_config`: the values now stored.
#[event]
pub struct CustodyConfigSet {
    pub admin: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub oracle: OracleParams,
    pub fees: Fees,
    pub pricing: PricingParams,
    pub borrow_rate: BorrowRateParams,
    /// Rate after the change, RATE_DECIMALS per hour.
    pub current_borrow_rate: u64,
}

/// `withdraw_protocol_fees`.
#[event]
pub struct ProtocolFeesWithdrawn {
    pub admin: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub receiving_account: Pubkey,
    /// Tokens.
    pub amount: u64,
    /// Tokens left in custody.assets.protocol_fees.
    pub protocol_fees: u64,
}

/// `transfer_admin`.
#[event]
pub struct AdminTransferProposed {
    pub admin: Pubkey,
    pub pending_admin: Pubkey,
}

/// `accept_admin`.
#[event]
pub struct AdminTransferred {
    pub previous_admin: Pubkey,
    pub admin: Pubkey,
}

/// `update_pool_aum`.
#[event]
pub struct PoolAumUpdated {
    pub pool: Pubkey,
    /// USD: min-mode AUM (= pool.aum_usd), PnL and interest included.
    pub aum_usd: u128,
    pub time: i64,
}

/// `unlock_lp`: an LP token account's deposit cooldown is over and it was thawed.
#[event]
pub struct LpUnlocked {
    pub pool: Pubkey,
    pub lp_token_account: Pubkey,
    pub owner: Pubkey,
    pub time: i64,
}

/// `top_up_insurance_fund` (anyone) and `withdraw_insurance_fund` (admin).
#[event]
pub struct InsuranceFundChanged {
    pub signer: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    /// Funding account (top-up) or receiving account (withdrawal).
    pub token_account: Pubkey,
    pub amount_in: u64,
    pub amount_out: u64,
    /// Tokens in the custody's insurance fund after.
    pub insurance_fund: u64,
}

/// `close_capped_position` (after its PositionDecreased): a keeper closed a position whose profit
/// had reached its payoff cap.
#[event]
pub struct CappedPositionClosed {
    pub position: Pubkey,
    pub owner: Pubkey,
    pub keeper: Pubkey,
    /// Tokens (collateral mint) paid to the keeper, out of what the owner would have received.
    pub reward_paid: u64,
    /// Exit price (spread included), PRICE_DECIMALS.
    pub exit_price: u64,
    /// Unix seconds.
    pub time: i64,
}

// ---- trigger orders (docs/design.md "Trigger orders"). Prices PRICE_DECIMALS, USD USD_DECIMALS,
// tokens base units of the collateral custody's mint. An execution also emits the trade's own
// event first (PositionDecreased, PositionOpened or PositionIncreased).

/// `set_order_config` (admin).
#[event]
pub struct OrderConfigSet {
    pub admin: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub orders: OrderParams,
}

/// `set_skew_config`.
#[event]
pub struct SkewConfigSet {
    pub admin: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub skew: SkewParams,
    /// The premium rates after the change, RATE_DECIMALS per hour.
    pub long_premium_rate: u64,
    pub short_premium_rate: u64,
    pub time: i64,
}

/// `place_order`.
#[event]
pub struct OrderPlaced {
    pub order: Pubkey,
    pub owner: Pubkey,
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub collateral_custody: Pubkey,
    pub kind: OrderKind,
    pub side: Side,
    pub index: u8,
    pub trigger_price: u64,
    pub price_limit: u64,
    /// USD (take-profit / stop-loss: to close; limit: to open or add).
    pub size_usd: u64,
    /// Tokens escrowed for a limit order's position.
    pub collateral_amount: u64,
    /// Tokens escrowed for the executor.
    pub executor_fee: u64,
    /// The price the order watches, now (exit for TP/SL, entry for limit).
    pub watched_price: u64,
    /// Unix seconds.
    pub time: i64,
}

/// `edit_order`: the order's new trigger, price limit and size.
#[event]
pub struct OrderEdited {
    pub order: Pubkey,
    pub owner: Pubkey,
    pub trigger_price: u64,
    pub price_limit: u64,
    pub size_usd: u64,
    pub watched_price: u64,
    pub time: i64,
}

/// `cancel_order` (the owner: everything escrowed refunded) or `remove_void_order` (anyone, for
/// a take-profit / stop-loss whose position is gone: the executor fee to the remover).
#[event]
pub struct OrderCancelled {
    pub order: Pubkey,
    pub owner: Pubkey,
    /// The signer: the owner, or whoever removed a void order.
    pub by: Pubkey,
    pub kind: OrderKind,
    /// The order was void (its position closed or replaced).
    pub void: bool,
    /// Tokens back to the owner (collateral + executor fee on a cancel).
    pub refunded: u64,
    /// Tokens to the remover of a void order.
    pub executor_fee_paid: u64,
    pub time: i64,
}

/// `execute_trigger_order` / `execute_limit_order` (after the trade's own event).
#[event]
pub struct OrderExecuted {
    pub order: Pubkey,
    pub owner: Pubkey,
    pub executor: Pubkey,
    pub position: Pubkey,
    pub kind: OrderKind,
    pub side: Side,
    pub trigger_price: u64,
    /// Exit (TP/SL) or entry (limit) price of the trade.
    pub execution_price: u64,
    /// USD closed (TP/SL) or opened / added (limit).
    pub size_usd: u64,
    /// TP/SL: the whole position was closed. Limit: a position was opened (not increased).
    pub full: bool,
    /// Tokens of escrowed collateral deposited into the position (limit).
    pub collateral_amount: u64,
    /// Tokens paid to the executor.
    pub executor_fee_paid: u64,
    pub time: i64,
}

/// `add_senior_tranche`.
#[event]
pub struct SeniorTrancheAdded {
    pub pool: Pubkey,
    pub senior_lp_token_mint: Pubkey,
    /// SENIOR_INDEX_DECIMALS: the starting index (SENIOR_INDEX_POWER, 1 USD per whole LP).
    pub index: u128,
    pub rate_bps: u32,
    pub max_senior_junior_ratio_bps: u32,
    pub senior_deposit_ratio_bps: u32,
    /// USD, 0: no capacity.
    pub max_senior_usd: u64,
    pub time: i64,
}

/// `set_tranche_config`: on a rate change the index is rebased to its value now, so the change
/// moves no value.
#[event]
pub struct TrancheConfigSet {
    pub pool: Pubkey,
    /// SENIOR_INDEX_DECIMALS: the index at `index_time` from which `rate_bps` runs.
    pub index: u128,
    pub index_time: i64,
    pub old_rate_bps: u32,
    pub rate_bps: u32,
    pub max_senior_junior_ratio_bps: u32,
    pub senior_deposit_ratio_bps: u32,
    /// USD, 0: no capacity.
    pub max_senior_usd: u64,
    pub time: i64,
}

// ---- LP staking (docs/design.md "Lock-ups"). LP amounts in LP base units, rewards in base units
// of the reward custody's mint, weights in LP units x multiplier, indexes REWARD_INDEX_DECIMALS.

/// `init_stake_pool` (admin).
#[event]
pub struct StakePoolInitialized {
    pub admin: Pubkey,
    pub pool: Pubkey,
    pub stake_pool: Pubkey,
    pub reward_custody: Pubkey,
    pub ladder: Vec<LockTier>,
    pub junior_share_bps: u64,
    /// The junior slot's staked-LP vault.
    pub junior_vault: Pubkey,
    /// Tokens routed before the stake pool existed, given back to the LPs (no weight yet).
    pub returned_to_lps: u64,
    pub time: i64,
}

/// `add_stake_vault` (admin): a tranche slot opened with its staked-LP vault.
#[event]
pub struct StakeVaultAdded {
    pub admin: Pubkey,
    pub stake_pool: Pubkey,
    pub tranche: Tranche,
    pub lp_mint: Pubkey,
    pub vault: Pubkey,
    pub time: i64,
}

/// `set_stake_pool_config` (admin). Existing stakes keep their ends and weights.
#[event]
pub struct StakePoolConfigSet {
    pub admin: Pubkey,
    pub stake_pool: Pubkey,
    pub ladder: Vec<LockTier>,
    pub junior_share_bps: u64,
    pub time: i64,
}

/// Any stake instruction whose update took in routed rewards or processed a week boundary, and
/// every `update_stake_pool`.
#[event]
pub struct StakePoolUpdated {
    pub stake_pool: Pubkey,
    /// Routed tokens taken in by this update, per slot (junior, senior).
    pub new_rewards: [u64; 2],
    /// Of those, tokens given back to the LPs (the reward custody's owned): slots with no weight.
    pub returned_to_lps: u64,
    /// The custody's `stake_rewards_routed` now taken in.
    pub pulled_routed: u128,
    /// Per slot after the update.
    pub total_weight: [u128; 2],
    pub reward_index: [u128; 2],
    /// The last processed week (unix / WEEK_SECONDS).
    pub week: u64,
    pub time: i64,
}

/// `lock_lp`: LP locked (or a lock extended: amount_in 0).
#[event]
pub struct LpLocked {
    pub owner: Pubkey,
    pub stake: Pubkey,
    pub stake_pool: Pubkey,
    pub tranche: Tranche,
    /// LP moved into the slot's vault.
    pub amount_in: u64,
    /// LP staked after.
    pub amount: u64,
    pub tier: u8,
    pub multiplier_bps: u32,
    /// A week boundary, unix seconds (0: no lock).
    pub lock_end: i64,
    pub weight: u128,
    /// Rewards the settle before the lock booked to the stake.
    pub earned: u64,
    /// The slot's total weight and staked LP after.
    pub total_weight: u128,
    pub staked_amount: u64,
    pub time: i64,
}

/// `unlock_lp_stake`: LP of an ended lock back to its owner.
#[event]
pub struct LpStakeUnlocked {
    pub owner: Pubkey,
    pub stake: Pubkey,
    pub stake_pool: Pubkey,
    pub tranche: Tranche,
    pub lp_token_account: Pubkey,
    pub amount_out: u64,
    /// LP still staked.
    pub amount: u64,
    pub earned: u64,
    pub total_weight: u128,
    pub staked_amount: u64,
    pub time: i64,
}

/// `claim_stake_rewards`.
#[event]
pub struct StakeRewardsClaimed {
    pub owner: Pubkey,
    pub stake: Pubkey,
    pub stake_pool: Pubkey,
    pub tranche: Tranche,
    pub receiving_account: Pubkey,
    /// Reward tokens paid.
    pub amount: u64,
    /// The reward custody's `stake_rewards` after.
    pub stake_rewards: u64,
    pub time: i64,
}

/// `set_custody_weights`.
#[event]
pub struct CustodyWeightsSet {
    pub pool: Pubkey,
    pub custody: Pubkey,
    pub weights: WeightParams,
}

/// `swap`: `amount_in` of the receiving custody's token for `amount_out` of the dispensing one's.
#[event]
pub struct Swapped {
    pub owner: Pubkey,
    pub pool: Pubkey,
    /// The custody the tokens went into.
    pub receiving_custody: Pubkey,
    /// The custody the tokens came out of.
    pub dispensing_custody: Pubkey,
    /// Tokens of the receiving custody taken from the funding account.
    pub amount_in: u64,
    /// USD: amount_in at the receiving custody's min price (rounded down).
    pub in_usd: u64,
    /// Tokens of the dispensing custody: in_usd at its max price (rounded down), before the fee.
    pub gross_out: u64,
    /// The swap fee rate, BPS: the dearer of the two legs' weight fees.
    pub fee_bps: u64,
    /// Tokens of the dispensing custody: the fee (rounded up).
    pub fee_amount: u64,
    /// Tokens: the protocol's part of the fee.
    pub protocol_fee_amount: u64,
    /// Tokens of the dispensing custody sent to the receiving account.
    pub amount_out: u64,
    /// Weights after the swap, parts per billion of the pool's owned value.
    pub receiving_weight_ppb: u64,
    pub dispensing_weight_ppb: u64,
    /// The pool's AUM after the swap (min prices), USD.
    pub pool_aum_usd: u128,
    pub receiving_price: u64,
    pub receiving_price_exponent: i32,
    pub dispensing_price: u64,
    pub dispensing_price_exponent: i32,
}
