"""The written-out error classes (client/perp_pool/_errors_generated.py) match what the generator
makes from the committed IDL, and Anchor's table in the generator matches anchorpy's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from anchorpy.error import LangErrorMessage

from perp_pool import errors
from perp_pool.idl import idl_dict

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "scripts" / "gen-py-errors.py"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_py_errors", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_errors_module_is_fresh() -> None:
    gen = generator()
    wanted = gen.render(json.loads(gen.IDL_PATH.read_text()))
    assert gen.OUTPUT_PATH.read_text() == wanted, "stale: run scripts/gen-py-errors.py"


def test_check_mode_passes_when_fresh_and_fails_with_a_diff_when_stale(tmp_path: Path, capsys) -> None:
    gen = generator()
    assert gen.main(["--check"]) == 0
    idl = idl_dict()
    changed = {**idl, "errors": [*idl["errors"], {"code": 9999, "name": "BrandNewError", "msg": "new"}]}
    (tmp_path / "idl.json").write_text(json.dumps(changed))
    assert gen.main(["--check", "--idl", str(tmp_path / "idl.json")]) == 1
    assert "+class BrandNewError(PerpPoolError):" in capsys.readouterr().out


def test_anchor_table_is_anchorpys() -> None:
    gen = generator()
    assert [(name, code, msg) for name, code, msg in gen.ANCHOR_LANG_ERRORS] == [
        (code.name, int(code), msg) for code, msg in LangErrorMessage.items()]  # type: ignore[attr-defined]


def test_every_table_entry_is_importable_from_errors_by_its_name() -> None:
    for table, base in ((errors.PROGRAM_ERRORS, errors.PerpPoolError), (errors.ANCHOR_ERRORS, errors.AnchorError),
                        (errors.TOKEN_ERRORS, errors.TokenError)):
        for code, cls in table.items():
            assert getattr(errors, cls.__name__) is cls is errors.error_class(cls.__name__)
            assert issubclass(cls, base) and cls.code == code and cls.__module__ == "perp_pool.errors"
    assert [(e["code"], e["name"], e["msg"]) for e in idl_dict()["errors"]] == [
        (code, cls.__name__, cls.msg) for code, cls in errors.PROGRAM_ERRORS.items()]
