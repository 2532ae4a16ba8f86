//! perp-localnet as a library: a local Solana node for perp_pool. A real solana-runtime bank
//! chain (SPL Token and Associated Token as their SBF binaries, perp_pool as a native builtin
//! behind [`native`]'s adapter) in [`node`] with its [`history`] of transactions and blocks, the
//! Solana JSON-RPC over HTTP in [`rpc`] and [`server`], PubSub over websocket in [`pubsub`], and
//! [`harness`], the same node driven in-process by the program's Rust tests.
//! The `perp-localnet` binary (src/main.rs) only parses its flags and calls [`server::run`].

pub mod bench;
pub mod harness;
pub mod history;
pub mod native;
pub mod node;
pub mod persist;
pub mod pubsub;
pub mod rpc;
pub mod server;

pub use harness::TestNode;
pub use node::{ClockSource, Node};
