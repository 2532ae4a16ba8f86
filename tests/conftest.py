"""Session fixtures: a Solana node over JSON-RPC and funded wallets.

By default the session starts `perp-localnet` (built by `make build`; this file builds nothing),
waits for health and stops it at the end. Point it at any other node — e.g. a
solana-test-validator running the SBF build — with `--rpc-url URL`, `PERP_POOL_RPC_URL` or
Anchor's `ANCHOR_PROVIDER_URL` (then `ANCHOR_WALLET` names the payer keypair file).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from perp_pool.localnet import LocalNode
from perp_pool.localnet import NodeExtensions as NodeExt
from tests.helpers import World

TEST_SLOT_MS = 100


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--rpc-url", default=None, help="run against this JSON-RPC node instead of starting perp-localnet")


def _rpc_url_option(config: pytest.Config) -> str | None:
    return (
        config.getoption("--rpc-url")
        or os.environ.get("PERP_POOL_RPC_URL")
        or os.environ.get("ANCHOR_PROVIDER_URL")
    )


@pytest.fixture(scope="session")
def rpc_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = _rpc_url_option(request.config)
    if url:
        yield url
        return
    log_path = tmp_path_factory.mktemp("node") / "perp-localnet.log"
    node = LocalNode(slot_ms=TEST_SLOT_MS, log_path=log_path)
    node.start()
    try:
        yield node.url
    finally:
        node.stop()


@pytest.fixture(scope="session")
def ws_url(rpc_url: str) -> str:
    """The node's PubSub websocket: `PERP_POOL_WS_URL`, what perp-localnet reports, or the
    validator convention (the RPC port + 1)."""
    url = os.environ.get("PERP_POOL_WS_URL")
    if url:
        return url
    ext = NodeExt(rpc_url)
    if ext.available():
        pubsub = ext.info().get("pubsub")
        if isinstance(pubsub, str):
            return pubsub
    parts = urlsplit(rpc_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.hostname}:{(parts.port or 80) + 1}"


@pytest.fixture(scope="session")
def node_ext(rpc_url: str) -> NodeExt:
    """The `perpnode_*` test extensions; tests using this skip on a node without them."""
    ext = NodeExt(rpc_url)
    if not ext.available():
        pytest.skip("the node has no perpnode_* test extensions (a real validator)")
    return ext


def _load_wallet() -> Keypair | None:
    path = os.environ.get("ANCHOR_WALLET")
    if not path:
        return None
    return Keypair.from_bytes(bytes(json.loads(Path(path).expanduser().read_text())))


@pytest_asyncio.fixture(scope="session")
async def connection(rpc_url: str) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(rpc_url, commitment=Confirmed, timeout=30)
    deadline = time.monotonic() + 30
    while not await client.is_connected():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no healthy node at {rpc_url}")
        time.sleep(0.1)
    yield client
    await client.close()


@pytest_asyncio.fixture(scope="session")
async def world(connection: AsyncClient) -> World:
    """The program initialised once per session, with a funded admin."""
    return await World.create(connection, admin=_load_wallet())


def rpc_call(url: str, method: str, params: list | None = None) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    return httpx.post(url, json=body, timeout=30).json()
