//! The skew premium and the exposure caps of a market (docs/design.md "Skew premium and exposure
//! limits"). Pure: the caller passes the market's open interest, the pool's AUM and `now`.
//!
//! Imbalance: `net = long OI - short OI` (USD, the traders' net; the pool holds `-net`), measured
//! against the pool's AUM: `ramp(x) = min(x, F) / F` with `F = AUM * scale_aum_bps / BPS_POWER`
//! (the full-scale imbalance, floor). AUM rather than total OI because the pool's risk is its net
//! exposure relative to its capital, and because a ratio to total OI can be diluted by opening
//! both sides (and would charge the first trader of an empty market the full premium).
//!
//! Open fee: a trade of size `d` moves `|net|` along a path; the part that moves `|net|` towards 0
//! (`reducing`) earns `discount_max * ramp`, the part that moves it away (`increasing`; after a
//! crossing of zero, the part beyond it) pays `premium_max * ramp`, both integrated along the
//! path (the premium of a trade is the AVERAGE ramp over the imbalance it creates, not the ramp
//! after it: so splitting a trade never lowers its fee). With `B` the open fee (USD, utilisation
//! included) per USD of size:
//! `fee = ceil(d * B) + ceil(area_inc * B * premium_max) - floor(area_red * B * discount_max)`,
//! where `area = integral of ramp over the segment` (USD). The discount is at most the base fee.
//!
//! Borrow premium: the majority side (the side of `net`) pays `borrow_premium_max * ramp(|net|)`
//! per hour on its size, the minority side nothing. Each side has an exact cumulative index
//! (RATE_DECIMALS x seconds, like `math::borrow`), accrued before every change of the market's
//! open interest; a position owes `ceil(size * (index - snapshot) / (RATE_POWER * HOUR_SECONDS))`.

use {
    super::{
        borrow::{accrued_cumulative_interest, aggregate_interest_usd, position_interest_usd},
        safe_math::{cast, mul_div, Rounding, SafeMath},
    },
    crate::{
        constants::{BPS_POWER, RATE_POWER},
        errors::PerpPoolError,
        types::{Side, SkewParams},
    },
    anchor_lang::prelude::*,
};

/// Highest `scale_aum_bps`: the premiums reach their maximum at 10x AUM at the latest.
pub const MAX_SKEW_SCALE_AUM_BPS: u64 = 100_000;
/// Highest `max_net_exposure_aum_bps`: 100x AUM.
pub const MAX_NET_EXPOSURE_AUM_BPS: u64 = 1_000_000;

/// The traders' net exposure `long - short`, USD (exact).
pub fn net_exposure_usd(long_usd: u64, short_usd: u64) -> i128 {
    // exact: two u64 never overflow an i128
    i128::from(long_usd).saturating_sub(i128::from(short_usd))
}

/// The signed change a `side` trade of `size_usd` makes to `net` when it opens (long +, short -).
pub fn signed_size(side: Side, size_usd: u64) -> i128 {
    match side {
        Side::Long => i128::from(size_usd),
        Side::Short => 0i128.saturating_sub(i128::from(size_usd)),
    }
}

/// `F = floor(aum * scale_aum_bps / BPS_POWER)`: the imbalance (USD) at which the ramp reaches 1.
/// Rounded down: a smaller scale charges more (the pool's favour).
pub fn full_scale_usd(aum_usd: u128, scale_aum_bps: u64) -> Result<u128> {
    mul_div(
        aum_usd,
        u128::from(scale_aum_bps),
        u128::from(BPS_POWER),
        Rounding::Floor,
    )
}

