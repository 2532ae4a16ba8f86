//! The HTTP side of the node: the slot ticker thread and the hyper server that hands request
//! bodies (gzip or not, single calls or batches) to [`RpcHandler`].

use crate::{
    node::Node,
    persist::Ledger,
    pubsub::PubSub,
    rpc::{Rpc, RpcHandler},
};
use hyper::{
    header::{CONTENT_ENCODING, CONTENT_TYPE},
    service::{make_service_fn, service_fn},
    Body, Method, Request, Response, Server, StatusCode,
};
use solana_rpc_client_api::response::RpcPerfSample;
use std::{
    convert::Infallible,
    io::Read,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

/// Takes a performance sample every `every`, like a validator's SamplePerformanceService.
struct PerfSampler {
    every: Duration,
    since: Instant,
    slot: u64,
    transactions: u64,
}

impl PerfSampler {
    fn new(node: &Node, every: Duration) -> Self {
        let bank = node.bank();
        PerfSampler {
            every,
            since: Instant::now(),
            slot: bank.slot(),
            transactions: bank.transaction_count(),
        }
    }

    fn tick(&mut self, node: &Node) {
        if self.since.elapsed() < self.every {
            return;
        }
        let bank = node.bank();
        let transactions = bank.transaction_count().saturating_sub(self.transactions);
        node.push_perf_sample(RpcPerfSample {
            slot: bank.slot(),
            num_transactions: transactions,
            num_non_vote_transactions: Some(transactions),
            num_slots: bank.slot().saturating_sub(self.slot),
            sample_period_secs: self.every.as_secs() as u16,
        });
        *self = PerfSampler::new(node, self.every);
    }
}

/// What the binary's flags set.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to bind the JSON-RPC server to.
    pub bind: IpAddr,
    /// JSON-RPC port.
    pub rpc_port: u16,
    /// PubSub websocket port.
    pub pubsub_port: u16,
    /// Slot duration in milliseconds: a new slot and blockhash this often.
    pub slot_ms: u64,
    /// Seconds between performance samples.
    pub performance_sample_secs: u64,
    /// Ledger directory (persistence), and whether to start it afresh.
    pub ledger: Option<PathBuf>,
    pub reset: bool,
    /// Snapshot every this many slots (with a ledger; 0: only on shutdown).
    pub snapshot_interval_slots: u64,
}

/// The node the flags ask for: in memory, or continued from (and saved to) a ledger directory.
fn open_node(config: &ServerConfig) -> Node {
    let Some(dir) = &config.ledger else {
        return Node::new(perp_pool::ID);
    };
    let opened = Ledger::open(dir, config.reset)
        .map_err(|e| e.to_string())
        .and_then(|ledger| Node::with_ledger(perp_pool::ID, ledger).map_err(|e| e.to_string()));
    match opened {
        Ok(node) => node,
        Err(e) => {
            eprintln!("perp-localnet: ledger {}: {e}", dir.display());
            std::process::exit(2);
        }
    }
}

/// Request bodies above this are refused (a validator caps requests the same way).
const MAX_BODY_BYTES: usize = 50 * 1024 * 1024;

fn body_bytes(encoding_gzip: bool, raw: &[u8]) -> Vec<u8> {
    // solana-py labels some uncompressed bodies `content-encoding: gzip`; decompress only what
    // really is gzip (magic bytes), take the rest as it is.
    if encoding_gzip && raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(raw)
            .take(MAX_BODY_BYTES as u64)
            .read_to_end(&mut out)
            .is_ok()
        {
            return out;
        }
    }
    raw.to_vec()
}

