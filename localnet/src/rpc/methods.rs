//! The method table: every JSON-RPC method this node serves, its aliases and its typed
//! positional parameters, registered on jsonrpc-core's `MetaIoHandler` (what jsonrpc-derive's
//! `#[rpc]` traits generate for the validator, written out: the derive's arity checks would
//! reword this node's parameter errors and refuse extra parameters). The methods too small for a
//! file of their own are here, with the test-only `perpnode_*` extensions.

use super::params::{account_from_json, pubkey, to_json, typed, RpcError, RpcResult};
use super::Rpc;
use jsonrpc_core::{futures::future::ready, MetaIoHandler, Params};
use serde_json::{json, Value};
use solana_rpc_client_api::{
    config::{
        RpcAccountInfoConfig, RpcBlockConfig, RpcBlockProductionConfig, RpcBlocksConfigWrapper,
        RpcContextConfig, RpcEncodingConfigWrapper, RpcGetVoteAccountsConfig,
        RpcLargestAccountsConfig, RpcLeaderScheduleConfig, RpcLeaderScheduleConfigWrapper,
        RpcProgramAccountsConfig, RpcRequestAirdropConfig, RpcSendTransactionConfig,
        RpcSignatureStatusConfig, RpcSignaturesForAddressConfig, RpcSimulateTransactionConfig,
        RpcSupplyConfig, RpcTokenAccountsFilter, RpcTransactionConfig,
    },
    response::RpcIdentity,
};
use solana_sdk::{
    account::AccountSharedData, clock::Slot, commitment_config::CommitmentConfig,
    epoch_schedule::EpochSchedule,
};

/// Registers each `"name" | "alias"... => method(param: Type, ...)`: the call's positional
/// parameters are read as the tuple of the types ([`typed`]), the method's answer serialized.
macro_rules! methods {
    ($io:ident; $($name:literal $(| $alias:literal)* => $method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        $io.add_method_with_meta($name, |params: Params, rpc: Rpc| {
            ready(
                typed::<($($ty,)*)>(params)
                    .and_then(|($($arg,)*)| rpc.$method($($arg),*))
                    .and_then(to_json),
            )
        });
        $($io.add_alias($alias, $name);)*
    )*};
}

pub(super) fn register(io: &mut MetaIoHandler<Rpc>) {
    methods! { io;
        // Accounts.
        "getAccountInfo" => get_account_info(pubkey: String, config: Option<RpcAccountInfoConfig>);
        "getMultipleAccounts" => get_multiple_accounts(
            pubkeys: Vec<String>, config: Option<RpcAccountInfoConfig>);
        "getProgramAccounts" => get_program_accounts(
            program_id: String, config: Option<RpcProgramAccountsConfig>);
        "getBalance" => get_balance(pubkey: String, config: Option<RpcContextConfig>);
        "getLargestAccounts" => get_largest_accounts(config: Option<RpcLargestAccountsConfig>);
        "getSupply" => get_supply(config: Option<RpcSupplyConfig>);
        "getMinimumBalanceForRentExemption" => get_minimum_balance_for_rent_exemption(
            data_len: usize, commitment: Option<CommitmentConfig>);
        "getStakeMinimumDelegation" => get_stake_minimum_delegation(config: Option<RpcContextConfig>);
        // Tokens.
        "getTokenAccountBalance" => get_token_account_balance(
            pubkey: String, commitment: Option<CommitmentConfig>);
        "getTokenSupply" => get_token_supply(mint: String, commitment: Option<CommitmentConfig>);
        "getTokenAccountsByOwner" => get_token_accounts_by_owner(
            owner: String, filter: RpcTokenAccountsFilter, config: Option<RpcAccountInfoConfig>);
        "getTokenAccountsByDelegate" => get_token_accounts_by_delegate(
            delegate: String, filter: RpcTokenAccountsFilter, config: Option<RpcAccountInfoConfig>);
        "getTokenLargestAccounts" => get_token_largest_accounts(
            mint: String, commitment: Option<CommitmentConfig>);
        // Transactions.
        "sendTransaction" => send_transaction(data: String, config: Option<RpcSendTransactionConfig>);
        "simulateTransaction" => simulate_transaction(
            data: String, config: Option<RpcSimulateTransactionConfig>);
        "requestAirdrop" => request_airdrop(
            pubkey: String, lamports: u64, config: Option<RpcRequestAirdropConfig>);
        "getSignatureStatuses" => get_signature_statuses(
            signatures: Vec<String>, config: Option<RpcSignatureStatusConfig>);
        "getTransaction" | "getConfirmedTransaction" => get_transaction(
            signature: String, config: Option<RpcEncodingConfigWrapper<RpcTransactionConfig>>);
        "getSignaturesForAddress" | "getConfirmedSignaturesForAddress2" => get_signatures_for_address(
            address: String, config: Option<RpcSignaturesForAddressConfig>);
        "getFeeForMessage" => get_fee_for_message(data: String, config: Option<RpcContextConfig>);
        "getLatestBlockhash" => get_latest_blockhash(config: Option<RpcContextConfig>);
        "isBlockhashValid" => is_blockhash_valid(blockhash: String, config: Option<RpcContextConfig>);
        "getRecentPrioritizationFees" => get_recent_prioritization_fees(pubkeys: Option<Vec<String>>);
        "getTransactionCount" => get_transaction_count(config: Option<RpcContextConfig>);
        // Blocks and slots.
        "getBlock" | "getConfirmedBlock" => get_block(
            slot: Slot, config: Option<RpcEncodingConfigWrapper<RpcBlockConfig>>);
        "getBlocks" | "getConfirmedBlocks" => get_blocks(
            start: Slot, wrapper: Option<RpcBlocksConfigWrapper>, commitment: Option<CommitmentConfig>);
        "getBlocksWithLimit" | "getConfirmedBlocksWithLimit" => get_blocks_with_limit(
            start: Slot, limit: usize, commitment: Option<CommitmentConfig>);
        "getBlockTime" => get_block_time(slot: Slot);
        "getBlockCommitment" => get_block_commitment(slot: Slot);
        "getBlockProduction" => get_block_production(config: Option<RpcBlockProductionConfig>);
        "getFirstAvailableBlock" => get_first_available_block();
        "minimumLedgerSlot" => get_first_available_block();
        "getRecentPerformanceSamples" => get_recent_performance_samples(limit: Option<usize>);
        "getSlot" => get_slot(config: Option<RpcContextConfig>);
        "getBlockHeight" => get_block_height(config: Option<RpcContextConfig>);
        "getMaxRetransmitSlot" | "getMaxShredInsertSlot" => get_max_shred_insert_slot();
        "getHighestSnapshotSlot" => get_highest_snapshot_slot();
        // Cluster, epochs, inflation, stake.
        "getHealth" => get_health();
        "getVersion" => get_version();
        "getGenesisHash" => get_genesis_hash();
        "getIdentity" => get_identity();
        "getEpochInfo" => get_epoch_info(config: Option<RpcContextConfig>);
        "getEpochSchedule" => get_epoch_schedule();
        "getInflationGovernor" => get_inflation_governor(commitment: Option<CommitmentConfig>);
        "getInflationRate" => get_inflation_rate();
        "getLeaderSchedule" => get_leader_schedule(
            wrapper: Option<RpcLeaderScheduleConfigWrapper>, config: Option<RpcLeaderScheduleConfig>);
        "getSlotLeader" => get_slot_leader(config: Option<RpcContextConfig>);
        "getSlotLeaders" => get_slot_leaders(start: Slot, limit: u64);
        "getClusterNodes" => get_cluster_nodes();
        "getVoteAccounts" => get_vote_accounts(config: Option<RpcGetVoteAccountsConfig>);
        // Test-only extensions.
        "perpnode_info" => perpnode_info();
        "perpnode_warpClock" => perpnode_warp_clock(seconds: i64);
        "perpnode_advanceSlots" => perpnode_advance_slots(n: Option<u64>);
        "perpnode_setAccount" => perpnode_set_account(pubkey: String, account: Option<Value>);
    }
}

