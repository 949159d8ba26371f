"""The verifiable random inspection draw (双随机): which targets, and which inspectors on each.

Pure and database-free, so that the server, `wangge verify-draw` and anyone with the published
plan compute the same thing. docs/draw.md specifies every byte; change nothing here without
changing it there (and the plan's "version").
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VERSION = 1
DEFAULT_WEIGHTS: dict[str, float] = {"A": 4.0, "B": 2.0, "C": 1.0, "D": 0.5}
MIN_PER_TARGET = 2  # 双随机: never fewer than two inspectors on a target

Conflicts = Iterable[tuple[str, str]]  # (inspector code, target code)
LastInspected = Mapping[str, Iterable[str]]  # target code -> inspector codes of its last inspection


class DrawError(ValueError):
    """The draw cannot be made (or recomputed) from these inputs."""


class PlanFormatError(DrawError):
    """A plan document that is not a version-1 plan: a missing key or a value of the wrong type."""


@dataclass(frozen=True)
class Target:
    code: str
    risk: str  # "A".."D" (A highest risk); a plan's weights may name other levels


@dataclass(frozen=True)
class Inspector:
    code: str


@dataclass(frozen=True)
class Draw:
    drawn: list[str]  # target codes, best key first
    assignments: dict[str, list[str]]  # target code -> inspector codes, in draw order
    population_hash: str
    seed_commitment: str


def canonical_json(obj: Any) -> bytes:
    """The byte form everything is hashed over: sorted keys, no spaces, UTF-8, no \\u escapes."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def population(targets: Iterable[Target]) -> list[Target]:
    """The population in its canonical order (by code, i.e. by Unicode code point)."""
    ordered = sorted(targets, key=lambda t: t.code)
    for t in ordered:
        if not isinstance(t.code, str) or not t.code or not isinstance(t.risk, str):
            raise DrawError(f"a target needs a non-empty code and a risk level, not {t!r}")
    dupes = sorted({a.code for a, b in zip(ordered, ordered[1:], strict=False) if a.code == b.code})
    if dupes:
        raise DrawError(f"duplicate target codes in the population: {', '.join(dupes)}")
    return ordered


def population_hash(targets: Iterable[Target]) -> str:
    return hashlib.sha256(canonical_json([[t.code, t.risk] for t in population(targets)])).hexdigest()


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def check_seed(seed: str, seed_commitment: str) -> None:
    # compare_digest: the commitment is public, but there is no reason to leak timing either
    if not hmac.compare_digest(commitment(seed), seed_commitment.strip().lower()):
        raise DrawError("the seed does not match the published commitment")


def _mac(seed: str, message: bytes) -> bytes:
    return hmac.new(seed.encode("utf-8"), message, hashlib.sha256).digest()


def uniform(seed: str, target_code: str) -> float:
    """u in (0, 1) from the first 52 bits of HMAC-SHA256(seed, "target:" + code).

    (m + 0.5) / 2**52 with m < 2**52 is exactly representable as a double, so every language
    gets the same u bit for bit; converting all 256 bits to a double would need big-integer
    rounding that languages do differently, and could round up to exactly 1.0.
    """
    m = int.from_bytes(_mac(seed, b"target:" + target_code.encode("utf-8"))[:8], "big") >> 12
    return (2 * m + 1) / 2**53


def target_key(seed: str, target_code: str, weight: float) -> float:
    """Efraimidis–Spirakis key ln(u) / w: the same order as u ** (1 / w), larger is better.

    The log form because u ** (1 / w) underflows and its pow() rounds differently across
    languages; ln is IEEE-754 double math.log, then one correctly rounded division.
    """
    return math.log(uniform(seed, target_code)) / weight


def _weights(targets: Sequence[Target], weights: Mapping[str, float] | None) -> dict[str, float]:
    given = DEFAULT_WEIGHTS if weights is None else weights
    checked: dict[str, float] = {}
    for level, w in given.items():
        try:
            wf = float(w) if not isinstance(w, bool) else math.nan
        except (TypeError, ValueError, OverflowError):
            wf = math.nan
        if not (math.isfinite(wf) and wf > 0):
            raise DrawError(f"the weight of risk level {level} must be a positive number, not {w!r}")
        checked[level] = wf
    unknown = sorted({t.risk for t in targets} - checked.keys())
    if unknown:
        raise DrawError(f"no weight for risk level(s) {', '.join(unknown)}")
    return checked


def population_weights(targets: Sequence[Target], weights: Mapping[str, float] | None
                       ) -> dict[str, float]:
    """The checked weights (DrawError for a missing or non-positive one): what a plan is
    checked with before it is published."""
    return _weights(targets, weights)


def draw_targets(
    seed: str, targets: Iterable[Target], sample_size: int, weights: Mapping[str, float] | None = None
) -> list[str]:
    """Weighted sampling without replacement: the sample_size largest keys, best first."""
    pop = population(targets)
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size <= 0:
        raise DrawError(f"the sample size must be a positive whole number, not {sample_size!r}")
    if sample_size > len(pop):
        raise DrawError(f"a sample of {sample_size} is larger than the population of {len(pop)}")
    w = _weights(pop, weights)
    # ties in the key (practically never) go to the smaller code, so the order is total
    ranked = sorted(pop, key=lambda t: (-target_key(seed, t.code, w[t.risk]), t.code))
    return [t.code for t in ranked[:sample_size]]


