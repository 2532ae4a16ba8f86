//! Escrow conservation over random sequences of order operations (proptest on the node's bank):
//! after every step, whatever succeeded or failed, the vault holds exactly its five buckets, the
//! escrow bucket is the sum of what the open orders escrowed, and no token was created or lost
//! between the vault, the trader and the keeper.

use crate::support::*;
use perp_pool::{
    state::{custody::Custody, order::Order},
    types::{OrderKind, Side},
};
use proptest::prelude::*;
use solana_sdk::signature::Signer;

#[derive(Clone, Debug)]
enum Op {
    Place {
        kind: u8,
        index: u8,
        offset: u64,
        size: u64,
        collateral: u64,
    },
    Edit {
        index: u8,
        offset: u64,
    },
    Cancel {
        index: u8,
    },
    Price {
        dollars: u64,
    },
    Execute {
        index: u8,
    },
    RemoveVoid {
        index: u8,
    },
    ClosePosition,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..3, 0u8..4, 1u64..20, 1u64..2_000, 1u64..200).prop_map(|(kind, index, offset, size, collateral)| Op::Place { kind, index, offset, size, collateral }),
        1 => (0u8..4, 1u64..20).prop_map(|(index, offset)| Op::Edit { index, offset }),
        1 => (0u8..4).prop_map(|index| Op::Cancel { index }),
        3 => (135u64..170).prop_map(|dollars| Op::Price { dollars }),
        3 => (0u8..4).prop_map(|index| Op::Execute { index }),
        1 => (0u8..4).prop_map(|index| Op::RemoveVoid { index }),
        1 => Just(Op::ClosePosition),
    ]
}

const KINDS: [OrderKind; 3] = [OrderKind::TakeProfit, OrderKind::StopLoss, OrderKind::Limit];

/// A trigger `offset` dollars from `price` on the side where `kind` is not yet reached (long).
fn trigger(kind: OrderKind, price: u64, offset: u64) -> u64 {
    match kind {
        OrderKind::TakeProfit => (price + offset) * PRICE,
        OrderKind::StopLoss | OrderKind::Limit => price.saturating_sub(offset).max(1) * PRICE,
    }
}

fn open_orders(t: &Trading) -> u64 {
    (0..4u8)
        .filter(|&i| t.env.exists(t.order_key(i)))
        .map(|i| {
            let order: Order = t.env.account(t.order_key(i));
            order.collateral_amount + order.executor_fee
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn escrow_is_conserved_over_any_sequence(ops in prop::collection::vec(op(), 1..14)) {
        let mut t = setup_trading();
        let user = t.env.user.insecure_clone();
        let ix = t.open_ix(Side::Long, 100 * USD, 1_500 * USD, 150 * PRICE);
        t.env.send(&[ix], &[&user]).unwrap();
        let (keeper, keeper_usdc) = t.keeper();
        t.env.fund(keeper.pubkey(), 1_000_000_000);
        let total = |t: &Trading| {
            t.env.token_balance(t.env.vault) + t.env.token_balance(t.env.user_token) + t.env.token_balance(keeper_usdc)
        };
        let start = total(&t);
        let mut price = 150u64;
        for op in ops {
            let ix = match op {
                Op::Place { kind, index, offset, size, collateral } => {
                    let kind = KINDS[usize::from(kind)];
                    let collateral = if kind == OrderKind::Limit { collateral * USD } else { 0 };
                    let limit = match kind { OrderKind::StopLoss => 0, _ => trigger(kind, price, offset) };
                    Some((t.place_order_ix(kind, Side::Long, index, trigger(kind, price, offset), limit, size * USD, collateral), false))
                }
                Op::Edit { index, offset } => t.env.exists(t.order_key(index)).then(|| {
                    let order: Order = t.env.account(t.order_key(index));
                    let trig = trigger(order.kind, price, offset);
                    (t.edit_order_ix(user.pubkey(), Side::Long, index, trig, order.price_limit, order.size_usd), false)
                }),
                Op::Cancel { index } => Some((t.cancel_order_ix(user.pubkey(), t.env.user_token, index), false)),
                Op::Price { dollars } => {
                    price = dollars;
                    // A new slot (blockhash): the same price published twice is two transactions.
                    t.env.next_slot();
                    set_sol_price_decimals(&mut t, dollars * PRICE);
                    None
                }
                Op::Execute { index } => t.env.exists(t.order_key(index)).then(|| {
                    let order: Order = t.env.account(t.order_key(index));
                    let ix = if order.kind == OrderKind::Limit {
                        t.execute_limit_ix(keeper.pubkey(), keeper_usdc, Side::Long, index)
                    } else {
                        t.execute_trigger_ix(keeper.pubkey(), keeper_usdc, Side::Long, index)
                    };
                    (ix, true)
                }),
                Op::RemoveVoid { index } => Some((t.remove_void_ix(keeper.pubkey(), keeper_usdc, Side::Long, index), true)),
                Op::ClosePosition => Some((t.close_ix(Side::Long, 0), false)),
            };
            if let Some((ix, by_keeper)) = ix {
                let signer = if by_keeper { &keeper } else { &user };
                // Success or a named refusal: either way the invariants hold.
                let _ = t.env.send(&[made_unique(ix)], &[signer]);
            }
            t.assert_vault_balanced();
            let custody: Custody = t.env.account(t.env.custody);
            prop_assert_eq!(custody.assets.escrow, open_orders(&t));
            prop_assert_eq!(total(&t), start);
        }
    }
}
