"""Inspection fixtures on the small district: targets, devices, inspectors of two
departments, a declared conflict. Built once per test session (the database is shared)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select

from backend.auth.service import add_user, hash_password
from backend.db.engine import make_sessionmaker
from backend.inspections import service
from backend.inspections.models import InspectionTarget
from fixtures import small

A, B = "370305001", "370305101"  # 辛店街道, 凤凰镇
CATS = ("RESTAURANT", "SCHOOL_KITCHEN", "FOOD_SHOP", "CONSTRUCTION_SITE", "PHARMACY")


@dataclass
class World:
    targets: list[str]  # codes, T-prefixed
    device_keys: dict[str, str]  # device code -> key
    device_target: dict[str, str]  # device code -> target code
    scj: list[str]  # usernames of the market regulator's inspectors
    zjj: list[str]
    conflict: tuple[str, str]  # (username, target code)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


@pytest.fixture(scope="session")
def world(engine: Engine) -> World:
    rng = random.Random(6)
    pw = hash_password(small.PASSWORD)
    keys: dict[str, str] = {}
    dev_target: dict[str, str] = {}
    with make_sessionmaker(engine)() as s:
        users = {}
        for dep, n in (("SCJ", 6), ("ZJJ", 2)):
            for k in range(1, n + 1):
                name = f"ins-{dep.lower()}-{k}"
                u = add_user(s, name, None, f"检查员{dep}{k}号", ["INSPECTOR"], [A, B],
                             phone=f"1390000{k:04d}", password_hash=pw, department_code=dep)
                service.add_inspector(s, u.id, f"{dep}-{k:03d}")
                users[name] = u.id
        codes = []
        for n in range(1, 61):
            code = f"T{n:03d}"
            t = service.add_target(s, code, f"测试主体{n}号", CATS[n % len(CATS)],
                                   "ABCD"[n % 4], round(rng.uniform(118.301, 118.379), 6),
                                   round(rng.uniform(36.801, 36.829), 6), f"测试路{n}号")
            s.flush()
            codes.append(code)
            if t.category in ("SCHOOL_KITCHEN", "CONSTRUCTION_SITE"):
                kind = "CAMERA" if t.category == "SCHOOL_KITCHEN" else "SENSOR"
                d, key = service.add_device(s, t, f"D-{code}", kind, key=f"key-{code}-secret")
                keys[d.code], dev_target[d.code] = key, code
        t1 = s.scalar(select(InspectionTarget).where(InspectionTarget.code == "T001"))
        service.declare_conflict(s, users["ins-scj-1"], t1.id, "亲属经营")
        s.commit()
    return World(codes, keys, dev_target, [f"ins-scj-{k}" for k in range(1, 7)],
                 ["ins-zjj-1", "ins-zjj-2"], ("ins-scj-1", "T001"))
