//! A market's borrow-premium state (on the TRADED custody): the two sides' premium indexes and
//! the aggregates that give the premium accrued by each side without a scan
//! (docs/design.md "Skew premium and exposure limits"; the math is `math::skew`).

use {
    crate::{
        math::{
            safe_math::SafeMath,
            skew::{position_premium_usd, PremiumIndex},
        },
        state::position::Position,
        types::{Side, SkewParams},
    },
    anchor_lang::prelude::*,
};

/// Per market side: the premium rate now, its exact cumulative index and Σ size × snapshot.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct SkewState {
    /// RATE_DECIMALS per hour, since `last_update`.
    pub long_rate: u64,
    pub short_rate: u64,
    /// Σ rate × seconds (RATE_DECIMALS x seconds), exact.
    pub long_cumulative: u128,
    pub short_cumulative: u128,
    /// Unix seconds of the last accrual.
    pub last_update: i64,
    /// Σ size_usd × skew_premium_snapshot of the open longs / shorts (their sizes are
    /// `PositionStats::size_usd` of the same side).
    pub long_weighted: u128,
    pub short_weighted: u128,
}

impl SkewState {
    pub fn index(&self) -> PremiumIndex {
        PremiumIndex {
            long_rate: self.long_rate,
            short_rate: self.short_rate,
            long_cumulative: self.long_cumulative,
            short_cumulative: self.short_cumulative,
            last_update: self.last_update,
        }
    }

    /// The side's index at `now` (not written).
    pub fn cumulative_at(&self, side: Side, now: i64) -> Result<u128> {
        Ok(self.index().at(now)?.cumulative(side))
    }

    /// Accrues both indexes to `now` (before any change of the market's open interest).
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        let index = self.index().at(now)?;
        self.long_cumulative = index.long_cumulative;
        self.short_cumulative = index.short_cumulative;
        self.last_update = index.last_update;
        Ok(())
    }

    /// Re-derives both rates from the net and AUM (after a change, after `accrue`).
    pub fn update_rates(&mut self, net: i128, aum_usd: u128, params: &SkewParams) -> Result<()> {
        let index = self.index().with_rates(net, aum_usd, params)?;
        self.long_rate = index.long_rate;
        self.short_rate = index.short_rate;
        Ok(())
    }

    fn weighted_mut(&mut self, side: Side) -> &mut u128 {
        match side {
            Side::Long => &mut self.long_weighted,
            Side::Short => &mut self.short_weighted,
        }
    }

    pub fn add_position(&mut self, position: &Position) -> Result<()> {
        let weight = position.skew_premium_weight()?;
        let weighted = self.weighted_mut(position.side);
        *weighted = weighted.safe_add(weight)?;
        Ok(())
    }

    pub fn remove_position(&mut self, position: &Position) -> Result<()> {
        let weight = position.skew_premium_weight()?;
        let weighted = self.weighted_mut(position.side);
        *weighted = weighted.safe_sub(weight)?;
        Ok(())
    }
}

impl Position {
    /// `size_usd * skew_premium_snapshot`: this position's share of its side's weighted sum.
    pub fn skew_premium_weight(&self) -> Result<u128> {
        u128::from(self.size_usd).safe_mul(self.skew_premium_snapshot)
    }

    /// USD borrow premium owed at its side's index `cumulative`.
    pub fn premium_usd(&self, cumulative: u128) -> Result<u64> {
        position_premium_usd(cumulative, self.skew_premium_snapshot, self.size_usd)
    }
}
