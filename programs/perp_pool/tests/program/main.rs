//! End-to-end tests of perp_pool's handlers in the local node's bank, through the node's own
//! native adapter (`perp_localnet::TestNode`, the adapter `perp-localnet` ships): account
//! validation, CPIs into SPL Token's SBF binary, state, events and named errors. One scenario
//! per test; `support` builds the pool, the instructions and the assertions' reads.
//!
//! Crate layout: the tests stay with the program and reach the node through a dev-dependency
//! on perp-localnet, which itself depends on perp_pool. Cargo accepts a cycle through
//! dev-dependencies, and an integration test links the same perp_pool library that
//! perp-localnet links, so accounts, events and errors are one set of types on both sides (a
//! unit test inside src/ could not do this: it would see two copies of the crate).

mod support;

mod admin;
mod capped_close;
mod custody_config;
mod limit_orders;
mod liquidation;
mod liquidity;
mod lp_cooldown;
mod oracle;
mod order_sequences;
mod orders;
mod positions;
mod staking;
mod views;
