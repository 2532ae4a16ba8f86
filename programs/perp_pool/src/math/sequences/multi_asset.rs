//! Multi-asset pools at constant prices (docs/design.md "Multi-asset pools"): deposits and
//! redemptions of any custody's token with the weight-steered fees, and swaps between custodies,
//! each applied the way its handler applies it (`controller::liquidity`, `controller::swap`).
//!
//! - the LP price (min AUM / supply with the dead shares) never decreases, and a swap never
//!   lowers the pool's AUM at min prices;
//! - one actor's tokens out, each valued at its custody's MAX price (rounded up), never exceed its
//!   tokens in, each at its MIN price (rounded down), plus what its unredeemed LP is worth: no
//!   mix of deposits, redemptions and swaps gains at constant prices, even at the pool's own
//!   marks;
//! - a swap there and back returns no more than went in.

use {
    super::{
        lp::{le, wide_mul},
        *,
    },
    crate::{
        math::{
            liquidity::redemption_gross,
            weights::{liquidity_fee_bps, quote_swap, SwapLeg},
        },
        types::WeightParams,
    },
};

#[derive(Clone, Debug)]
struct Custody {
    owned: u64,
    decimals: u8,
    min_price: OraclePrice,
    max_price: OraclePrice,
    weights: WeightParams,
    add_bps: u64,
    remove_bps: u64,
    share_bps: u64,
}

/// A pool of custodies with LP (minted + dead) and no trading.
#[derive(Clone, Debug)]
struct MultiPool {
    custodies: Vec<Custody>,
    minted: u64,
    dead: u64,
}

impl MultiPool {
    fn valuations(&self) -> Vec<CustodyValuation> {
        self.custodies
            .iter()
            .map(|c| CustodyValuation {
                owned: c.owned,
                decimals: c.decimals,
                min_price: c.min_price,
                max_price: c.max_price,
                trading: Default::default(),
            })
            .collect()
    }

    fn aum(&self, mode: AumMode) -> u128 {
        assets_under_management_usd(&self.valuations(), mode).unwrap()
    }

    fn supply(&self) -> Option<u64> {
        self.minted.checked_add(self.dead)
    }

    /// `apply_deposit` on a junior (untranched) pool: the LP minted.
    fn deposit(&mut self, index: usize, amount: u64) -> Option<u64> {
        let valuations = self.valuations();
        let c = self.custodies.get(index)?.clone();
        let fee_bps = liquidity_fee_bps(
            &valuations,
            index,
            c.owned.checked_add(amount)?,
            &c.weights,
            c.add_bps,
        )
        .ok()?;
        let out = compute_add_liquidity(
            amount,
            c.decimals,
            c.min_price,
            self.aum(AumMode::Max),
            self.supply()?,
            fee_bps,
            c.share_bps,
        )
        .ok()?;
        let owned = c.owned.checked_add(out.owned_increase)?;
        let minted = self.minted.checked_add(out.lp_amount_out)?;
        let dead = self.dead.checked_add(out.dead_lp_amount)?;
        self.custodies[index].owned = owned;
        self.minted = minted;
        self.dead = dead;
        Some(out.lp_amount_out)
    }

    /// `apply_withdrawal`: the tokens paid.
    fn redeem(&mut self, index: usize, lp: u64) -> Option<u64> {
        if lp > self.minted {
            return None;
        }
        let valuations = self.valuations();
        let c = self.custodies.get(index)?.clone();
        let aum = self.aum(AumMode::Min);
        let supply = self.supply()?;
        let (_, gross) = redemption_gross(lp, aum, supply, c.decimals, c.max_price).ok()?;
        let fee_bps = liquidity_fee_bps(
            &valuations,
            index,
            c.owned.saturating_sub(gross),
            &c.weights,
            c.remove_bps,
        )
        .ok()?;
        let out = compute_remove_liquidity(
            lp,
            aum,
            supply,
            c.decimals,
            c.max_price,
            c.owned,
            fee_bps,
            c.share_bps,
        )
        .ok()?;
        self.custodies[index].owned -= out.owned_decrease;
        self.minted -= lp;
        Some(out.amount_out)
    }

