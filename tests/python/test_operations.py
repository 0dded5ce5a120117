"""Operations, against the release binary: Prometheus metrics on
--metrics-listen (and not on the main listener), logs without colour codes
and as JSON, `spacelinks admin reset-password`, and a `backup` / `restore`
round trip that compares every file's bytes."""
import hashlib
import json
import os
import re
import subprocess
import tempfile

import pytest
import requests

from conftest import OWNER_EMAIL, OWNER_PASSWORD, free_port, start_server

BIN = os.environ.get("SPACELINKS_BIN", "")


def stop(server):
    server.proc.terminate()
    server.proc.wait(timeout=10)


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def upload(server, key, name, data):
    r = requests.post(f"{server.base_url}/api/2.0/files/@my/upload", headers=auth(key), files={"File": (name, data)})
    assert r.status_code == 200, r.text
    return r.json()["response"][0]["id"]


def new_link(server, key, file_id, **fields):
    r = requests.put(
        f"{server.base_url}/api/2.0/files/file/{file_id}/links", headers=auth(key), json={"access": 2, **fields}
    )
    assert r.status_code == 200, r.text
    return r.json()["response"]["sharedLink"]


def download(base, file_id, headers=None, share=None):
    params = {"action": "download", "fileid": file_id}
    if share:
        params["share"] = share
    return requests.get(f"{base}/filehandler.ashx", params=params, headers=headers or {})