impl Rpc {
    fn get_minimum_balance_for_rent_exemption(
        &self,
        data_len: usize,
        commitment: Option<CommitmentConfig>,
    ) -> RpcResult<u64> {
        let bank = self.bank(commitment, None)?;
        Ok(bank.get_minimum_balance_for_rent_exemption(data_len))
    }

    fn get_transaction_count(&self, config: Option<RpcContextConfig>) -> RpcResult<u64> {
        Ok(self.context_bank(config)?.transaction_count())
    }

    fn get_first_available_block(&self) -> RpcResult<Slot> {
        Ok(self.node.history().first_block().unwrap_or(0))
    }

    fn get_slot(&self, config: Option<RpcContextConfig>) -> RpcResult<Slot> {
        Ok(self.context_bank(config)?.slot())
    }

    fn get_block_height(&self, config: Option<RpcContextConfig>) -> RpcResult<u64> {
        Ok(self.context_bank(config)?.block_height())
    }

    fn get_max_shred_insert_slot(&self) -> RpcResult<Slot> {
        Ok(self.node.bank().slot())
    }

    fn get_health(&self) -> RpcResult<&'static str> {
        Ok("ok")
    }

    fn get_genesis_hash(&self) -> RpcResult<String> {
        Ok(self.node.genesis_hash().to_string())
    }

    fn get_identity(&self) -> RpcResult<RpcIdentity> {
        Ok(RpcIdentity {
            identity: self.node.bank().collector_id().to_string(),
        })
    }

    fn get_epoch_schedule(&self) -> RpcResult<EpochSchedule> {
        Ok(*self.node.bank().epoch_schedule())
    }

    fn get_slot_leader(&self, config: Option<RpcContextConfig>) -> RpcResult<String> {
        Ok(self.context_bank(config)?.collector_id().to_string())
    }

    fn perpnode_info(&self) -> RpcResult<Value> {
        Ok(json!({
            "programId": self.program_id.to_string(),
            "slotMs": self.slot_ms,
            "unixTimestamp": self.node.bank().clock().unix_timestamp,
            "pubsub": self.pubsub_addr.map(|a| format!("ws://{a}")),
        }))
    }

    fn perpnode_warp_clock(&self, seconds: i64) -> RpcResult<i64> {
        if seconds < 0 {
            return Err(RpcError::invalid_params("the clock only moves forward"));
        }
        Ok(self.node.warp_clock(seconds))
    }

    fn perpnode_advance_slots(&self, n: Option<u64>) -> RpcResult<Slot> {
        let n = n.unwrap_or(1);
        if n == 0 || n > 1000 {
            return Err(RpcError::invalid_params("advance between 1 and 1000 slots"));
        }
        for _ in 0..n {
            self.node.advance_slot();
        }
        Ok(self.node.bank().slot())
    }

    /// `[pubkey, {lamports, data: [b64, "base64"] | b64, owner, executable}]`.
    fn perpnode_set_account(&self, pubkey_str: String, spec: Option<Value>) -> RpcResult<()> {
        let key = pubkey(&pubkey_str)?;
        let spec = spec.ok_or_else(|| {
            RpcError::invalid_params("Invalid params: missing required parameter.")
        })?;
        let account = account_from_json(&spec)?;
        self.node
            .set_account(&key, &AccountSharedData::from(account));
        Ok(())
    }
}