    /// `apply_swap`: the tokens out.
    fn swap(&mut self, from: usize, to: usize, amount: u64) -> Option<u64> {
        let (r, d) = (self.custodies.get(from)?.clone(), self.custodies.get(to)?.clone());
        let quote = quote_swap(
            &self.valuations(),
            SwapLeg {
                index: from,
                weights: r.weights,
                owned: r.owned,
            },
            SwapLeg {
                index: to,
                weights: d.weights,
                owned: d.owned,
            },
            amount,
            d.share_bps,
            d.owned,
        )
        .ok()?;
        let owned = r.owned.checked_add(amount)?;
        self.custodies[from].owned = owned;
        self.custodies[to].owned -= quote.amounts.owned_decrease;
        Some(quote.amounts.amount_out)
    }

    fn price(&self) -> (u128, u128) {
        (
            self.aum(AumMode::Min),
            u128::from(self.minted) + u128::from(self.dead),
        )
    }
}

/// USDC (6), SOL (9), BTC (8): prices with a spread, weights, fees; some owned or an empty pool.
fn multi_pool() -> impl Strategy<Value = MultiPool> {
    let custody = |decimals: u8, lo: u64, hi: u64| {
        (
            lo..=hi,              // min price, expo -8
            0u64..=200,           // spread, bps of min
            0u64..=10_000,        // target
            0u64..=10_000,        // a bound
            0u64..=10_000,        // the other
            0u64..=200,           // tax
            0u64..=100,           // swap base
            (0u64..=100, 0u64..=100, 0u64..=10_000),
            prop_oneof![Just(0u64), log_range(1, 1_000_000_000_000_000)],
            0u8..=4, // 0: no weight rule
        )
            .prop_map(
                move |(min, spread, t, a, b, tax, swap, (add, remove, share), owned, rule)| {
                    let mut v = [t, a, b];
                    v.sort_unstable();
                    Custody {
                        owned,
                        decimals,
                        min_price: OraclePrice {
                            price: min,
                            exponent: -8,
                        },
                        max_price: OraclePrice {
                            price: min + min / 10_000 * spread,
                            exponent: -8,
                        },
                        weights: if rule == 0 {
                            WeightParams::default()
                        } else {
                            WeightParams {
                                min_bps: v[0],
                                target_bps: v[1],
                                max_bps: v[2].max(1),
                                tax_bps: tax,
                                swap_bps: swap,
                            }
                        },
                        add_bps: add,
                        remove_bps: remove,
                        share_bps: share,
                    }
                },
            )
    };
    (
        custody(6, 99_000_000, 101_000_000),
        custody(9, 1_000_000, 100_000_000_000),
        custody(8, 100_000_000, 10_000_000_000_000),
        prop_oneof![Just(0u64), log_range(1, 1_000_000_000_000_000)],
    )
        .prop_map(|(usdc, sol, btc, minted)| {
            let owns = usdc.owned > 0 || sol.owned > 0 || btc.owned > 0;
            MultiPool {
                custodies: vec![usdc, sol, btc],
                // LP only with something behind it (a pool with supply and no AUM is refused).
                minted: if owns { minted } else { 0 },
                dead: if owns && minted > 0 { DEAD_LP_SUPPLY } else { 0 },
            }
        })
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Deposit(usize, u64),
    /// `part_bps` of the LP held, paid from the custody.
    Redeem(usize, u64),
    Swap(usize, usize, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, log_range(1, 1_000_000_000_000_000)).prop_map(|(i, a)| Op::Deposit(i, a)),
        (0usize..3, 1u64..=10_000).prop_map(|(i, p)| Op::Redeem(i, p)),
        (0usize..3, 0usize..3, log_range(1, 1_000_000_000_000_000))
            .prop_map(|(i, j, a)| Op::Swap(i, j, a)),
    ]
}

