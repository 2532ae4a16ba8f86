//! The node's own ceiling, with no RPC in the way: how many SOL transfers per second the node
//! verifies, executes and commits (a committed transaction is confirmed, see
//! [`Node::bank_at`]), through the same [`Node::send`] that `sendTransaction` calls, while the
//! slot ticker runs as in the binary. `perp-localnet --bench-transfers N` prints it as JSON;
//! bench/node_ceiling.py compares it with the Python client through RPC.

use crate::node::{Node, SendOutcome};
use serde_json::{json, Value};
use solana_sdk::{
    native_token::sol_to_lamports,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_transaction,
    transaction::VersionedTransaction,
};
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

/// Sends `txs` one after another; (landed without error, seconds).
fn send_all(node: &Node, txs: Vec<VersionedTransaction>) -> (usize, f64) {
    let started = Instant::now();
    let mut ok = 0;
    for tx in txs {
        if let Ok(SendOutcome::Landed(sig)) = node.send(tx) {
            if node.landed(&sig).is_some_and(|l| l.meta.status.is_ok()) {
                ok += 1;
            }
        }
    }
    (ok, started.elapsed().as_secs_f64())
}

fn transfers(
    node: &Node,
    payers: &[Keypair],
    count: usize,
    salt: u64,
) -> Vec<VersionedTransaction> {
    let blockhash = node.bank().last_blockhash();
    (0..count)
        .map(|i| {
            let payer = &payers[i % payers.len()];
            // Distinct amounts: no two transactions are the same (a node drops duplicates).
            let lamports = 1_000_000 + salt + i as u64;
            system_transaction::transfer(payer, &Pubkey::new_unique(), lamports, blockhash).into()
        })
        .collect()
}

/// Runs `count` transfers sequentially, then again from `threads` threads at once (execution is
/// serialised by the node, so this shows what contention costs), with slots closing every
/// `slot_ms` meanwhile.
pub fn transfer_ceiling(count: usize, threads: usize, slot_ms: u64) -> Value {
    let node = Arc::new(Node::new(perp_pool::ID));
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (node, stop) = (node.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(slot_ms.max(1)));
                node.advance_slot();
            }
        })
    };
    let threads = threads.max(1);
    let payers: Vec<Keypair> = (0..threads).map(|_| Keypair::new()).collect();
    for payer in &payers {
        node.airdrop(&payer.pubkey(), sol_to_lamports(1_000_000.0))
            .expect("fund a bench payer");
    }

    let signing = Instant::now();
    let txs = transfers(&node, &payers, count, 0);
    let sign_s = signing.elapsed().as_secs_f64();
    let (seq_ok, seq_s) = send_all(&node, txs);

    let per_thread = (count / threads).max(1);
    let batches: Vec<Vec<VersionedTransaction>> = payers
        .iter()
        .enumerate()
        .map(|(t, payer)| {
            transfers(
                &node,
                std::slice::from_ref(payer),
                per_thread,
                10_000_000 * (t as u64 + 1),
            )
        })
        .collect();
    let started = Instant::now();
    let handles: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let node = node.clone();
            std::thread::spawn(move || send_all(&node, batch).0)
        })
        .collect();
    let par_ok: usize = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    let par_s = started.elapsed().as_secs_f64();

    stop.store(true, Ordering::Relaxed);
    let _ = ticker.join();
    json!({
        "bench": "node_ceiling",
        "what": "SOL transfers verified, executed and committed (confirmed) in-process through Node::send, no RPC",
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "slot_ms": slot_ms,
        "signing_s": round3(sign_s),
        "sequential": {"transactions": count, "landed_ok": seq_ok, "seconds": round3(seq_s),
                       "tx_per_s": round1(seq_ok as f64 / seq_s)},
        "threads": {"threads": threads, "transactions": per_thread * threads, "landed_ok": par_ok,
                    "seconds": round3(par_s), "tx_per_s": round1(par_ok as f64 / par_s)},
    })
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
