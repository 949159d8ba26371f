"""login, tokens and me, through the real endpoint."""

import time

import jwt

from fixtures import small
from tests.conftest import LOGIN, SECRET, Api, codes

ME = "{ me { username name roles grids { code } } }"


def test_login_returns_a_token_that_identifies_the_user(api: Api) -> None:
    r = api.post(LOGIN, {"u": "agent", "p": small.PASSWORD})["data"]["login"]
    assert r["errors"] == [] and r["user"] == {"username": "agent", "roles": ["AGENT"]}
    claims = jwt.decode(r["token"], SECRET, algorithms=["HS256"])
    assert claims["exp"] > time.time() + 3600
    me = api.post(ME, token=r["token"])["data"]["me"]
    assert me["username"] == "agent"
    assert [g["code"] for g in me["grids"]] == ["370305001001001", "370305001001002"]


def test_wrong_password_and_unknown_user_fail_alike(api: Api) -> None:
    wrong = api.post(LOGIN, {"u": "agent", "p": "not-the-password"})["data"]["login"]
    nobody = api.post(LOGIN, {"u": "nobody", "p": small.PASSWORD})["data"]["login"]
    assert wrong["token"] is None and nobody["token"] is None
    assert wrong["errors"] == nobody["errors"]
    assert wrong["errors"][0]["code"] == "UNAUTHENTICATED"


def test_public_me_is_null(api: Api) -> None:
    assert api.post(ME) == {"data": {"me": None}}


def test_expired_token_is_unauthenticated(api: Api) -> None:
    now = int(time.time())
    token = jwt.encode({"sub": "1", "iat": now - 100, "exp": now - 10}, SECRET, "HS256")
    r = api.post(ME, token=token)
    assert codes(r) == ["UNAUTHENTICATED"] and "expired" in r["errors"][0]["message"]


def test_forged_token_is_unauthenticated(api: Api) -> None:
    now = int(time.time())
    forged = jwt.encode({"sub": "1", "exp": now + 3600}, "another-secret" * 3, "HS256")
    assert codes(api.post(ME, token=forged)) == ["UNAUTHENTICATED"]
    unsigned = jwt.encode({"sub": "1", "exp": now + 3600}, None, "none")
    assert codes(api.post(ME, token=unsigned)) == ["UNAUTHENTICATED"]
    assert codes(api.post(ME, token="garbage")) == ["UNAUTHENTICATED"]


def test_token_of_a_deleted_user_is_unauthenticated(api: Api) -> None:
    now = int(time.time())
    token = jwt.encode({"sub": "99999", "exp": now + 3600}, SECRET, "HS256")
    assert codes(api.post(ME, token=token)) == ["UNAUTHENTICATED"]


def test_a_token_verified_once_still_expires(api: Api, monkeypatch) -> None:
    from backend.auth import service as auth_service

    now = int(time.time())
    token = jwt.encode({"sub": "1", "iat": now, "exp": now + 60}, SECRET, "HS256")
    assert api.post(ME, token=token)["data"]["me"] is not None  # verified, and remembered
    monkeypatch.setattr(auth_service.time, "time", lambda: now + 60)
    r = api.post(ME, token=token)
    assert codes(r) == ["UNAUTHENTICATED"] and "expired" in r["errors"][0]["message"]
