//! A trader's position: one per (owner, pool, traded custody, collateral custody, side).

use {
    crate::{
        errors::PerpPoolError,
        math::{
            backing::TokenBacking,
            borrow::position_interest_usd,
            pnl::{liquidation_price_backed, HealthInputs},
            pricing::exit_price,
            safe_math::SafeMath,
            trade::{health_inputs, PositionState},
        },
        state::custody::Custody,
    },
    anchor_lang::prelude::*,
};

/// Defined in the leaf `types` module (the math uses it); re-exported at its old path.
pub use crate::types::Side;

/// PDA `[POSITION_SEED, owner, pool, custody, collateral_custody, [side.seed_byte()]]`.
/// Created by `open_position`, closed (rent back) by `close_position` / `liquidate`.
#[account]
#[derive(Debug, Default, InitSpace)]
pub struct Position {
    pub owner: Pubkey,
    pub pool: Pubkey,
    /// The traded custody (price, pricing params, market stats).
    pub custody: Pubkey,
    /// The custody holding collateral, locked payoff, fees and interest: a stable custody, or the
    /// traded custody itself for an asset-backed long (`math::backing`).
    pub collateral_custody: Pubkey,
    pub side: Side,
    /// Unix seconds.
    pub open_time: i64,
    /// Unix seconds of the last change.
    pub update_time: i64,
    /// Average entry price, PRICE_DECIMALS: `size_usd / quantity` (long rounded up, short down).
    /// Informational: PnL, health and the liquidation price are computed from `quantity`.
    pub price: u64,
    /// USD.
    pub size_usd: u64,
    /// Size in the traded token, QUANTITY_DECIMALS: the sum of what each open / increase bought
    /// (long, rounded down) or sold (short, rounded up) at its entry price, less what decreases
    /// gave back. The position's PnL is `quantity * exit_price - size_usd` (long), the opposite
    /// (short).
    pub quantity: u128,
    /// Collateral custody tokens backing the position (fees and settled interest deducted).
    pub collateral_amount: u64,
    /// USD: `collateral_amount` at the collateral custody's min price at the last change
    /// (informational; health always revalues the tokens at the current price).
    pub collateral_usd: u64,
    /// Collateral custody tokens reserved in `assets.locked` for this position's payoff.
    pub locked_amount: u64,
    /// The collateral custody's `cumulative_interest` (RATE_DECIMALS) when interest was last
    /// settled.
    pub cumulative_interest_snapshot: u128,
    /// USD, profit minus loss of the parts already closed (decreases).
    pub realized_pnl_usd: i64,
    /// USD, open/close fees and borrow interest paid so far.
    pub realized_fees_usd: u64,
    pub bump: u8,
    /// USD `q · A / scale` of the payoff-cap threshold registered in the market's exposure book
    /// at the last change (`math::exposure::position_thresholds`).
    pub exposure_cap_usd: u128,
    /// USD `q · A / scale` of the bankruptcy threshold registered at the last change.
    pub exposure_bankruptcy_usd: u128,
    /// USD: the payoff cap registered at the last change (`locked_amount` at the collateral's
    /// min price, floor), counted in the side's `PositionStats::max_profit_usd`.
    pub exposure_max_profit_usd: u64,
    /// Its side's borrow-premium index (the traded custody's `SkewState`, RATE_DECIMALS x
    /// seconds) when its premium was last settled (open, increase, decrease), like
    /// `cumulative_interest_snapshot`.
    pub skew_premium_snapshot: u128,
}

impl Position {
    /// The position held by `info`, a position PDA passed unchecked (trigger orders name the
    /// position they act on before it may exist), or None if it holds none (never opened, or
    /// closed). Errors: InvalidPositionState if the account is the program's but not a Position.
    pub fn load_optional(info: &AccountInfo) -> Result<Option<Position>> {
        if *info.owner != crate::ID || info.data_is_empty() {
            return Ok(None);
        }
        let data = info.try_borrow_data()?;
        Position::try_deserialize(&mut &data[..])
            .map(Some)
            .map_err(|_| error!(PerpPoolError::InvalidPositionState))
    }

    /// Whether the position trades its own collateral custody (an asset-backed long,
    /// `math::backing`): its collateral and lock are tokens of the traded asset.
    pub fn is_aliased(&self) -> bool {
        self.custody == self.collateral_custody
    }

