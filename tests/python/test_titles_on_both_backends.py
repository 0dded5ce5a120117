"""Titles with NUL or bidirectional controls are a 400 naming the character
on both databases (NUL used to be a 500 on PostgreSQL only, whose text type
refuses it), through the release binary."""
import pytest
import requests

from conftest import start_server

BAD = [("nul\u0000byte.txt", "U+0000"), ("invoice\u202efdp.exe", "U+202E"), ("c1\u0085.txt", "U+0085")]


def check_titles(server):
    token = server.login()
    auth = {"Authorization": token}
    base = server.base_url
    my = requests.get(f"{base}/api/2.0/files/@my", headers=auth).json()["response"]["current"]["id"]
    file_id = requests.post(f"{base}/api/2.0/files/@my/upload", headers=auth,
                            files={"file": ("fine.txt", b"x")}).json()["response"][0]["id"]
    for title, code in BAD:
        for method, path, body in [
            ("POST", "/api/2.0/files/@my/file", {"title": title}),
            ("POST", f"/api/2.0/files/folder/{my}", {"title": title}),
            ("PUT", f"/api/2.0/files/file/{file_id}/links", {"access": "Read", "title": title}),
        ]:
            r = requests.request(method, f"{base}{path}", headers=auth, json=body)
            assert r.status_code == 400, f"{method} {path} {title!r}: {r.status_code} {r.text}"
            assert code in r.json()["error"]["message"], r.text
    listing = requests.get(f"{base}/api/2.0/files/@my", headers=auth).json()["response"]
    assert listing["total"] == 1, listing


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_control_and_bidi_titles_are_400(backend, request):
    env = {}
    if backend == "postgres":
        env["SPACELINKS_DATABASE_URL"] = request.getfixturevalue("pg_schema_url")
    server = start_server(env)
    try:
        check_titles(server)
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)
