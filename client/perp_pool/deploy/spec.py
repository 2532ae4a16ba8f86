"""Pool configs (TOML): every parameter of a pool and of its custodies, read and checked before
anything is sent.

    [[pools]]                      name, lp_cooldown_sec
      [pools.tranches]             rate_bps, max_senior_junior_ratio_bps, senior_deposit_ratio_bps,
                                   max_senior_usd (optional: a senior tranche)
      [[pools.custodies]]          symbol, mint | mint_keypair (+ decimals), is_stable
        [pools.custodies.oracle]   type, account, authority, feed_id, max_price_error_bps,
                                   max_price_age_sec, initial_price, initial_ema, initial_conf
        [pools.custodies.fees]     the program's `Fees`
        [pools.custodies.pricing]  the program's `PricingParams`
        [pools.custodies.borrow_rate]  the program's `BorrowRateParams`
        [pools.custodies.weights]  the program's `WeightParams` (optional: a multi-asset pool's
                                   target_bps, min_bps, max_bps, tax_bps, swap_bps)
      [pools.staking]              reward_custody (a stable custody's symbol), junior_share_bps
        [[pools.staking.tiers]]    duration_days, multiplier_bps: the lock ladder

Integers are in the program's own units (docs/design.md): BPS (10_000 = 100 % or 1x), RATE
(1_000_000_000 = 100 %), USD with 6 decimals; prices are USD per whole token written as text
("150.25"). Every problem found is reported with the key it is about
(`pools[0].custodies[1].pricing.max_leverage_bps: ...`), all at once, as `SpecError`; the rules are
the program's own (`Fees::validate`, `PricingParams::validate` and `validate_liquidation_margin`,
`BorrowRateParams::validate`, `OracleParams::validate`, `validate_stake_config`,
`validate_tranche_config`, add_pool's, add_custody's and init_stake_pool's checks), so a config
that loads is one the program accepts. A custody routing a stakers' share of its fees
(`staker_share_bps`) that no stake pool pays from is refused too: those rewards would be stranded.
A pool whose custodies have weight rules must have targets summing to 10_000 BPS (the program
checks each custody's rule, `validate_weights`, but cannot see the others).
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, fields
from decimal import Decimal, DecimalException
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from perp_pool.client.params import (
    BorrowRateConfig,
    FeeConfig,
    OracleConfig,
    PricingConfig,
    WeightConfig,
    weight_problems,
)
from perp_pool.constants import (
    BPS_POWER,
    MAX_CUSTODIES,
    MAX_LOCK_DAYS,
    MAX_LOCK_MULTIPLIER_BPS,
    MAX_LOCK_TIERS,
    MAX_LP_COOLDOWN_SEC,
    MAX_POOL_NAME_LEN,
    MAX_SENIOR_JUNIOR_RATIO_BPS,
    MAX_SENIOR_RATE_BPS,
    MIN_LOCK_DAYS,
    PRICE_DECIMALS,
    RATE_POWER,
)
from perp_pool.math.staking import LockTier

__all__ = ["CustodySpec", "DeploySpec", "MintSpec", "PoolSpec", "SpecError", "StakingSpec", "TrancheSpec", "load",
           "parse",
           "parse_text"]

U8_MAX, U32_MAX, U64_MAX = 2**8 - 1, 2**32 - 1, 2**64 - 1
# How long a deposit's LP stays frozen when a pool's config does not say (GMX's 15 minutes).
DEFAULT_LP_COOLDOWN_SEC = 900
DEFAULT_DECIMALS = 6
ORACLE_TYPES = ("Custom", "Pyth")

# Keys of the flat layout this file replaced: an old config gets "move it into [section]".
_SECTION_OF = {**{f.name: "fees" for f in fields(FeeConfig)}, **{f.name: "pricing" for f in fields(PricingConfig)},
               **{f.name: "borrow_rate" for f in fields(BorrowRateConfig)},
               **{k: "oracle" for k in ("oracle_type", "oracle_account", "oracle_authority", "max_price_error_bps",
                                        "max_price_age_sec", "initial_price", "feed_id")},
               **{k: "tranches" for k in ("rate_bps", "max_senior_junior_ratio_bps", "senior_deposit_ratio_bps",
                                          "max_senior_usd")}}


class SpecError(ValueError):
    """A config that cannot be deployed: `problems` are lines `key: what is wrong`."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + f"\n{source}: ".join(problems))


