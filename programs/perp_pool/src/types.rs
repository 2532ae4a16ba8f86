//! Plain data types shared by every layer: the position `Side` and the custody parameter structs
//! (`Fees`, `PricingParams`, `BorrowRateParams`) that accounts store, instructions take as params
//! and the pure math reads. A leaf module: it imports nothing from the crate, so `math` can use
//! these without depending on `state` (their config checks live in `validation::config`).

use anchor_lang::prelude::*;

/// Direction of a position. Borsh stores Long = 0, Short = 1; the PDA seed byte is
/// `seed_byte()` (Long = 1, Short = 2).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub enum Side {
    #[default]
    Long,
    Short,
}

impl Side {
    /// The byte in the position PDA seeds: Long = 1, Short = 2 (0 is never a valid side).
    pub fn seed_byte(self) -> u8 {
        match self {
            Side::Long => 1,
            Side::Short => 2,
        }
    }
}

/// A senior tranche's terms (`add_senior_tranche`, `set_tranche_config`; checked by
/// `validation::config::validate_tranche_config`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrancheConfigParams {
    /// Senior target rate, BPS per year (simple), at most MAX_SENIOR_RATE_BPS.
    pub rate_bps: u32,
    /// Coverage limit of a junior withdrawal: senior NAV after it at most junior NAV * this /
    /// BPS_POWER; 1..=MAX_SENIOR_JUNIOR_RATIO_BPS.
    pub max_senior_junior_ratio_bps: u32,
    /// Coverage limit of a senior deposit (checked at min prices); 1..=max_senior_junior_ratio_bps.
    pub senior_deposit_ratio_bps: u32,
    /// Senior capacity in USD (senior NAV after a senior deposit at most this); 0 = no cap.
    pub max_senior_usd: u64,
}

/// A custody's place in a multi-asset pool (`set_custody_weights`; docs/design.md "Multi-asset
/// pools"): its target share of the pool's owned value, the bounds deposits, redemptions and
/// swaps may not push it past, and the fees that steer it toward the target. All zero (the
/// default): no weight rule — deposits and redemptions pay the flat `Fees` rates, no bounds, and
/// the custody cannot be swapped. Checked by `validation::config::validate_weights`.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct WeightParams {
    /// Target share of the pool's owned value, BPS.
    pub target_bps: u64,
    /// Lowest share a redemption or swap out of the custody may leave, BPS.
    pub min_bps: u64,
    /// Highest share a deposit or swap into the custody may leave, BPS; 0 = no weight rule.
    pub max_bps: u64,
    /// The weight tax: extra fee, BPS, on a move away from the target at a distance of the whole
    /// target (GMX's tax basis points); a move toward it gets a rebate of up to this (never below 0).
    pub tax_bps: u64,
    /// Base fee of each leg of a swap, BPS (the swap pays the dearer of its two legs).
    pub swap_bps: u64,
}

impl WeightParams {
    /// Whether the custody has a weight rule.
    pub fn is_set(&self) -> bool {
        self.max_bps > 0
    }
}

/// Fee rates, in BPS (10_000 = 100 %). The trading rates (open, close, liquidation, reward) are
/// read from the TRADED custody; the shares from the custody that receives the fee (the
/// collateral custody for trading fees).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Fees {
    /// Deposit fee, charged on the tokens deposited (rounded up).
    pub add_liquidity_bps: u64,
    /// Redemption fee, charged on the tokens redeemed (rounded up).
    pub remove_liquidity_bps: u64,
    /// Share of every fee set aside as protocol fees (rounded down).
    pub protocol_share_bps: u64,
    /// Open fee on size, doubled linearly from optimal to 100 % utilisation.
    pub open_position_bps: u64,
    /// Close fee on the size closed.
    pub close_position_bps: u64,
    /// Liquidation fee on size (to the pool, split like every fee); at least
    /// `close_position_bps`.
    pub liquidation_bps: u64,
    /// Liquidator's reward on size, paid from the position's collateral.
    pub liquidator_reward_bps: u64,
    /// Share of trading fees paid into the insurance fund (rounded down).
    pub insurance_share_bps: u64,
    /// Share of trading fees routed to LP stakers (rounded down): booked in the receiving
    /// custody's `assets.stake_rewards` and counted in its `stake_rewards_routed`. LPs get what
    /// the protocol, insurance and staker shares leave.
    pub staker_share_bps: u64,
}