    /// What the position adds to its side's `PositionStats::collateral_usd`: its collateral's
    /// USD value at its last change, or 0 for an asset-backed position (counted in
    /// `collateral_quantity`, valued at the price of each use).
    pub fn stats_collateral_usd(&self) -> u64 {
        if self.is_aliased() {
            0
        } else {
            self.collateral_usd
        }
    }

    /// The fields the trade math needs.
    pub fn state(&self) -> PositionState {
        PositionState {
            side: self.side,
            quantity: self.quantity,
            size_usd: self.size_usd,
            collateral_amount: self.collateral_amount,
            locked_amount: self.locked_amount,
        }
    }

    /// USD interest owed at the collateral custody's cumulative index `cumulative`.
    pub fn interest_usd(&self, cumulative: u128) -> Result<u64> {
        position_interest_usd(cumulative, self.cumulative_interest_snapshot, self.size_usd)
    }

    /// `size_usd * cumulative_interest_snapshot`: this position's share of the custody's
    /// `interest_weighted` aggregates.
    pub fn interest_weight(&self) -> Result<u128> {
        u128::from(self.size_usd).safe_mul(self.cumulative_interest_snapshot)
    }

    /// Books realised PnL into the informational `realized_pnl_usd`, saturating at the i64
    /// range: a statistic must never make a close fail (a loss above i64::MAX USD units used to).
    pub fn add_realized_pnl(&mut self, profit_usd: u64, loss_usd: u64) {
        // Exact: both are u64.
        let delta = i128::from(profit_usd).saturating_sub(i128::from(loss_usd));
        let total = i128::from(self.realized_pnl_usd).saturating_add(delta);
        self.realized_pnl_usd =
            i64::try_from(total).unwrap_or(if total < 0 { i64::MIN } else { i64::MAX });
    }
}

/// A position priced now, for the views and keepers' questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionValuation {
    /// Exit price now (spread included), PRICE_DECIMALS.
    pub exit_price: u64,
    /// The side's spread, BPS.
    pub spread_bps: u64,
    /// Interest owed now, borrow premium included (indexes accrued to now, not written).
    pub interest_usd: u64,
    pub health: HealthInputs,
    /// An asset-backed position's tokens (`Position::is_aliased`): the liquidation price
    /// revalues them at each trial price (`math::pnl::liquidation_price_backed`).
    pub backing: Option<TokenBacking>,
}

impl PositionValuation {
    /// The oracle price at the position's liquidation boundary (`get_liquidation_price`).
    pub fn liquidation_price(&self) -> Result<u64> {
        liquidation_price_backed(&self.health, self.spread_bps, self.backing.as_ref())
    }
}

impl Position {
    /// Reads both oracles (fully checked) and prices the position at `now`.
    pub fn valuation(
        &self,
        custody: &Custody,
        custody_oracle_account: &AccountInfo,
        collateral_custody: &Custody,
        collateral_custody_oracle_account: &AccountInfo,
        now: i64,
    ) -> Result<PositionValuation> {
        let prices = custody.read_trade_prices(custody_oracle_account, now)?;
        let (min_price, max_price) =
            collateral_custody.read_min_max_price(collateral_custody_oracle_account, now)?;
        let spread_bps = custody.pricing.spread_bps(self.side);
        let cumulative = collateral_custody
            .borrow_rate_state
            .cumulative_interest_at(now)?;
        // Interest and the market side's borrow premium, owed together (`MarketSnapshot::owed_usd`).
        let interest_usd = self
            .interest_usd(cumulative)?
            .safe_add(self.premium_usd(custody.skew_state.cumulative_at(self.side, now)?)?)?;
        Ok(PositionValuation {
            exit_price: exit_price(self.side, prices, spread_bps)?,
            spread_bps,
            interest_usd,
            health: health_inputs(
                &self.state(),
                interest_usd,
                &collateral_custody.collateral_view(min_price, max_price),
                &custody.market(),
            )?,
            backing: self.is_aliased().then_some(TokenBacking {
                collateral_amount: self.collateral_amount,
                locked_amount: self.locked_amount,
                decimals: collateral_custody.decimals,
            }),
        })
    }
}
