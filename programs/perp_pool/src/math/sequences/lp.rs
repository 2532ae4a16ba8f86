//! LP deposits and withdrawals at constant AUM, between LPs, and the first-depositor attack.

use super::*;

/// A single-custody pool whose AUM is its owned tokens at a constant oracle price (no trading):
/// LP supply split into minted LP and dead shares.
#[derive(Clone, Copy, Debug)]
struct LpPool {
    owned: u64,
    minted: u64,
    dead: u64,
    decimals: u8,
    min_price: OraclePrice,
    max_price: OraclePrice,
    add_bps: u64,
    remove_bps: u64,
    share_bps: u64,
}

impl LpPool {
    /// `Pool::lp_supply`: minted + dead (None where the program's safe_add fails).
    fn supply(&self) -> Option<u64> {
        self.minted.checked_add(self.dead)
    }

    fn aum(&self, mode: AumMode) -> u128 {
        assets_under_management_usd(
            &[CustodyValuation {
                owned: self.owned,
                decimals: self.decimals,
                min_price: self.min_price,
                max_price: self.max_price,
                trading: Default::default(),
            }],
            mode,
        )
        .unwrap()
    }

    /// A deposit of `amount` tokens the way add_liquidity applies it: the LP minted.
    fn deposit(&mut self, amount: u64) -> Option<u64> {
        let out = compute_add_liquidity(
            amount,
            self.decimals,
            self.min_price,
            self.aum(AumMode::Max),
            self.supply()?,
            self.add_bps,
            self.share_bps,
        )
        .ok()?;
        // All or nothing, like a transaction.
        let owned = self.owned.checked_add(out.owned_increase)?;
        let minted = self.minted.checked_add(out.lp_amount_out)?;
        self.owned = owned;
        self.minted = minted;
        self.dead += out.dead_lp_amount;
        Some(out.lp_amount_out)
    }

    /// A redemption of `lp` the way remove_liquidity applies it: the tokens paid.
    fn withdraw(&mut self, lp: u64) -> Option<u64> {
        if lp > self.minted {
            return None;
        }
        let out = compute_remove_liquidity(
            lp,
            self.aum(AumMode::Min),
            self.supply()?,
            self.decimals,
            self.max_price,
            self.owned,
            self.remove_bps,
            self.share_bps,
        )
        .ok()?;
        self.owned -= out.owned_decrease;
        self.minted -= lp;
        Some(out.amount_out)
    }

    /// The pool gains tokens without issuing LP (fees, traders' losses, a donation).
    fn gain(&mut self, amount: u64) {
        self.owned = self.owned.saturating_add(amount);
    }

    /// The LP price as an exact rational: (min AUM, supply incl. the dead shares).
    fn price(&self) -> (u128, u128) {
        (
            self.aum(AumMode::Min),
            u128::from(self.minted) + u128::from(self.dead),
        )
    }

    /// `lp * aum / supply` (micro-USD at the min AUM) rounded as asked, exactly (256-bit).
    fn value(&self, lp: u64, rounding: Rounding) -> u128 {
        let (aum, supply) = self.price();
        if supply == 0 {
            return 0;
        }
        let (quotient, remainder) = wide_div(wide_mul(u128::from(lp), aum), supply);
        match rounding {
            Rounding::Ceil if remainder > 0 => quotient + 1,
            _ => quotient,
        }
    }
}

/// `(hi, lo) / d` for a quotient that fits u128: (quotient, remainder), by long division.
fn wide_div((hi, lo): (u128, u128), d: u128) -> (u128, u128) {
    assert!(hi < d, "quotient does not fit u128");
    let (mut q, mut r) = (0u128, hi);
    for bit in (0..128).rev() {
        // r < d; shift in the next bit of lo (r may exceed u128 by one bit: track the carry).
        let carry = r >> 127;
        r = (r << 1) | ((lo >> bit) & 1);
        if carry == 1 || r >= d {
            r = r.wrapping_sub(d);
            q |= 1 << bit;
        }
    }
    (q, r)
}

/// `a / b <= c / d` for non-negative rationals, exactly.
pub(super) fn le(a: (u128, u128), c: (u128, u128)) -> bool {
    // a.0 * c.1 <= c.0 * a.1, with 256-bit products.
    wide_mul(a.0, c.1) <= wide_mul(c.0, a.1)
}