def inspector_score(seed: str, target_code: str, inspector_code: str) -> int:
    """HMAC-SHA256(seed, "inspector:" + target + ":" + inspector) as a big-endian integer."""
    msg = b"inspector:" + target_code.encode("utf-8") + b":" + inspector_code.encode("utf-8")
    return int.from_bytes(_mac(seed, msg), "big")


def assign_inspectors(
    seed: str,
    drawn_codes: Sequence[str],
    inspectors: Sequence[Inspector],
    per_target: int,
    conflicts: Conflicts = (),
    last_inspected: LastInspected | None = None,
) -> dict[str, list[str]]:
    """For each target in draw order, the per_target eligible inspectors ranked first by
    (load so far ascending, score descending, code ascending)."""
    if isinstance(per_target, bool) or not isinstance(per_target, int) or per_target < MIN_PER_TARGET:
        raise DrawError(f"each target needs at least {MIN_PER_TARGET} inspectors, not {per_target!r}")
    codes = [i.code for i in inspectors]
    if len(set(codes)) != len(codes):
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        raise DrawError(f"duplicate inspector codes: {', '.join(dupes)}")
    if len(set(drawn_codes)) != len(drawn_codes):
        raise DrawError("a target is drawn twice")
    last = last_inspected or {}
    excluded: dict[str, set[str]] = {t: set(last.get(t, ())) for t in drawn_codes}
    for inspector, target in conflicts:
        if target in excluded:
            excluded[target].add(inspector)

    # eligibility does not depend on load, so every shortfall is known before assigning anything
    pool = set(codes)
    short = []
    for t in drawn_codes:
        eligible = len(pool - excluded[t])
        if eligible < per_target:
            short.append(
                f"target {t} needs {per_target} inspectors, {eligible} eligible "
                f"({len(pool & excluded[t])} excluded by conflicts or last inspection)"
            )
    if short:
        raise DrawError("; ".join(short))

    base = hmac.new(seed.encode("utf-8"), digestmod=hashlib.sha256)  # key schedule once, copied
    encoded = {c: c.encode("utf-8") for c in codes}

    def best(target: str, group: set[str], n: int) -> list[str]:
        """The n first of group by score descending, then code ascending."""
        mac_t = base.copy()
        mac_t.update(b"inspector:" + target.encode("utf-8") + b":")

        def score(code: str) -> bytes:  # big-endian: byte order is integer order
            mac = mac_t.copy()
            mac.update(encoded[code])
            return mac.digest()

        # nlargest is stable, so equal scores (never seen in practice) keep code order
        return heapq.nlargest(n, sorted(group), key=score)

    load = dict.fromkeys(codes, 0)
    by_load: dict[int, set[str]] = {0: set(codes)}  # load -> inspectors with that many targets
    assignments: dict[str, list[str]] = {}
    for t in drawn_codes:
        picked: list[str] = []
        # lowest load first, and only the loads actually reached need scores
        for level in sorted(by_load):
            group = by_load[level] - excluded[t]
            if group:
                picked += best(t, group, per_target - len(picked))
                if len(picked) == per_target:
                    break
        for code in picked:
            by_load[load[code]].discard(code)
            if not by_load[load[code]]:
                del by_load[load[code]]
            load[code] += 1
            by_load.setdefault(load[code], set()).add(code)
        assignments[t] = picked
    return assignments


def run_draw(
    seed: str,
    targets: Iterable[Target],
    sample_size: int,
    weights: Mapping[str, float] | None,
    inspectors: Sequence[Inspector],
    per_target: int,
    conflicts: Conflicts = (),
    last_inspected: LastInspected | None = None,
) -> Draw:
    pop = population(targets)
    drawn = draw_targets(seed, pop, sample_size, weights)
    assignments = assign_inspectors(seed, drawn, inspectors, per_target, conflicts, last_inspected)
    return Draw(drawn, assignments, population_hash(pop), commitment(seed))


def plan_document(
    seed: str,
    targets: Iterable[Target],
    sample_size: int,
    weights: Mapping[str, float] | None,
    inspectors: Sequence[Inspector],
    per_target: int,
    conflicts: Conflicts = (),
    last_inspected: LastInspected | None = None,
    draw: Draw | None = None,
) -> dict[str, Any]:
    """The published plan: every input of the draw and its result, as codes only.

    `draw` is the stored result when there is one (so what is published is what was stored,
    and verify() catches any difference); otherwise the draw is made here.
    """
    pop = population(targets)
    conflicts = sorted({(i, t) for i, t in conflicts})
    last = {t: sorted(set(codes)) for t, codes in (last_inspected or {}).items()}
    if draw is None:
        draw = run_draw(seed, pop, sample_size, weights, inspectors, per_target, conflicts, last)
    used = DEFAULT_WEIGHTS if weights is None else weights
    return {
        "version": VERSION,
        "populationHash": draw.population_hash,
        "population": [[t.code, t.risk] for t in pop],
        "weights": {level: used[level] for level in sorted(used)},
        "sampleSize": sample_size,
        "inspectors": sorted(i.code for i in inspectors),
        "perTarget": per_target,
        "conflicts": [[i, t] for i, t in conflicts],
        "lastInspected": {t: codes for t, codes in sorted(last.items()) if codes},
        "seedCommitment": draw.seed_commitment,
        "seed": seed,
        "drawn": list(draw.drawn),
        "assignments": {t: list(codes) for t, codes in draw.assignments.items()},
    }