/// A market's trading parameters (read from the traded custody), plus the lending caps
/// `max_utilization` and `max_total_locked_usd` (read from the collateral custody).
/// A cap of 0 means unlimited.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct PricingParams {
    /// Trade at max/min(spot, EMA) instead of spot.
    pub use_ema: bool,
    /// Spread added to long entries and taken from long exits, BPS (< 10_000).
    pub trade_spread_long_bps: u64,
    /// Spread taken from short entries and added to short exits, BPS (< 10_000).
    pub trade_spread_short_bps: u64,
    /// Lowest size / collateral at open, BPS (10_000 = 1x).
    pub min_initial_leverage_bps: u64,
    /// Highest size / collateral at open, increase and collateral removal, BPS. 0 = not tradeable.
    pub max_initial_leverage_bps: u64,
    /// Maintenance leverage: above it (size / equity) a position is liquidatable, BPS.
    pub max_leverage_bps: u64,
    /// A position locks size * this / 10_000 USD of collateral tokens: its maximum profit.
    pub max_payoff_mult_bps: u64,
    /// Lending cap: highest utilisation (locked / owned, RATE_DECIMALS) a trade may leave.
    pub max_utilization: u64,
    /// Highest size of one position, USD.
    pub max_position_size_usd: u64,
    /// Lending cap: highest value of `assets.locked` (max price), USD.
    pub max_total_locked_usd: u64,
}

/// Two-slope borrow curve, RATE_DECIMALS per hour (read from the collateral custody).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct BorrowRateParams {
    pub base_rate: u64,
    pub slope1: u64,
    pub slope2: u64,
    /// < RATE_POWER.
    pub optimal_utilization: u64,
}

impl Default for BorrowRateParams {
    /// The reference values: 0 base, 0.008 %/h to optimal, 0.012 %/h more to 100 %, optimal 80 %.
    fn default() -> Self {
        BorrowRateParams {
            base_rate: 0,
            slope1: 80_000,
            slope2: 120_000,
            optimal_utilization: 800_000_000,
        }
    }
}

impl PricingParams {
    /// The spread of `side`.
    pub fn spread_bps(&self, side: Side) -> u64 {
        match side {
            Side::Long => self.trade_spread_long_bps,
            Side::Short => self.trade_spread_short_bps,
        }
    }
}

/// What a trigger order does when its trigger is reached (docs/design.md "Trigger orders").
/// Borsh stores TakeProfit = 0, StopLoss = 1, Limit = 2.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub enum OrderKind {
    /// Closes (part of) the open position once its exit price is at least as good as the
    /// trigger (long: exit >= trigger; short: exit <= trigger).
    #[default]
    TakeProfit,
    /// Closes (part of) the open position once its exit price is at least as bad as the trigger
    /// (long: exit <= trigger; short: exit >= trigger).
    StopLoss,
    /// Opens or increases the position once the entry price is at least as good as the trigger
    /// (long: entry <= trigger; short: entry >= trigger), with collateral escrowed at placement.
    Limit,
}

/// A market's trigger-order parameters (read from the TRADED custody).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct OrderParams {
    /// Most orders one owner may have on this market at once: order indexes `0..max`. 0 = the
    /// market takes no orders.
    pub max_orders_per_owner: u8,
    /// USD paid to whoever executes an order (or removes a void one). Converted to collateral
    /// tokens at placement (the collateral custody's max price, rounded up) and escrowed.
    pub executor_fee_usd: u64,
}

