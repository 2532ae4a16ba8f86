"""migrations/deploy.py: creates pools from a TOML config (every parameter the program has), a
second run changes nothing, `--update` rewrites what differs, and each expected failure is one
line on stderr with its exit code."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from solders.keypair import Keypair

from perp_pool.client import WeightConfig
from perp_pool.client.multi_asset import weight_config
from perp_pool.constants import PRICE_POWER
from perp_pool.failures import EXIT_FAILED, EXIT_NO_FUNDS, EXIT_UNREACHABLE, EXIT_USAGE
from perp_pool.localnet import free_port
from perp_pool.math.tranche import Tranche
from perp_pool.tokens import ensure_ata, fetch_mint, mint_tokens
from tests.helpers import World, price_usd, snapshot

ROOT = Path(__file__).resolve().parents[1]


def deploy(config: Path, rpc_url: str, keypair: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "migrations" / "deploy.py"), "--config", str(config),
                           "--rpc-url", rpc_url, "--keypair", str(keypair), *extra],
                          capture_output=True, text=True, timeout=120)


def steps(out: subprocess.CompletedProcess[str]) -> list[dict]:
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def one_line_error(out: subprocess.CompletedProcess[str], exit_code: int) -> str:
    """The failure's only stderr line (no traceback), with the expected exit code."""
    assert out.returncode == exit_code, (out.returncode, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    return lines[0]


def write_keypair(path: Path, keypair: Keypair) -> Path:
    path.write_text(json.dumps(list(bytes(keypair))))
    return path


def config_text(name: str, *, add_liquidity_bps: int = 7, max_leverage_bps: int = 1_000_000) -> str:
    return f'''
[[pools]]
name = "{name}"
lp_cooldown_sec = 600
  [[pools.custodies]]
  symbol = "USD"
  mint_keypair = "usd.json"
  decimals = 6
    [pools.custodies.oracle]
    max_price_age_sec = 600
    initial_price = "0.999500"
    [pools.custodies.fees]
    add_liquidity_bps = {add_liquidity_bps}
  [[pools.custodies]]
  symbol = "ETH"
  mint_keypair = "eth.json"
  decimals = 8
  is_stable = false
    [pools.custodies.oracle]
    max_price_age_sec = 600
    initial_price = "3000.5"
    [pools.custodies.pricing]
    trade_spread_long_bps = 7
    max_leverage_bps = {max_leverage_bps}
    max_position_size_usd = 5_000_000_000
    [pools.custodies.borrow_rate]
    slope1 = 90_000
'''


def write_config(tmp_path: Path, name: str, **kwargs: int) -> tuple[Path, Keypair, Keypair]:
    usd, eth = Keypair(), Keypair()
    write_keypair(tmp_path / "usd.json", usd)
    write_keypair(tmp_path / "eth.json", eth)
    config = tmp_path / "pools.toml"
    config.write_text(config_text(name, **kwargs))
    return config, usd, eth


async def test_deploy_is_idempotent(world: World, rpc_url: str, tmp_path: Path) -> None:
    admin_file = write_keypair(tmp_path / "admin.json", world.admin)
    name = "mig-" + secrets.token_hex(4)
    config, usd, eth = write_config(tmp_path, name)
    first = steps(deploy(config, rpc_url, admin_file))
    assert [(s["step"], s["status"]) for s in first] == [
        ("initialize", "exists"), ("add_pool", "created"),
        ("mint", "created"), ("add_custody", "created"), ("set_custom_oracle_price", "created"),
        ("mint", "created"), ("add_custody", "created"), ("set_custom_oracle_price", "created")]

    c = world.client
    pool = c.pool_address(name)
    usd_custody, eth_custody = c.custody_address(pool, usd.pubkey()), c.custody_address(pool, eth.pubkey())
    assert (await c.fetch_custody(usd_custody)).fees.add_liquidity_bps == 7
    eth_account = await c.fetch_custody(eth_custody)
    assert (eth_account.is_stable, eth_account.decimals, eth_account.oracle.max_price_age_sec) == (False, 8, 600)
    assert (eth_account.pricing.trade_spread_long_bps, eth_account.pricing.max_position_size_usd) == (7, 5_000_000_000)
    assert eth_account.borrow_rate.slope1 == 90_000
    assert (await c.fetch_pool(pool)).lp_cooldown_sec == 600
    assert (await c.fetch_custom_oracle(c.custom_oracle_address(usd_custody))).price == price_usd("0.9995")
    assert (await c.fetch_custom_oracle(c.custom_oracle_address(eth_custody))).price == 3000_500_000_000
    # The deploying wallet is the mint authority of the test mints it creates (the faucet needs it).
    for mint in (usd.pubkey(), eth.pubkey()):
        info = await fetch_mint(world.connection, mint)
        assert info is not None and info.mint_authority == world.admin.pubkey()
    accounts = [pool, usd_custody, eth_custody, usd.pubkey(), c.custom_oracle_address(usd_custody),
                c.lp_mint_address(pool)]
    before = await snapshot(world.connection, accounts)

    second = steps(deploy(config, rpc_url, admin_file))
    assert {s["status"] for s in second} == {"exists"}
    assert await snapshot(world.connection, accounts) == before


async def test_deploy_reports_differences_and_update_rewrites_them(world: World, rpc_url: str,
                                                                   tmp_path: Path) -> None:
    admin_file = write_keypair(tmp_path / "admin.json", world.admin)
    name = "mig-" + secrets.token_hex(4)
    config, usd, eth = write_config(tmp_path, name)
    steps(deploy(config, rpc_url, admin_file))
    config.write_text(config_text(name, add_liquidity_bps=9, max_leverage_bps=800_000))

    reported = {s["symbol"]: s for s in steps(deploy(config, rpc_url, admin_file)) if s["step"] == "add_custody"}
    assert reported["USD"]["status"] == "differs"
    assert reported["USD"]["config_differs"] == {"fees.add_liquidity_bps": [7, 9]}
    assert reported["ETH"]["config_differs"] == {"pricing.max_leverage_bps": [1_000_000, 800_000]}
    pool = world.client.pool_address(name)
    usd_custody = world.client.custody_address(pool, usd.pubkey())
    assert (await world.client.fetch_custody(usd_custody)).fees.add_liquidity_bps == 7  # reported, not changed

    updated = [s for s in steps(deploy(config, rpc_url, admin_file, "--update")) if s["step"] == "set_custody_config"]
    assert {s["status"] for s in updated} == {"updated"}
    assert [s["symbol"] for s in updated] == ["USD", "ETH"]
    assert (await world.client.fetch_custody(usd_custody)).fees.add_liquidity_bps == 9
    eth_custody = world.client.custody_address(pool, eth.pubkey())
    assert (await world.client.fetch_custody(eth_custody)).pricing.max_leverage_bps == 800_000
    assert {s["status"] for s in steps(deploy(config, rpc_url, admin_file))} == {"exists"}


def with_weights(text: str, usd: tuple[int, int, int] = (6_000, 3_000, 8_000),
                 eth: tuple[int, int, int] = (4_000, 2_000, 7_000)) -> str:
    """Weight rules (target, min, max BPS; tax 10 / 50, swap 5 / 20) on the config's two custodies."""
    def table(rule: tuple[int, int, int], tax: int, swap: int) -> str:
        return (f"    [pools.custodies.weights]\n    target_bps = {rule[0]}\n    min_bps = {rule[1]}\n"
                f"    max_bps = {rule[2]}\n    tax_bps = {tax}\n    swap_bps = {swap}\n")
    eth_header = '  [[pools.custodies]]\n  symbol = "ETH"'
    text = text.replace(eth_header, table(usd, 10, 5) + eth_header)
    return text + table(eth, 50, 20)


async def test_deploy_sets_weights_compares_them_and_update_rewrites_them(world: World, rpc_url: str,
                                                                          tmp_path: Path) -> None:
    admin_file = write_keypair(tmp_path / "admin.json", world.admin)
    name = "mig-" + secrets.token_hex(4)
    config, usd, eth = write_config(tmp_path, name)
    config.write_text(with_weights(config_text(name)))
    first = steps(deploy(config, rpc_url, admin_file))
    assert [(s["step"], s["status"], s["symbol"]) for s in first if s["step"] == "set_custody_weights"] == [
        ("set_custody_weights", "created", "USD"), ("set_custody_weights", "created", "ETH")]
    c = world.client
    pool = c.pool_address(name)
    usd_custody, eth_custody = c.custody_address(pool, usd.pubkey()), c.custody_address(pool, eth.pubkey())
    assert weight_config((await c.fetch_custody(usd_custody)).weights) == WeightConfig(6_000, 3_000, 8_000, 10, 5)
    assert weight_config((await c.fetch_custody(eth_custody)).weights) == WeightConfig(4_000, 2_000, 7_000, 50, 20)
    assert {s["status"] for s in steps(deploy(config, rpc_url, admin_file))} == {"exists"}

    config.write_text(with_weights(config_text(name), usd=(5_500, 3_000, 8_000), eth=(4_500, 2_000, 7_000)))
    reported = {s["symbol"]: s for s in steps(deploy(config, rpc_url, admin_file))
                if s["step"] == "set_custody_weights"}
    assert reported["USD"]["status"] == "differs"
    assert reported["USD"]["config_differs"] == {"weights.target_bps": [6_000, 5_500]}
    assert weight_config((await c.fetch_custody(usd_custody)).weights).target_bps == 6_000  # reported, not changed
    updated = [s for s in steps(deploy(config, rpc_url, admin_file, "--update")) if s["step"] == "set_custody_weights"]
    assert [(s["status"], s["symbol"]) for s in updated] == [("updated", "USD"), ("updated", "ETH")]
    assert weight_config((await c.fetch_custody(usd_custody)).weights).target_bps == 5_500
    assert weight_config((await c.fetch_custody(eth_custody)).weights).target_bps == 4_500
    assert {s["status"] for s in steps(deploy(config, rpc_url, admin_file))} == {"exists"}


def test_weight_targets_that_do_not_sum_to_100_percent_send_nothing(tmp_path: Path) -> None:
    config, _, _ = write_config(tmp_path, "never")
    config.write_text(with_weights(config_text("never"), eth=(3_000, 2_000, 7_000)))
    out = deploy(config, "http://127.0.0.1:1", tmp_path / "absent.json")
    assert out.returncode == EXIT_USAGE and out.stdout == ""
    assert "weights.target_bps sum to 9000, not 10000 (USD 6000, ETH 3000)" in out.stderr


def with_tranches(text: str, rate_bps: int = 500, ratio_bps: int = 40_000) -> str:
    table = (f"  [pools.tranches]\n  rate_bps = {rate_bps}\n  max_senior_junior_ratio_bps = {ratio_bps}\n"
             f"  senior_deposit_ratio_bps = {ratio_bps * 3 // 4}\n")
    return text.replace("lp_cooldown_sec = 600\n", "lp_cooldown_sec = 600\n" + table, 1)


async def test_deploy_adds_the_senior_tranche_right_after_the_pool(world: World, rpc_url: str,
                                                                    tmp_path: Path) -> None:
    admin_file = write_keypair(tmp_path / "admin.json", world.admin)
    name = "mig-" + secrets.token_hex(4)
    config, _, _ = write_config(tmp_path, name)
    config.write_text(with_tranches(config_text(name)))
    first = steps(deploy(config, rpc_url, admin_file))
    assert [(s["step"], s["status"]) for s in first][:4] == [
        ("initialize", "exists"), ("add_pool", "created"), ("add_senior_tranche", "created"), ("mint", "created")]
    c = world.client
    pool = c.pool_address(name)
    senior = c.lp_mint_address(pool, Tranche.SENIOR)
    assert (first[2]["senior_lp_mint"], first[2]["rate_bps"], first[2]["max_senior_junior_ratio_bps"]) == (
        str(senior), 500, 40_000)
    account = await c.fetch_pool(pool)
    assert (account.senior.mint, account.senior.rate_bps, account.senior.max_senior_junior_ratio_bps) == (
        senior, 500, 40_000)
    assert {s["status"] for s in steps(deploy(config, rpc_url, admin_file))} == {"exists"}

    config.write_text(with_tranches(config_text(name), rate_bps=300))
    reported = next(s for s in steps(deploy(config, rpc_url, admin_file)) if s["step"] == "add_senior_tranche")
    assert (reported["status"], reported["config_differs"]) == ("differs", {"tranches.rate_bps": [500, 300]})
    assert (await c.fetch_pool(pool)).senior.rate_bps == 500  # reported, not changed
    updated = [s for s in steps(deploy(config, rpc_url, admin_file, "--update")) if s["step"] == "set_tranche_config"]
    assert [(s["status"], s["config_differs"]) for s in updated] == [("updated", {"tranches.rate_bps": [500, 300]})]
    assert (await c.fetch_pool(pool)).senior.rate_bps == 300
    assert {s["status"] for s in steps(deploy(config, rpc_url, admin_file))} == {"exists"}
    # A config without the table does not remove them (nothing can): reported.
    config.write_text(config_text(name))
    reported = next(s for s in steps(deploy(config, rpc_url, admin_file)) if s["step"] == "add_senior_tranche")
    assert (reported["status"], reported["config_differs"]) == ("differs", {"tranches": ["senior", "none"]})


async def test_tranches_come_too_late_for_a_pool_with_lp(world: World, rpc_url: str, tmp_path: Path) -> None:
    admin_file = write_keypair(tmp_path / "admin.json", world.admin)
    name = "mig-" + secrets.token_hex(4)
    config, usd, _ = write_config(tmp_path, name)
    steps(deploy(config, rpc_url, admin_file))
    c = world.client
    pool = c.pool_address(name)
    funding = await ensure_ata(c.transport, world.admin.pubkey(), usd.pubkey())
    await mint_tokens(c.transport, usd.pubkey(), funding, 1_000_000_000)
    lp = await ensure_ata(c.transport, world.admin.pubkey(), c.lp_mint_address(pool))
    await c.add_liquidity(pool, c.custody_address(pool, usd.pubkey()), amount_in=1_000_000_000, funding_account=funding,
                          lp_token_account=lp)
    config.write_text(with_tranches(config_text(name)))
    reported = next(s for s in steps(deploy(config, rpc_url, admin_file)) if s["step"] == "add_senior_tranche")
    assert reported["status"] == "differs" and "before its first deposit" in reported["reason"]
    assert (await c.fetch_pool(pool)).senior.rate_bps == 0  # untouched


async def test_the_example_config_deploys_a_pool_ready_to_trade(world: World, rpc_url: str, tmp_path: Path) -> None:
    """The example's pool (under another name: the session's node may hold `main`): a USDC custody
    and two markets, their prices written at deploy."""
    admin_file = write_keypair(tmp_path / "admin.json", world.admin)
    name = "ex-" + secrets.token_hex(4)
    text = (ROOT / "migrations" / "pools.example.toml").read_text().replace('name = "main"', f'name = "{name}"')
    text = text.replace('name = "multi"', f'name = "{name}-m"')
    (tmp_path / "keys").mkdir()
    for key in (ROOT / "migrations" / "keys").iterdir():
        (tmp_path / "keys" / key.name).write_text(key.read_text())
    (tmp_path / "pools.toml").write_text(text)
    done = steps(deploy(tmp_path / "pools.toml", rpc_url, admin_file))
    prices = {s["symbol"]: s for s in done if s["step"] == "set_custom_oracle_price"}
    assert set(prices) == {"USDC", "SOL", "BTC"}
    pool = world.client.pool_address(name)
    # ... tranched: a senior tranche at 5 % a year, senior NAV at most 4x junior NAV.
    assert [s["status"] for s in done if s["step"] == "add_senior_tranche"] == ["created"]
    senior = (await world.client.fetch_pool(pool)).senior
    assert (senior.rate_bps, senior.max_senior_junior_ratio_bps) == (500, 40_000)
    custodies = (await world.client.fetch_pool(pool)).custodies
    decoded = [await world.client.fetch_custody(c) for c in custodies]
    assert [(c.is_stable, c.pricing.max_initial_leverage_bps > 0) for c in decoded] == [
        (True, False), (False, True), (False, True)]
    sol_price = await world.client.get_oracle_price(pool, custodies[1])
    assert sol_price.spot == 150 * PRICE_POWER
    # ... and the multi-asset pool: USDC 55 % and SOL 45 %, the same mints, weights set at deploy.
    multi = world.client.pool_address(f"{name}-m")
    assert [(s["status"], s["symbol"]) for s in done if s["step"] == "set_custody_weights"] == [
        ("created", "USDC"), ("created", "SOL")]
    weights = await world.client.get_pool_weights(multi)
    assert [c.weights.target_bps for c in weights.custodies] == [5_500, 4_500]
    assert [(await world.client.fetch_custody(c)).mint for c in (await world.client.fetch_pool(multi)).custodies] == [
        d.mint for d in decoded[:2]]


# ---- expected failures: one line, an exit code ---------------------------------------------------


def test_an_invalid_config_names_each_key_and_sends_nothing(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[pools]]\nname = "x"\n  [[pools.custodies]]\n  mint = "not-a-key"\n'
                      '    [pools.custodies.fees]\n    liquidation_bps = 1\n')
    out = subprocess.run([sys.executable, str(ROOT / "migrations" / "deploy.py"), "--config", str(config),
                          "--rpc-url", "http://127.0.0.1:1"], capture_output=True, text=True, timeout=60)
    assert out.returncode == EXIT_USAGE and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert lines == [
        f"error: InvalidConfig: {config}: pools[0].custodies[0].mint: 'not-a-key' is not a base58 public key",
        f"error: InvalidConfig: {config}: pools[0].custodies[0].fees.liquidation_bps: must be at least "
        "close_position_bps (10), got 1"]