# --- verification -------------------------------------------------------------------------

_KEYS = (
    "version", "populationHash", "population", "weights", "sampleSize", "inspectors", "perTarget",
    "conflicts", "lastInspected", "seedCommitment", "seed", "drawn", "assignments",
)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_pairs(v: Any) -> bool:
    return isinstance(v, list) and all(_is_str_list(p) and len(p) == 2 for p in v)


def _is_str_lists(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_str_list(x) for x in v.values())


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_TYPES = {
    "population": (_is_pairs, "a list of [code, risk] pairs"),
    "weights": (
        lambda v: isinstance(v, dict)
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v.values()),
        "an object of numbers",
    ),
    "sampleSize": (_is_int, "a whole number"),
    "inspectors": (_is_str_list, "a list of codes"),
    "perTarget": (_is_int, "a whole number"),
    "conflicts": (_is_pairs, "a list of [inspector, target] pairs"),
    "lastInspected": (_is_str_lists, "an object of code lists"),
    "seedCommitment": (lambda v: isinstance(v, str), "a string"),
    "seed": (lambda v: isinstance(v, str), "a string"),
    "populationHash": (lambda v: isinstance(v, str), "a string"),
    "drawn": (_is_str_list, "a list of codes"),
    "assignments": (_is_str_lists, "an object of code lists"),
}


def check_format(plan: Any) -> None:
    """Raise PlanFormatError unless `plan` has the shape of a version-1 plan document."""
    if not isinstance(plan, dict):
        raise PlanFormatError("a plan document is a JSON object")
    missing = [k for k in _KEYS if k not in plan]
    if missing:
        raise PlanFormatError(f"the plan lacks {', '.join(missing)}")
    if plan["version"] != VERSION:
        raise PlanFormatError(f"unsupported plan version {plan['version']!r} (this verifier reads 1)")
    wrong = [f"{k} must be {what}" for k, (ok, what) in _TYPES.items() if not ok(plan[k])]
    if wrong:
        raise PlanFormatError("; ".join(wrong))


def _compare_lists(what: str, published: list[str], recomputed: list[str]) -> str:
    if sorted(published) == sorted(recomputed):
        return f"{what}: the same codes in a different order: published {published}, recomputed {recomputed}"
    missing = [c for c in recomputed if c not in published]
    extra = [c for c in published if c not in recomputed]
    return f"{what}: published {published}, recomputed {recomputed} (missing {missing}, unexpected {extra})"


def verify(plan: dict[str, Any]) -> list[str]:
    """Recompute a published plan; the discrepancies found (empty: verified).

    Raises PlanFormatError if the document is not a plan at all.
    """
    check_format(plan)
    problems: list[str] = []
    pairs = plan["population"]
    codes = [c for c, _ in pairs]
    if codes != sorted(codes):
        problems.append("the population is not in code order, as it is published")
    try:
        pop = population(Target(c, r) for c, r in pairs)
    except DrawError as e:
        return [*problems, f"the population is not valid: {e}"]

    if population_hash(pop) != plan["populationHash"].lower():
        problems.append(
            f"the population hash is {population_hash(pop)}, the plan says {plan['populationHash']}"
        )
    seed = plan["seed"]
    try:
        check_seed(seed, plan["seedCommitment"])
    except DrawError as e:
        problems.append(
            f"{e}: SHA-256 of the seed is {commitment(seed)}, the plan says {plan['seedCommitment']}"
        )

    try:
        drawn = draw_targets(seed, pop, plan["sampleSize"], plan["weights"])
    except DrawError as e:
        return [*problems, f"the draw cannot be recomputed: {e}"]
    if drawn != plan["drawn"]:
        problems.append(_compare_lists("the drawn targets", plan["drawn"], drawn))

    try:
        assignments = assign_inspectors(
            seed,
            drawn,
            [Inspector(c) for c in plan["inspectors"]],
            plan["perTarget"],
            [(i, t) for i, t in plan["conflicts"]],
            plan["lastInspected"],
        )
    except DrawError as e:
        return [*problems, f"the assignments cannot be recomputed: {e}"]
    published = plan["assignments"]
    for t in [*assignments, *(t for t in published if t not in assignments)]:
        mine, theirs = assignments.get(t), published.get(t)
        if theirs is None:
            problems.append(f"no assignment is published for drawn target {t} (recomputed {mine})")
        elif mine is None:
            problems.append(f"an assignment is published for {t}, which is not drawn")
        elif mine != theirs:
            problems.append(_compare_lists(f"the inspectors of {t}", theirs, mine))
    return problems
