//! The prologue every trading instruction shares: read and check the oracles, price the market,
//! and compute the collateral custody's interest index at `now`. The index is computed, not
//! written: accruing it is part of the mutation (`controller::position`).

use {
    crate::{
        math::{
            oracle::OraclePrice,
            pricing::{entry_price, exit_price, TradePrices},
            safe_math::SafeMath,
            skew::PremiumIndex,
            trade::{CollateralCustody, Market},
        },
        state::{custody::Custody, position::Position},
        types::Side,
    },
    anchor_lang::prelude::*,
};

/// The collateral (lending) custody at `now`, before the instruction changes it.
#[derive(Clone, Copy, Debug)]
pub struct CollateralSnapshot {
    /// Unix seconds.
    pub now: i64,
    pub min_price: OraclePrice,
    pub max_price: OraclePrice,
    /// The custody's cumulative interest index at `now`, RATE_DECIMALS x seconds.
    pub cumulative_interest: u128,
    /// The custody as the trade math sees it (its owned and locked before this instruction).
    pub view: CollateralCustody,
}

impl CollateralSnapshot {
    /// Reads `oracle` (fully checked) for `collateral_custody`.
    pub fn read(collateral_custody: &Custody, oracle: &AccountInfo, now: i64) -> Result<Self> {
        let (min_price, max_price) = collateral_custody.read_min_max_price(oracle, now)?;
        Ok(CollateralSnapshot {
            now,
            min_price,
            max_price,
            cumulative_interest: collateral_custody
                .borrow_rate_state
                .cumulative_interest_at(now)?,
            view: collateral_custody.collateral_view(min_price, max_price),
        })
    }

    /// USD interest `position` owes at `now`.
    pub fn interest_usd(&self, position: &Position) -> Result<u64> {
        position.interest_usd(self.cumulative_interest)
    }
}

/// A traded market and its collateral custody at `now`.
#[derive(Clone, Copy, Debug)]
pub struct MarketSnapshot {
    /// The traded custody's reference prices, PRICE_DECIMALS.
    pub prices: TradePrices,
    /// The traded custody's pricing and fee parameters.
    pub market: Market,
    pub collateral: CollateralSnapshot,
    /// The market's borrow-premium indexes at `now` (not written).
    pub premium: PremiumIndex,
}

impl MarketSnapshot {
    /// Reads both oracles (fully checked; the traded custody's first).
    pub fn read(
        custody: &Custody,
        custody_oracle: &AccountInfo,
        collateral_custody: &Custody,
        collateral_custody_oracle: &AccountInfo,
        now: i64,
    ) -> Result<Self> {
        let prices = custody.read_trade_prices(custody_oracle, now)?;
        let collateral =
            CollateralSnapshot::read(collateral_custody, collateral_custody_oracle, now)?;
        Ok(MarketSnapshot {
            prices,
            market: custody.market(),
            collateral,
            premium: custody.skew_state.index().at(now)?,
        })
    }

    /// The side's borrow-premium index at `now`.
    pub fn premium_cumulative(&self, side: Side) -> u128 {
        self.premium.cumulative(side)
    }

    /// USD `position` owes at `now`: the collateral custody's interest plus its market side's
    /// borrow premium (settled together, to the LPs).
    pub fn owed_usd(&self, position: &Position) -> Result<u64> {
        self.collateral
            .interest_usd(position)?
            .safe_add(position.premium_usd(self.premium_cumulative(position.side))?)
    }

    pub fn now(&self) -> i64 {
        self.collateral.now
    }

    /// The side's spread, BPS.
    pub fn spread_bps(&self, side: Side) -> u64 {
        self.market.pricing.spread_bps(side)
    }

    /// The price a `side` trade enters at now (spread included).
    pub fn entry_price(&self, side: Side) -> Result<u64> {
        entry_price(side, self.prices, self.spread_bps(side))
    }

    /// The price a `side` position exits at now (spread included).
    pub fn exit_price(&self, side: Side) -> Result<u64> {
        exit_price(side, self.prices, self.spread_bps(side))
    }
}
