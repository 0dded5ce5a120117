"""Starts the real spacelinks binary on a free port for the whole session.

The binary comes from SPACELINKS_BIN (scripts/test points it at the release
build). Readiness is the server's own /healthz, polled; no fixed sleeps.
"""
import os
import socket
import subprocess
import tempfile
import time

import pytest
import requests

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "owner-password-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, base_url, data_dir, proc):
        self.base_url = base_url
        self.data_dir = data_dir
        self.proc = proc

    def login(self, email=OWNER_EMAIL, password=OWNER_PASSWORD):
        r = requests.post(f"{self.base_url}/api/2.0/authentication", json={"userName": email, "password": password})
        r.raise_for_status()
        return r.json()["response"]["token"]

    def new_api_key(self, token=None, name="tests"):
        token = token or self.login()
        r = requests.post(f"{self.base_url}/api/2.0/keys", json={"name": name}, headers={"Authorization": token})
        r.raise_for_status()
        return r.json()["response"]["key"]


def start_server(extra_env=None):
    binary = os.environ.get("SPACELINKS_BIN")
    if not binary:
        raise RuntimeError("SPACELINKS_BIN must point at the spacelinks binary (scripts/test sets it)")
    data_dir = tempfile.mkdtemp(prefix="spacelinks-test-")
    port = free_port()
    env = dict(os.environ)
    env.update(
        SPACELINKS_LISTEN=f"127.0.0.1:{port}",
        SPACELINKS_DATA_DIR=data_dir,
        SPACELINKS_OWNER_EMAIL=OWNER_EMAIL,
        SPACELINKS_OWNER_PASSWORD=OWNER_PASSWORD,
        RUST_LOG="warn",
    )
    env.pop("SPACELINKS_DATABASE_URL", None)
    env.update(extra_env or {})
    log = open(os.path.join(data_dir, "server.log"), "w")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"spacelinks exited early; see {log.name}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except (requests.ConnectionError, requests.Timeout):
            # The port is bound before the server is ready (the first start
            # hashes the owner password): a read timeout means "not yet".
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("spacelinks did not become healthy in 30 s")
        time.sleep(0.05)
    return Server(base, data_dir, proc)


@pytest.fixture(scope="session")
def server():
    s = start_server()
    yield s
    s.proc.terminate()
    s.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def api_key(server):
    return server.new_api_key()


@pytest.fixture
def pg_schema_url():
    """A fresh PostgreSQL schema for one test, as a database URL, dropped
    afterwards; the test is skipped, saying so, when
    SPACELINKS_TEST_DATABASE_URL is unset."""
    url = os.environ.get("SPACELINKS_TEST_DATABASE_URL", "").strip()
    if not url:
        pytest.skip("SPACELINKS_TEST_DATABASE_URL is unset: this runs on SQLite only")
    import shutil
    import uuid

    if shutil.which("psql") is None:
        pytest.fail("SPACELINKS_TEST_DATABASE_URL is set but psql is missing: apt-get install postgresql-client")
    schema = f"spacelinks_py_{uuid.uuid4().hex}"
    subprocess.run(["psql", url, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True, capture_output=True)
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-c%20search_path%3D{schema}"
    subprocess.run(["psql", url, "-q", "-c", f"DROP SCHEMA {schema} CASCADE"], check=True, capture_output=True)