def cli(*args, env=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


def metric(text, name, **labels):
    """The value of one sample; 0 when absent."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if m.group(1) == name and all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


def test_metrics_on_their_own_listener_without_ids_or_tokens():
    metrics_port = free_port()
    server = start_server({"SPACELINKS_METRICS_LISTEN": f"127.0.0.1:{metrics_port}", "RUST_LOG": "info"})
    try:
        key = server.new_api_key()
        data = b"metered bytes\n" * 1000
        file_id = upload(server, key, "metered.txt", data)
        link = new_link(server, key, file_id, password="right-password")
        token = link["requestToken"]
        assert requests.get(f"{server.base_url}/api/2.0/files/share/{token}").status_code == 200
        r = requests.post(f"{server.base_url}/api/2.0/files/share/{token}/password", json={"password": "wrong-one!"})
        assert r.json()["response"]["status"] == 4
        assert download(server.base_url, file_id, headers=auth(key)).content == data
        server_log = os.path.join(server.data_dir, "server.log")

        # Not on the main listener.
        r = requests.get(f"{server.base_url}/metrics")
        assert r.status_code == 404
        scrape = requests.get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert scrape.status_code == 200
        assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = scrape.text
        route = "/api/2.0/files/share/{key}"
        assert metric(text, "spacelinks_http_requests_total", method="GET", route=route, status="200") >= 1
        assert metric(text, "spacelinks_http_requests_total", method="POST", route="/api/2.0/files/@my/upload", status="200") == 1
        assert metric(text, "spacelinks_http_requests_total", route="(unmatched)", status="404") >= 1
        assert metric(text, "spacelinks_http_request_duration_seconds_count", method="GET", route=route) >= 1
        assert metric(text, "spacelinks_http_request_duration_seconds_bucket", method="GET", route=route, le="+Inf") >= 1
        assert metric(text, "spacelinks_link_events_total", kind="opened") >= 1
        assert metric(text, "spacelinks_link_events_total", kind="password_failed") == 1
        assert metric(text, "spacelinks_bytes_served_total") >= len(data)
        assert "spacelinks_db_pool_connections" in text
        assert metric(text, "spacelinks_db_pool_connections", state="idle") >= 1
        assert "# TYPE spacelinks_http_request_duration_seconds histogram" in text
        # No ids, tokens, keys or names as label values.
        for secret in (token, link["id"], key, "metered.txt", "right-password"):
            assert secret not in text, f"{secret!r} appears in /metrics"
        values = {
            v
            for line in text.splitlines()
            if not line.startswith("#")
            for name, v in re.findall(r'(\w+)="([^"]*)"', line)
            if name != "le"  # histogram bucket bounds
        }
        assert str(file_id) not in values
        for v in values:
            # Templates, methods, statuses, kinds, bucket bounds: no raw paths with ids.
            assert not re.search(r"/\d+(/|$)", v), v

        # Logs: written to a file, so no colour codes.
        with open(server_log, encoding="utf-8") as f:
            log = f.read()
        assert "request" in log and "\x1b[" not in log
    finally:
        stop(server)


def test_json_logs():
    server = start_server({"SPACELINKS_LOG_FORMAT": "json", "RUST_LOG": "info"})
    try:
        assert requests.get(f"{server.base_url}/api/2.0/files/@my").status_code == 401
    finally:
        stop(server)
    with open(os.path.join(server.data_dir, "server.log"), encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if line.startswith("{")]
    events = [json.loads(line) for line in lines]
    requests_logged = [e for e in events if e.get("fields", {}).get("message") == "request"]
    assert any(e["fields"]["route"] == "/api/2.0/files/@my" and e["fields"]["status"] == 401 for e in requests_logged)
    assert all("level" in e and "timestamp" in e for e in events)


def test_admin_reset_password():
    server = start_server()
    token = server.login()
    stop(server)
    out = cli("admin", "reset-password", OWNER_EMAIL, "--data-dir", server.data_dir)
    assert out.returncode == 0, out.stderr
    new = re.search(r"New password for \S+: (\S+)", out.stdout).group(1)
    assert OWNER_PASSWORD not in out.stdout
    missing = cli("admin", "reset-password", "nobody@example.com", "--data-dir", server.data_dir)
    assert missing.returncode == 1 and "no user" in missing.stderr
    again = start_server({"SPACELINKS_DATA_DIR": server.data_dir})
    try:
        base = again.base_url
        r = requests.post(f"{base}/api/2.0/authentication", json={"userName": OWNER_EMAIL, "password": OWNER_PASSWORD})
        assert r.status_code == 401
        assert again.login(password=new)
        # The sessions from before the reset are over.
        assert requests.get(f"{base}/api/2.0/people/@self", headers={"Authorization": token}).status_code == 401
    finally:
        stop(again)


def test_backup_and_restore_round_trip():
    round_trip({})


def test_restore_into_s3():
    """The same backup restored into an S3 blob store (s3s-fs, started by
    scripts/test), then served from there."""
    s3 = os.environ.get("SPACELINKS_TEST_S3_URL", "").strip()
    if not s3:
        pytest.fail("needs SPACELINKS_TEST_S3_URL and the AWS_* variables (scripts/test starts s3s-fs)")
    import uuid

    round_trip({"SPACELINKS_BLOB_URL": f"{s3.rstrip('/')}/restored-{uuid.uuid4().hex}"})


def round_trip(target_env):
    server = start_server()
    key = server.new_api_key()
    files = {
        "empty.txt": b"",
        "small.txt": b"hello\n",
        "big.bin": os.urandom(3 * 1024 * 1024 + 5),
        "ünïcode name.txt": "ünïcode".encode() * 100,
    }
    ids = {name: upload(server, key, name, data) for name, data in files.items()}
    # A second version: both versions' bytes are in the backup.
    r = requests.put(
        f"{server.base_url}/api/2.0/files/{ids['small.txt']}/update",
        headers=auth(key),
        files={"File": ("small.txt", b"hello again\n")},
    )
    assert r.status_code == 200, r.text
    files["small.txt"] = b"hello again\n"
    link = new_link(server, key, ids["big.bin"], password="link-password-1")
    backup = os.path.join(tempfile.mkdtemp(prefix="spacelinks-backup-"), "b")
    # Taken while the server runs.
    out = cli("backup", backup, "--data-dir", server.data_dir)
    assert out.returncode == 0, out.stderr
    stop(server)

    manifest = json.load(open(os.path.join(backup, "manifest.json")))
    listed = {f["path"]: f for f in manifest["files"]}
    assert {"spacelinks.db", "secret.key"} <= set(listed)
    assert manifest["blobs"] == 5  # four files, one with two versions
    for path, f in listed.items():
        data = open(os.path.join(backup, path), "rb").read()
        assert len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"], path

    # A damaged backup restores nothing.
    target = tempfile.mkdtemp(prefix="spacelinks-restored-")
    blob = next(p for p in listed if p.startswith("blobs/") and listed[p]["size"] > 100)
    original = open(os.path.join(backup, blob), "rb").read()
    with open(os.path.join(backup, blob), "wb") as f:
        f.write(original[:-1] + bytes([original[-1] ^ 1]))
    out = cli("restore", backup, "--data-dir", target, env=target_env)
    assert out.returncode == 1 and "damaged" in out.stderr and blob in out.stderr
    assert os.listdir(target) == []
    with open(os.path.join(backup, blob), "wb") as f:
        f.write(original)

    out = cli("restore", backup, "--data-dir", target, env=target_env)
    assert out.returncode == 0, out.stderr
    again = cli("restore", backup, "--data-dir", target, env=target_env)
    assert again.returncode == 1 and "exists" in again.stderr

    restored = start_server({"SPACELINKS_DATA_DIR": target, **target_env})
    if target_env:
        assert not os.path.exists(os.path.join(target, "blobs")), "blobs went to the data directory, not S3"
    try:
        key2 = restored.new_api_key()
        for name, data in files.items():
            r = download(restored.base_url, ids[name], headers=auth(key2))
            assert r.status_code == 200 and r.content == data, name
        r = requests.get(f"{restored.base_url}/api/2.0/files/file/{ids['small.txt']}/history", headers=auth(key2))
        assert r.status_code == 200 and len(r.json()["response"]) == 2
        # The link and its password (encrypted with the restored secret) work.
        token = link["requestToken"]
        r = requests.post(f"{restored.base_url}/api/2.0/files/share/{token}/password", json={"password": "link-password-1"})
        assert r.json()["response"]["status"] == 0
        cookie = r.headers["set-cookie"].split(";", 1)[0]
        r = download(restored.base_url, ids["big.bin"], headers={"Cookie": cookie}, share=token)
        assert r.status_code == 200 and r.content == files["big.bin"]
        listed_links = requests.get(
            f"{restored.base_url}/api/2.0/files/file/{ids['big.bin']}/links", headers=auth(key2)
        ).json()["response"]
        assert any(l["sharedLink"].get("password") == "link-password-1" for l in listed_links)
    finally:
        stop(restored)


def test_backup_on_postgres_says_how(pg_schema_url):
    out = cli("backup", tempfile.mkdtemp(), "--database-url", pg_schema_url)
    assert out.returncode == 2
    assert "pg_dump" in out.stderr