/// `integral over [a, b] of min(x, F) / F dx` (USD), `a <= b`, rounded as asked. With `F = 0`
/// (no AUM) the ramp is 1 everywhere above 0.
pub fn ramp_area_usd(a: u128, b: u128, full: u128, rounding: Rounding) -> Result<u128> {
    require!(a <= b, PerpPoolError::MathOverflow);
    if full == 0 {
        return b.safe_sub(a);
    }
    let (ma, mb) = (a.min(full), b.min(full));
    // (mb^2 - ma^2) / 2F = (mb - ma)(mb + ma) / 2F
    let quadratic = mul_div(
        mb.safe_sub(ma)?,
        mb.safe_add(ma)?,
        full.safe_mul(2)?,
        rounding,
    )?;
    let linear = b.max(full).safe_sub(a.max(full))?;
    quadratic.safe_add(linear)
}

/// The open fee of a trade with the skew premium or discount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkewFee {
    /// `ceil(size * fee_bps / BPS_POWER)`: the fee without skew.
    pub base_usd: u64,
    /// Added for the part that increases the imbalance (ceil).
    pub premium_usd: u64,
    /// Taken off for the part that reduces it (floor, at most `base_usd`).
    pub discount_usd: u64,
    /// `base + premium - discount` (never negative).
    pub fee_usd: u64,
}

/// The two segments of `|net|` a `side` trade of `size_usd` runs through, from `net_before`:
/// `(reducing, increasing)` as `(from, to)` pairs of `|net|` (the reducing one runs down, given
/// as `(low, high)`). A trade against the majority first reduces `|net|` to at most 0; what is
/// left of it (beyond a crossing) increases it from 0.
pub fn trade_segments(net_before: i128, side: Side, size_usd: u64) -> ((u128, u128), (u128, u128)) {
    let size = u128::from(size_usd);
    let abs = net_before.unsigned_abs();
    let against = match side {
        Side::Long => net_before < 0,
        Side::Short => net_before > 0,
    };
    let reduced = if against { size.min(abs) } else { 0 };
    let start = abs.saturating_sub(reduced);
    let increased = size.saturating_sub(reduced);
    ((start, abs), (start, start.saturating_add(increased)))
}

/// The open fee of a `side` trade of `size_usd` at fee rate `fee_bps` (the utilisation-scaled
/// open fee, `math::fees::open_fee_bps`) when the market's net before it is `net_before` and the
/// pool's AUM `aum_usd` (see the module doc). Without a scale the fee is the base fee.
pub fn skew_open_fee(
    side: Side,
    size_usd: u64,
    fee_bps: u64,
    net_before: i128,
    aum_usd: u128,
    params: &SkewParams,
) -> Result<SkewFee> {
    let bps = u128::from(BPS_POWER);
    let base_usd: u64 = cast(mul_div(
        u128::from(size_usd),
        u128::from(fee_bps),
        bps,
        Rounding::Ceil,
    )?)?;
    if params.scale_aum_bps == 0 {
        return Ok(SkewFee {
            base_usd,
            fee_usd: base_usd,
            ..SkewFee::default()
        });
    }
    let full = full_scale_usd(aum_usd, params.scale_aum_bps)?;
    let ((red_lo, red_hi), (inc_lo, inc_hi)) = trade_segments(net_before, side, size_usd);
    let bps_squared = bps.safe_mul(bps)?;
    // Charged: the premium rounds up, the discount down (the pool's favour).
    let premium_area = ramp_area_usd(inc_lo, inc_hi, full, Rounding::Ceil)?;
    let premium_usd: u64 = cast(mul_div(
        premium_area,
        u128::from(fee_bps).safe_mul(u128::from(params.fee_premium_max_bps))?,
        bps_squared,
        Rounding::Ceil,
    )?)?;
    let discount_area = ramp_area_usd(red_lo, red_hi, full, Rounding::Floor)?;
    let discount_usd: u64 = cast(mul_div(
        discount_area,
        u128::from(fee_bps).safe_mul(u128::from(params.fee_discount_max_bps))?,
        bps_squared,
        Rounding::Floor,
    )?)?;
    // area <= size and discount_max <= BPS_POWER, so discount <= floor(size * fee_bps / BPS) <=
    // base; `min` keeps it so whatever the parameters.
    let discount_usd = discount_usd.min(base_usd);
    Ok(SkewFee {
        base_usd,
        premium_usd,
        discount_usd,
        fee_usd: base_usd.safe_add(premium_usd)?.safe_sub(discount_usd)?,
    })
}

