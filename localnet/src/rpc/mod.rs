//! The JSON-RPC side of the local node: the HTTP JSON-RPC methods of a 1.18 validator that make
//! sense for a single-node cluster, answered with the official request/response types so replies
//! are what a validator sends (same error codes too), plus a few test-only `perpnode_*` methods.
//!
//! Commitment: slots are rooted as they close, so `processed` and `confirmed` read the working
//! bank (a landed transaction is confirmed at once) and `finalized` the newest closed slot
//! ([`Node::bank_at`]). Every method that takes a commitment honours it the same way, and the
//! default is `finalized`, as on a validator.

use crate::node::Node;
use params::{account_from_json, failure, opt_param, param, pubkey, RpcError, RpcResult};
use serde_json::{json, Value};
use solana_rpc_client_api::{
    config::RpcContextConfig, custom_error::RpcCustomError, response::RpcResponseContext,
};
use solana_runtime::bank::Bank;
use solana_sdk::{
    account::AccountSharedData, clock::Slot, commitment_config::CommitmentConfig, pubkey::Pubkey,
};
use std::{net::SocketAddr, sync::Arc};

pub(crate) mod accounts;
mod blocks;
mod cluster;
pub(crate) mod params;
mod tokens;
mod transactions;

/// The JSON-RPC methods over one node.
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
    ) -> Result<Arc<Bank>, RpcError> {
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

    /// The bank for a method whose only parameter (at `index`) is an `RpcContextConfig`.
    fn context_bank(&self, p: &[Value], index: usize) -> Result<Arc<Bank>, RpcError> {
        let config: RpcContextConfig = opt_param(p, index)?.unwrap_or_default();
        self.bank(config.commitment, config.min_context_slot)
    }

    /// The bank for a method whose parameter at `index` is a bare `{commitment}` object.
    fn commitment_bank(&self, p: &[Value], index: usize) -> Result<Arc<Bank>, RpcError> {
        let commitment: Option<CommitmentConfig> = opt_param(p, index)?;
        self.bank(commitment, None)
    }

    fn respond(bank: &Bank, value: impl serde::Serialize) -> RpcResult {
        Ok(json!({
            "context": RpcResponseContext { slot: bank.slot(), api_version: Some(Default::default()) },
            "value": value,
        }))
    }

    /// Answers one body: a single call or a batch.
    pub fn handle_body(&self, body: &[u8]) -> Value {
        let request: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return failure(Value::Null, RpcError::parse_error()),
        };
        match request {
            Value::Array(calls) if calls.is_empty() => {
                failure(Value::Null, RpcError::invalid_request())
            }
            Value::Array(calls) => {
                Value::Array(calls.into_iter().map(|c| self.handle_call(c)).collect())
            }
            call => self.handle_call(call),
        }
    }

    fn handle_call(&self, call: Value) -> Value {
        let id = call.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = call.get("method").and_then(Value::as_str) else {
            return failure(id, RpcError::invalid_request());
        };
        let params = match call.get("params") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return failure(
                    id,
                    RpcError::invalid_params("Invalid params: expected an array."),
                )
            }
        };
        match self.dispatch(method, &params) {
            Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
            Err(err) => failure(id, err),
        }
    }

    fn dispatch(&self, method: &str, p: &[Value]) -> RpcResult {
        match method {
            // Accounts and tokens.
            "getAccountInfo" => self.get_account_info(p),
            "getMultipleAccounts" => self.get_multiple_accounts(p),
            "getProgramAccounts" => self.get_program_accounts(p),
            "getBalance" => self.get_balance(p),
            "getLargestAccounts" => self.get_largest_accounts(p),
            "getSupply" => self.get_supply(p),
            "getMinimumBalanceForRentExemption" => {
                let len: usize = param(p, 0)?;
                let bank = self.commitment_bank(p, 1)?;
                Ok(json!(bank.get_minimum_balance_for_rent_exemption(len)))
            }
            "getTokenAccountBalance" => self.get_token_account_balance(p),
            "getTokenSupply" => self.get_token_supply(p),
            "getTokenAccountsByOwner" => self.get_token_accounts_by(p, tokens::By::Owner),
            "getTokenAccountsByDelegate" => self.get_token_accounts_by(p, tokens::By::Delegate),
            "getTokenLargestAccounts" => self.get_token_largest_accounts(p),
            // Transactions.
            "sendTransaction" => self.send_transaction(p),
            "simulateTransaction" => self.simulate_transaction(p),
            "requestAirdrop" => self.request_airdrop(p),
            "getSignatureStatuses" => self.get_signature_statuses(p),
            "getTransaction" | "getConfirmedTransaction" => self.get_transaction(p),
            "getSignaturesForAddress" | "getConfirmedSignaturesForAddress2" => {
                self.get_signatures_for_address(p)
            }
            "getFeeForMessage" => self.get_fee_for_message(p),
            "getLatestBlockhash" => self.get_latest_blockhash(p),
            "isBlockhashValid" => self.is_blockhash_valid(p),
            "getRecentPrioritizationFees" => self.get_recent_prioritization_fees(p),
            "getTransactionCount" => Ok(json!(self.context_bank(p, 0)?.transaction_count())),
            // Blocks and slots.
            "getBlock" | "getConfirmedBlock" => self.get_block(p),
            "getBlocks" | "getConfirmedBlocks" => self.get_blocks(p),
            "getBlocksWithLimit" | "getConfirmedBlocksWithLimit" => self.get_blocks_with_limit(p),
            "getBlockTime" => self.get_block_time(p),
            "getBlockCommitment" => self.get_block_commitment(p),
            "getBlockProduction" => self.get_block_production(p),
            "getFirstAvailableBlock" => Ok(json!(self.node.history().first_block().unwrap_or(0))),
            "minimumLedgerSlot" => Ok(json!(self.node.history().first_block().unwrap_or(0))),
            "getRecentPerformanceSamples" => self.get_recent_performance_samples(p),
            "getSlot" => Ok(json!(self.context_bank(p, 0)?.slot())),
            "getBlockHeight" => Ok(json!(self.context_bank(p, 0)?.block_height())),
            "getMaxRetransmitSlot" | "getMaxShredInsertSlot" => Ok(json!(self.node.bank().slot())),
            "getHighestSnapshotSlot" => self.get_highest_snapshot_slot(),
            // Cluster, epochs, inflation, stake.
            "getHealth" => Ok(json!("ok")),
            "getVersion" => self.get_version(),
            "getGenesisHash" => Ok(json!(self.node.genesis_hash().to_string())),
            "getIdentity" => Ok(json!({"identity": self.node.bank().collector_id().to_string()})),
            "getEpochInfo" => self.get_epoch_info(p),
            "getEpochSchedule" => Ok(json!(self.node.bank().epoch_schedule())),
            "getInflationGovernor" => self.get_inflation_governor(p),
            "getInflationRate" => self.get_inflation_rate(),
            "getLeaderSchedule" => self.get_leader_schedule(p),
            "getSlotLeader" => Ok(json!(self.context_bank(p, 0)?.collector_id().to_string())),
            "getSlotLeaders" => self.get_slot_leaders(p),
            "getClusterNodes" => self.get_cluster_nodes(),
            "getVoteAccounts" => self.get_vote_accounts(p),
            "getStakeMinimumDelegation" => self.get_stake_minimum_delegation(p),
            // Test-only extensions.
            "perpnode_info" => Ok(json!({
                "programId": self.program_id.to_string(),
                "slotMs": self.slot_ms,
                "unixTimestamp": self.node.bank().clock().unix_timestamp,
                "pubsub": self.pubsub_addr.map(|a| format!("ws://{a}")),
            })),
            "perpnode_warpClock" => {
                let seconds: i64 = param(p, 0)?;
                if seconds < 0 {
                    return Err(RpcError::invalid_params("the clock only moves forward"));
                }
                Ok(json!(self.node.warp_clock(seconds)))
            }
            "perpnode_advanceSlots" => {
                let n: u64 = opt_param(p, 0)?.unwrap_or(1);
                if n == 0 || n > 1000 {
                    return Err(RpcError::invalid_params("advance between 1 and 1000 slots"));
                }
                for _ in 0..n {
                    self.node.advance_slot();
                }
                Ok(json!(self.node.bank().slot()))
            }
            "perpnode_setAccount" => {
                let key = pubkey(&param::<String>(p, 0)?)?;
                let spec: Value = param(p, 1)?;
                let account = account_from_json(&spec)?;
                self.node
                    .set_account(&key, &AccountSharedData::from(account));
                Ok(Value::Null)
            }
            _ => Err(RpcError::method_not_found()),
        }
    }
}