pub(super) fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a_hi, a_lo) = (a >> 64, a & mask);
    let (b_hi, b_lo) = (b >> 64, b & mask);
    let lo = a_lo * b_lo;
    let mid1 = a_hi * b_lo;
    let mid2 = a_lo * b_hi;
    let hi = a_hi * b_hi;
    let (mid, carry) = mid1.overflowing_add(mid2);
    let (lo, carry_lo) = lo.overflowing_add(mid << 64);
    let hi = hi + (mid >> 64) + (u128::from(carry) << 64) + u128::from(carry_lo);
    (hi, lo)
}

/// A pool with no LP yet, or one with LP (including the dead shares) and the tokens behind it.
fn lp_pool() -> impl Strategy<Value = LpPool> {
    (
        prop_oneof![
            // No LP yet (with stray tokens or not), or LP and the tokens behind it.
            1 => Just((0u64, 0u64)),
            1 => log_range(1, 1_000_000_000_000_000).prop_map(|owned| (owned, 0)),
            3 => (log_range(1, 1_000_000_000_000_000), log_range(1, 1_000_000_000_000_000)),
        ],
        0u8..=9,
        log_range(1, 10_000_000_000_000), // min price, expo -8: 10^-8 .. 10^5 USD
        0u64..=200,                       // max - min, bps of min
        0u64..=100,
        0u64..=100,
        0u64..=10_000,
    )
        .prop_map(
            |((owned, minted), decimals, min, spread_bps, add_bps, remove_bps, share_bps)| {
                let max = min + min / 10_000 * spread_bps;
                LpPool {
                    owned,
                    minted,
                    dead: if minted == 0 { 0 } else { DEAD_LP_SUPPLY },
                    decimals,
                    min_price: OraclePrice {
                        price: min,
                        exponent: -8,
                    },
                    max_price: OraclePrice {
                        price: max,
                        exponent: -8,
                    },
                    add_bps,
                    remove_bps,
                    share_bps,
                }
            },
        )
}

#[derive(Clone, Copy, Debug)]
enum LpOp {
    Deposit(u64),
    /// `part_bps` of the LP held (at least 1).
    Withdraw(u64),
}