/// An LP tranche of a pool. Every pool has the junior tranche: its LP mint is
/// `pool.lp_token_mint`, the residual claim on the pool (in a pool without tranches, the only
/// one). A tranched pool also has a senior mint (`pool.senior.mint`), whose claim grows at the
/// senior target rate and ranks before the junior's (docs/design.md "LP tranches"). Which LP mint
/// is which tranche is `Pool::lp_mint_tranche`, and nothing else; a stake pool holds a tranche's
/// staked LP in `StakePool::slots[tranche.slot()]`. Borsh stores Junior = 0, Senior = 1.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub enum Tranche {
    /// The first-loss tranche; in a pool without tranches, its only LP (`pool.lp_token_mint`).
    #[default]
    Junior = 0,
    Senior = 1,
}

impl Tranche {
    /// Every tranche, in slot order.
    pub const ALL: [Tranche; 2] = [Tranche::Junior, Tranche::Senior];

    /// The index of this tranche's slot in a stake pool.
    pub fn slot(self) -> usize {
        match self {
            Tranche::Junior => 0,
            Tranche::Senior => 1,
        }
    }
}

/// One rung of a stake pool's lock ladder. Stored in the zero-copy `StakePool` (packed, so no
/// reference to a field is ever taken: read fields by value) and taken as a parameter (borsh,
/// written out below because borsh's derive would borrow the packed fields).
#[zero_copy(unsafe)]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C, packed)]
pub struct LockTier {
    /// Days a lock of this tier runs: MIN_LOCK_DAYS..=MAX_LOCK_DAYS (every tier locks).
    pub duration_days: u16,
    /// Weight per staked LP unit while the lock runs, BPS (10_000 = 1x; at least 1x).
    pub multiplier_bps: u32,
}

impl AnchorSerialize for LockTier {
    fn serialize<W: borsh::maybestd::io::Write>(
        &self,
        writer: &mut W,
    ) -> borsh::maybestd::io::Result<()> {
        let (duration_days, multiplier_bps) = (self.duration_days, self.multiplier_bps);
        AnchorSerialize::serialize(&duration_days, writer)?;
        AnchorSerialize::serialize(&multiplier_bps, writer)
    }
}

impl AnchorDeserialize for LockTier {
    fn deserialize_reader<R: borsh::maybestd::io::Read>(
        reader: &mut R,
    ) -> borsh::maybestd::io::Result<Self> {
        Ok(LockTier {
            duration_days: AnchorDeserialize::deserialize_reader(reader)?,
            multiplier_bps: AnchorDeserialize::deserialize_reader(reader)?,
        })
    }
}

/// A market's skew premium and exposure caps (read from the TRADED custody; `set_skew_config`,
/// checked by `validation::config::validate_skew_config`; docs/design.md "Skew premium and
/// exposure limits"). All zero (the default) = no premium and no cap.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct SkewParams {
    /// The imbalance |long OI - short OI| at which the premiums reach their maximum, as a share
    /// of the pool's AUM (BPS, 10_000 = 100 % of AUM); the premiums ramp linearly up to it.
    /// 0 = no premium (the three premium parameters must then be 0).
    pub scale_aum_bps: u64,
    /// Open-fee premium at full scale, BPS of the open fee (10_000 = the fee doubled).
    pub fee_premium_max_bps: u64,
    /// Open-fee discount at full scale for the part of a trade that reduces the imbalance, BPS
    /// of the open fee. premium + discount <= 10_000 (so opening the other side to earn the
    /// discount and closing it never pays: see the design doc).
    pub fee_discount_max_bps: u64,
    /// Extra borrow rate the majority side pays at full scale, RATE_DECIMALS per hour.
    pub borrow_premium_max_rate: u64,
    /// Cap on |long OI - short OI| in USD; 0 = none.
    pub max_net_exposure_usd: u64,
    /// Cap on |long OI - short OI| as a share of the pool's cached AUM (`pool.aum_usd`), BPS;
    /// 0 = none.
    pub max_net_exposure_aum_bps: u64,
}
