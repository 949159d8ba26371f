"""The verifiable inspection draw: determinism, bad input, conflict rules, weighting, verify()
and the offline verifier command. Pure: no database."""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import math
import random
from collections import Counter
from pathlib import Path

import pytest
import typer
from hypothesis import event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backend.inspections.draw import (
    DEFAULT_WEIGHTS,
    DrawError,
    Inspector,
    PlanFormatError,
    Target,
    assign_inspectors,
    canonical_json,
    check_seed,
    commitment,
    draw_targets,
    inspector_score,
    plan_document,
    population_hash,
    run_draw,
    target_key,
    uniform,
    verify,
)
from backend.inspections.verify_cli import verify_draw

# the worked example of docs/draw.md: keep the two in step
SEED = "3f9c2a7e51d04b8c9e6f1a2b3c4d5e6f"
TARGETS = [Target("T01", "A"), Target("T02", "B"), Target("T03", "C"),
           Target("T04", "D"), Target("T05", "A"), Target("T06", "C")]
INSPECTORS = [Inspector(c) for c in ("I1", "I2", "I3", "I4", "I5")]
CONFLICTS = [("I2", "T05")]
LAST = {"T01": ["I1"]}


def example_plan() -> dict:
    return plan_document(SEED, TARGETS, 3, None, INSPECTORS, 2, CONFLICTS, LAST)


def big_population(n_per_level: int = 50) -> list[Target]:
    return [Target(f"{risk}{i:03d}", risk) for risk in "ABCD" for i in range(n_per_level)]


# --- the specification, byte for byte ------------------------------------------------------


def test_worked_example_matches_the_documentation() -> None:
    assert canonical_json([[t.code, t.risk] for t in TARGETS]) == (
        b'[["T01","A"],["T02","B"],["T03","C"],["T04","D"],["T05","A"],["T06","C"]]'
    )
    assert population_hash(TARGETS) == "c36a027eef5d424ccf7e094c0266c86f18230a6c98ff25a940873e6da69938e4"
    assert commitment(SEED) == "3cb4891e8676d97f54002700fd4714a833133f79939c321dc1fa5b98726a6be1"
    assert uniform(SEED, "T05") == 2606785262821454.5 / 2**52
    assert target_key(SEED, "T05", 4.0) == pytest.approx(-0.1366898080265617, abs=1e-15)
    draw = run_draw(SEED, TARGETS, 3, None, INSPECTORS, 2, CONFLICTS, LAST)
    assert draw.drawn == ["T05", "T01", "T06"]
    assert draw.assignments == {"T05": ["I1", "I4"], "T01": ["I3", "I2"], "T06": ["I5", "I2"]}
    assert format(inspector_score(SEED, "T01", "I3"), "064x").startswith("ff61253be3b20823")


def test_documented_plan_is_the_example_and_verifies() -> None:
    text = (Path(__file__).parents[2] / "docs" / "draw.md").read_text(encoding="utf-8")
    published = json.loads(text.split("```json\n")[1].split("```")[0])
    assert published == example_plan()
    assert verify(published) == []


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": [1, "临淄"], "a": "x\ny"}) == '{"a":"x\\ny","b":[1,"临淄"]}'.encode()


def test_uniform_is_the_documented_hmac_formula_and_strictly_inside_0_1() -> None:
    for code in ("T01", "临淄-001", ""):
        mac = hmac.new(SEED.encode(), b"target:" + code.encode(), hashlib.sha256).digest()
        m = int.from_bytes(mac, "big") >> 204  # the top 52 bits
        assert uniform(SEED, code) == (m + 0.5) / 2**52
    assert 0 < (0 + 0.5) / 2**52 and (2**52 - 1 + 0.5) / 2**52 < 1  # the extremes are exact


def test_log_key_orders_like_the_power_key() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        (u1, u2), (w1, w2) = sorted([rng.random(), rng.random()]), (rng.uniform(0.1, 8), rng.uniform(0.1, 8))
        if abs(u1 ** (1 / w1) - u2 ** (1 / w2)) > 1e-12:
            assert (math.log(u1) / w1 < math.log(u2) / w2) == (u1 ** (1 / w1) < u2 ** (1 / w2))


