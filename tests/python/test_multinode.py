"""Scale-out: three `spacelinks serve` processes on one PostgreSQL schema and
one S3 bucket (s3s-fs, started by scripts/test), behind Debian's nginx as a
load balancer and trusted proxy (X-Forwarded-For). Nothing that counts lives
in one node's memory, so:

- a file uploaded through one node downloads through the others;
- a link created on one node resolves on the others, and a link revoked on
  one is refused by that node at once and by every other node within one
  second (decision 12: link lookups are cached for at most a second, and
  LISTEN/NOTIFY tells the other nodes sooner);
- a password lockout earned on one node holds on all, and a password link's
  proof cookie works on every node;
- a node SIGKILLed in the middle of uploads loses nothing that was
  acknowledged and shows no half-visible file, and requests keep
  succeeding through the remaining nodes.

nginx listens on one port that balances over every node, and on one port per
node (so a check can pick its node while still going through the proxy).

This test needs PostgreSQL (SPACELINKS_TEST_DATABASE_URL), an S3 server
(SPACELINKS_TEST_S3_URL and the AWS_* variables) and nginx; it fails, saying
which is missing, rather than being skipped.
"""
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

from conftest import OWNER_EMAIL, OWNER_PASSWORD, free_port

NODES = 3
CLIENT_IP = "203.0.113.7"  # what nginx is told the client is (X-Forwarded-For)


def require_env(name, how):
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(f"the multi-node test needs {name}: {how}")
    return value


def wait_until_ready(url, proc, log, what):
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, f"{what} exited at start; see {log}"
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        assert time.monotonic() < deadline, f"{what} was not ready in 30 s; see {log}"
        time.sleep(0.05)