/// The extra borrow rate of `side` (RATE_DECIMALS per hour, floor) at net `net`:
/// `borrow_premium_max * min(|net|, F) / F` for the majority side (the side of `net`), 0 for the
/// minority side and at balance. With `F = 0` (no AUM) and `net != 0` the majority pays the max.
pub fn borrow_premium_rate(
    side: Side,
    net: i128,
    aum_usd: u128,
    params: &SkewParams,
) -> Result<u64> {
    let majority = match side {
        Side::Long => net > 0,
        Side::Short => net < 0,
    };
    if params.scale_aum_bps == 0 || params.borrow_premium_max_rate == 0 || !majority {
        return Ok(0);
    }
    let full = full_scale_usd(aum_usd, params.scale_aum_bps)?;
    if full == 0 {
        return Ok(params.borrow_premium_max_rate);
    }
    cast(mul_div(
        net.unsigned_abs().min(full),
        u128::from(params.borrow_premium_max_rate),
        full,
        Rounding::Floor,
    )?)
}

/// The fee premium (BPS of the open fee) a marginal trade at imbalance `abs_net` would pay:
/// `premium_max * min(|net|, F) / F`, floor (for views; trades integrate it).
pub fn marginal_fee_premium_bps(abs_net: u128, aum_usd: u128, params: &SkewParams) -> Result<u64> {
    if params.scale_aum_bps == 0 || abs_net == 0 {
        return Ok(0);
    }
    let full = full_scale_usd(aum_usd, params.scale_aum_bps)?;
    if full == 0 {
        return Ok(params.fee_premium_max_bps);
    }
    cast(mul_div(
        abs_net.min(full),
        u128::from(params.fee_premium_max_bps),
        full,
        Rounding::Floor,
    )?)
}

/// The cap on `|net|` now, USD: the smaller of `max_net_exposure_usd` and
/// `floor(aum * max_net_exposure_aum_bps / BPS_POWER)`, each when set; None without a cap.
pub fn net_exposure_cap_usd(aum_usd: u128, params: &SkewParams) -> Result<Option<u128>> {
    let mut cap: Option<u128> = None;
    if params.max_net_exposure_usd > 0 {
        cap = Some(u128::from(params.max_net_exposure_usd));
    }
    if params.max_net_exposure_aum_bps > 0 {
        let by_aum = mul_div(
            aum_usd,
            u128::from(params.max_net_exposure_aum_bps),
            u128::from(BPS_POWER),
            Rounding::Floor,
        )?;
        cap = Some(cap.map_or(by_aum, |c| c.min(by_aum)));
    }
    Ok(cap)
}

/// NetExposureLimitExceeded when a trade leaves `|net|` above the cap, unless it only reduces
/// `|net|` without crossing zero (a reducing trade stays allowed whatever the cap). A trade that
/// crosses zero must end within the cap: else a throw-away opposite position, opened across zero
/// and closed afterwards (closes are never checked), would let net grow threefold per round
/// (review finding 1 of the skew premium).
pub fn check_net_exposure(
    net_before: i128,
    net_after: i128,
    aum_usd: u128,
    params: &SkewParams,
) -> Result<()> {
    let after = net_after.unsigned_abs();
    let same_side = (net_before >= 0 && net_after >= 0) || (net_before <= 0 && net_after <= 0);
    if same_side && after <= net_before.unsigned_abs() {
        return Ok(());
    }
    if let Some(cap) = net_exposure_cap_usd(aum_usd, params)? {
        require!(after <= cap, PerpPoolError::NetExposureLimitExceeded);
    }
    Ok(())
}

