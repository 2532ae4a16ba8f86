use {super::*, proptest::prelude::*};

const USD: u128 = 1_000_000;
/// One whole token, QUANTITY_DECIMALS.
const TOKEN: u128 = 1_000_000_000_000;
/// 1 USD in PRICE_DECIMALS.
const PRICE: u64 = 1_000_000_000;

/// The exact `Σ q_i · max(0, ±(P - A_i))` in USD as a rational bound: computed per position with
/// the threshold `A_i = usd_i · scale / q_i` kept exact (`q_i·P/scale - usd_i`), floor.
fn truth(crossing: Crossing, positions: &[(u128, u128)], price: u64) -> u128 {
    let scale = quantity_scale().unwrap();
    positions
        .iter()
        .filter(|&&(q, usd)| is_registered(crossing, q, usd))
        .map(|&(q, usd)| {
            // q·P - usd·scale, in USD·scale units, then floor to USD.
            let value = q * u128::from(price);
            let threshold = usd * scale;
            let term = match crossing {
                Crossing::Above => value.saturating_sub(threshold),
                Crossing::Below => threshold.saturating_sub(value),
            };
            term / scale
        })
        .sum()
}

#[test]
fn grid_cells_tile_the_prices() {
    // Every price lies in its cell: low(id) <= p < low(id + 1), and ids are monotone.
    let mut last = 0u16;
    for p in (0u64..5_000).chain([
        u64::MAX,
        u64::MAX - 1,
        1 << 40,
        (1 << 40) - 1,
        123_456_789_012,
    ]) {
        let id = grid_id(p);
        assert!(grid_low(id) <= u128::from(p), "p={p}");
        assert!(u128::from(p) < grid_low(id + 1), "p={p}");
        if p < 5_000 {
            assert!(id >= last);
            last = id;
        }
    }
    assert_eq!(grid_low(GRID_MAX_ID + 1), 1u128 << 64);
    // Cells above GRID_EXACT are 1/16 to 1/32 of their price wide.
    for id in (GRID_EXACT as u16)..GRID_MAX_ID {
        let (low, high) = (grid_low(id), grid_low(id + 1));
        assert!(
            (high - low) * 16 <= low && (high - low) * 32 >= low,
            "id={id}"
        );
    }
}

#[test]
fn a_long_above_its_cap_is_counted_exactly_once_its_cell_is_passed() {
    // 1 token long of 100 USD with a 100 USD cap: cap price 200 USD.
    let mut book = ExposureBook::default();
    book.add(Crossing::Above, TOKEN, 200 * USD).unwrap();
    assert_eq!(book.excess_usd(Crossing::Above, 150 * PRICE).unwrap(), 0);
    assert_eq!(
        book.excess_usd(Crossing::Above, 250 * PRICE).unwrap(),
        50 * USD
    );
    // Within its cell (200 lies in [192, 200+) ... the bound is from the cell's low end.
    let at_cap = book.excess_usd(Crossing::Above, 200 * PRICE).unwrap();
    assert!(at_cap <= 8 * USD, "{at_cap}");
    book.remove(Crossing::Above, TOKEN, 200 * USD).unwrap();
    assert_eq!(book, ExposureBook::default());
}

#[test]
fn a_long_past_bankruptcy_is_counted_and_a_safe_one_is_not() {
    // 1 token long of 100 USD with 10 USD collateral: bankrupt below 90 USD.
    let mut book = ExposureBook::default();
    book.add(Crossing::Below, TOKEN, 90 * USD).unwrap();
    assert_eq!(book.excess_usd(Crossing::Below, 100 * PRICE).unwrap(), 0);
    assert_eq!(
        book.excess_usd(Crossing::Below, 80 * PRICE).unwrap(),
        10 * USD
    );
    assert_eq!(book.excess_usd(Crossing::Below, 0).unwrap(), 90 * USD);
}

#[test]
fn a_threshold_at_or_below_zero_is_not_registered() {
    let mut book = ExposureBook::default();
    book.add(Crossing::Below, TOKEN, 0).unwrap();
    assert_eq!(book, ExposureBook::default());
    book.remove(Crossing::Below, TOKEN, 0).unwrap();
    // An Above threshold at 0 (a short owing more interest than size + collateral) is.
    book.add(Crossing::Above, TOKEN, 0).unwrap();
    assert_eq!(book.count().unwrap(), 1);
    assert_eq!(
        book.excess_usd(Crossing::Above, 5 * PRICE).unwrap(),
        5 * USD
    );
}

