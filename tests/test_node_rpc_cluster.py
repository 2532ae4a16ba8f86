"""The cluster-wide HTTP methods of a single-node cluster (supply, epochs, inflation, leaders, nodes,
votes, stake, snapshots), driven with solana-py's AsyncClient and the solders request types."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized
from solders.pubkey import Pubkey
from solders.rpc.requests import (
    GetBlockProduction,
    GetMaxRetransmitSlot,
    GetMaxShredInsertSlot,
    GetSlotLeaders,
)
from solders.rpc.responses import (
    GetBlockProductionResp,
    GetMaxRetransmitSlotResp,
    GetMaxShredInsertSlotResp,
    GetSlotLeadersResp,
)

from tests.conftest import rpc_call


async def identity(connection: AsyncClient) -> Pubkey:
    return (await connection.get_identity()).value.identity


async def test_supply_and_largest_accounts(connection: AsyncClient) -> None:
    supply = (await connection.get_supply(Finalized)).value
    assert supply.total > 0 and supply.circulating + supply.non_circulating == supply.total
    largest = (await connection.get_largest_accounts(commitment=Confirmed)).value
    assert 0 < len(largest) <= 20
    assert [a.lamports for a in largest] == sorted((a.lamports for a in largest), reverse=True)
    circulating = (await connection.get_largest_accounts(filter_opt="circulating")).value
    assert all(str(a.address) not in map(str, supply.non_circulating_accounts) for a in circulating)


async def test_epoch_schedule_and_epoch_info_agree(connection: AsyncClient) -> None:
    schedule = (await connection.get_epoch_schedule()).value
    info = (await connection.get_epoch_info(Finalized)).value
    assert schedule.slots_per_epoch >= info.slots_in_epoch > info.slot_index
    assert schedule.get_epoch(info.absolute_slot) == info.epoch
    assert info.transaction_count is not None


async def test_inflation_governor_and_rate(connection: AsyncClient) -> None:
    governor = (await connection.get_inflation_governor()).value
    assert 0 < governor.terminal <= governor.initial
    rate = (await connection.get_inflation_rate()).value
    assert rate.epoch == (await connection.get_epoch_info(Finalized)).value.epoch
    assert abs(rate.total - (rate.validator + rate.foundation)) < 1e-12


async def test_leader_schedule_and_slot_leaders_name_the_one_validator(connection: AsyncClient) -> None:
    me = await identity(connection)
    schedule = (await connection.get_leader_schedule()).value
    assert schedule is not None and set(schedule) == {me}
    info = (await connection.get_epoch_info(Finalized)).value
    assert schedule[me] == list(range(info.slots_in_epoch))
    assert (await connection.get_slot_leader()).value == me
    slot = (await connection.get_slot(Confirmed)).value
    leaders = await connection._provider.make_request(GetSlotLeaders(slot, 10), GetSlotLeadersResp)  # noqa: SLF001
    assert leaders.value == [me] * 10


async def test_slot_leaders_limit_and_leader_schedule_identity_filter(rpc_url: str, connection: AsyncClient) -> None:
    assert rpc_call(rpc_url, "getSlotLeaders", [0, 5001])["error"] == {
        "code": -32602, "message": "Invalid limit; max 5000"}
    other = str(Pubkey.default())
    assert rpc_call(rpc_url, "getLeaderSchedule", [None, {"identity": other}])["result"] == {}
    assert rpc_call(rpc_url, "getLeaderSchedule", [10**12])["result"] is None


async def test_cluster_nodes_is_this_node(rpc_url: str, ws_url: str, connection: AsyncClient) -> None:
    nodes = (await connection.get_cluster_nodes()).value  # parsed by solders' RpcContactInfo
    assert len(nodes) == 1
    node = json.loads(nodes[0].to_json())
    assert node["pubkey"] == str(await identity(connection))
    assert node["rpc"].endswith(f":{urlsplit(rpc_url).port}")
    assert node["pubsub"].endswith(f":{urlsplit(ws_url).port}")
    assert node["version"] and node["gossip"] is None


async def test_vote_accounts_one_current_validator(connection: AsyncClient) -> None:
    status = (await connection.get_vote_accounts()).value
    assert status.delinquent == [] and len(status.current) == 1
    vote = status.current[0]
    assert vote.node_pubkey == await identity(connection)
    assert vote.activated_stake > 0 and vote.epoch_vote_account
    root = (await connection.get_slot(Finalized)).value
    assert abs(vote.root_slot - root) <= 2 and vote.last_vote >= vote.root_slot


async def test_block_production_counts_every_slot_as_produced(connection: AsyncClient) -> None:
    me = str(await identity(connection))
    production = (await connection._provider.make_request(  # noqa: SLF001
        GetBlockProduction(), GetBlockProductionResp)).value
    leader_slots, produced = production.by_identity[Pubkey.from_string(me)]
    span = production.range.last_slot - production.range.first_slot + 1
    assert leader_slots == span and span - 2 <= produced <= span


async def test_max_slots_snapshot_and_stake_minimum(rpc_url: str, connection: AsyncClient) -> None:
    slot = (await connection.get_slot(Confirmed)).value
    for request, parser in ((GetMaxRetransmitSlot(), GetMaxRetransmitSlotResp),
                            (GetMaxShredInsertSlot(), GetMaxShredInsertSlotResp)):
        assert (await connection._provider.make_request(request, parser)).value >= slot  # noqa: SLF001
    minimum = rpc_call(rpc_url, "getStakeMinimumDelegation", [{"commitment": "confirmed"}])["result"]
    assert set(minimum) == {"context", "value"} and minimum["value"] >= 1
    snapshot = rpc_call(rpc_url, "getHighestSnapshotSlot")
    if "error" in snapshot:  # a node keeping no ledger answers as a test validator with no snapshot yet
        assert snapshot["error"] == {"code": -32008, "message": "No snapshot"}
    else:
        assert snapshot["result"]["full"] <= slot