async fn serve(rpc: Arc<RpcHandler>, req: Request<Body>) -> Result<Response<Body>, Infallible> {
    if req.method() != Method::POST {
        let status = if req.method() == Method::GET && req.uri().path() == "/health" {
            StatusCode::OK
        } else {
            StatusCode::METHOD_NOT_ALLOWED
        };
        let body = if status == StatusCode::OK {
            "ok"
        } else {
            "Used HTTP Method is not allowed. POST or OPTIONS is required"
        };
        return Ok(Response::builder()
            .status(status)
            .body(Body::from(body))
            .unwrap_or_default());
    }
    let gzip = req
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.eq_ignore_ascii_case("gzip"))
        .unwrap_or(false);
    let raw = match hyper::body::to_bytes(req.into_body()).await {
        Ok(b) if b.len() <= MAX_BODY_BYTES => b,
        _ => {
            return Ok(Response::builder()
                .status(StatusCode::PAYLOAD_TOO_LARGE)
                .body(Body::empty())
                .unwrap_or_default())
        }
    };
    let reply = tokio::task::spawn_blocking(move || {
        let body = body_bytes(gzip, &raw);
        serde_json::to_vec(&rpc.handle_body(&body)).unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    Ok(Response::builder()
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(reply))
        .unwrap_or_default())
}

/// Starts the node and serves JSON-RPC until SIGINT or SIGTERM. Exits the process with code 2
/// when the address cannot be bound.
pub fn run(config: ServerConfig) {
    let started = std::time::Instant::now();
    let program_id = perp_pool::ID;
    let node = Arc::new(open_node(&config));
    let resumed_at = node.bank().slot();

    let ticker = node.clone();
    let slot = Duration::from_millis(config.slot_ms.max(1));
    let sample_every = Duration::from_secs(config.performance_sample_secs.max(1));
    let snapshot_every = config.snapshot_interval_slots;
    std::thread::Builder::new()
        .name("slot-ticker".into())
        .spawn(move || {
            let mut sampler = PerfSampler::new(&ticker, sample_every);
            loop {
                std::thread::sleep(slot);
                ticker.advance_slot();
                sampler.tick(&ticker);
                let closed = ticker.root_slot();
                if snapshot_every > 0 && closed.is_multiple_of(snapshot_every) {
                    if let Err(e) = ticker.snapshot(false) {
                        eprintln!("perp-localnet: snapshot at slot {closed} failed: {e}");
                    }
                }
            }
        })
        .expect("spawn slot ticker");

    let addr = SocketAddr::new(config.bind, config.rpc_port);
    let pubsub_addr = SocketAddr::new(config.bind, config.pubsub_port);
    let pubsub = PubSub::new(node.clone());
    pubsub.start();
    let snapshots = node.clone();
    let rpc = Arc::new(RpcHandler::new(Rpc {
        node: node.clone(),
        program_id,
        slot_ms: config.slot_ms,
        rpc_addr: addr,
        pubsub_addr: Some(pubsub_addr),
        snapshot_slot: Arc::new(move || snapshots.highest_snapshot_slot()),
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let make = make_service_fn(move |_| {
            let rpc = rpc.clone();
            async move { Ok::<_, Infallible>(service_fn(move |req| serve(rpc.clone(), req))) }
        });
        let server = match Server::try_bind(&addr) {
            Ok(b) => b.serve(make),
            Err(e) => {
                eprintln!("perp-localnet: cannot bind {addr}: {e}");
                std::process::exit(2);
            }
        };
        let listener = match tokio::net::TcpListener::bind(pubsub_addr).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("perp-localnet: cannot bind {pubsub_addr}: {e}");
                std::process::exit(2);
            }
        };
        tokio::spawn(crate::pubsub::service::serve(listener, pubsub));
        let ledger = match &config.ledger {
            Some(dir) => format!("ledger {} from slot {resumed_at}", dir.display()),
            None => "in memory".to_string(),
        };
        println!(
            "perp-localnet: JSON-RPC on http://{addr}, PubSub on ws://{pubsub_addr} (perp_pool {program_id}, slot {} ms, {ledger}, ready in {} ms)",
            config.slot_ms,
            started.elapsed().as_millis()
        );
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("signal");
            tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
        };
        if let Err(e) = server.with_graceful_shutdown(shutdown).await {
            eprintln!("perp-localnet: server error: {e}");
        }
    });
    // A clean stop: close the working slot and snapshot it, so a restart has every landed
    // transaction.
    match node.snapshot(true) {
        Ok(Some(slot)) => println!("perp-localnet: saved the chain at slot {slot}"),
        Ok(None) => {}
        Err(e) => eprintln!("perp-localnet: final snapshot failed: {e}"),
    }
}
