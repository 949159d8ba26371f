"""Passwords, tokens, and the caller: who is asking and what their jurisdiction is.

Jurisdiction (辖区): an agent sees the grids assigned to them, a dispatcher or inspector the
townships assigned to them, a supervisor or admin the whole district, the public nothing of
areas. A user with several roles gets the union.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, event, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.areas.models import Grid, GridAgent, Township
from backend.auth.models import ROLES, Department, User, UserRole, UserTownship
from backend.errors import BadInput, NotFound, Unauthenticated

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong username costs as much as a
# wrong password and the two cannot be told apart by timing.
_DUMMY_HASH = _hasher.hash("wangge-no-such-user")
LOGIN_FAILED = "wrong username or password"
DISTRICT_ROLES = frozenset({"SUPERVISOR", "ADMIN"})
# Roles that need residents' full identity numbers and phones: the agent who visits and
# submits on the resident's behalf, the dispatcher who calls back, the admin who corrects.
PERSONAL_DATA_ROLES = frozenset({"AGENT", "DISPATCHER", "ADMIN"})


@dataclass(frozen=True)
class Caller:
    user_id: int | None = None
    roles: frozenset[str] = frozenset()
    township_ids: frozenset[int] = frozenset()
    grid_ids: frozenset[int] = frozenset()
    # townships of the agent's grids: they may read those townships' and villages' names
    grid_township_ids: frozenset[int] = frozenset()
    grid_village_ids: frozenset[int] = frozenset()
    department_id: int | None = None

    @property
    def is_public(self) -> bool:
        return self.user_id is None

    @property
    def district_wide(self) -> bool:
        return bool(self.roles & DISTRICT_ROLES)

    def sees_grid(self, grid_id: int, township_id: int) -> bool:
        return self.district_wide or township_id in self.township_ids or grid_id in self.grid_ids

    def sees_township(self, township_id: int) -> bool:
        return (self.district_wide or township_id in self.township_ids
                or township_id in self.grid_township_ids)

    def sees_village(self, village_id: int, township_id: int) -> bool:
        return (self.district_wide or township_id in self.township_ids
                or village_id in self.grid_village_ids)

    def sees_personal_data(self) -> bool:
        return bool(self.roles & PERSONAL_DATA_ROLES)


PUBLIC = Caller()


def case_scope(caller: Caller, people: Sequence[ColumnElement], township: ColumnElement,
               grid: ColumnElement, department: ColumnElement) -> ColumnElement:
    """The cases (events, service requests) a caller may see, as a filter: district roles
    all; others those they reported or handle (`people`), those of their townships or grids,
    and a department clerk their department's."""
    if caller.district_wide:
        return true()
    if caller.is_public:
        return false()
    conds = [p == caller.user_id for p in people]
    if caller.township_ids:
        conds.append(township.in_(caller.township_ids))
    if caller.grid_ids:
        conds.append(grid.in_(caller.grid_ids))
    if "DEPARTMENT" in caller.roles and caller.department_id is not None:
        conds.append(department == caller.department_id)
    return or_(*conds)


def sees_case(caller: Caller, people: Sequence[int | None], township_id: int | None,
              grid_id: int | None, department_id: int | None) -> bool:
    """case_scope for one case already read."""
    return (caller.district_wide
            or (caller.user_id is not None and caller.user_id in people)
            or township_id in caller.township_ids or grid_id in caller.grid_ids
            or ("DEPARTMENT" in caller.roles and caller.department_id is not None
                and department_id == caller.department_id))


@dataclass
class TokenIssued:
    token: str
    expires_at: datetime
    user: User = field(repr=False)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise BadInput("a password needs at least 8 characters", "password")
    return _hasher.hash(password)


def login(session: Session, username: str, password: str, secret: str, ttl_s: int) -> TokenIssued:
    user = session.scalar(select(User).where(User.username == username, User.active))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated(LOGIN_FAILED) from None
    if user is None:
        raise Unauthenticated(LOGIN_FAILED)
    now = int(time.time())
    token = jwt.encode({"sub": str(user.id), "iat": now, "exp": now + ttl_s}, secret, "HS256")
    return TokenIssued(token, datetime.fromtimestamp(now + ttl_s, UTC), user)


def caller_from_token(session: Session, token: str | None, secret: str) -> Caller:
    if not token:
        return PUBLIC
    try:
        user_id = _verified(token, secret)
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired: log in again") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthenticated("the token is not valid: log in again") from None
    caller = cached_caller(session, user_id)
    if caller is None:
        raise Unauthenticated("the token's user no longer exists or is disabled")
    return caller


# Tokens already verified, per worker: the signature and claims checks were a sizeable share
# of a small request. The expiry is still checked at every use.
MAX_VERIFIED = 10_000
_verified_tokens: dict[tuple[str, str], tuple[int, int]] = {}  # -> (user id, exp)


def _verified(token: str, secret: str) -> int:
    hit = _verified_tokens.get((secret, token))
    if hit is None:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"require": ["exp", "sub"]})
        hit = (int(claims["sub"]), int(claims["exp"]))
        if len(_verified_tokens) >= MAX_VERIFIED:
            _verified_tokens.clear()
        _verified_tokens[(secret, token)] = hit
    elif hit[1] <= time.time():  # as PyJWT: expired from the second of `exp` on
        raise jwt.ExpiredSignatureError
    return hit[0]


