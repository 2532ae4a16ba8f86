"""Pool configs (perp_pool.deploy.spec), offline: every parameter the program's add_pool and
add_custody take can be written, the example config is a tradeable pool, and every rule the
program checks is checked first, with the key named."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from solders.keypair import Keypair

from perp_pool import deploy
from perp_pool.client import BorrowRateConfig, FeeConfig, PricingConfig, WeightConfig
from perp_pool.idl import load_idl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "migrations" / "pools.example.toml"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def idl_fields(type_name: str) -> set[str]:
    idl = load_idl()
    found = next(t for t in idl.types if t.name == type_name)
    return {_snake(f.name) for f in found.ty.fields}


def test_every_parameter_of_add_pool_and_add_custody_has_a_key() -> None:
    """The config's sections mirror the program's parameter types field for field, so nothing
    the program takes is out of reach of a config."""
    assert {f.name for f in fields(FeeConfig)} == idl_fields("Fees")
    assert {f.name for f in fields(PricingConfig)} == idl_fields("PricingParams")
    assert {f.name for f in fields(BorrowRateConfig)} == idl_fields("BorrowRateParams")
    # OracleParams: oracle_type, oracle_account, oracle_authority, max_price_error_bps,
    # max_price_age_sec, feed_id <- [oracle] type, account, authority, ... (same names, no prefix)
    oracle_keys = {"type", "account", "authority", "max_price_error_bps", "max_price_age_sec", "feed_id"}
    assert {k.removeprefix("oracle_") for k in idl_fields("OracleParams")} == oracle_keys
    assert idl_fields("AddCustodyParams") == {"is_stable", "oracle", "fees", "pricing", "borrow_rate"}
    assert idl_fields("AddPoolParams") == {"name", "lp_cooldown_sec"}
    # [pools.tranches] <- add_senior_tranche's (and set_tranche_config's) parameters
    assert idl_fields("TrancheConfigParams") == {f.name for f in fields(deploy.TrancheSpec)}


def test_the_example_config_sets_every_parameter_and_is_ready_to_trade() -> None:
    spec = deploy.load(EXAMPLE)
    pool, multi = spec.pools
    assert (pool.name, pool.lp_cooldown_sec) == ("main", 10)
    assert pool.tranches == deploy.TrancheSpec(rate_bps=500, max_senior_junior_ratio_bps=40_000,
                                               senior_deposit_ratio_bps=30_000, max_senior_usd=0)
    assert [(c.symbol, c.is_stable, c.tradeable) for c in pool.custodies] == [
        ("USDC", True, False), ("SOL", False, True), ("BTC", False, True)]
    assert all(c.initial_price for c in pool.custodies)  # prices written at deploy: fresh
    text = EXAMPLE.read_text()
    for cls in (FeeConfig, PricingConfig, BorrowRateConfig):
        for f in fields(cls):  # written out (not left to defaults) for every custody
            assert text.count(f"\n    {f.name} = ") == 5, f.name  # main's 3 custodies, multi's 2
    for key in ("max_price_error_bps", "max_price_age_sec", "initial_price", "decimals", "is_stable"):
        assert text.count(f" {key} = ") >= 5, key
    assert all(c.weights == WeightConfig() for c in pool.custodies)  # main: no weight rules


# ---- every problem named by its key --------------------------------------------------------------


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "m.json").write_text(json.dumps(list(bytes(Keypair()))))
    return tmp_path


def problems(base: Path, custody: str = "", pool: str = "", top: str = "") -> list[str]:
    text = f'{top}\n[[pools]]\nname = "p"\n{pool}\n[[pools.custodies]]\nmint_keypair = "m.json"\n{custody}\n'
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text(text, base)
    return info.value.problems


def parse_ok(base: Path, custody: str = "") -> deploy.DeploySpec:
    return deploy.parse_text(f'[[pools]]\nname = "p"\n[[pools.custodies]]\nmint_keypair = "m.json"\n{custody}\n', base)


C = "pools[0].custodies[0]"


@pytest.mark.parametrize(("custody", "expected"), [
    ("[pools.custodies.fees]\nadd_liquidity_bps = 10001", f"{C}.fees.add_liquidity_bps: must be at most 10000"),
    ("[pools.custodies.fees]\nliquidation_bps = 5\nclose_position_bps = 6",
     f"{C}.fees.liquidation_bps: must be at least close_position_bps (6), got 5"),
    ("[pools.custodies.fees]\nprotocol_share_bps = 9000\ninsurance_share_bps = 1001",
     f"{C}.fees.insurance_share_bps: protocol_share_bps + insurance_share_bps + staker_share_bps must be at most "
     "10000"),
    ("[pools.custodies.fees]\nprotocol_share_bps = 5000\ninsurance_share_bps = 1000\nstaker_share_bps = 4001",
     f"{C}.fees.insurance_share_bps: protocol_share_bps + insurance_share_bps + staker_share_bps must be at most "
     "10000, got 10001"),
    ("[pools.custodies.pricing]\ntrade_spread_long_bps = 10000", f"{C}.pricing.trade_spread_long_bps: must be below"),
    ("[pools.custodies.pricing]\nmin_initial_leverage_bps = 600000",
     f"{C}.pricing.min_initial_leverage_bps: must be at most max_initial_leverage_bps (500000)"),
    ("[pools.custodies.pricing]\nmax_leverage_bps = 400000",
     f"{C}.pricing.max_initial_leverage_bps: must be at most max_leverage_bps (400000"),
    ("[pools.custodies.pricing]\nmax_payoff_mult_bps = 0",
     f"{C}.pricing.max_payoff_mult_bps: must be above 0 for a tradeable market"),
    ("[pools.custodies.pricing]\nmax_utilization = 1000000001", f"{C}.pricing.max_utilization: must be at most"),
    ("[pools.custodies.pricing]\nmax_leverage_bps = 2000000\nmax_initial_leverage_bps = 10000",
     f"{C}.pricing.max_leverage_bps: the maintenance margin at this leverage (50 bps of size) must cover"),
    ("[pools.custodies.borrow_rate]\noptimal_utilization = 1000000000",
     f"{C}.borrow_rate.optimal_utilization: must be below 1000000000"),
    ("[pools.custodies.borrow_rate]\nslope2 = 1000000001", f"{C}.borrow_rate.slope2: must be at most"),
    ("[pools.custodies.oracle]\nmax_price_age_sec = 0", f"{C}.oracle.max_price_age_sec: must be between 1 and"),
    ("[pools.custodies.oracle]\nmax_price_error_bps = 10001", f"{C}.oracle.max_price_error_bps: must be between"),
    ('[pools.custodies.oracle]\ntype = "Chainlink"', f"{C}.oracle.type: must be one of Custom, Pyth"),
    ('[pools.custodies.oracle]\ntype = "Pyth"', f"{C}.oracle: a Pyth oracle needs `account`"),
    ('[pools.custodies.oracle]\ntype = "Pyth"\naccount = "11111111111111111111111111111111"\nfeed_id = "ab"',
     f"{C}.oracle.feed_id: must be 32 bytes as 64 hex digits"),
    ('[pools.custodies.oracle]\naccount = "11111111111111111111111111111111"',
     f"{C}.oracle.account: only for a Pyth oracle"),
    ("[pools.custodies.oracle]\ninitial_price = 1.5", f'{C}.oracle.initial_price: write prices as text ("1.5")'),
    ('[pools.custodies.oracle]\ninitial_price = "0.0000000001"',
     f"{C}.oracle.initial_price: '0.0000000001' has more than 9 decimal places"),
    ('[pools.custodies.oracle]\ninitial_price = "0"', f"{C}.oracle.initial_price: must be greater than 0"),
    ('[pools.custodies.oracle]\ninitial_ema = "2"', f"{C}.oracle.initial_price: initial_ema and initial_conf need"),
    ('[pools.custodies.pricing]\nuse_ema = "yes"', f"{C}.pricing.use_ema: must be true or false, got text"),
    ("[pools.custodies.fees]\nopen_position_bps = true", f"{C}.fees.open_position_bps: must be an integer"),
    ("[pools.custodies.fees]\nopen_position_bps = -1", f"{C}.fees.open_position_bps: must be between 0 and"),
    ("add_liquidity_bps = 7", f"{C}.add_liquidity_bps: unknown key (it belongs in [{C}.fees])"),
    ("[pools.custodies.pricing]\nmax_utilisation = 1", f"{C}.pricing.max_utilisation: unknown key (did you mean "
                                                        "max_utilization?)"),
    ("decimals = 300", f"{C}.decimals: must be between 0 and 255"),
    ('mint = "11111111111111111111111111111111"', f"{C}.mint_keypair: has both `mint` and `mint_keypair`"),
])
def test_a_bad_custody_value_is_reported_on_its_key(base: Path, custody: str, expected: str) -> None:
    found = problems(base, custody)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(("pool", "top", "expected"), [
    ("lp_cooldown_sec = 604801", "", "pools[0].lp_cooldown_sec: must be between 0 and 604_800"),
    ("[pools.tranches]\nrate_bps = 5001\nmax_senior_junior_ratio_bps = 1\nsenior_deposit_ratio_bps = 1", "",
     "pools[0].tranches.rate_bps: must be between 0 and 5_000, got 5_001"),
    ("[pools.tranches]\nrate_bps = 500\nmax_senior_junior_ratio_bps = 0\nsenior_deposit_ratio_bps = 1", "",
     "pools[0].tranches.max_senior_junior_ratio_bps: must be between 1 and 200_000, got 0"),
    ("[pools.tranches]\nrate_bps = 500\nmax_senior_junior_ratio_bps = 200_001\nsenior_deposit_ratio_bps = 1", "",
     "pools[0].tranches.max_senior_junior_ratio_bps: must be between 1 and 200_000"),
    ("[pools.tranches]\nrate_bps = 500\nsenior_deposit_ratio_bps = 1", "",
     "pools[0].tranches.max_senior_junior_ratio_bps: is required"),
    ("[pools.tranches]\nrate_bps = 500\nmax_senior_junior_ratio_bps = 1", "",
     "pools[0].tranches.senior_deposit_ratio_bps: is required"),
    ("[pools.tranches]\nrate_bps = 500\nmax_senior_junior_ratio_bps = 30_000\nsenior_deposit_ratio_bps = 40_000", "",
     "pools[0].tranches.senior_deposit_ratio_bps: must be at most max_senior_junior_ratio_bps (30000)"),
    ("[pools.tranches]\nmax_senior_junior_ratio_bps = 1\nsenior_deposit_ratio_bps = 1", "",
     "pools[0].tranches.rate_bps: is required"),
    ('[pools.tranches]\nrate_bps = "5 %"\nmax_senior_junior_ratio_bps = 1\nsenior_deposit_ratio_bps = 1', "",
     "pools[0].tranches.rate_bps: must be an integer, got text"),
    ("[pools.tranches]\nrate = 500\nrate_bps = 1\nmax_senior_junior_ratio_bps = 1\nsenior_deposit_ratio_bps = 1", "",
     "pools[0].tranches.rate: unknown key (did you mean rate_bps?)"),
    ("rate_bps = 500", "", "pools[0].rate_bps: unknown key (it belongs in [pools[0].tranches])"),
    ("tranches = 5", "", "pools[0].tranches: must be a table ([pools[0].tranches]), got integer"),
    ("[[pools.tranches]]\nrate_bps = 1", "", "pools[0].tranches: must be a table"),
    ('name2 = "x"', "", "pools[0].name2: unknown key (did you mean name?)"),
    ("", "rpc_url = 5", "rpc_url: must be text"),
    ("", "pool = 1", "pool: unknown key"),
])
def test_a_bad_pool_value_is_reported_on_its_key(base: Path, pool: str, top: str, expected: str) -> None:
    found = problems(base, pool=pool, top=top)
    assert any(p.startswith(expected) for p in found), found


def test_pool_level_rules(base: Path) -> None:
    (base / "n.json").write_text(json.dumps(list(bytes(Keypair()))))
    market_only = '[[pools]]\nname = "p"\n[[pools.custodies]]\nmint_keypair = "m.json"\nis_stable = false\n'
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text(market_only, base)
    assert info.value.problems == ["pools[0]: has markets but no stable custody (is_stable = true) to hold their "
                                   "collateral"]
    twice = ('[[pools]]\nname = "p"\n[[pools.custodies]]\nmint_keypair = "m.json"\n'
             '[[pools.custodies]]\nmint_keypair = "m.json"\n[[pools]]\nname = "p"\n'
             '[[pools.custodies]]\nmint_keypair = "n.json"\n')
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text(twice, base)
    assert any("is used by 2 custodies of this pool" in p for p in info.value.problems)
    assert "pools[1].name: pool 'p' appears 2 times" in info.value.problems
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text('[[pools]]\nname = ""\n', base)
    assert info.value.problems == ["pools[0].name: must be 1 to 32 bytes, got 0",
                                   "pools[0]: has no [[pools.custodies]]: a pool needs at least one custody"]
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text('[[pools]]\nname = "p"\n[[pools.custodies]]\nmint_keypair = "gone.json"\n', base)
    assert info.value.problems == [f"pools[0].custodies[0].mint_keypair: no keypair file at {base / 'gone.json'}"]


def test_a_missing_or_broken_file_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(deploy.SpecError) as info:
        deploy.load(tmp_path / "none.toml")
    assert info.value.problems == ["no such file"]
    (tmp_path / "bad.toml").write_text("[[pools]\n")
    with pytest.raises(deploy.SpecError) as info:
        deploy.load(tmp_path / "bad.toml")
    assert info.value.problems[0].startswith("not valid TOML")


def test_tranches_are_optional(base: Path) -> None:
    assert parse_ok(base).pools[0].tranches is None
    text = ('[[pools]]\nname = "p"\n[pools.tranches]\nrate_bps = 0\nmax_senior_junior_ratio_bps = 200_000\n'
            'senior_deposit_ratio_bps = 150_000\n[[pools.custodies]]\nmint_keypair = "m.json"\n')
    assert deploy.parse_text(text, base).pools[0].tranches == deploy.TrancheSpec(0, 200_000, 150_000, 0)


def test_defaults_are_the_clients(base: Path) -> None:
    (custody,) = parse_ok(base).pools[0].custodies
    assert (custody.fees, custody.pricing, custody.borrow_rate) == (FeeConfig(), PricingConfig(), BorrowRateConfig())
    assert (custody.is_stable, custody.mint.decimals, custody.oracle.max_price_age_sec) == (True, 6, 30)
    assert custody.initial_price is None
    priced = parse_ok(base, '[pools.custodies.oracle]\ninitial_price = "150.25"\ninitial_conf = "0"')
    assert (priced.pools[0].custodies[0].initial_price, priced.pools[0].custodies[0].initial_ema) == (
        150_250_000_000, 150_250_000_000)


# ---- the stake pool ([pools.staking]) --------------------------------------------------------------

STAKING = ('[pools.staking]\nreward_custody = "USDC"\njunior_share_bps = 6500\n'
           '[[pools.staking.tiers]]\nduration_days = 7\nmultiplier_bps = 10000\n'
           '[[pools.staking.tiers]]\nduration_days = 30\nmultiplier_bps = 11000\n')
USDC_CUSTODY = 'symbol = "USDC"\n[pools.custodies.fees]\nstaker_share_bps = 1000\n'


def test_the_example_config_has_a_stake_pool_paid_by_usdc() -> None:
    pool = deploy.load(EXAMPLE).pools[0]
    assert pool.staking is not None
    assert pool.staking.reward_symbol == "USDC" and len(pool.staking.ladder) == 5
    assert [c.fees.staker_share_bps > 0 for c in pool.custodies] == [True, False, False]


def test_a_stake_pool_config_parses(base: Path) -> None:
    spec = deploy.parse_text(f'[[pools]]\nname = "p"\n[[pools.custodies]]\nmint_keypair = "m.json"\n{USDC_CUSTODY}'
                             f"{STAKING}", base)
    staking = spec.pools[0].staking
    assert staking is not None and staking.junior_share_bps == 6500
    assert [(t.duration_days, t.multiplier_bps) for t in staking.ladder] == [(7, 10_000), (30, 11_000)]


@pytest.mark.parametrize(("custody", "staking", "expected"), [
    (USDC_CUSTODY, "", "pools[0].custodies[0].fees.staker_share_bps: routes a stakers' share but the pool has no "
                       "[pools.staking]"),
    ('symbol = "USDC"\n', STAKING.replace('"USDC"', '"USDT"'),
     "pools[0].staking.reward_custody: no custody of this pool has symbol 'USDT'"),
    ('symbol = "USDC"\nis_stable = false\n', STAKING, "pools[0].staking.reward_custody: USDC is not a stable custody"),
    (USDC_CUSTODY, STAKING.replace("duration_days = 30", "duration_days = 7"),
     "pools[0].staking.tiers[1].duration_days: durations must increase: 7 after 7"),
    # Every tier locks: a 0-day tier would let an LP lock, take a trade's fee and unlock in one transaction.
    (USDC_CUSTODY, STAKING.replace("duration_days = 7", "duration_days = 0"),
     "pools[0].staking.tiers[0].duration_days: must be between 1 and 364, got 0"),
    (USDC_CUSTODY, STAKING.replace("multiplier_bps = 11000", "multiplier_bps = 9000"),
     "pools[0].staking.tiers[1].multiplier_bps: must be between 10_000 and 100_000"),
    (USDC_CUSTODY, STAKING.replace("multiplier_bps = 10000", "multiplier_bps = 12000"),
     "pools[0].staking.tiers[1].multiplier_bps: multipliers must not decrease: 11000 after 12000"),
    (USDC_CUSTODY, STAKING.replace("duration_days = 30", "duration_days = 365"),
     "pools[0].staking.tiers[1].duration_days: must be between 1 and 364"),
    (USDC_CUSTODY, STAKING.replace("junior_share_bps = 6500", "junior_share_bps = 10001"),
     "pools[0].staking.junior_share_bps: must be between 0 and 10_000"),
    (USDC_CUSTODY, '[pools.staking]\nreward_custody = "USDC"\n', "pools[0].staking.tiers: needs at least one"),
    (USDC_CUSTODY, STAKING + "lockups = 1\n", "pools[0].staking.tiers[1].lockups: unknown key"),
])
def test_a_bad_stake_pool_value_is_reported_on_its_key(base: Path, custody: str, staking: str,
                                                       expected: str) -> None:
    text = f'[[pools]]\nname = "p"\n[[pools.custodies]]\nmint_keypair = "m.json"\n{custody}{staking}'
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text(text, base)
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems


# ---- multi-asset pools: weight rules ---------------------------------------------------------------


def test_the_example_config_has_a_multi_asset_pool() -> None:
    """Pool `multi`: USDC 55 % (30-80) and SOL 45 % (20-70), every weight field written out, the
    volatile asset taxed harder; the same test mints as `main`, a SOL market."""
    multi = deploy.load(EXAMPLE).pools[1]
    assert (multi.name, multi.tranches, multi.staking) == ("multi", None, None)
    usdc, sol = multi.custodies
    assert (usdc.symbol, usdc.is_stable, sol.symbol, sol.is_stable, sol.tradeable) == ("USDC", True, "SOL", False,
                                                                                       True)
    assert usdc.weights == WeightConfig(target_bps=5500, min_bps=3000, max_bps=8000, tax_bps=10, swap_bps=5)
    assert sol.weights == WeightConfig(target_bps=4500, min_bps=2000, max_bps=7000, tax_bps=50, swap_bps=20)
    main = deploy.load(EXAMPLE).pools[0]
    assert (usdc.mint.address, sol.mint.address) == (main.custodies[0].mint.address, main.custodies[1].mint.address)
    assert EXAMPLE.read_text().count("\n    target_bps = ") == 2


def test_every_weight_parameter_has_a_key() -> None:
    assert {f.name for f in fields(WeightConfig)} == idl_fields("WeightParams")


def two_custodies(base: Path, first: str, second: str) -> str:
    (base / "n.json").write_text(json.dumps(list(bytes(Keypair()))))
    return (f'[[pools]]\nname = "p"\n[[pools.custodies]]\nsymbol = "A"\nmint_keypair = "m.json"\n{first}\n'
            f'[[pools.custodies]]\nsymbol = "B"\nmint_keypair = "n.json"\nis_stable = false\n{second}\n')


def weights(target: int, low: int, high: int, tax: int = 10, swap: int = 5) -> str:
    return (f"[pools.custodies.weights]\ntarget_bps = {target}\nmin_bps = {low}\nmax_bps = {high}\n"
            f"tax_bps = {tax}\nswap_bps = {swap}")


def test_weight_rules_parse(base: Path) -> None:
    spec = deploy.parse_text(two_custodies(base, weights(6000, 4000, 8000), weights(4000, 2000, 6000, 50, 20)), base)
    a, b = spec.pools[0].custodies
    assert a.weights == WeightConfig(6000, 4000, 8000, 10, 5) and b.weights == WeightConfig(4000, 2000, 6000, 50, 20)
    assert parse_ok(base).pools[0].custodies[0].weights == WeightConfig()  # no table: no rule


def test_weight_targets_must_sum_to_100_percent(base: Path) -> None:
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text(two_custodies(base, weights(6000, 4000, 8000), weights(3000, 2000, 6000)), base)
    assert info.value.problems == [
        "pools[0].custodies: the custodies' weights.target_bps sum to 9000, not 10000 (A 6000, B 3000): each "
        "custody is steered toward its own target, so targets that do not add up to 100 % tax every deposit"]
    # A custody without a rule counts 0: the others must then make 100 % on their own.
    with pytest.raises(deploy.SpecError) as info:
        deploy.parse_text(two_custodies(base, weights(6000, 4000, 8000), ""), base)
    assert "sum to 6000, not 10000 (A 6000, B 0)" in info.value.problems[0]
    deploy.parse_text(two_custodies(base, weights(10000, 0, 10000), ""), base)  # one custody takes it all


@pytest.mark.parametrize(("custody", "expected"), [
    (weights(5000, 6000, 8000), f"{C}.weights: must have min_bps <= target_bps <= max_bps <= 10000, got 6000 <= 5000"),
    (weights(9000, 0, 8000), f"{C}.weights: must have min_bps <= target_bps <= max_bps"),
    (weights(10000, 0, 10001), f"{C}.weights: must have min_bps <= target_bps <= max_bps <= 10000"),
    (weights(10000, 0, 10000, tax=1001), f"{C}.weights: tax_bps must be at most 1000, got 1001"),
    (weights(10000, 0, 10000, swap=1001), f"{C}.weights: swap_bps must be at most 1000, got 1001"),
    ("[pools.custodies.weights]\ntarget_bps = 0\ntax_bps = 10",
     f"{C}.weights: max_bps must be above 0 (or every field 0: no weight rule)"),
    ("[pools.custodies.weights]\ntarget = 5000", f"{C}.weights.target: unknown key (did you mean target_bps?)"),
])
def test_a_bad_weight_rule_is_reported_on_its_key(base: Path, custody: str, expected: str) -> None:
    found = problems(base, custody)
    assert any(p.startswith(expected) for p in found), found