async def test_a_wallet_without_sol_is_told_to_airdrop(world: World, rpc_url: str, tmp_path: Path) -> None:
    config, _, _ = write_config(tmp_path, "mig-" + secrets.token_hex(4))
    broke = write_keypair(tmp_path / "broke.json", Keypair())
    line = one_line_error(deploy(config, rpc_url, broke), EXIT_NO_FUNDS)
    assert line.startswith("error: NoSol: the wallet ") and f"perp-pool --keypair {broke} wallet airdrop" in line


def test_no_node_is_one_line(tmp_path: Path) -> None:
    config, _, _ = write_config(tmp_path, "x")
    url = f"http://127.0.0.1:{free_port()}"
    line = one_line_error(deploy(config, url, write_keypair(tmp_path / "k.json", Keypair())), EXIT_UNREACHABLE)
    assert line.startswith(f"error: NodeUnreachable: cannot reach a node at {url}") and "perp-pool localnet" in line


async def test_another_admins_program_is_refused(world: World, rpc_url: str, tmp_path: Path) -> None:
    config, _, _ = write_config(tmp_path, "mig-" + secrets.token_hex(4))
    other = write_keypair(tmp_path / "other.json", await world.funded_keypair())
    line = one_line_error(deploy(config, rpc_url, other), EXIT_FAILED)
    assert line.startswith(f"error: NotAdmin: perp_pool on this node is administered by {world.admin.pubkey()}")


def test_verbose_twice_adds_the_traceback(tmp_path: Path) -> None:
    config, _, _ = write_config(tmp_path, "x")
    out = deploy(config, f"http://127.0.0.1:{free_port()}", write_keypair(tmp_path / "k.json", Keypair()), "-vv")
    assert out.returncode == EXIT_UNREACHABLE and "Traceback (most recent call last)" in out.stderr
