//! Per-position bounds of the pool's exposure that side aggregates cannot see (docs/design.md
//! "Exposure books"): the profit of positions above their payoff cap and the bad debt of
//! positions past their bankruptcy price.
//!
//! The pool's claim against one position is `T_i = clamp(x_i, -c_i, k_i)` (x unrealised PnL,
//! c collateral, k payoff cap) and, since `-c_i <= 0 <= k_i`, it splits exactly into
//! `x_i - max(0, x_i - k_i) + max(0, -c_i - x_i)`. The side aggregates give `Σ x_i` exactly; the
//! two other sums are each `Σ q_i · max(0, ±(P - A_i))` over a per-position threshold price `A_i`
//! (cap or bankruptcy price). An `ExposureBook` keeps, per range of threshold prices on a fixed
//! logarithmic grid, the exact sums `Σ q_i` and `Σ q_i·A_i` (the latter is a sum of USD amounts
//! the position registered, so it is exact). At a price P a slot wholly on one side of P
//! contributes exactly; the one slot whose range straddles P is bounded by its range's far end.
//! Every result is an UPPER bound of the true sum, rounded up: max-mode AUM subtracts it from the
//! traders' PnL (deposits), min-mode AUM adds it (redemptions), so the pool is never valued in the
//! depositor's or the redeemer's favour by a position's private clamp.
//!
//! Pure integers; nothing here reads accounts.

use {
    super::{
        pnl::quantity_scale,
        safe_math::{mul_div, Rounding, SafeMath},
    },
    crate::{errors::PerpPoolError, types::Side},
    anchor_lang::prelude::*,
};

/// Slots per book. More slots keep ranges narrow (a tighter bound near the price) at 40 bytes
/// each; when all are in use two adjacent ranges merge (the pair whose union is narrowest).
pub const EXPOSURE_BOOK_SLOTS: usize = 16;

/// Grid resolution: 2^GRID_SUB_BITS ids per octave of price (a grid cell is 1/16 to 1/32 of its
/// price wide, 3.1 % to 6.25 %). Prices below `GRID_EXACT` (PRICE_DECIMALS units) get one id each.
pub const GRID_SUB_BITS: u32 = 4;
const GRID_SUB: u64 = 1 << GRID_SUB_BITS;
const GRID_EXACT: u64 = 2 * GRID_SUB;
/// The id of the highest grid cell (prices up to u64::MAX); its range is unbounded above.
pub const GRID_MAX_ID: u16 = grid_id(u64::MAX);

/// Which side of its threshold a position's term is paid on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crossing {
    /// `q · max(0, P - A)`: a long's profit above its cap, a short's loss beyond its collateral.
    Above,
    /// `q · max(0, A - P)`: a short's profit above its cap, a long's loss beyond its collateral.
    Below,
}

/// Which threshold of a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// The price at which the position's profit reaches its payoff cap.
    Cap,
    /// The price at which the position's loss (with the interest it owed when registered)
    /// reaches its collateral.
    Bankruptcy,
}

/// The crossing of `threshold` for a position on `side`.
pub fn crossing(side: Side, threshold: Threshold) -> Crossing {
    match (side, threshold) {
        (Side::Long, Threshold::Cap) | (Side::Short, Threshold::Bankruptcy) => Crossing::Above,
        (Side::Long, Threshold::Bankruptcy) | (Side::Short, Threshold::Cap) => Crossing::Below,
    }
}

/// Positions whose threshold lies in the grid cells `lo_id..=hi_id`. `count == 0`: free.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct ExposureSlot {
    pub lo_id: u16,
    pub hi_id: u16,
    pub count: u32,
    /// Σ q_i, QUANTITY_DECIMALS.
    pub quantity: u128,
    /// Σ q_i · A_i / quantity_scale, USD: the amounts the positions registered.
    pub usd: u128,
}

/// One threshold of one side of a market (kept in `PositionStats`).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct ExposureBook {
    pub slots: [ExposureSlot; EXPOSURE_BOOK_SLOTS],
}