/// How much more size a `side` trade may open now under the caps, USD (u128::MAX without a cap):
/// up to `+cap` for longs (`max(cap - net, 0)`), down to `-cap` for shorts (`max(cap + net, 0)`).
pub fn headroom_usd(side: Side, net: i128, aum_usd: u128, params: &SkewParams) -> Result<u128> {
    let Some(cap) = net_exposure_cap_usd(aum_usd, params)? else {
        return Ok(u128::MAX);
    };
    let cap: i128 = cast(cap)?;
    let room = match side {
        Side::Long => cap.safe_sub(net)?,
        Side::Short => cap.safe_add(net)?,
    };
    cast(room.max(0))
}

/// The borrow-premium indexes of a market's two sides (kept on the traded custody).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PremiumIndex {
    pub long_rate: u64,
    pub short_rate: u64,
    /// RATE_DECIMALS x seconds, exact.
    pub long_cumulative: u128,
    pub short_cumulative: u128,
    pub last_update: i64,
}

impl PremiumIndex {
    /// Both indexes accrued to `now` (not written). A `now` before `last_update` accrues nothing.
    pub fn at(&self, now: i64) -> Result<PremiumIndex> {
        Ok(PremiumIndex {
            long_cumulative: accrued_cumulative_interest(
                self.long_cumulative,
                self.long_rate,
                self.last_update,
                now,
            )?,
            short_cumulative: accrued_cumulative_interest(
                self.short_cumulative,
                self.short_rate,
                self.last_update,
                now,
            )?,
            last_update: self.last_update.max(now),
            ..*self
        })
    }

    pub fn cumulative(&self, side: Side) -> u128 {
        match side {
            Side::Long => self.long_cumulative,
            Side::Short => self.short_cumulative,
        }
    }

    /// The side's rate.
    pub fn rate(&self, side: Side) -> u64 {
        match side {
            Side::Long => self.long_rate,
            Side::Short => self.short_rate,
        }
    }

    /// Re-derives both rates from the net and AUM now (after accruing to now).
    pub fn with_rates(
        &self,
        net: i128,
        aum_usd: u128,
        params: &SkewParams,
    ) -> Result<PremiumIndex> {
        Ok(PremiumIndex {
            long_rate: borrow_premium_rate(Side::Long, net, aum_usd, params)?,
            short_rate: borrow_premium_rate(Side::Short, net, aum_usd, params)?,
            ..*self
        })
    }
}

/// USD premium owed by a position of `size_usd` whose snapshot of its side's index is `snapshot`
/// (ceil: owed to the pool).
pub fn position_premium_usd(cumulative: u128, snapshot: u128, size_usd: u64) -> Result<u64> {
    position_interest_usd(cumulative, snapshot, size_usd)
}

/// USD premium owed by one side from its aggregates (`weighted` = Σ size × snapshot), rounded
/// as asked (AUM: min mode floor, max mode ceil).
pub fn aggregate_premium_usd(
    cumulative: u128,
    size_usd_total: u64,
    weighted: u128,
    rounding: Rounding,
) -> Result<u128> {
    aggregate_interest_usd(cumulative, size_usd_total, weighted, rounding)
}

/// `true` iff `params` is within bounds: scale <= MAX_SKEW_SCALE_AUM_BPS and, without a scale, no
/// premium; premium + discount <= BPS_POWER; borrow premium <= RATE_POWER per hour;
/// `max_net_exposure_aum_bps` <= MAX_NET_EXPOSURE_AUM_BPS.
pub fn skew_params_valid(params: &SkewParams) -> bool {
    let premiums_without_scale = params.scale_aum_bps == 0
        && (params.fee_premium_max_bps > 0
            || params.fee_discount_max_bps > 0
            || params.borrow_premium_max_rate > 0);
    !premiums_without_scale
        && params.scale_aum_bps <= MAX_SKEW_SCALE_AUM_BPS
        && params
            .fee_premium_max_bps
            .checked_add(params.fee_discount_max_bps)
            .is_some_and(|total| total <= BPS_POWER)
        && params.fee_discount_max_bps <= params.fee_premium_max_bps
        && params.borrow_premium_max_rate <= RATE_POWER
        && params.max_net_exposure_aum_bps <= MAX_NET_EXPOSURE_AUM_BPS
}

#[cfg(test)]
mod tests;
