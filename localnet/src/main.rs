//! `perp-localnet`: a local Solana node for perp_pool. One process holding a real
//! solana-runtime bank (SPL Token and Associated Token as their SBF binaries, perp_pool as a
//! native builtin), serving the standard Solana JSON-RPC over HTTP on 127.0.0.1. The node is the
//! `perp_localnet` library; this binary only reads its flags.

use clap::Parser;
use perp_localnet::server::{run, ServerConfig};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Local Solana JSON-RPC node running perp_pool natively"
)]
struct Args {
    /// Address to bind the JSON-RPC server to (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// JSON-RPC port (solana-test-validator's default).
    #[arg(long, default_value_t = 8899)]
    rpc_port: u16,
    /// PubSub websocket port [default: --rpc-port + 1, like solana-test-validator].
    #[arg(long)]
    rpc_pubsub_port: Option<u16>,
    /// Slot duration in milliseconds: a new slot and blockhash this often.
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// Seconds between performance samples (getRecentPerformanceSamples; a validator: 60).
    #[arg(long, default_value_t = 60)]
    performance_sample_secs: u64,
    /// Ledger directory: the chain is saved there (snapshots and history) and a restart continues
    /// it. Without it the chain lives in memory only.
    #[arg(long, value_name = "DIR")]
    ledger: Option<std::path::PathBuf>,
    /// Delete the ledger directory's contents first: start a new chain.
    #[arg(long, requires = "ledger")]
    reset: bool,
    /// With --ledger: snapshot every this many slots (and always on a clean shutdown).
    #[arg(long, default_value_t = 100)]
    snapshot_interval_slots: u64,
    /// Benchmark instead of serving: this many SOL transfers through the node in-process (no
    /// RPC), sequentially and from --bench-threads threads; prints JSON and exits.
    #[arg(long, value_name = "N")]
    bench_transfers: Option<usize>,
    #[arg(long, default_value_t = 4)]
    bench_threads: usize,
}

fn main() {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,solana_metrics=error"),
    )
    .init();
    let args = Args::parse();
    if let Some(count) = args.bench_transfers {
        let report =
            perp_localnet::bench::transfer_ceiling(count, args.bench_threads, args.slot_ms);
        println!("{report:#}");
        return;
    }
    run(ServerConfig {
        bind: args.bind,
        rpc_port: args.rpc_port,
        pubsub_port: args
            .rpc_pubsub_port
            .unwrap_or_else(|| args.rpc_port.saturating_add(1)),
        slot_ms: args.slot_ms,
        performance_sample_secs: args.performance_sample_secs,
        ledger: args.ledger,
        reset: args.reset,
        snapshot_interval_slots: args.snapshot_interval_slots,
    });
}