/// The grid cell of a price (PRICE_DECIMALS): exact below GRID_EXACT, then GRID_SUB cells per
/// power of two.
// A const fn (it defines GRID_MAX_ID), where `TryFrom` and `SafeMath` are not available; the bare
// arithmetic and casts are exact: `price >= GRID_EXACT` puts `exponent` in 5..=63, and the id is
// at most GRID_EXACT + 58 * GRID_SUB + 15 = 975.
#[allow(clippy::as_conversions, clippy::arithmetic_side_effects)]
pub const fn grid_id(price: u64) -> u16 {
    if price < GRID_EXACT {
        return price as u16;
    }
    let exponent = 63 - price.leading_zeros(); // >= GRID_SUB_BITS + 1
    let mantissa = (price >> (exponent - GRID_SUB_BITS)) & (GRID_SUB - 1);
    (GRID_EXACT + (exponent - GRID_SUB_BITS - 1) as u64 * GRID_SUB + mantissa) as u16
}

/// The lowest price of cell `id` (inclusive). `grid_low(id + 1)` is the cell's exclusive upper end
/// (2^64 for GRID_MAX_ID).
pub fn grid_low(id: u16) -> u128 {
    let id = u64::from(id);
    if id < GRID_EXACT {
        return u128::from(id);
    }
    // Cell k above the exact ids: mantissa `GRID_SUB + k % GRID_SUB` (GRID_SUB is a power of two,
    // so `|` adds), shifted by `exponent - GRID_SUB_BITS = k / GRID_SUB + 1`.
    let k = id.saturating_sub(GRID_EXACT); // id >= GRID_EXACT: exact
    let shift = (k / GRID_SUB).saturating_add(1);
    u128::from(GRID_SUB | (k % GRID_SUB)) << shift
}

/// The threshold price `usd · scale / quantity` (floor, saturating at u64::MAX) and its cell.
/// Floor keeps the cell's low end at or below the real threshold, and the real threshold below
/// the cell's high end (the high end is an integer above the floor).
pub fn threshold_id(quantity: u128, usd: u128) -> Result<u16> {
    require!(quantity > 0, PerpPoolError::MathOverflow);
    let price = usd
        .checked_mul(quantity_scale()?)
        .and_then(|product| product.checked_div(quantity))
        .unwrap_or(u128::MAX);
    Ok(grid_id(u64::try_from(price).unwrap_or(u64::MAX)))
}

/// The bound of a slot whose range `[low, high)` holds `p`. Each position's term is convex in its
/// threshold, so the slot's sum is at most that of its mass moved to the range's two ends keeping
/// its mean (`Σusd`): Above `(P - low) · (Q·high/scale - Σusd) / (high - low)`, Below
/// `(high - P) · (Σusd - Q·low/scale) / (high - low)`. The mass in USD is rounded up, then the
/// product; the ratio is at most 1, so a product too large for u128 falls back to the mass.
fn straddle(
    slot: &ExposureSlot,
    low: u128,
    high: u128,
    p: u128,
    scale: u128,
    crossing: Crossing,
) -> Result<u128> {
    let width = high.safe_sub(low)?;
    let (mass, distance) = match crossing {
        Crossing::Above => (
            mul_div(slot.quantity, high, scale, Rounding::Ceil)?.saturating_sub(slot.usd),
            p.safe_sub(low)?,
        ),
        Crossing::Below => (
            slot.usd
                .saturating_sub(mul_div(slot.quantity, low, scale, Rounding::Floor)?),
            high.safe_sub(p)?,
        ),
    };
    Ok(mul_div(mass, distance, width, Rounding::Ceil).unwrap_or(mass))
}

