"""``carbon-ledger judicial assess`` run as a real process: no database, Chinese species and
volume types, the arithmetic as text or JSON, and ``error: …`` with exit 2 on every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.judicial import assessment as A

CLI = Path(sys.executable).with_name("carbon-ledger")


def run_db(*args: str, db_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "judicial", "assess", "--db", db_url, *args],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )


def test_a_method_the_log_records_is_read_from_the_database(engine, db_url):
    from ledger.judicial import services
    from ledger.judicial.methods import load_method

    data = load_method().to_json()
    data.update(
        name="南靖 2022 试行", version="1", approved_by="南靖县林业局", approved_on="2022-03-01"
    )
    data["pools"] = [{"code": "soil", "name": "土壤", "factor": "0.15", "source": "test"}]
    seq = services.record_method(engine, A.Method.from_json(data), actor="test:admin")
    result = run_db(
        "--method", "南靖 2022 试行", "--item", "桉树:5.311:立木蓄积", "--json", db_url=db_url
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # 9.11284300125045 t × (1 + 0.15) = 10.4797694514380175 t → 10,480 kg
    assert (out["method"], out["version"], out["method_seq"], out["loss_kg"]) == (
        "南靖 2022 试行",
        "1",
        seq,
        10480,
    )
    text = run_db("--method", "南靖 2022 试行", "--item", "桉树:5.311:立木蓄积", db_url=db_url)
    assert text.stdout.startswith(f"南靖 2022 试行 1（日志第 {seq} 号记录）：")
    missing = run_db("--method", "福建 2022", "--item", "杉木:1:材积", db_url=db_url)
    assert missing.returncode == 2
    assert "no recorded assessment method '福建 2022'" in missing.stderr


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # No database: the URL points at a file that does not exist in an empty folder, and the
    # command must not create it.
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    result = subprocess.run(
        [str(CLI), "judicial", "assess", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert not (tmp_path / "none.db").exists()
    return result


def test_json_output_for_several_items_of_both_volume_types(tmp_path):
    result = run(
        "--item", "桉树:5.311:立木蓄积", "--item", "杉木:10:材积", "--json", tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["method"] == "AR-CM-001 defaults"
    assert out["version"] == "2022.1"
    # 9.11284300125045 + 11.917447408533… = 21.03029040978378… t → 21,030 kg
    assert out["loss_kg"] == 21030
    assert out["loss_t"] == "21.03"
    assert [i["species"] for i in out["items"]] == ["桉树", "杉木"]
    assert [i["volume_type"] for i in out["items"]] == ["standing", "timber"]
    assert out["items"][0]["tree_co2_t"] == "9.11284300125045"
    assert out["items"][1]["carbon_t"] == "3.2502129296"
    assert out["items"][0]["given"] == {
        "type": "stock",
        "species": "桉树",
        "volume_m3": "5.311",
        "volume_type": "standing",
    }


def test_text_output_prints_the_arithmetic(tmp_path):
    result = run("--item", "马尾松:2.5:立木蓄积", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("AR-CM-001 defaults 2022.1：")
    assert lines[1] == (
        "1. 马尾松 立木蓄积 2.5 m³ × 0.380 × 1.472 × (1 + 0.187) × 0.460 × 44/12 ≈ 2.7997 t"
    )
    assert lines[2] == "合计 ≈ 2.799699 t，四舍五入至千克：2800 kg（2.80 吨）"


def test_bamboo_report_and_valuation(tmp_path):
    out = json.loads(
        run(
            "--assessed",
            "毛竹:1.25:按株数估算",
            "--item",
            "杉木:10:立木蓄积",
            "--json",
            tmp_path=tmp_path,
        ).stdout
    )
    assert (out["loss_kg"], out["loss_t"]) == (13167, "13.17")
    assert [i["type"] for i in out["items"]] == ["stock", "assessed"]  # items first
    assert out["items"][1]["note"] == "按株数估算"
    out = json.loads(
        run("--report", "47.07:南靖 2022 鉴定意见", "--json", tmp_path=tmp_path).stdout
    )
    assert (out["loss_kg"], out["loss_t"]) == (47070, "47.07")
    out = json.loads(run("--valued", "1000:15.70:交易价", "--json", tmp_path=tmp_path).stdout)
    assert out["loss_kg"] == 63694  # 1,000 ÷ 15.70 = 63.6942675… t


def test_a_method_file(tmp_path):
    from ledger.judicial.methods import load_method

    data = load_method().to_json()
    data.update(version="test-1")
    data["pools"] = [{"code": "soil", "name": "土壤", "factor": "0.15", "source": "test"}]
    path = tmp_path / "method.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = json.loads(
        run(
            "--method-file", str(path), "--item", "桉树:5.311:立木蓄积", "--json", tmp_path=tmp_path
        ).stdout
    )
    # 9.11284300125045 × 1.15 = 10.4797694514380175 t → 10,480 kg
    assert (out["version"], out["loss_kg"]) == ("test-1", 10480)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--item", "毛竹:3:立木蓄积"), "--assessed 毛竹:TONNES"),
        (("--item", "银杏:3:立木蓄积"), "has no species '银杏'"),
        (("--item", "杉木:0:立木蓄积"), "0 is not above zero"),
        (("--item", "杉木:100001:立木蓄积"), "above the limit of 100,000"),
        (("--item", "杉木:12.5"), "SPECIES:VOLUME:VOLUME_TYPE"),
        (("--item", "杉木:12.5:出材量"), "立木蓄积 (standing volume) or 材积"),
        (("--report", "10:r", "--item", "杉木:1:材积"), "count it twice"),
        ((), "give at least one --item"),
        (("--method", "Fujian 2022", "--item", "杉木:1:材积"), "no database at"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args, says, tmp_path):
    result = run(*args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert says in result.stderr