# Who a token's user is, per worker: four queries a request were most of a small query's
# cost. A write to these tables in this process clears it at commit; other workers see a
# change of roles, jurisdiction or a disabled account at most CALLER_TTL_S later.
CALLER_TTL_S = 10.0
_JURISDICTION_TABLES = ("users", "user_roles", "user_townships", "grid_agents")
_callers: dict[tuple[str, int], tuple[float, Caller | None]] = {}


def cached_caller(session: Session, user_id: int) -> Caller | None:
    key = (str(session.get_bind().url), user_id)
    hit = _callers.get(key)
    if hit is not None and time.monotonic() - hit[0] < CALLER_TTL_S:
        return hit[1]
    caller = load_caller(session, user_id)
    _callers[key] = (time.monotonic(), caller)
    return caller


def forget_callers() -> None:
    _callers.clear()


@event.listens_for(Engine, "before_cursor_execute")
def _note_jurisdiction_writes(conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
    if statement[:6].upper() in ("INSERT", "UPDATE", "DELETE") and any(
            f" {t} " in statement or f'"{t}"' in statement for t in _JURISDICTION_TABLES):
        conn.info["jurisdiction_changed"] = True


@event.listens_for(Engine, "commit")
def _forget_on_commit(conn):  # type: ignore[no-untyped-def]
    if conn.info.pop("jurisdiction_changed", False):
        forget_callers()


@event.listens_for(Engine, "rollback")
def _keep_on_rollback(conn):  # type: ignore[no-untyped-def]
    # A connection lost mid-transaction is rolled back invalidated: its info can no longer
    # be read (that raised, and the session could not be rolled back), and it goes with it.
    if not conn.invalidated:
        conn.info.pop("jurisdiction_changed", None)


def load_caller(session: Session, user_id: int) -> Caller | None:
    user = session.execute(select(User.id, User.department_id)
                           .where(User.id == user_id, User.active)).first()
    if user is None:
        return None
    roles = frozenset(session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))
    townships = frozenset(
        session.scalars(select(UserTownship.township_id).where(UserTownship.user_id == user_id))
    )
    grid_rows = session.execute(
        select(Grid.id, Grid.township_id, Grid.village_id)
        .join(GridAgent, GridAgent.grid_id == Grid.id)
        .where(GridAgent.user_id == user_id)
    ).all()
    return Caller(
        user_id=user_id,
        roles=roles,
        township_ids=townships,
        grid_ids=frozenset(r.id for r in grid_rows),
        grid_township_ids=frozenset(r.township_id for r in grid_rows),
        grid_village_ids=frozenset(r.village_id for r in grid_rows),
        department_id=user.department_id,
    )


def add_user(
    session: Session,
    username: str,
    password: str | None,
    name: str,
    roles: list[str],
    township_codes: Sequence[str] = (),
    grid_codes: Sequence[str] = (),
    phone: str | None = None,
    password_hash: str | None = None,
    department_code: str | None = None,
) -> User:
    """Create a user with roles and jurisdiction; the caller commits. A bulk load may pass
    an already computed `password_hash` instead of the password."""
    unknown = sorted(set(roles) - set(ROLES))
    if not roles or unknown:
        raise BadInput(f"unknown role(s) {unknown or roles}: use {', '.join(ROLES)}", "roles")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise BadInput(f"username {username!r} is taken", "username")
    if password_hash is None:
        password_hash = hash_password(password or "")
    department_id = None
    if department_code is not None:
        department_id = session.scalar(select(Department.id)
                                       .where(Department.code == department_code))
        if department_id is None:
            raise NotFound(f"no department with code {department_code}", "department")
    user = User(username=username, name=name, password_hash=password_hash, phone=phone,
                department_id=department_id, active=True, created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    session.add_all(UserRole(user_id=user.id, role=r) for r in sorted(set(roles)))
    for code in township_codes:
        tid = session.scalar(select(Township.id).where(Township.code == code))
        if tid is None:
            raise NotFound(f"no township with code {code}", "township")
        session.add(UserTownship(user_id=user.id, township_id=tid))
    for code in grid_codes:
        gid = session.scalar(select(Grid.id).where(Grid.code == code))
        if gid is None:
            raise NotFound(f"no grid with code {code}", "grid")
        session.add(GridAgent(user_id=user.id, grid_id=gid))
    session.flush()
    return user


def visible_user(session: Session, caller: Caller, user_id: int) -> User | None:
    """A user the caller may see: themselves; for district roles anyone; for township roles
    the users of their townships; None when out of sight."""
    if caller.is_public:
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    if user_id == caller.user_id or caller.district_wide:
        return user
    if caller.township_ids:
        in_township = session.scalar(
            select(UserTownship.user_id).where(UserTownship.user_id == user_id,
                                               UserTownship.township_id.in_(caller.township_ids))
        ) or session.scalar(
            select(GridAgent.user_id).join(Grid, Grid.id == GridAgent.grid_id)
            .where(GridAgent.user_id == user_id, Grid.township_id.in_(caller.township_ids))
        )
        if in_township is not None:
            return user
    return None


def roles_by_user_ids(session: Session, ids: Sequence[int]) -> list[list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    for user_id, role in session.execute(
        select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(ids))
        .order_by(UserRole.role)
    ):
        out[user_id].append(role)
    return [out[i] for i in ids]