class _Table:
    """One TOML table being read: typed getters that record problems under the full key, and the
    keys nobody asked for reported as unknown."""

    def __init__(self, data: Any, key: str, problems: list[str]):
        self.key = key
        self.problems = problems
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.seen: set[str] = set()
        if not isinstance(data, dict):
            self.problem(f"must be a table ([{key}]), got {_type_name(data)}", key)

    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def problem(self, message: str, key: str | None = None) -> None:
        self.problems.append(f"{key if key is not None else self.key}: {message}")

    def raw(self, name: str) -> Any:
        self.seen.add(name)
        return self.data.get(name)

    def integer(self, name: str, default: int | None, lo: int = 0, hi: int = U64_MAX) -> int:
        value = self.raw(name)
        if value is None:
            if default is None:
                self.problem("is required", self.path(name))
                return lo
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"must be an integer, got {_type_name(value)} {value!r}", self.path(name))
            return default if default is not None else lo
        if not lo <= value <= hi:
            self.problem(f"must be between {lo:_} and {hi:_}, got {value:_}", self.path(name))
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(f"must be true or false, got {_type_name(value)} {value!r}", self.path(name))
            return default
        return value

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(f"must be text (quoted), got {_type_name(value)} {value!r}", self.path(name))
            return default
        return value

    def pubkey(self, name: str) -> Pubkey | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return Pubkey.from_string(text.strip())
        except ValueError:
            self.problem(f"{text!r} is not a base58 public key", self.path(name))
            return None

    def price(self, name: str, allow_zero: bool = False) -> int | None:
        """USD per whole token as text or an integer -> PRICE_DECIMALS, exactly; > 0 unless
        `allow_zero`."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, float):
            self.problem(f"write prices as text (\"{value}\"): TOML floats are inexact", self.path(name))
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.problem(f"must be a price as text (\"150.25\"), got {_type_name(value)}", self.path(name))
            return None
        try:
            scaled = Decimal(str(value).strip().replace("_", "")).scaleb(PRICE_DECIMALS)
        except DecimalException:
            self.problem(f"{value!r} is not a number", self.path(name))
            return None
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            self.problem(f"{value!r} has more than {PRICE_DECIMALS} decimal places", self.path(name))
            return None
        if not (0 <= scaled if allow_zero else 0 < scaled) or scaled > U64_MAX:
            self.problem(f"must be {'at least' if allow_zero else 'greater than'} 0 and fit in a u64, got {value!r}",
                         self.path(name))
            return None
        return int(scaled)

    def table(self, name: str) -> _Table:
        value = self.raw(name)
        return _Table({} if value is None else value, self.path(name), self.problems)

    def tables(self, name: str) -> list[_Table]:
        value = self.raw(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"must be an array of tables ([[{self.path(name)}]]), got {_type_name(value)}",
                         self.path(name))
            return []
        return [_Table(item, f"{self.path(name)}[{i}]", self.problems) for i, item in enumerate(value)]

    def finish(self) -> None:
        """Every key of the table not read is a problem (a typo would otherwise be ignored)."""
        for name in self.data:
            if name in self.seen:
                continue
            known = sorted(self.seen)
            hint = ""
            if name in _SECTION_OF and _SECTION_OF[name] in self.seen:
                hint = f" (it belongs in [{self.path(_SECTION_OF[name])}])"
            elif close := difflib.get_close_matches(name, known, n=1):
                hint = f" (did you mean {close[0]}?)"
            else:
                hint = f" (known: {', '.join(known)})"
            self.problem(f"unknown key{hint}", self.path(name))


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "text", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)


# ---- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MintSpec:
    """An existing mint (`address`), or one the deploy creates from `keypair` with `decimals`; the
    deploying wallet is the mint authority of the mints it creates (so `perp-pool faucet` works)."""

    address: Pubkey
    keypair: Keypair | None = None
    keypair_path: Path | None = None
    decimals: int | None = None


@dataclass(frozen=True)
class CustodySpec:
    key: str  # "pools[0].custodies[1]": where it is in the file
    symbol: str
    mint: MintSpec
    is_stable: bool
    oracle: OracleConfig
    fees: FeeConfig
    pricing: PricingConfig
    borrow_rate: BorrowRateConfig
    initial_price: int | None = None  # Custom only, PRICE_DECIMALS: written at deploy
    initial_ema: int | None = None
    initial_conf: int = 0
    weights: WeightConfig = WeightConfig()  # no weight rule unless [pools.custodies.weights]

    @property
    def tradeable(self) -> bool:
        return self.pricing.max_initial_leverage_bps > 0


@dataclass(frozen=True)
class StakingSpec:
    """The pool's stake pool: LP lock-ups paid from `reward_symbol`'s custody."""

    key: str
    reward_symbol: str
    junior_share_bps: int
    ladder: tuple[LockTier, ...]


@dataclass(frozen=True)
class TrancheSpec:
    """A senior tranche (`add_senior_tranche`, right after the pool is created, before any LP is
    issued): the senior target rate (BPS a year, simple), the coverage limit of junior withdrawals
    and the stricter one of senior deposits (BPS: senior NAV at most junior NAV x this / 10_000),
    and the senior capacity in USD base units (0: none)."""

    rate_bps: int
    max_senior_junior_ratio_bps: int
    senior_deposit_ratio_bps: int
    max_senior_usd: int = 0


@dataclass(frozen=True)
class PoolSpec:
    key: str
    name: str
    lp_cooldown_sec: int
    custodies: tuple[CustodySpec, ...]
    staking: StakingSpec | None = None
    tranches: TrancheSpec | None = None  # None: a pool without tranches (all LP is junior)

    def custody(self, symbol: str) -> CustodySpec | None:
        return next((c for c in self.custodies if c.symbol == symbol), None)


@dataclass(frozen=True)
class DeploySpec:
    source: str
    pools: tuple[PoolSpec, ...]
    rpc_url: str | None = None
    admin_keypair: str | None = None


# ---- reading ------------------------------------------------------------------------------------


def load(path: Path) -> DeploySpec:
    """Reads and checks a config file; SpecError lists every problem."""
    source = str(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError(source, ["no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(source, [f"cannot read it: {exc}"]) from None
    return parse_text(text, path.resolve().parent, source)


def parse_text(text: str, base: Path, source: str = "<config>") -> DeploySpec:
    """A config's TOML text -> DeploySpec (relative paths are relative to `base`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(source, [f"not valid TOML: {exc}"]) from None
    return parse(data, base, source)


