"""``carbon-ledger community preview`` run as a real process (no database anywhere), and the
explanation of a household's amount in words."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from ledger.community.allocation import HouseholdBasis, allocate, parse_rule
from ledger.community.explain import explain, rule_in_words, yuan_of

CLI = Path(sys.executable).with_name("carbon-ledger")

RULE = {
    "retention_pct": 10,
    "low_income_pct": "5",
    "weights": {"per_capita": 50, "per_household": 30, "by_area": 20},
}
# The full roster's header, with personal columns the preview ignores (and does not check).
ROSTER = (
    "household_code,head_name,id_number,members,forest_area_mu,low_income,bank_account\n"
    "A,张三,not checked,2,1.00,0,x\n"
    "B,李四,,1,0.50,是,\n"
    "C,王五,,1,0.50,否,\n"
)


def run(tmp_path: Path, *args: str, roster: str = ROSTER, rule: object = RULE):
    (tmp_path / "roster.csv").write_bytes(b"\xef\xbb\xbf" + roster.encode("utf-8"))
    rule_text = rule if isinstance(rule, str) else json.dumps(rule)
    (tmp_path / "rule.json").write_text(rule_text, encoding="utf-8")
    # No database: point the settings at one that does not exist, and nothing may create it.
    env_db = tmp_path / "never" / "ledger.db"
    return subprocess.run(
        [
            str(CLI),
            "community",
            "preview",
            "--roster",
            str(tmp_path / "roster.csv"),
            "--rule",
            str(tmp_path / "rule.json"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "LEDGER_DATABASE_URL": f"sqlite:///{env_db}",
            "LEDGER_INSTANCE_PATH": str(tmp_path / "never"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
    )


def test_preview_prints_the_allocation(tmp_path):
    # T = 10.01 元 = 1,001 fen; keep 10 %: R = ⌊100.1⌋ = 100; D = 901; B is low-income:
    # P = ⌊901 × 5 %⌋ = ⌊45.05⌋ = 45; Q = 856.
    # One member: 856 × 50 % / 4 = 107; one household: 856 × 30 % / 3 = 85.6;
    # one mu: 856 × 20 % / 2.00 = 85.6 fen.
    # A: 2 × 107 + 85.6 + 1.00 × 85.6 = 385.2; B: 107 + 85.6 + 0.5 × 85.6 + 45 = 280.4;
    # C: 107 + 85.6 + 42.8 = 235.4. Floors 385 + 280 + 235 = 900, one fen left: B and C tie
    # at .4 (above A's .2), B's code comes first. A 385, B 281, C 235.
    done = run(tmp_path, "--amount", "10.01")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "total_fen": 1001,
        "retained_fen": 100,
        "low_income_fen": 45,
        "allocations": [
            {"household_code": "A", "amount_fen": 385},
            {"household_code": "B", "amount_fen": 281},
            {"household_code": "C", "amount_fen": 235},
        ],
    }
    assert not (tmp_path / "never").exists()


def test_preview_explains_in_words(tmp_path):
    done = run(tmp_path, "--amount", "10.01", "--explain")
    assert done.returncode == 0, done.stderr
    words = {a["household_code"]: a["explanation"] for a in json.loads(done.stdout)["allocations"]}
    assert words["B"] == (
        "1 人 × 每人 1.07 元 + 每户 0.856 元 + 0.50 亩 × 每亩 0.856 元 + 低收入户补助 0.45 元"
        " = 2.804 元；舍去分以下为 2.80 元，按尾数大小另得 0.01 元，实得 2.81 元"
    )
    assert words["A"].endswith("= 3.852 元；舍去分以下为 3.85 元")


@pytest.mark.parametrize(
    ("args", "roster", "rule", "said"),
    [
        (("--amount", "10.001"), ROSTER, RULE, "more than 2 decimal places"),
        (("--amount", "-5"), ROSTER, RULE, "zero or more"),
        (("--amount", "ten"), ROSTER, RULE, "is not a number"),
        (("--amount", "1"), ROSTER, "{not json", "not valid JSON"),
        (("--amount", "1"), ROSTER, {**RULE, "retention_pct": 101}, "retention_pct"),
        (("--amount", "1"), ROSTER, {**RULE, "weights": {"per_capita": 50}}, "missing"),
        (
            ("--amount", "1"),
            "household_code,members,forest_area_mu,low_income\nA,1,0,0\nA,x,0,2\n",
            RULE,
            "line 3",
        ),
        (
            ("--amount", "1"),
            "household_code,members,forest_area_mu,low_income\nA,0,0,0\n",
            RULE,
            "the roster's number of members is zero",
        ),
        (("--amount", "1"), "household_code,members\nA,1\n", RULE, "line 1"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, args, roster, rule, said):
    done = run(tmp_path, *args, roster=roster, rule=rule)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_every_bad_roster_line_is_printed(tmp_path):
    roster = "household_code,members,forest_area_mu,low_income\nA,-1,0,0\nB,1,0.001,0\nC,1,0,x\n"
    done = run(tmp_path, "--amount", "1", roster=roster)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith(
        "error: The roster has 3 bad lines and was not read; line 2: members"
    )
    assert lines[1].startswith("error: line 3: forest_area_mu")
    assert lines[2].startswith("error: line 4: low_income")


def test_a_missing_file_exits_2(tmp_path):
    done = subprocess.run(
        [
            str(CLI),
            "community",
            "preview",
            "--roster",
            str(tmp_path / "none.csv"),
            "--rule",
            str(tmp_path / "none.json"),
            "--amount",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "cannot read the roster" in done.stderr


# --- words -----------------------------------------------------------------------------------


def h(code, members=0, area="0", low=False):
    return HouseholdBasis(code, members, Decimal(area), low)


def test_exact_amounts_are_said_without_rounding():
    # 1,000 元 per capita over 9 members... 10,000 fen a member (see test_allocation).
    rule = parse_rule(
        {
            "retention_pct": "10",
            "low_income_pct": 0,
            "weights": {"per_capita": 100, "per_household": 0, "by_area": 0},
        }
    )
    result = allocate(100_000, rule, [h("A", 3), h("B", 2), h("C", 4)])
    assert explain(result, result.allocations[0]) == "3 人 × 每人 100.00 元 = 300.00 元"
    assert explain(result, result.allocations[0], "en") == (
        "3 members × CNY 100.00 each = CNY 300.00"
    )


def test_a_rounded_rate_is_said_to_be_about():
    # 100 fen by area over 1 + 2 mu: a mu is worth 33.33… fen: "约 0.3333 元".
    rule = parse_rule(
        {
            "retention_pct": 0,
            "low_income_pct": 0,
            "weights": {"per_capita": 0, "per_household": 0, "by_area": 100},
        }
    )
    result = allocate(100, rule, [h("A", area="1"), h("B", area="2")])
    assert explain(result, result.allocations[1]) == (
        "2 亩 × 每亩 0.3333 元 = 约 0.6667 元；舍去分以下为 0.66 元，按尾数大小另得 0.01 元，"
        "实得 0.67 元"
    )
    assert explain(result, result.allocations[0], "en") == (
        "1 mu × CNY 0.3333 per mu = about CNY 0.3333; rounded down to the fen: CNY 0.33"
    )


def test_yuan_of():
    # Whole fen: to the fen. Otherwise to a hundredth of a fen, half up, zeros dropped.
    assert yuan_of(Fraction(4084500)) == ("40,845.00 元", True)
    assert yuan_of(Fraction(24777, 100)) == ("2.4777 元", True)  # 247.77 fen
    assert yuan_of(Fraction(2477750, 10000)) == ("2.4778 元", False)  # 247.775 fen
    assert yuan_of(Fraction(2477750, 100)) == ("247.775 元", True)  # 24,777.5 fen
    assert yuan_of(Fraction(123456789, 100)) == ("12,345.6789 元", True)
    assert yuan_of(Fraction(1, 3)) == ("0.0033 元", False)
    assert yuan_of(Fraction(1, 2), "en") == ("CNY 0.005", True)


def test_rule_in_words():
    rule = parse_rule(RULE | {"notice_days": 10})
    assert rule_in_words(rule) == (
        "集体留存 10%；其余部分的 5% 由低收入户平分；"
        "余下按人口 50%、按户 30%、按林地面积 20% 分配到户；"
        "分以下尾数按大小依次补足，尾数相同按户号顺序。公示期不少于 10 天。"
    )
    plain = parse_rule(
        {
            "retention_pct": "0",
            "low_income_pct": "0",
            "weights": {"per_capita": "100", "per_household": "0", "by_area": "0"},
        }
    )
    assert rule_in_words(plain).startswith("集体留存 0%；其余按人口 100% 分配到户；")
    assert rule_in_words(plain, "en").startswith(
        "The collective keeps 0%; the rest goes to households 100% by members;"
    )
