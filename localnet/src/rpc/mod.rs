//! The JSON-RPC side of the local node: the HTTP JSON-RPC methods of a 1.18 validator that make
//! sense for a single-node cluster, answered with the official request/response types so replies
//! are what a validator sends (same error codes too), plus a few test-only `perpnode_*` methods.
//!
//! The methods are served by jsonrpc-core's `MetaIoHandler`, the framework the validator's own
//! JSON-RPC service is built on, with [`Rpc`] as the per-request metadata (the validator's
//! `JsonRpcRequestProcessor`); each method is a typed Rust function of its positional parameters
//! (the official `solana-rpc-client-api` config types) registered in [`methods`]. [`envelope`]
//! hands request bodies to it and keeps this node's tolerant envelope (any id echoed, a call
//! without an id still answered).
//!
//! Commitment: slots are rooted as they close, so `processed` and `confirmed` read the working
//! bank (a landed transaction is confirmed at once) and `finalized` the newest closed slot
//! ([`Node::bank_at`]). Every method that takes a commitment honours it the same way, and the
//! default is `finalized`, as on a validator.

use crate::node::Node;
use params::{RpcError, RpcResult};
use solana_rpc_client_api::{
    config::RpcContextConfig,
    custom_error::RpcCustomError,
    response::{Response as RpcResponse, RpcResponseContext},
};
use solana_runtime::bank::Bank;
use solana_sdk::{clock::Slot, commitment_config::CommitmentConfig, pubkey::Pubkey};
use std::{net::SocketAddr, sync::Arc};

pub(crate) mod accounts;
mod blocks;
mod cluster;
pub(crate) mod envelope;
mod methods;
pub(crate) mod params;
mod tokens;
mod transactions;

pub use envelope::RpcHandler;

/// The JSON-RPC methods over one node: the metadata every call gets (cheap to clone).
#[derive(Clone)]
pub struct Rpc {
    pub node: Arc<Node>,
    pub program_id: Pubkey,
    pub slot_ms: u64,
    /// Where this node serves JSON-RPC and PubSub (for `getClusterNodes`).
    pub rpc_addr: SocketAddr,
    pub pubsub_addr: Option<SocketAddr>,
    /// The newest full snapshot's slot, when the node keeps a ledger directory.
    pub snapshot_slot: Arc<dyn Fn() -> Option<Slot> + Send + Sync>,
}

impl jsonrpc_core::Metadata for Rpc {}

/// Error of the methods that only read confirmed data (blocks, history).
pub(crate) fn check_is_at_least_confirmed(commitment: CommitmentConfig) -> Result<(), RpcError> {
    if !commitment.is_at_least_confirmed() {
        return Err(RpcError::invalid_params(
            "Method does not support commitment below `confirmed`",
        ));
    }
    Ok(())
}

impl Rpc {
    /// The bank a read at `commitment` (default `finalized`) sees, refused like a validator when
    /// it is older than `min_context_slot`.
    fn bank(
        &self,
        commitment: Option<CommitmentConfig>,
        min_context_slot: Option<Slot>,
    ) -> RpcResult<Arc<Bank>> {
        let bank = self.node.bank_at(commitment.unwrap_or_default());
        if let Some(min) = min_context_slot {
            if bank.slot() < min {
                return Err(RpcCustomError::MinContextSlotNotReached {
                    context_slot: bank.slot(),
                }
                .into());
            }
        }
        Ok(bank)
    }

    /// The bank for a method whose configuration is an `RpcContextConfig`.
    fn context_bank(&self, config: Option<RpcContextConfig>) -> RpcResult<Arc<Bank>> {
        let config = config.unwrap_or_default();
        self.bank(config.commitment, config.min_context_slot)
    }

    /// `{"context": {"slot", "apiVersion"}, "value"}` at `bank`.
    fn respond<T>(bank: &Bank, value: T) -> RpcResult<RpcResponse<T>> {
        Ok(RpcResponse {
            context: RpcResponseContext {
                slot: bank.slot(),
                api_version: Some(Default::default()),
            },
            value,
        })
    }
}