def parse(data: dict[str, Any], base: Path, source: str = "<config>") -> DeploySpec:
    """`data` (a parsed TOML document) -> DeploySpec; relative paths are relative to `base`."""
    problems: list[str] = []
    root = _Table(data, "", problems)
    rpc_url = root.text("rpc_url")
    admin_keypair = root.text("admin_keypair")
    pools = tuple(p for p in (_pool(t, base) for t in root.tables("pools")) if p is not None)
    if "pools" not in root.data:
        problems.append("pools: no [[pools]] table: nothing to deploy")
    root.finish()
    names = [p.name for p in pools]
    for p in pools:
        if names.count(p.name) > 1:
            problems.append(f"{p.key}.name: pool {p.name!r} appears {names.count(p.name)} times")
    if problems:
        raise SpecError(source, problems)
    return DeploySpec(source, pools, rpc_url, admin_keypair)


def _pool(t: _Table, base: Path) -> PoolSpec | None:
    name = t.text("name")
    if name is None:
        t.problem("is required", t.path("name"))
    elif not 1 <= len(name.encode()) <= MAX_POOL_NAME_LEN:
        t.problem(f"must be 1 to {MAX_POOL_NAME_LEN} bytes, got {len(name.encode())}", t.path("name"))
    lp_cooldown_sec = t.integer("lp_cooldown_sec", DEFAULT_LP_COOLDOWN_SEC, 0, MAX_LP_COOLDOWN_SEC)
    has_tranches = t.raw("tranches") is not None  # read either way: a misplaced key's hint names the table
    tranches = _tranches(t.table("tranches")) if has_tranches else None
    tables = t.tables("custodies")
    if not tables:
        t.problem("has no [[pools.custodies]]: a pool needs at least one custody")
    elif len(tables) > MAX_CUSTODIES:
        t.problem(f"has {len(tables)} custodies; the program allows at most {MAX_CUSTODIES}", t.path("custodies"))
    custodies = tuple(c for c in (_custody(ct, base) for ct in tables) if c is not None)
    staking = _staking(t.table("staking")) if "staking" in t.data else None
    t.finish()
    mints = [c.mint.address for c in custodies]
    for c in custodies:
        if mints.count(c.mint.address) > 1:
            t.problem(f"mint {c.mint.address} is used by {mints.count(c.mint.address)} custodies of this pool",
                      c.key)
    if any(c.tradeable and not c.is_stable for c in custodies) and not any(c.is_stable for c in custodies):
        t.problem("has markets but no stable custody (is_stable = true) to hold their collateral")
    _check_staking(t, custodies, staking)
    _check_weights(t, custodies)
    if name is None or len(custodies) != len(tables):
        return None
    return PoolSpec(t.key, name, lp_cooldown_sec, custodies, staking, tranches)