#[test]
fn removing_what_was_not_added_is_a_named_error() {
    let mut book = ExposureBook::default();
    book.add(Crossing::Above, TOKEN, 200 * USD).unwrap();
    let err = book.remove(Crossing::Above, TOKEN, 100 * USD);
    assert_eq!(
        crate::math::error_name(&err).as_deref(),
        Some("ExposureBookInconsistent")
    );
    let err = book.remove(Crossing::Above, 2 * TOKEN, 400 * USD);
    assert_eq!(
        crate::math::error_name(&err).as_deref(),
        Some("ExposureBookInconsistent")
    );
}

#[test]
fn a_full_book_merges_the_narrowest_adjacent_ranges_and_stays_disjoint() {
    let mut book = ExposureBook::default();
    let positions: Vec<(u128, u128)> = (0..40u128).map(|i| (TOKEN, (100 + 7 * i) * USD)).collect();
    for &(q, usd) in &positions {
        book.add(Crossing::Above, q, usd).unwrap();
    }
    assert_eq!(book.count().unwrap(), 40);
    let mut ranges: Vec<(u16, u16)> = book
        .slots
        .iter()
        .filter(|s| s.count > 0)
        .map(|s| (s.lo_id, s.hi_id))
        .collect();
    ranges.sort();
    assert_eq!(ranges.len(), EXPOSURE_BOOK_SLOTS);
    for pair in ranges.windows(2) {
        assert!(pair[0].1 < pair[1].0, "{ranges:?}");
    }
    for &(q, usd) in positions.iter().rev() {
        book.remove(Crossing::Above, q, usd).unwrap();
    }
    assert_eq!(book, ExposureBook::default());
}

fn position() -> impl Strategy<Value = (u128, u128)> {
    // Quantities from dust to 10^6 tokens, thresholds from 10^-6 USD to 10^7 USD a token.
    (1u128..1_000_000 * TOKEN, 0u32..14, 1u128..1_000_000).prop_map(|(q, e, m)| {
        let price_usd_scaled = m * 10u128.pow(e); // threshold in units of 1e-6 USD
        let usd = q.saturating_mul(price_usd_scaled) / (TOKEN * 1_000_000);
        (q, usd)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Over any sequence of adds and removes, the book's bound at any price is at least the exact
    /// per-position sum, and exact for prices outside every occupied range; removing everything
    /// leaves an empty book.
    #[test]
    fn the_bound_covers_the_exact_sum_over_sequences(
        positions in prop::collection::vec(position(), 1..60),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
        prices in prop::collection::vec(0u64..u64::MAX / 1024, 1..8),
        above in any::<bool>(),
    ) {
        let crossing = if above { Crossing::Above } else { Crossing::Below };
        let mut book = ExposureBook::default();
        let mut live: Vec<(u128, u128)> = Vec::new();
        for &p in &positions {
            book.add(crossing, p.0, p.1).unwrap();
            live.push(p);
        }
        for index in &removals {
            if live.is_empty() { break; }
            let p = live.swap_remove(index.index(live.len()));
            book.remove(crossing, p.0, p.1).unwrap();
        }
        for &price in &prices {
            let bound = book.excess_usd(crossing, price).unwrap();
            let exact = truth(crossing, &live, price);
            prop_assert!(bound >= exact, "bound {} < exact {} at {}", bound, exact, price);
            let inside = book.slots.iter().filter(|s| s.count > 0).any(|s| {
                grid_low(s.lo_id) < u128::from(price)
                    && (s.hi_id == GRID_MAX_ID || u128::from(price) < grid_low(s.hi_id + 1))
            });
            if !inside {
                // Exact up to one rounding unit per slot.
                prop_assert!(bound <= exact + EXPOSURE_BOOK_SLOTS as u128 + live.len() as u128,
                    "bound {} exact {} at {}", bound, exact, price);
            }
        }
        for p in live.drain(..) {
            book.remove(crossing, p.0, p.1).unwrap();
        }
        prop_assert_eq!(book, ExposureBook::default());
    }
}
