"""The CLI's YAML config file (perp_pool.config, on PyYAML); offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from perp_pool import config

SOLANA_STYLE = """---
json_rpc_url: "https://api.devnet.solana.com"   # the cluster
websocket_url: ""
keypair_path: /home/me/.config/solana/id.json
address_labels:
  "11111111111111111111111111111111": System Program
commitment: confirmed
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text)
    return path


def test_a_solana_cli_style_file_is_read(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, SOLANA_STYLE))
    assert cfg.exists
    assert (cfg.json_rpc_url, cfg.keypair_path) == ("https://api.devnet.solana.com", "/home/me/.config/solana/id.json")


@pytest.mark.parametrize("text", ["", "---\n", "# nothing yet\n", "json_rpc_url:\nkeypair_path: ''\n"])
def test_empty_files_and_values_read_as_unset(tmp_path: Path, text: str) -> None:
    cfg = config.load(write(tmp_path, text))
    assert cfg.exists and cfg.json_rpc_url is None and cfg.keypair_path is None


def test_a_missing_file_is_not_an_error(tmp_path: Path) -> None:
    assert config.load(tmp_path / "absent.yml") == config.CliConfig(tmp_path / "absent.yml", False)


@pytest.mark.parametrize("text, says", [
    ('json_rpc_url: "http://unterminated\n', "line 2"),
    ("json_rpc_url: a: b\n", "line 1, column 16"),
    ("- a\n- b\n", "must be a mapping"),
    ("json_rpc_url: 8899\n", "json_rpc_url must be text"),
    ("keypair_path: [a, b]\n", "keypair_path must be text"),
])
def test_a_bad_config_says_where_and_what(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(config.ConfigError, match=f"cannot read config {path}") as info:
        config.load(path)
    assert says in str(info.value)


def test_set_values_rewrites_only_the_values_it_sets(tmp_path: Path) -> None:
    path = write(tmp_path, SOLANA_STYLE)
    cfg = config.set_values(path, {config.RPC_URL_KEY: "http://new:8899", config.KEYPAIR_KEY: "/keys/it's.json"})
    assert (cfg.json_rpc_url, cfg.keypair_path) == ("http://new:8899", "/keys/it's.json")
    assert path.read_text() == SOLANA_STYLE.replace('"https://api.devnet.solana.com"', '"http://new:8899"').replace(
        "/home/me/.config/solana/id.json", '"/keys/it\'s.json"')


def test_set_values_creates_the_file_and_appends_missing_keys(tmp_path: Path) -> None:
    path = tmp_path / "perp-pool" / "config.yml"
    config.set_values(path, {config.RPC_URL_KEY: "http://a:1"})
    cfg = config.set_values(path, {config.KEYPAIR_KEY: "/k/id.json"})
    assert path.read_text() == '---\njson_rpc_url: "http://a:1"\nkeypair_path: "/k/id.json"\n'
    assert (cfg.json_rpc_url, cfg.keypair_path) == ("http://a:1", "/k/id.json")


@pytest.mark.parametrize("text", ["json_rpc_url:\n", "json_rpc_url: ~ # unset\n", "json_rpc_url: |\n  old\nk: 1\n",
                                  "json_rpc_url:\n  nested: map\nk: 1\n", "{json_rpc_url: old, k: 1}\n"])
def test_set_values_replaces_any_kind_of_value(tmp_path: Path, text: str) -> None:
    cfg = config.set_values(write(tmp_path, text), {config.RPC_URL_KEY: "http://new:8899"})
    assert cfg.json_rpc_url == "http://new:8899"


def test_set_values_refuses_a_bad_file_and_leaves_it_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "- a list\n")
    with pytest.raises(config.ConfigError, match="cannot update config .*must be a mapping"):
        config.set_values(path, {config.RPC_URL_KEY: "http://new:8899"})
    assert path.read_text() == "- a list\n"