def _staking(t: _Table) -> StakingSpec | None:
    problems_before = len(t.problems)
    reward = t.text("reward_custody")
    if reward is None:
        t.problem("is required: the symbol of the stable custody whose fees pay the stakers",
                  t.path("reward_custody"))
    share = t.integer("junior_share_bps", BPS_POWER, 0, BPS_POWER)
    tiers = t.tables("tiers")
    ladder = tuple(LockTier(tt.integer("duration_days", None, MIN_LOCK_DAYS, MAX_LOCK_DAYS),
                            tt.integer("multiplier_bps", None, BPS_POWER, MAX_LOCK_MULTIPLIER_BPS)) for tt in tiers)
    for tt in tiers:
        tt.finish()
    t.finish()
    if not ladder:
        t.problem("needs at least one [[pools.staking.tiers]]", t.path("tiers"))
    elif len(ladder) > MAX_LOCK_TIERS:
        t.problem(f"has {len(ladder)} tiers; the program allows at most {MAX_LOCK_TIERS}", t.path("tiers"))
    for i, tier in enumerate(ladder):
        key = f"{t.path('tiers')}[{i}]"
        if i > 0 and tier.duration_days <= ladder[i - 1].duration_days:
            t.problem(f"durations must increase: {tier.duration_days} after {ladder[i - 1].duration_days}",
                      f"{key}.duration_days")
        if i > 0 and tier.multiplier_bps < ladder[i - 1].multiplier_bps:
            t.problem(f"multipliers must not decrease: {tier.multiplier_bps} after {ladder[i - 1].multiplier_bps}",
                      f"{key}.multiplier_bps")
    if reward is None or len(t.problems) > problems_before:
        return None
    return StakingSpec(t.key, reward, share, ladder)


def _check_staking(t: _Table, custodies: tuple[CustodySpec, ...], staking: StakingSpec | None) -> None:
    """The reward custody is a stable custody of the pool, and no custody routes a stakers' share that
    nobody pays from."""
    reward = None
    if staking is not None:
        reward = next((c for c in custodies if c.symbol == staking.reward_symbol), None)
        if reward is None:
            t.problem(f"no custody of this pool has symbol {staking.reward_symbol!r}",
                      f"{staking.key}.reward_custody")
        elif not reward.is_stable:
            t.problem(f"{staking.reward_symbol} is not a stable custody: fees are paid in stable collateral",
                      f"{staking.key}.reward_custody")
    for c in custodies:
        if c.fees.staker_share_bps > 0 and c is not reward:
            where = "the stake pool pays from another custody" if staking else "the pool has no [pools.staking]"
            t.problem(f"routes a stakers' share but {where}: those rewards would be stranded",
                      f"{c.key}.fees.staker_share_bps")


def _check_weights(t: _Table, custodies: tuple[CustodySpec, ...]) -> None:
    """When any custody has a weight rule, the targets of the pool's custodies sum to 100 %."""
    if not any(c.weights.has_rule for c in custodies):
        return
    total = sum(c.weights.target_bps for c in custodies)
    if total != BPS_POWER:
        listed = ", ".join(f"{c.symbol} {c.weights.target_bps}" for c in custodies)
        t.problem(f"the custodies' weights.target_bps sum to {total}, not {BPS_POWER} ({listed}): each custody is "
                  "steered toward its own target, so targets that do not add up to 100 % tax every deposit",
                  t.path("custodies"))


def _tranches(t: _Table) -> TrancheSpec | None:
    """[pools.tranches]: the rate and both coverage limits required (no default risk terms), the
    capacity optional (0: none), within the program's bounds."""
    problems_before = len(t.problems)
    rate_bps = t.integer("rate_bps", None, 0, MAX_SENIOR_RATE_BPS)
    ratio_bps = t.integer("max_senior_junior_ratio_bps", None, 1, MAX_SENIOR_JUNIOR_RATIO_BPS)
    deposit_bps = t.integer("senior_deposit_ratio_bps", None, 1, MAX_SENIOR_JUNIOR_RATIO_BPS)
    max_senior_usd = t.integer("max_senior_usd", 0, 0, U64_MAX)
    t.finish()
    if len(t.problems) == problems_before and deposit_bps > ratio_bps:
        t.problem(f"must be at most max_senior_junior_ratio_bps ({ratio_bps}): senior deposits stop before "
                  "junior withdrawals do", t.path("senior_deposit_ratio_bps"))
    if len(t.problems) != problems_before:
        return None
    return TrancheSpec(rate_bps, ratio_bps, deposit_bps, max_senior_usd)


