"""perp-localnet's JSON-RPC envelope and parameter errors, over HTTP: every call answered with the
id it was sent with, positional parameters only, and the invalid-params (-32602) messages of its
typed parameters. Wording is this node's (a validator's differs), so these skip on a real one."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import rpc_call

KEY = "11111111111111111111111111111111"
MISSING = "Invalid params: missing required parameter."


@pytest.fixture
def url(rpc_url: str, node_ext) -> str:
    return rpc_url


def post(url: str, body) -> dict | list:
    return httpx.post(url, json=body, timeout=10).json()


def error(code: int, message: str, id_=1) -> dict:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id_}


def test_every_call_is_answered_with_the_id_it_was_sent_with(url: str) -> None:
    for id_ in (7, "a", -3, 1.5, {"k": [1]}, None):
        assert post(url, {"jsonrpc": "2.0", "id": id_, "method": "getHealth"}) == {
            "jsonrpc": "2.0", "result": "ok", "id": id_}
    # Without an id or a version (a notification to strict JSON-RPC servers): answered all the same.
    assert post(url, {"method": "getHealth"}) == {"jsonrpc": "2.0", "result": "ok", "id": None}


def test_batch_entries_are_answered_one_by_one(url: str) -> None:
    replies = post(url, [1, {"id": 2, "method": "getHealth"}, {"id": 3}, {"id": 4, "method": "nope"}])
    assert replies == [error(-32600, "Invalid request", None), {"jsonrpc": "2.0", "result": "ok", "id": 2},
                       error(-32600, "Invalid request", 3), error(-32601, "Method not found", 4)]
    assert post(url, []) == error(-32600, "Invalid request", None)
    bad = httpx.post(url, content=b"{oops", headers={"content-type": "application/json"}, timeout=10).json()
    assert bad == error(-32700, "Parse error", None)


@pytest.mark.parametrize("method", ["getHealth", "getNoSuchThing"])
def test_parameters_are_positional_only(url: str, method: str) -> None:
    for params in ({"a": 1}, "x"):
        reply = post(url, {"jsonrpc": "2.0", "id": 5, "method": method, "params": params})
        assert reply == error(-32602, "Invalid params: expected an array.", 5)


INVALID = [
    ("getAccountInfo", [], MISSING),
    ("getAccountInfo", [None], MISSING),
    ("getAccountInfo", [5], "Invalid params: invalid type: integer `5`, expected a string."),
    ("getAccountInfo", ["x"], "Invalid param: String is the wrong size"),
    ("getAccountInfo", [KEY, {"encoding": "bogus"}], "Invalid params: unknown variant `bogus`, expected one of "
     "`binary`, `base58`, `base64`, `jsonParsed`, `base64+zstd`."),
    ("getMultipleAccounts", [KEY], f'Invalid params: invalid type: string "{KEY}", expected a sequence.'),
    ("getMultipleAccounts", [[KEY] * 101], "Too many inputs provided; max 100"),
    ("getBlock", [-1], "Invalid params: invalid value: integer `-1`, expected u64."),
    ("getBlocks", [0, "x"], "Invalid params: data did not match any variant of untagged enum RpcBlocksConfigWrapper."),
    ("getBlocksWithLimit", [0], MISSING),
    ("getTokenAccountsByOwner", [KEY], MISSING),
    ("getTokenAccountsByOwner", [KEY, {"foo": 1}], "Invalid params: unknown variant `foo`, expected `mint` or "
     "`programId`."),
    ("requestAirdrop", [KEY], MISSING),
    ("sendTransaction", [], MISSING),
    ("sendTransaction", ["AAAA", {"encoding": "base64"}],
     "failed to deserialize VersionedTransaction: io error: unexpected end of file"),
    ("getSignatureStatuses", [["x"]], "Invalid param: Invalid"),
    ("getRecentPerformanceSamples", ["x"], 'Invalid params: invalid type: string "x", expected usize.'),
    ("perpnode_warpClock", [-1], "the clock only moves forward"),
    ("perpnode_setAccount", [KEY], MISSING),
]


@pytest.mark.parametrize(("method", "params", "message"), INVALID, ids=[f"{m}-{i}" for i, (m, _, _) in
                                                                      enumerate(INVALID)])
def test_invalid_params_are_refused_with_their_message(url: str, method: str, params: list, message: str) -> None:
    assert rpc_call(url, method, params) == error(-32602, message)


def test_parameters_past_a_methods_own_are_ignored(url: str) -> None:
    assert rpc_call(url, "getHealth", [1, 2])["result"] == "ok"
    assert isinstance(rpc_call(url, "getSlot", [{"commitment": "confirmed"}, "extra", 3])["result"], int)