/// `amount` of custody `c` in micro-USD as a pair (floor at min, ceil at max).
fn in_usd(c: &Custody, amount: u64) -> u128 {
    c.min_price
        .token_to_usd(amount, c.decimals, Rounding::Floor)
        .unwrap()
}

fn out_usd(c: &Custody, amount: u64) -> u128 {
    c.max_price
        .token_to_usd(amount, c.decimals, Rounding::Ceil)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    /// One actor's deposits, redemptions and swaps over a multi-asset pool at constant prices:
    /// after every step the LP price does not decrease (and a swap does not lower the min AUM);
    /// at the end, with what it holds redeemed where the pool lets it, the actor's tokens out
    /// valued at max prices (ceil) are at most its tokens in at min prices (floor) plus the
    /// value of the LP it could not redeem (its share of the min AUM, ceil).
    #[test]
    fn no_mix_of_deposits_redemptions_and_swaps_gains(pool in multi_pool(), ops in proptest::collection::vec(op(), 1..16)) {
        let mut pool = pool;
        let (mut held, mut usd_in, mut usd_out) = (0u64, 0u128, 0u128);
        for op in &ops {
            let price = pool.price();
            let aum_before = pool.aum(AumMode::Min);
            match *op {
                Op::Deposit(i, amount) => {
                    if let Some(lp) = pool.deposit(i, amount) {
                        held += lp;
                        usd_in += in_usd(&pool.custodies[i], amount);
                    }
                }
                Op::Redeem(i, part_bps) => {
                    let lp = u64::try_from(u128::from(held) * u128::from(part_bps) / 10_000).unwrap().max(1);
                    if lp <= held {
                        if let Some(out) = pool.redeem(i, lp) {
                            held -= lp;
                            usd_out += out_usd(&pool.custodies[i], out);
                        }
                    }
                }
                Op::Swap(i, j, amount) => {
                    if let Some(out) = pool.swap(i, j, amount) {
                        usd_in += in_usd(&pool.custodies[i], amount);
                        usd_out += out_usd(&pool.custodies[j], out);
                        prop_assert!(pool.aum(AumMode::Min) >= aum_before, "swap lowered the AUM: {:?}", op);
                    }
                }
            }
            // The LP price never decreases (a pool's first deposit sets it).
            if price.1 > 0 {
                prop_assert!(le(price, pool.price()), "LP price fell on {:?}: {:?} -> {:?}", op, price, pool.price());
            }
        }
        for i in 0..3 {
            if held > 0 {
                if let Some(out) = pool.redeem(i, held) {
                    held = 0;
                    usd_out += out_usd(&pool.custodies[i], out);
                }
            }
        }
        let (aum, supply) = pool.price();
        let left = if supply == 0 {
            0
        } else {
            let (hi, lo) = wide_mul(u128::from(held), aum);
            // held <= supply: the quotient fits; ceil.
            assert_eq!(hi, 0, "value overflow");
            lo.div_ceil(supply)
        };
        prop_assert!(usd_out <= usd_in + left, "in {} out {} left {} ops {:?}", usd_in, usd_out, left, ops);
    }

    /// A swap A -> B then B -> A at constant prices returns at most the tokens that went in, and
    /// neither swap lowers the pool's min AUM.
    #[test]
    fn swap_round_trip_never_gains(pool in multi_pool(), i in 0usize..3, j in 0usize..3, amount in log_range(1, 1_000_000_000_000_000)) {
        let mut pool = pool;
        let aum0 = pool.aum(AumMode::Min);
        if let Some(out) = pool.swap(i, j, amount) {
            let aum1 = pool.aum(AumMode::Min);
            prop_assert!(aum1 >= aum0);
            if let Some(back) = pool.swap(j, i, out) {
                prop_assert!(back <= amount, "{} -> {} -> {}", amount, out, back);
                prop_assert!(pool.aum(AumMode::Min) >= aum1);
            }
        }
    }
}