def test_population_order_does_not_matter_but_duplicates_do() -> None:
    assert population_hash(reversed(TARGETS)) == population_hash(TARGETS)
    assert draw_targets(SEED, list(reversed(TARGETS)), 3) == draw_targets(SEED, TARGETS, 3)
    with pytest.raises(ValueError, match="duplicate target codes.*T01"):
        draw_targets(SEED, [*TARGETS, Target("T01", "B")], 2)


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_same_draw_different_seed_different_draw() -> None:
    pop = big_population()
    a = draw_targets("seed-one", pop, 20, DEFAULT_WEIGHTS)
    assert draw_targets("seed-one", list(reversed(pop)), 20, DEFAULT_WEIGHTS) == a
    assert len(a) == len(set(a)) == 20
    assert draw_targets("seed-two", pop, 20, DEFAULT_WEIGHTS) != a
    ins = [Inspector(f"I{i:02d}") for i in range(12)]
    one = run_draw("seed-one", pop, 20, None, ins, 2)
    assert one == run_draw("seed-one", pop, 20, None, ins[::-1], 2)
    assert one.assignments != run_draw("seed-two", pop, 20, None, ins, 2).assignments


# --- bad input -------------------------------------------------------------------------------


def test_seed_must_match_its_commitment() -> None:
    check_seed(SEED, commitment(SEED))
    check_seed(SEED, commitment(SEED).upper())
    with pytest.raises(DrawError, match="the seed does not match the published commitment"):
        check_seed(SEED + "x", commitment(SEED))


def test_sample_larger_than_population_names_both_numbers() -> None:
    with pytest.raises(DrawError, match=r"sample of 7 is larger than the population of 6"):
        draw_targets(SEED, TARGETS, 7)
    for bad in (0, -1):
        with pytest.raises(DrawError, match="positive"):
            draw_targets(SEED, TARGETS, bad)


def test_unknown_risk_level_and_bad_weights() -> None:
    with pytest.raises(DrawError, match="no weight for risk level.*E"):
        draw_targets(SEED, [*TARGETS, Target("T07", "E")], 2)
    with pytest.raises(DrawError, match="no weight for risk level.*D"):
        draw_targets(SEED, TARGETS, 2, {"A": 3, "B": 2, "C": 1})
    with pytest.raises(DrawError, match="weight of risk level B must be a positive number"):
        draw_targets(SEED, TARGETS, 2, {**DEFAULT_WEIGHTS, "B": 0})


def test_too_few_eligible_inspectors_names_target_and_shortfall() -> None:
    shortfall = r"target T05 needs 2 inspectors, 1 eligible \(3 excluded by conflicts or last inspection\)"
    with pytest.raises(DrawError, match=shortfall):
        assign_inspectors(SEED, ["T01", "T05"], INSPECTORS[:4], 2,
                          [("I1", "T05"), ("I2", "T05")], {"T05": ["I3"]})
    with pytest.raises(DrawError, match="at least 2 inspectors"):
        assign_inspectors(SEED, ["T01"], INSPECTORS, 1)
    with pytest.raises(DrawError, match="duplicate inspector codes: I1"):
        assign_inspectors(SEED, ["T01"], [*INSPECTORS, Inspector("I1")], 2)