/// The USD amounts (`q · A / scale`) of a position's two thresholds, registered when it opens and
/// after every change. Inputs are the health values at registration: collateral and payoff cap at
/// the collateral's min price (floor), interest owed. A Below-crossing amount of 0 means the
/// threshold is at or below price 0: never crossed, not registered.
///   long:  cap `s + k` (Above), bankruptcy `max(0, s - c + I)` (Below)
///   short: cap `max(0, s - k)` (Below), bankruptcy `max(0, s + c - I)` (Above)
/// The bankruptcy threshold includes the interest owed at registration; interest accrued later
/// moves a position's real bankruptcy price past it (docs/design.md "Exposure books", residual).
pub fn position_thresholds(
    side: Side,
    size_usd: u64,
    collateral_usd: u64,
    max_profit_usd: u64,
    interest_usd: u64,
) -> Result<(u128, u128)> {
    let (s, c, k, i) = (
        u128::from(size_usd),
        u128::from(collateral_usd),
        u128::from(max_profit_usd),
        u128::from(interest_usd),
    );
    Ok(match side {
        Side::Long => (s.safe_add(k)?, s.safe_add(i)?.saturating_sub(c)),
        Side::Short => (s.saturating_sub(k), s.safe_add(c)?.saturating_sub(i)),
    })
}

/// Whether a position with `quantity` and threshold amount `usd` is kept in a book: it has a
/// quantity, and a Below threshold is above price 0.
pub fn is_registered(crossing: Crossing, quantity: u128, usd: u128) -> bool {
    quantity > 0 && (crossing == Crossing::Above || usd > 0)
}