def _mint(t: _Table, base: Path) -> MintSpec | None:
    has_address, has_keypair = "mint" in t.data, "mint_keypair" in t.data
    if has_address and has_keypair:
        t.problem("has both `mint` and `mint_keypair`: choose one", t.path("mint_keypair"))
        return None
    if not has_address and not has_keypair:
        t.problem("needs `mint` (an existing mint) or `mint_keypair` (a mint to create)")
        return None
    if has_address:
        if "decimals" in t.data:
            t.raw("decimals")
            t.problem("only for a mint the deploy creates (mint_keypair): an existing mint has its own",
                      t.path("decimals"))
        address = t.pubkey("mint")
        return MintSpec(address) if address is not None else None
    keypair_file = t.text("mint_keypair")
    if keypair_file is None:
        return None
    path = (base / Path(keypair_file).expanduser()).resolve()
    try:
        keypair = Keypair.from_bytes(bytes(json.loads(path.read_text())))
    except FileNotFoundError:
        t.problem(f"no keypair file at {path}", t.path("mint_keypair"))
        return None
    except (OSError, ValueError, TypeError) as exc:
        t.problem(f"cannot read the keypair {path}: {exc}", t.path("mint_keypair"))
        return None
    return MintSpec(keypair.pubkey(), keypair, path, t.integer("decimals", DEFAULT_DECIMALS, 0, U8_MAX))


def _custody(t: _Table, base: Path) -> CustodySpec | None:
    problems_before = len(t.problems)
    symbol = t.text("symbol") or t.key
    mint = _mint(t, base)
    is_stable = t.boolean("is_stable", True)
    oracle, prices = _oracle(t.table("oracle"))
    fees = _config(t.table("fees"), FeeConfig)
    pricing = _config(t.table("pricing"), PricingConfig)
    borrow_rate = _config(t.table("borrow_rate"), BorrowRateConfig)
    weights = _config(t.table("weights"), WeightConfig)
    t.finish()
    for problem in weight_problems(weights):
        t.problem(problem, t.path("weights"))
    _check_fees(t.path("fees"), fees, t)
    _check_pricing(t.path("pricing"), pricing, fees, t)
    _check_borrow_rate(t.path("borrow_rate"), borrow_rate, t)
    if mint is None or len(t.problems) > problems_before:
        return None
    initial_price, initial_ema, initial_conf = prices
    return CustodySpec(t.key, symbol, mint, is_stable, oracle, fees, pricing, borrow_rate, initial_price,
                       initial_ema, initial_conf, weights)


def _config(t: _Table, cls: type[Any]) -> Any:
    """A FeeConfig / PricingConfig / BorrowRateConfig: each field from the table, else its default."""
    values: dict[str, Any] = {}
    defaults = cls()
    for f in fields(cls):
        default = getattr(defaults, f.name)
        values[f.name] = t.boolean(f.name, default) if isinstance(default, bool) else t.integer(f.name, default)
    t.finish()
    return cls(**values)