class Cluster:
    def __init__(self, database_url, blob_url):
        self.dir = tempfile.mkdtemp(prefix="spacelinks-multinode-")
        self.lb_port = free_port()
        self.public = f"http://127.0.0.1:{self.lb_port}"
        self.ports = [free_port() for _ in range(NODES)]
        self.proxy_ports = [free_port() for _ in range(NODES)]
        secret = secrets.token_hex(32)
        self.env = dict(os.environ)
        self.env.pop("SPACELINKS_DATA_DIR", None)
        self.env.update(
            SPACELINKS_DATABASE_URL=database_url,
            SPACELINKS_BLOB_URL=blob_url,
            SPACELINKS_SECRET_KEY=secret,
            SPACELINKS_PUBLIC_URL=self.public,
            SPACELINKS_TRUSTED_PROXIES="127.0.0.1",
            SPACELINKS_OWNER_EMAIL=OWNER_EMAIL,
            SPACELINKS_OWNER_PASSWORD=OWNER_PASSWORD,
            RUST_LOG="warn",
        )
        self.procs = [None] * NODES
        self.nginx = None

    def start_node(self, i):
        data_dir = os.path.join(self.dir, f"node{i}")
        os.makedirs(data_dir, exist_ok=True)
        log = os.path.join(self.dir, f"node{i}.log")
        env = dict(self.env, SPACELINKS_LISTEN=f"127.0.0.1:{self.ports[i]}", SPACELINKS_DATA_DIR=data_dir)
        self.procs[i] = subprocess.Popen(
            [os.environ["SPACELINKS_BIN"], "serve"], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT
        )
        wait_until_ready(f"http://127.0.0.1:{self.ports[i]}/readyz", self.procs[i], log, f"node {i}")

    def start_nginx(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            pytest.fail("the multi-node test needs Debian's nginx: apt-get install nginx (.ci/run installs it)")
        d = self.dir
        proxy = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
            proxy_buffering off;
            client_max_body_size 200m;
        """
        servers = "\n".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in self.ports)
        per_node = "\n".join(
            f"server {{ listen 127.0.0.1:{pp}; location / {{ proxy_pass http://127.0.0.1:{p}; {proxy} }} }}"
            for pp, p in zip(self.proxy_ports, self.ports)
        )
        conf = f"""
daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {d}/nginx-access.log;
    client_body_temp_path {d}/nginx-body;
    proxy_temp_path {d}/nginx-proxy;
    fastcgi_temp_path {d}/nginx-fastcgi;
    uwsgi_temp_path {d}/nginx-uwsgi;
    scgi_temp_path {d}/nginx-scgi;
    upstream spacelinks {{ {servers} }}
    server {{
        listen 127.0.0.1:{self.lb_port};
        location / {{
            proxy_pass http://spacelinks;
            proxy_next_upstream error timeout http_502;
            {proxy}
        }}
    }}
    {per_node}
}}
"""
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        log = os.path.join(d, "nginx.log")
        self.nginx = subprocess.Popen(
            [nginx, "-p", d, "-e", f"{d}/nginx-error.log", "-c", path], stdout=open(log, "w"), stderr=subprocess.STDOUT
        )
        wait_until_ready(f"{self.public}/healthz", self.nginx, f"{d}/nginx-error.log", "nginx")

    def node(self, i):
        """Node i, through nginx."""
        return f"http://127.0.0.1:{self.proxy_ports[i]}"

    def stop(self):
        for p in self.procs + [self.nginx]:
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


@pytest.fixture(scope="module")
def cluster():
    db = require_env(
        "SPACELINKS_TEST_DATABASE_URL",
        "a PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test (.ci/run sets it)",
    )
    s3 = require_env("SPACELINKS_TEST_S3_URL", "an s3://BUCKET with the AWS_* variables (scripts/test starts s3s-fs)")
    if shutil.which("psql") is None:
        pytest.fail("the multi-node test needs psql: apt-get install postgresql-client")
    schema = f"spacelinks_multinode_{uuid.uuid4().hex}"
    made = subprocess.run(["psql", db, "-q", "-c", f"CREATE SCHEMA {schema}"], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.fail(f"PostgreSQL at SPACELINKS_TEST_DATABASE_URL is not reachable: {made.stderr.strip()}")
    sep = "&" if "?" in db else "?"
    c = Cluster(f"{db}{sep}options=-c%20search_path%3D{schema}", f"{s3.rstrip('/')}/multinode-{uuid.uuid4().hex}")
    try:
        for i in range(NODES):  # one by one: the first creates the owner
            c.start_node(i)
        c.start_nginx()
        r = requests.post(
            f"{c.public}/api/2.0/authentication", json={"userName": OWNER_EMAIL, "password": OWNER_PASSWORD}
        )
        r.raise_for_status()
        r = requests.post(f"{c.public}/api/2.0/keys", json={"name": "multinode"}, headers={"Authorization": r.json()["response"]["token"]})
        r.raise_for_status()
        c.key = r.json()["response"]["key"]
        yield c
    finally:
        c.stop()
        subprocess.run(["psql", db, "-q", "-c", f"DROP SCHEMA {schema} CASCADE"], capture_output=True)


def auth(c):
    return {"Authorization": f"Bearer {c.key}"}


def upload(c, base, name, data):
    r = requests.post(f"{base}/api/2.0/files/@my/upload", headers=auth(c), files={"File": (name, data)}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["response"][0]["id"]


def download(base, file_id, headers=None, share=None):
    params = {"action": "download", "fileid": file_id}
    if share:
        params["share"] = share
    return requests.get(f"{base}/filehandler.ashx", params=params, headers=headers or {}, timeout=60)


def new_link(c, base, file_id, **fields):
    r = requests.put(f"{base}/api/2.0/files/file/{file_id}/links", headers=auth(c), json={"access": 2, **fields})
    assert r.status_code == 200, r.text
    return r.json()["response"]["sharedLink"]


def share_status(base, token):
    r = requests.get(f"{base}/api/2.0/files/share/{token}", headers={"X-Forwarded-For": CLIENT_IP})
    assert r.status_code == 200, r.text
    return r.json()["response"]["status"]


def try_password(base, token, password, ip=CLIENT_IP):
    return requests.post(
        f"{base}/api/2.0/files/share/{token}/password", json={"password": password}, headers={"X-Forwarded-For": ip}
    )


def test_a_file_uploaded_through_one_node_downloads_through_the_others(cluster):
    data = os.urandom(7 * 1024 * 1024 + 11)  # several S3 parts
    file_id = upload(cluster, cluster.node(0), "big.bin", data)
    for i in range(NODES):
        r = download(cluster.node(i), file_id, headers=auth(cluster))
        assert r.status_code == 200 and r.content == data, f"node {i}"
        r = download(cluster.node(i), file_id, headers={**auth(cluster), "Range": "bytes=5242870-5242889"})
        assert r.status_code == 206 and r.content == data[5242870:5242890], f"node {i}"
    for _ in range(NODES):
        assert download(cluster.public, file_id, headers=auth(cluster)).content == data


def test_links_resolve_everywhere_and_a_revocation_holds_on_every_node(cluster):
    file_id = upload(cluster, cluster.node(1), "linked.txt", b"shared through three nodes\n")
    link = new_link(cluster, cluster.node(1), file_id)
    token = link["requestToken"]
    assert link["shareLink"].startswith(cluster.public)
    for i in range(NODES):
        assert share_status(cluster.node(i), token) == 0, f"node {i}"
        r = download(cluster.node(i), file_id, share=token)
        assert r.status_code == 200 and r.content == b"shared through three nodes\n"
    r = requests.put(  # revoked on the third node
        f"{cluster.node(2)}/api/2.0/files/file/{file_id}/links",
        headers=auth(cluster),
        json={"linkId": link["id"], "access": 0},
    )
    assert r.status_code == 200, r.text
    revoked = time.monotonic()
    # The node that revoked refuses at once; the others within one second
    # (their cached lookups were warmed by the requests above).
    assert share_status(cluster.node(2), token) == 1, "the revoking node still opens its revoked link"
    for i in range(NODES):
        while share_status(cluster.node(i), token) != 1:
            assert time.monotonic() - revoked < 1.0, f"node {i} still opens a revoked link after one second"
            time.sleep(0.01)
        assert download(cluster.node(i), file_id, share=token).status_code in (403, 404), f"node {i}"


def test_a_lockout_earned_on_one_node_holds_on_all_and_proofs_work_everywhere(cluster):
    file_id = upload(cluster, cluster.node(0), "secret.txt", b"behind a password\n")
    locked = new_link(cluster, cluster.node(0), file_id, password="right-password")["requestToken"]
    # Wrong passwords spread over the nodes, as a balancer would spread them.
    answers = [try_password(cluster.node(i % NODES), locked, "wrong-password").status_code for i in range(6)]
    assert answers[:5] == [200] * 5 and answers[5] == 429, answers
    for i in range(NODES):
        r = try_password(cluster.node(i), locked, "right-password")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, f"node {i} forgot the lockout"
    # The proof cookie one node issues is accepted by every node.
    link = new_link(cluster, cluster.node(0), file_id, password="open-sesame-9")
    r = try_password(cluster.node(1), link["requestToken"], "open-sesame-9", ip="198.51.100.9")
    assert r.status_code == 200 and r.json()["response"]["status"] == 0
    cookie = r.headers["set-cookie"].split(";", 1)[0]
    for i in range(NODES):
        r = download(cluster.node(i), file_id, headers={"Cookie": cookie}, share=link["requestToken"])
        assert r.status_code == 200 and r.content == b"behind a password\n", f"node {i}"
        assert download(cluster.node(i), file_id, share=link["requestToken"]).status_code == 403


def test_a_node_killed_during_uploads_loses_nothing_acknowledged(cluster):
    """Uploads through the balancer from four threads; node 2 is SIGKILLed
    while they run. Every acknowledged upload downloads whole through the
    remaining nodes; every file the listing shows is one that was sent,
    whole; and requests keep succeeding through the balancer."""
    sent = {}  # title -> sha256 of every upload started
    acked = {}  # file id -> (title, sha256) of every upload answered 200
    lock = threading.Lock()
    stop = threading.Event()
    uploads_before_kill = threading.Semaphore(0)

    def worker(n):
        i = 0
        while not stop.is_set() and i < 200:
            i += 1
            title = f"load-{n}-{i}-{uuid.uuid4().hex[:6]}.bin"
            data = os.urandom(512 * 1024 + i)
            digest = hashlib.sha256(data).hexdigest()
            with lock:
                sent[title] = digest
            try:
                r = requests.post(
                    f"{cluster.public}/api/2.0/files/@my/upload",
                    headers=auth(cluster),
                    files={"File": (title, data)},
                    timeout=60,
                )
            except requests.RequestException:
                continue
            if r.status_code == 200:
                with lock:
                    acked[r.json()["response"][0]["id"]] = (title, digest)
                uploads_before_kill.release()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(12):  # some uploads landed: the load is on every node
            assert uploads_before_kill.acquire(timeout=60), "uploads do not get through"
        cluster.procs[2].send_signal(signal.SIGKILL)
        cluster.procs[2].wait()
        with lock:
            at_kill = len(acked)
        deadline = time.monotonic() + 60
        while True:  # and 12 more acknowledged after the kill, through the others
            with lock:
                if len(acked) >= at_kill + 12:
                    break
            assert time.monotonic() < deadline, "uploads stopped after a node was killed"
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(acked) >= 24

    # Every acknowledged upload is there, whole, through each remaining node.
    for file_id, (title, digest) in acked.items():
        for i in (0, 1):
            r = download(cluster.node(i), file_id, headers=auth(cluster))
            assert r.status_code == 200, f"acknowledged {title} is missing on node {i}"
            assert hashlib.sha256(r.content).hexdigest() == digest, f"{title} differs on node {i}"

    # Nothing half-visible: every listed file is one we sent, whole.
    listed = []
    while True:
        r = requests.get(
            f"{cluster.node(0)}/api/2.0/files/@my",
            headers=auth(cluster),
            params={"count": 100, "startIndex": len(listed)},
        )
        assert r.status_code == 200
        page = r.json()["response"]
        listed += page["files"]
        if not page["files"] or len(listed) >= page["total"]:
            break
    for f in listed:
        if not f["title"].startswith("load-"):
            continue
        assert f["title"] in sent, f"unknown file {f['title']}"
        body = download(cluster.node(1), f["id"], headers=auth(cluster))
        assert body.status_code == 200 and hashlib.sha256(body.content).hexdigest() == sent[f["title"]], f["title"]
    assert {i for i in acked} <= {f["id"] for f in listed}

    # fsck on the shared PostgreSQL schema and S3 bucket: no row without its
    # blob or with a wrong size. An upload whose blob was complete when the
    # node died but whose row never came is an orphan, which --repair removes.
    env = {k: v for k, v in cluster.env.items() if k != "SPACELINKS_DATA_DIR"}
    fsck = [os.environ["SPACELINKS_BIN"], "fsck", "--json", "--data-dir", cluster.dir]
    out = subprocess.run(fsck, env=env, capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    report = json.loads(out.stdout)
    assert report["rows"] >= len(acked)
    assert [f for f in report["findings"] if f["kind"] not in ("orphan",)] == [], report
    out = subprocess.run(fsck + ["--repair", "--grace-minutes", "0"], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and json.loads(out.stdout)["clean"], out.stdout + out.stderr

    # The balancer keeps answering: reads and writes, none refused.
    for n in range(2 * NODES):
        assert requests.get(f"{cluster.public}/api/2.0/files/@my", headers=auth(cluster)).status_code == 200
        upload(cluster, cluster.public, f"after-{n}.txt", b"still here\n")