# --- conflict rules and balance, over many draws ---------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    n_targets = draw(st.integers(1, 25))
    targets = [Target(f"T{i:02d}", draw(st.sampled_from("ABCD"))) for i in range(n_targets)]
    inspectors = [f"I{i:02d}" for i in range(draw(st.integers(2, 12)))]
    pairs = st.tuples(st.sampled_from(inspectors), st.sampled_from([t.code for t in targets]))
    conflicts = draw(st.lists(pairs, max_size=15))
    last = draw(st.dictionaries(st.sampled_from([t.code for t in targets]),
                                st.lists(st.sampled_from(inspectors), max_size=3), max_size=8))
    return {
        "seed": draw(st.text(min_size=1, max_size=20)),
        "targets": targets,
        "sample_size": draw(st.integers(1, n_targets)),
        "inspectors": [Inspector(c) for c in inspectors],
        "per_target": draw(st.integers(2, 3)),
        "conflicts": conflicts,
        "last_inspected": last,
    }


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_conflict_rules_and_balanced_load_hold_in_every_draw(s: dict) -> None:
    excluded = {t.code: set(s["last_inspected"].get(t.code, ())) for t in s["targets"]}
    for i, t in s["conflicts"]:
        excluded[t].add(i)
    codes = {i.code for i in s["inspectors"]}
    try:
        draw = run_draw(s["seed"], s["targets"], s["sample_size"], None, s["inspectors"],
                        s["per_target"], s["conflicts"], s["last_inspected"])
    except DrawError as e:
        event("shortfall")
        # the only legitimate failure: some drawn target really lacks eligible inspectors
        drawn = draw_targets(s["seed"], s["targets"], s["sample_size"])
        short = [t for t in drawn if len(codes - excluded[t]) < s["per_target"]]
        assert short and f"target {short[0]} needs {s['per_target']} inspectors" in str(e)
        return
    assert list(draw.assignments) == draw.drawn
    for target, assigned in draw.assignments.items():
        assert len(assigned) == len(set(assigned)) == s["per_target"]
        assert set(assigned) <= codes
        assert not set(assigned) & excluded[target], "a conflicted or last-time inspector was assigned"
    load = Counter(i for assigned in draw.assignments.values() for i in assigned)
    everywhere = [i for i in codes if all(i not in excluded[t] for t in draw.drawn)]
    if everywhere:
        loads = [load[i] for i in everywhere]
        assert max(loads) - min(loads) <= 1
    # without any exclusions, every inspector's load is within one of every other's
    free = run_draw(s["seed"], s["targets"], s["sample_size"], None, s["inspectors"], s["per_target"])
    free_load = Counter(i for assigned in free.assignments.values() for i in assigned)
    assert max(free_load[i] for i in codes) - min(free_load[i] for i in codes) <= 1
    assert verify(plan_document(s["seed"], s["targets"], s["sample_size"], None, s["inspectors"],
                                s["per_target"], s["conflicts"], s["last_inspected"], draw)) == []


# --- the weighting works ---------------------------------------------------------------------


def expected_shares(
    counts: dict[str, int], weights: dict[str, float], k: int, trials: int
) -> dict[str, float]:
    """Monte Carlo with an independent generator: sequential weighted sampling without
    replacement (draw one item with probability proportional to its weight, remove it, repeat),
    which has the same distribution as Efraimidis–Spirakis. Items of one level are exchangeable,
    so it is enough to draw the level, with probability n_level * w_level / total."""
    rng = random.Random(20261123)
    levels = sorted(counts)
    hits = Counter()
    for _ in range(trials):
        left = dict(counts)
        for _ in range(k):
            level = rng.choices(levels, weights=[left[lv] * weights[lv] for lv in levels])[0]
            left[level] -= 1
            hits[level] += 1
    return {lv: hits[lv] / (trials * k) for lv in levels}


def exact_share(counts: dict[str, int], weights: dict[str, float], k: int, level: str) -> float:
    """The same expectation exactly, by recursion over how many of each level are left."""

    @functools.cache
    def hits(left: tuple[int, ...], k: int) -> float:
        if k == 0:
            return 0.0
        total = sum(n * weights[lv] for lv, n in zip(levels, left, strict=True))
        return sum(
            n * weights[lv] / total * ((lv == level) + hits(left[:j] + (n - 1,) + left[j + 1:], k - 1))
            for j, (lv, n) in enumerate(zip(levels, left, strict=True)) if n
        )

    levels = sorted(counts)
    return hits(tuple(counts[lv] for lv in levels), k) / k


def test_high_risk_share_matches_its_expected_value() -> None:
    pop = big_population(50)  # 50 each of A, B, C, D
    drawn = Counter()
    for i in range(400):
        drawn.update(code[0] for code in draw_targets(f"weights-{i}", pop, 20, DEFAULT_WEIGHTS))
    observed = {lv: drawn[lv] / (400 * 20) for lv in "ABCD"}
    expected = expected_shares(dict.fromkeys("ABCD", 50), DEFAULT_WEIGHTS, 20, 20_000)
    # about 0.52 for A against 0.25 unweighted; the tolerance is some 3.5 standard errors
    assert abs(expected["A"] - exact_share(dict.fromkeys("ABCD", 50), DEFAULT_WEIGHTS, 20, "A")) < 0.005
    for lv in "ABCD":
        assert abs(observed[lv] - expected[lv]) <= 0.02, (lv, observed, expected)
    assert observed["A"] > observed["B"] > observed["C"] > observed["D"]