def _oracle(t: _Table) -> tuple[OracleConfig, tuple[int | None, int | None, int]]:
    kind = t.text("type", "Custom") or "Custom"
    if kind not in ORACLE_TYPES:
        t.problem(f"must be one of {', '.join(ORACLE_TYPES)}, got {kind!r}", t.path("type"))
    account = t.pubkey("account")
    authority = t.pubkey("authority")
    feed_text = t.text("feed_id")
    feed_id = bytes(32)
    if feed_text is not None:
        try:
            feed_id = bytes.fromhex(feed_text.removeprefix("0x"))
        except ValueError:
            feed_id = b""
        if len(feed_id) != 32:
            t.problem("must be 32 bytes as 64 hex digits", t.path("feed_id"))
            feed_id = bytes(32)
    config = OracleConfig(oracle_type=kind, oracle_authority=authority, oracle_account=account,
                          max_price_error_bps=t.integer("max_price_error_bps", 100, 0, BPS_POWER),
                          max_price_age_sec=t.integer("max_price_age_sec", 30, 1, U32_MAX), feed_id=feed_id)
    price, ema = t.price("initial_price"), t.price("initial_ema")
    conf = t.price("initial_conf", allow_zero=True) or 0
    if kind == "Pyth":
        if account is None:
            t.problem("a Pyth oracle needs `account` (its PriceUpdateV2 account)")
        if feed_text is None:
            t.problem("a Pyth oracle needs `feed_id` (the price feed id, 64 hex digits)")
        for name in ("authority", "initial_price", "initial_ema", "initial_conf"):
            if name in t.data:
                t.problem("only for a Custom oracle (Pyth prices come from Pyth)", t.path(name))
    elif kind == "Custom":
        for name in ("account", "feed_id"):
            if name in t.data:
                t.problem("only for a Pyth oracle (a Custom oracle's account is the custody's PDA)", t.path(name))
        if price is None and (ema is not None or "initial_conf" in t.data):
            t.problem("initial_ema and initial_conf need initial_price", t.path("initial_price"))
    t.finish()
    return config, (price, ema if ema is not None else price, conf)


# ---- the program's rules, each reported on the key it is about ----------------------------------


def _check_fees(key: str, f: FeeConfig, t: _Table) -> None:
    for field in fields(FeeConfig):
        value = getattr(f, field.name)
        if value > BPS_POWER:
            t.problem(f"must be at most {BPS_POWER} (100 %), got {value}", f"{key}.{field.name}")
    if f.liquidation_bps < f.close_position_bps:
        t.problem(f"must be at least close_position_bps ({f.close_position_bps}), got {f.liquidation_bps}",
                  f"{key}.liquidation_bps")
    shares = f.protocol_share_bps + f.insurance_share_bps + f.staker_share_bps
    if shares > BPS_POWER:
        t.problem(f"protocol_share_bps + insurance_share_bps + staker_share_bps must be at most {BPS_POWER}, got "
                  f"{shares}", f"{key}.insurance_share_bps")


def _check_pricing(key: str, p: PricingConfig, fees: FeeConfig, t: _Table) -> None:
    for name in ("trade_spread_long_bps", "trade_spread_short_bps"):
        if getattr(p, name) >= BPS_POWER:
            t.problem(f"must be below {BPS_POWER} (100 %), got {getattr(p, name)}", f"{key}.{name}")
    if p.min_initial_leverage_bps > p.max_initial_leverage_bps:
        t.problem(f"must be at most max_initial_leverage_bps ({p.max_initial_leverage_bps}), got "
                  f"{p.min_initial_leverage_bps}", f"{key}.min_initial_leverage_bps")
    if p.max_initial_leverage_bps > p.max_leverage_bps:
        t.problem(f"must be at most max_leverage_bps ({p.max_leverage_bps}, the maintenance leverage), got "
                  f"{p.max_initial_leverage_bps}", f"{key}.max_initial_leverage_bps")
    if p.max_initial_leverage_bps > 0 and p.max_payoff_mult_bps == 0:
        t.problem("must be above 0 for a tradeable market (max_initial_leverage_bps > 0)",
                  f"{key}.max_payoff_mult_bps")
    if p.max_utilization > RATE_POWER:
        t.problem(f"must be at most {RATE_POWER} (100 %), got {p.max_utilization}", f"{key}.max_utilization")
    if p.max_leverage_bps > 0:
        margin_bps = BPS_POWER * BPS_POWER // p.max_leverage_bps
        if fees.liquidator_reward_bps + fees.liquidation_bps > margin_bps:
            t.problem(f"the maintenance margin at this leverage ({margin_bps} bps of size) must cover "
                      f"fees.liquidation_bps + fees.liquidator_reward_bps "
                      f"({fees.liquidation_bps + fees.liquidator_reward_bps})", f"{key}.max_leverage_bps")


def _check_borrow_rate(key: str, b: BorrowRateConfig, t: _Table) -> None:
    if b.optimal_utilization >= RATE_POWER:
        t.problem(f"must be below {RATE_POWER} (100 %), got {b.optimal_utilization}", f"{key}.optimal_utilization")
    for name in ("base_rate", "slope1", "slope2"):
        if getattr(b, name) > RATE_POWER:
            t.problem(f"must be at most {RATE_POWER} (100 % per hour), got {getattr(b, name)}", f"{key}.{name}")