fn lp_op() -> impl Strategy<Value = LpOp> {
    prop_oneof![
        log_range(1, 1_000_000_000_000_000).prop_map(LpOp::Deposit),
        (1u64..=10_000).prop_map(LpOp::Withdraw),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// (d) At constant AUM (constant prices, no trading), any sequence of deposits and
    /// withdrawals by one LP, followed by redeeming all it holds, returns no more tokens than it
    /// put in; what it could not redeem is valued at its share of the min AUM.
    #[test]
    fn lp_never_gains_at_constant_aum(pool in lp_pool(), ops in proptest::collection::vec(lp_op(), 1..12)) {
        let mut pool = pool;
        let (mut held, mut tokens_in, mut tokens_out) = (0u64, 0u128, 0u128);
        for op in &ops {
            match *op {
                LpOp::Deposit(amount) => {
                    if let Some(lp) = pool.deposit(amount) {
                        held += lp;
                        tokens_in += u128::from(amount);
                    }
                }
                LpOp::Withdraw(part_bps) => {
                    let lp = u64::try_from(u128::from(held) * u128::from(part_bps) / 10_000).unwrap().max(1);
                    if lp <= held {
                        if let Some(out) = pool.withdraw(lp) {
                            held -= lp;
                            tokens_out += u128::from(out);
                        }
                    }
                }
            }
        }
        if held > 0 {
            if let Some(out) = pool.withdraw(held) {
                held = 0;
                tokens_out += u128::from(out);
            }
        }
        // Whatever could not be redeemed (dust), in tokens at the max price, rounded up: an
        // upper bound of what it could ever be worth at these prices.
        let left_usd = pool.value(held, Rounding::Ceil);
        let left = pool.max_price.usd_to_token(left_usd, pool.decimals, Rounding::Ceil).unwrap();
        prop_assert!(
            tokens_out + left <= tokens_in,
            "in {} out {} left {} ops {:?}", tokens_in, tokens_out, left, ops
        );
    }

    /// (d) Another LP's deposits and withdrawals never lower the value of an existing LP's
    /// holding (its share of the min AUM, the supply counting the dead shares): each operation
    /// rounds in the pool's favour.
    #[test]
    fn other_lps_never_lower_an_lps_value(pool in lp_pool(), first in log_range(1_000_001, 1_000_000_000_000_000), ops in proptest::collection::vec(lp_op(), 1..12)) {
        let mut pool = pool;
        // The existing LP's holding (fixed): its value moves with the LP price.
        if pool.deposit(first).is_none() {
            return Ok(());
        }
        let mut other = 0u64;
        let mut price = pool.price();
        for op in &ops {
            let before = pool;
            match *op {
                LpOp::Deposit(amount) => {
                    if let Some(lp) = pool.deposit(amount) {
                        other += lp;
                    }
                }
                LpOp::Withdraw(part_bps) => {
                    let lp = u64::try_from(u128::from(other) * u128::from(part_bps) / 10_000).unwrap().max(1);
                    if lp <= other && pool.withdraw(lp).is_some() {
                        other -= lp;
                    }
                }
            }
            let now = pool.price();
            prop_assert!(le(price, now), "{:?} -> {:?} after {:?} on {:?}", price, now, op, before);
            price = now;
        }
    }

    /// (d) The first-depositor inflation attack: the attacker makes the first (small) deposit
    /// and redeems all but a few LP units, the pool then gains `donation` (the attacker's donation: fees, a losing trade), then a
    /// victim deposits. Whatever the attacker redeems afterwards, it gets back less than it
    /// donated; the victim loses at most the value of one LP unit to the rounding.
    #[test]
    fn first_depositor_inflation_attack_does_not_pay(
        first in prop_oneof![1_000_001u64..=1_100_000, log_range(1_000_001, 1_000_000_000)],
        keep in 1u64..=10,
        donation in log_range(1, 1_000_000_000_000_000),
        victim in log_range(1, 1_000_000_000_000_000),
        decimals in 0u8..=9,
        min in log_range(1_000_000, 10_000_000_000),
        add_bps in 0u64..=30,
        remove_bps in 0u64..=30,
    ) {
        let price = OraclePrice { price: min, exponent: -8 };
        let mut pool = LpPool {
            owned: 0,
            minted: 0,
            dead: 0,
            decimals,
            min_price: price,
            max_price: price,
            add_bps,
            remove_bps,
            share_bps: 0,
        };
        // The attacker's first deposit: `first` micro-USD worth of tokens, rounded up.
        let amount = u64::try_from(price.usd_to_token(u128::from(first), decimals, Rounding::Ceil).unwrap()).unwrap();
        let Some(mut attacker_lp) = pool.deposit(amount) else { return Ok(()); };
        // It redeems all but `keep` LP units, to make each unit worth as much as possible.
        let mut attacker_out = 0u64;
        if attacker_lp > keep {
            if let Some(out) = pool.withdraw(attacker_lp - keep) {
                attacker_out += out;
                attacker_lp = keep;
            }
        }
        pool.gain(donation);
        // One LP unit at the AUM the victim's deposit is priced against (max, before it).
        let supply = u128::from(pool.minted + pool.dead);
        let unit = pool.aum(AumMode::Max).div_ceil(supply);
        let Some(victim_lp) = pool.deposit(victim) else { return Ok(()); };
        let victim_value = pool.value(victim_lp, Rounding::Floor);
        // The attacker redeems everything (if it can), first.
        attacker_out += pool.withdraw(attacker_lp).unwrap_or(0);
        prop_assert!(
            attacker_out <= amount || u128::from(attacker_out - amount) < u128::from(donation),
            "attacker put in {} + {} and got {}", amount, donation, attacker_out
        );
        // The victim's holding is worth at least what its deposit was credited (net of the fee,
        // valued like add_liquidity values it) less one LP unit, and two micro-USD of AUM and
        // value rounding.
        let fee = u64::try_from((u128::from(victim) * u128::from(add_bps)).div_ceil(10_000)).unwrap();
        let deposit_usd = price.token_to_usd(victim - fee, decimals, Rounding::Floor).unwrap();
        prop_assert!(
            victim_value + unit + 2 >= deposit_usd,
            "victim {} + unit {} < {}", victim_value, unit, deposit_usd
        );
    }
}

#[test]
fn wide_arithmetic_helpers() {
    for (a, b) in [
        (0u128, 1u128),
        (u128::MAX, u128::MAX),
        (u128::MAX, 3),
        (
            123_456_789_012_345_678_901_234_567,
            98_765_432_109_876_543_210,
        ),
    ] {
        assert_eq!(wide_div(wide_mul(a, b), b), (a, 0));
        if b > 1 {
            let (hi, lo) = wide_mul(a, b);
            let (lo, borrow) = lo.overflowing_sub(1);
            let hi = hi - u128::from(borrow);
            if (hi, lo) != (u128::MAX, u128::MAX) && a > 0 {
                assert_eq!(wide_div((hi, lo), b), (a - 1, b - 1));
            }
        }
    }
    assert!(le((1, 3), (1, 2)) && !le((1, 2), (1, 3)) && le((2, 4), (1, 2)));
}