impl ExposureBook {
    fn find(&self, id: u16) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.count > 0 && s.lo_id <= id && id <= s.hi_id)
    }

    /// Adds a position's `(quantity, usd)` under its threshold's cell. A slot whose range holds the
    /// cell takes it; else a free slot opens `[id, id]`; else the narrowest union of two adjacent
    /// ranges (the new cell counting as a range) merges. Ranges stay disjoint.
    pub fn add(&mut self, crossing: Crossing, quantity: u128, usd: u128) -> Result<()> {
        if !is_registered(crossing, quantity, usd) {
            return Ok(());
        }
        let id = threshold_id(quantity, usd)?;
        let index = match self.find(id) {
            Some(index) => index,
            None => self.make_room(id)?,
        };
        let slot = self
            .slots
            .get_mut(index)
            .ok_or_else(|| error!(PerpPoolError::ExposureBookInconsistent))?;
        if slot.count == 0 {
            slot.lo_id = id;
            slot.hi_id = id;
        }
        slot.lo_id = slot.lo_id.min(id);
        slot.hi_id = slot.hi_id.max(id);
        slot.count = slot.count.safe_add(1)?;
        slot.quantity = slot.quantity.safe_add(quantity)?;
        slot.usd = slot.usd.safe_add(usd)?;
        Ok(())
    }

    /// Exactly undoes `add` of the same `(quantity, usd)`. A slot left empty is freed.
    pub fn remove(&mut self, crossing: Crossing, quantity: u128, usd: u128) -> Result<()> {
        if !is_registered(crossing, quantity, usd) {
            return Ok(());
        }
        let id = threshold_id(quantity, usd)?;
        let index = self
            .find(id)
            .ok_or_else(|| error!(PerpPoolError::ExposureBookInconsistent))?;
        let bad = || error!(PerpPoolError::ExposureBookInconsistent);
        let slot = self.slots.get_mut(index).ok_or_else(bad)?;
        slot.count = slot.count.checked_sub(1).ok_or_else(bad)?;
        slot.quantity = slot.quantity.checked_sub(quantity).ok_or_else(bad)?;
        slot.usd = slot.usd.checked_sub(usd).ok_or_else(bad)?;
        if slot.count == 0 {
            require!(
                slot.quantity == 0 && slot.usd == 0,
                PerpPoolError::ExposureBookInconsistent
            );
            *slot = ExposureSlot::default();
        }
        Ok(())
    }

    /// The index of a slot that may take cell `id` (free, or to be widened).
    fn make_room(&mut self, id: u16) -> Result<usize> {
        if let Some(free) = self.slots.iter().position(|s| s.count == 0) {
            return Ok(free);
        }
        // Every slot in use (disjoint ranges, so distinct low ends): ranges sorted by low end, the
        // new cell inserted as a range of its own.
        let new = EXPOSURE_BOOK_SLOTS; // marks the new cell in `ranges`
        let mut ranges: Vec<(u16, u16, usize)> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.lo_id, s.hi_id, i))
            .collect();
        ranges.sort_unstable_by_key(|&(lo, _, _)| lo);
        let at = ranges
            .iter()
            .position(|&(lo, _, _)| id < lo)
            .unwrap_or(ranges.len());
        ranges.insert(at, (id, id, new));
        // The adjacent pair whose union is narrowest (first on ties; sorted and disjoint, so the
        // upper range's high end is above the lower range's low end).
        let bad = || error!(PerpPoolError::ExposureBookInconsistent);
        let (a, b) = ranges
            .iter()
            .zip(ranges.iter().skip(1))
            .min_by_key(|(a, b)| b.1.saturating_sub(a.0))
            .map(|(a, b)| (*a, *b))
            .ok_or_else(bad)?;
        if a.2 == new {
            return Ok(b.2); // the new cell joins the slot above it (`add` widens it)
        }
        if b.2 == new {
            return Ok(a.2);
        }
        // Two slots merge into `a`; `b` is freed for the new cell.
        let (into, from) = (a.2, b.2);
        let merged = *self.slots.get(from).ok_or_else(bad)?;
        let target = self.slots.get_mut(into).ok_or_else(bad)?;
        target.hi_id = merged.hi_id;
        target.count = target.count.safe_add(merged.count)?;
        target.quantity = target.quantity.safe_add(merged.quantity)?;
        target.usd = target.usd.safe_add(merged.usd)?;
        *self.slots.get_mut(from).ok_or_else(bad)? = ExposureSlot::default();
        Ok(from)
    }

    /// Upper bound of `Σ q_i · max(0, P - A_i)` (Above) or `Σ q_i · max(0, A_i - P)` (Below) over
    /// the book's positions at `price` (PRICE_DECIMALS), USD rounded up.
    ///   slot wholly past P (every A_i on the paying side): exact, `Q·P/scale - Σusd` or
    ///     `Σusd - Q·P/scale`, the Q·P term rounded in the bound's favour;
    ///   slot wholly before P: 0;
    ///   slot straddling P: `straddle` (the highest cell, with no high end: `Q · (P - low)` Above,
    ///     `Σusd` Below).
    pub fn excess_usd(&self, crossing: Crossing, price: u64) -> Result<u128> {
        let scale = quantity_scale()?;
        let p = u128::from(price);
        self.slots
            .iter()
            .filter(|s| s.count > 0)
            .try_fold(0u128, |total, s| {
                let low = grid_low(s.lo_id);
                // hi_id < GRID_MAX_ID: `+ 1` is exact.
                let high = (s.hi_id < GRID_MAX_ID).then(|| grid_low(s.hi_id.saturating_add(1)));
                let term = match crossing {
                    Crossing::Above => {
                        if high.is_some_and(|h| h <= p) {
                            mul_div(s.quantity, p, scale, Rounding::Ceil)?.saturating_sub(s.usd)
                        } else if low >= p {
                            0
                        } else {
                            match high {
                                Some(h) => straddle(s, low, h, p, scale, Crossing::Above)?,
                                None => {
                                    mul_div(s.quantity, p.safe_sub(low)?, scale, Rounding::Ceil)?
                                }
                            }
                        }
                    }
                    Crossing::Below => {
                        if low >= p {
                            s.usd
                                .saturating_sub(mul_div(s.quantity, p, scale, Rounding::Floor)?)
                        } else if high.is_some_and(|h| h <= p) {
                            0
                        } else {
                            match high {
                                Some(h) => straddle(s, low, h, p, scale, Crossing::Below)?,
                                // No high end: Σusd = Σ q_i·A_i/scale bounds the term.
                                None => s.usd,
                            }
                        }
                    }
                };
                total.safe_add(term)
            })
    }

    /// Positions in the book (a consistency check for tests and views).
    pub fn count(&self) -> Result<u64> {
        self.slots
            .iter()
            .try_fold(0u64, |n, s| n.safe_add(u64::from(s.count)))
    }
}

#[cfg(test)]
mod tests;
