"""Secrets never reach the logs: a whole scenario against the release binary
at RUST_LOG=trace (every crate's most verbose level: sqlx statements, hyper,
axum), with stdout and stderr captured, and then no session token, API key,
account or link password, share token, password proof cookie, Basic
credential or server secret appears anywhere in that output."""
import base64
import os
import re
import urllib.parse

import requests

from conftest import OWNER_EMAIL, OWNER_PASSWORD, start_server

LINK_PASSWORD = "Link-pw-7Qz!"
USER_PASSWORD = "member-pw-93kd"


def test_no_secret_in_trace_logs_on_sqlite():
    scenario({"RUST_LOG": "trace"}, {})


def test_no_secret_in_trace_logs_on_postgres(pg_schema_url):
    # A password in the database URL (the test server trusts any) must not
    # be logged either.
    url = pg_schema_url.replace("://postgres@", "://postgres:Db-pw-not-for-logs@", 1)
    assert url != pg_schema_url, "expected a URL of the form postgres://postgres@host/..."
    scenario({"RUST_LOG": "trace", "SPACELINKS_DATABASE_URL": url}, {"database password": "Db-pw-not-for-logs"})


def scenario(env, secrets):
    server = start_server(env)
    base = server.base_url
    secrets.update({"owner password": OWNER_PASSWORD, "link password": LINK_PASSWORD, "user password": USER_PASSWORD})
    try:
        s = requests.Session()
        r = s.post(f"{base}/api/2.0/authentication", json={"userName": OWNER_EMAIL, "password": OWNER_PASSWORD})
        token = r.json()["response"]["token"]
        secrets["session token"] = token
        auth = {"Authorization": token}

        r = requests.post(f"{base}/api/2.0/keys", headers=auth, json={"name": "logs"})
        key = r.json()["response"]["key"]
        secrets["API key"] = key
        bearer = {"Authorization": f"Bearer {key}"}

        basic = base64.b64encode(f"{OWNER_EMAIL}:{OWNER_PASSWORD}".encode()).decode()
        secrets["Basic credential"] = basic
        assert requests.get(f"{base}/api/2.0/people/@self", headers={"Authorization": f"Basic {basic}"}).ok

        r = requests.post(f"{base}/api/2.0/people", headers=auth,
                          json={"email": "member@example.com", "password": USER_PASSWORD, "type": "User"})
        assert r.ok, r.text

        r = requests.post(f"{base}/api/2.0/files/@my/upload", headers=bearer,
                          files={"file": ("secret-report.txt", b"the contents")})
        file_id = r.json()["response"][0]["id"]

        r = requests.put(f"{base}/api/2.0/files/file/{file_id}/links", headers=bearer,
                         json={"access": "Read", "password": LINK_PASSWORD, "title": "for the auditor"})
        link = r.json()["response"]["sharedLink"]
        share = link["requestToken"]
        secrets["share token"] = share
        short_code = link["shareLink"].rsplit("/", 1)[-1]
        secrets["short link code"] = short_code

        anon = requests.Session()
        assert anon.get(f"{base}/api/2.0/files/share/{share}").json()["response"]["status"] == 3
        wrong = anon.post(f"{base}/api/2.0/files/share/{share}/password", json={"password": "Wrong-pw-1"})
        assert wrong.json()["response"]["status"] == 4
        ok = anon.post(f"{base}/api/2.0/files/share/{share}/password", json={"password": LINK_PASSWORD})
        assert ok.json()["response"]["status"] == 0
        proofs = [c.value for c in anon.cookies if c.name.startswith("sharelink")]
        assert proofs, "no password proof cookie was set"
        for i, p in enumerate(proofs):
            secrets[f"proof cookie {i}"] = p

        r = anon.get(f"{base}/filehandler.ashx", params={"action": "download", "fileid": file_id, "share": share})
        assert r.content == b"the contents"
        r = requests.get(f"{base}/api/2.0/files/file/{file_id}", headers={"Request-Token": share},
                         cookies={c.name: c.value for c in anon.cookies})
        assert r.ok, r.text

        page = requests.Session()
        assert page.get(f"{base}/s/{short_code}", allow_redirects=False).status_code in (301, 302, 303, 307, 308)
        assert page.get(f"{base}/doceditor", params={"fileid": file_id, "share": share}).ok
        r = page.post(f"{base}/share/password", data={"share": share, "fileid": str(file_id), "password": LINK_PASSWORD},
                      allow_redirects=False)
        assert r.status_code < 500, r.text
        assert page.get(f"{base}/doceditor", params={"fileid": file_id, "share": share}).ok

        # Error paths log too: a malformed body carrying the password, a
        # revoked-looking key, a wrong password on the share page.
        r = anon.post(f"{base}/api/2.0/files/share/{share}/password", data=f'{{"password": "{LINK_PASSWORD}"',
                      headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        assert requests.get(f"{base}/api/2.0/people/@self", headers={"Authorization": f"Bearer {key}x"}).status_code == 401
        r = requests.post(f"{base}/share/password", data={"share": share, "fileid": str(file_id), "password": "Nope-pw-1"},
                          allow_redirects=False)
        assert r.status_code < 500, r.text

        with open(os.path.join(server.data_dir, "secret.key")) as f:
            secrets["secret.key"] = f.read().strip()
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)

    with open(os.path.join(server.data_dir, "server.log"), encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert len(log.splitlines()) > 50, "trace logging produced almost nothing: the check would prove nothing"
    leaks = []
    for what, value in secrets.items():
        forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
        for form in forms:
            for m in re.finditer(re.escape(form), log):
                line = log[log.rfind("\n", 0, m.start()) + 1:log.find("\n", m.end())]
                leaks.append(f"{what}: {line[:300]}")
    assert not leaks, "secrets in the log:\n" + "\n".join(leaks[:20])