# --- verify() and tampering ------------------------------------------------------------------


def test_verify_accepts_the_untouched_document_and_its_json_round_trip() -> None:
    plan = example_plan()
    assert verify(plan) == []
    assert verify(json.loads(json.dumps(plan))) == []
    assert verify(json.loads(canonical_json(plan))) == []


def tampered(change) -> list[str]:
    plan = copy.deepcopy(example_plan())
    change(plan)
    return verify(plan)


def test_verify_reports_a_changed_seed() -> None:
    problems = tampered(lambda p: p.update(seed=p["seed"] + "0"))
    assert any("does not match the published commitment" in p for p in problems)
    assert any("drawn targets" in p for p in problems)


def test_verify_reports_a_changed_drawn_list() -> None:
    problems = tampered(lambda p: p["drawn"].__setitem__(2, "T02"))
    assert problems == [
        "the drawn targets: published ['T05', 'T01', 'T02'], recomputed ['T05', 'T01', 'T06'] "
        "(missing ['T06'], unexpected ['T02'])"
    ]
    assert any("different order" in p for p in tampered(lambda p: p["drawn"].reverse()))


def test_verify_reports_a_reordered_or_changed_population() -> None:
    assert tampered(lambda p: p["population"].reverse()) == [
        "the population is not in code order, as it is published"
    ]
    problems = tampered(lambda p: p["population"][1].__setitem__(1, "A"))
    assert any(p.startswith("the population hash is") for p in problems)


def test_verify_reports_a_changed_assignment() -> None:
    problems = tampered(lambda p: p["assignments"].__setitem__("T05", ["I1", "I2"]))
    assert problems == ["the inspectors of T05: published ['I1', 'I2'], recomputed ['I1', 'I4'] "
                        "(missing ['I4'], unexpected ['I2'])"]
    assert tampered(lambda p: p["assignments"].pop("T06"))[0].startswith("no assignment is published for")
    # a conflict removed from the published inputs changes the recomputation, not the stored result
    assert tampered(lambda p: p.update(conflicts=[])) != []


def test_verify_rejects_documents_that_are_not_plans() -> None:
    with pytest.raises(PlanFormatError, match="lacks seed"):
        verify({k: v for k, v in example_plan().items() if k != "seed"})
    with pytest.raises(PlanFormatError, match="sampleSize must be a whole number"):
        verify({**example_plan(), "sampleSize": "3"})
    with pytest.raises(PlanFormatError, match="version"):
        verify({**example_plan(), "version": 2})


# --- the offline verifier command ------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(verify_draw)
    app.command("noop")(lambda: None)  # two commands, so the name is part of the call as in wangge
    return app


@pytest.mark.parametrize(
    ("content", "code", "says"),
    [
        (lambda: json.dumps(example_plan()), 0, "verified: the draw matches"),
        (lambda: json.dumps({**example_plan(), "seed": "x"}), 1, "does not match the published commitment"),
        (lambda: "{not json", 2, "is not valid JSON"),
        (lambda: '{"version": 1, "seed": NaN}', 2, "is not valid JSON"),
        (lambda: json.dumps({"version": 1}), 2, "is not a plan document: the plan lacks populationHash"),
        (lambda: "[]", 2, "is not a plan document"),
    ],
)
def test_verify_draw_command(tmp_path: Path, content, code: int, says: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content(), encoding="utf-8")
    result = CliRunner().invoke(cli(), ["verify-draw", str(path)])
    assert result.exit_code == code, result.output
    assert says in result.output


def test_verify_draw_command_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["verify-draw", str(tmp_path / "absent.json")])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_wangge_verify_draw_is_registered(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from backend.cli import app
    from backend.inspections.draw import Inspector, Target, plan_document

    targets = [Target(f"T{i:02d}", "ABCD"[i % 4]) for i in range(12)]
    doc = plan_document("seed", targets, 4, None, [Inspector(f"I{k}") for k in range(5)], 2)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    assert CliRunner().invoke(app, ["verify-draw", str(path)]).exit_code == 0
    doc["drawn"].reverse()
    path.write_text(json.dumps(doc))
    assert CliRunner().invoke(app, ["verify-draw", str(path)]).exit_code == 1
