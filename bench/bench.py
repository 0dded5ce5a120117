#!/usr/bin/env python3
"""The spacelinks benchmark; `bench/run` builds what it needs and calls this.

Every figure is measured against a baseline taken in the same run on the same
machine, interleaved with it (server, baseline, server, baseline...), and
reported as a ratio: the machine is shared and absolute numbers drift.

  1. link resolve / file info through a link    vs nginx, static JSON of the same bytes
  2. download 1 MiB / 100 MiB through a link     vs nginx, the same file with sendfile
  3. PUT .../links on SQLite and PostgreSQL      vs the store's own update rate (no HTTP)
  4. resolve / list links with 10^6 links        vs the same with 10^3 links
  5. resident memory, binary size, start time    vs nginx (memory, start) and the target
  6. the owner web app's file page               vs the API's file info (same session)
  7. downloads from the S3 store (s3s-fs)        vs the same from the local store
  8. resolve / file info, link cache off         vs the same with the cache on

Writes bench/out/results.json, results.md and throughput.png.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
BIN = TARGET / "release" / "spacelinks"
HELPER = TARGET / "release" / "examples" / "bench_store"
S3S_FS = Path(os.environ.get("SPACELINKS_TOOLS_DIR") or Path.home() / ".cache/spacelinks/tools") / "bin" / "s3s-fs"
# Scenario groups, for --only.
GROUPS = ("http", "download", "put", "scale", "webapp", "s3", "nocache")
# The link cache's switch (`--link-cache on|off`); a build without the cache
# ignores the variable, and then both runs measure the same server.
CACHE_ON, CACHE_OFF = {"SPACELINKS_LINK_CACHE": "on"}, {"SPACELINKS_LINK_CACHE": "off"}
PG_ADMIN = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-d", "postgres"]
OWNER, PASSWORD = "bench@localhost", "bench-password-123"
MIB = 1024 * 1024

TARGETS = {
    "resolve_vs_nginx": (">=", 0.5),
    "file_info_vs_nginx": (">=", 0.5),
    "download_1m_vs_nginx": (">=", 0.8),
    "download_100m_vs_nginx": (">=", 0.8),
    "put_links_sqlite_vs_store": (">=", 0.8),
    "put_links_postgres_vs_store": (">=", 0.8),
    "resolve_1e6_slowdown": ("<=", 1.3),
    "list_1e6_slowdown": ("<=", 1.3),
    "rss_under_load_mib": ("<", 50.0),
}

_children = []  # every process we start, stopped on exit whatever happens
_cleanups = []


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def spawn(cmd, env=None, logfile=None):
    out = open(logfile, "ab") if logfile else subprocess.DEVNULL
    p = subprocess.Popen([str(c) for c in cmd], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _children.append(p)
    return p


def stop(p, timeout=10):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in _children:
        _children.remove(p)


def cleanup():
    for p in list(_children):
        try:
            stop(p)
        except Exception:
            pass
    for fn in reversed(_cleanups):
        try:
            fn()
        except Exception as e:
            print(f"cleanup: {e}", file=sys.stderr)
    _cleanups.clear()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_http(url, deadline_s=30.0, proc=None):
    """Polls `url` every 2 ms until it answers 200; returns seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < deadline_s:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"{url} did not answer within {deadline_s}s")


def rss_kib(pids, field="VmRSS"):
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def reset_peak_rss(pid):
    """Resets VmHWM to the current VmRSS (Linux >= 4.0); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def process_tree(pid):
    """`pid` and its children (nginx master + workers)."""
    pids = [pid]
    try:
        for t in Path(f"/proc/{pid}/task").iterdir():
            kids = Path(f"/proc/{pid}/task/{t.name}/children").read_text().split()
            pids += [int(k) for k in kids]
    except OSError:
        pass
    return pids


class RssSampler:
    """Highest resident memory of a process tree while a load runs."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(process_tree(self.pid)))
            self._stop.wait(0.05)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


class Server:
    """One spacelinks process with its own fresh data directory."""

    def __init__(self, name, root, database_url=None, extra_env=None):
        self.name = name
        self.data_dir = root / f"data-{name}"
        self.data_dir.mkdir(parents=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPACELINKS_")}
        env.update(
            SPACELINKS_LISTEN=f"127.0.0.1:{self.port}",
            SPACELINKS_DATA_DIR=str(self.data_dir),
            SPACELINKS_OWNER_EMAIL=OWNER,
            SPACELINKS_OWNER_PASSWORD=PASSWORD,
            RUST_LOG="warn",
        )
        if database_url:
            env["SPACELINKS_DATABASE_URL"] = database_url
        env.update(extra_env or {})
        self.database_url = database_url or f"sqlite://{self.data_dir / 'spacelinks.db'}?mode=rwc"
        self.env, self.log = env, root / f"{name}.log"
        self.proc = None

    def start(self):
        self.proc = spawn([BIN, "serve"], env=self.env, logfile=self.log)
        self.startup_s = wait_http(self.base + "/healthz", proc=self.proc)
        self.rss_started_kib = rss_kib([self.proc.pid])
        return self

    def stop(self):
        if self.proc:
            stop(self.proc)
            self.proc = None

    def api(self, method, path, body=None, auth=True):
        headers = {"Authorization": f"Bearer {self.key}"} if auth else {}
        status, raw = http(method, self.base + path, body, headers)
        return json.loads(raw)

    def sign_in(self):
        _, raw = http("POST", self.base + "/api/2.0/authentication", {"userName": OWNER, "password": PASSWORD})
        token = json.loads(raw)["response"]["token"]
        self.session = token  # also the web app's session cookie
        _, raw = http("POST", self.base + "/api/2.0/keys", {"name": "bench"}, {"Authorization": token})
        self.key = json.loads(raw)["response"]["key"]
        return self

    def upload(self, path):
        out = subprocess.run(
            ["curl", "-sf", "-H", f"Authorization: Bearer {self.key}", "-F", f"File=@{path}",
             self.base + "/api/2.0/files/@my/upload"],
            check=True, capture_output=True,
        ).stdout
        return json.loads(out)["response"][0]["id"]

    def new_file(self, title):
        return self.api("POST", "/api/2.0/files/@my/file", {"title": title})["response"]["id"]

    def new_link(self, file_id):
        link = self.api("PUT", f"/api/2.0/files/file/{file_id}/links", {"access": 2})["response"]["sharedLink"]
        return link["requestToken"], link["id"]

    @property
    def pid(self):
        return self.proc.pid


class Nginx:
    """Debian's nginx on loopback, serving `www` with sendfile."""

    def __init__(self, root, www):
        self.dir = root / "nginx"
        self.dir.mkdir()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        d = self.dir
        conf = f"""
worker_processes 2;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=64;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{ application/json json; application/octet-stream bin; }}
    server {{
        listen 127.0.0.1:{self.port};
        root {www};
    }}
}}
"""
        (d / "nginx.conf").write_text(conf)
        self.conf = d / "nginx.conf"

    def start(self):
        t0 = time.perf_counter()
        self.proc = spawn(["nginx", "-c", self.conf, "-p", self.dir], logfile=self.dir / "stdout.log")
        wait_http(self.base + "/resolve.json", proc=self.proc)
        self.startup_s = time.perf_counter() - t0
        return self

    def stop(self):
        stop(self.proc)

    @property
    def pid(self):
        return self.proc.pid


def wrk(url, pid, args, headers=(), script="report.lua", script_args=(), seconds=None):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds or args.duration}s",
           "--timeout", "60s", "-s", str(BENCH / script)]
    for h in headers:
        cmd += ["-H", h]
    cmd += [url, "--", *script_args]
    with RssSampler(pid) as rss:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=(seconds or args.duration) + 120)
    line = next((l for l in out.stdout.splitlines() if l.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    r = json.loads(line[len("WRKJSON "):])
    secs = r["duration_us"] / 1e6
    r.update(rps=r["requests"] / secs, mib_s=r["bytes"] / secs / MIB, peak_rss_kib=rss.peak)
    bad = sum(r["errors"].values())
    if bad:
        raise RuntimeError(f"{url}: {bad} failed requests during the run: {r['errors']}")
    return r


def helper(*argv, timeout=3600):
    out = subprocess.run([str(HELPER), *map(str, argv)], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"bench_store {argv[0]} failed: {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pg_available():
    if not shutil.which("psql"):
        return False
    return subprocess.run([*PG_ADMIN, "-c", "select 1"], capture_output=True).returncode == 0


def pg_database():
    name = f"spacelinks_bench_{os.getpid()}_{int(time.time())}"
    subprocess.run([*PG_ADMIN, "-c", f"create database {name}"], check=True, capture_output=True)
    _cleanups.append(lambda: subprocess.run([*PG_ADMIN, "-c", f"drop database if exists {name} with (force)"],
                                            check=True, capture_output=True))
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem_kib = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))

    def version(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except Exception:
            return "unknown"

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
        "wrk": version(["wrk", "-v"]),
        "nginx": version(["nginx", "-v"]),
        "rustc": version(["rustc", "-V"]),
        "commit": version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
    }


def med(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10, help="seconds per load run (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds; figures are medians (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections, the same for every target (default 32)")
    ap.add_argument("--scale", type=int, default=1_000_000, help="links in the large database (default 10^6)")
    ap.add_argument("--only", default="", help="comma list of groups to run: " + ",".join(GROUPS) + " (default all)")
    ap.add_argument("--s3s-fs", default=str(S3S_FS), help="the s3s-fs binary for the s3 group (bench/run installs it)")
    ap.add_argument("--keep", action="store_true", help="keep the data directories under bench/out/run")
    ap.add_argument("--perf", default="", metavar="SCENARIO",
                    help="record a CPU profile of the server (perf) during that scenario's first round: "
                         "bench/out/perf-SCENARIO.{data,txt}")
    args = ap.parse_args()
    groups = set(filter(None, args.only.split(","))) or set(GROUPS)
    if groups - set(GROUPS):
        ap.error(f"unknown groups {', '.join(sorted(groups - set(GROUPS)))}; known: {', '.join(GROUPS)}")

    OUT.mkdir(exist_ok=True)
    root = OUT / "run"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    root.chmod(0o755)
    if not args.keep:
        _cleanups.append(lambda: shutil.rmtree(root, ignore_errors=True))
    www = root / "www"
    www.mkdir()
    www.chmod(0o755)

    results = {"machine": machine(), "settings": {k: v for k, v in vars(args).items() if k != "keep"},
               "scenarios": {}, "footprint": {}, "ratios": {}, "targets": {}, "notes": []}
    runs = {}  # scenario -> list of wrk results, one per round

    def record(name, r):
        runs.setdefault(name, []).append(r)
        log(f"  {name:<28} {r['rps']:>10.0f} req/s  {r['mib_s']:>9.1f} MiB/s  p50 {r['latency_us']['p50'] / 1000:7.2f} ms"
            f"  p99 {r['latency_us']['p99'] / 1000:7.2f} ms  rss {r['peak_rss_kib'] / 1024:6.1f} MiB")

    # -- 5. footprint: binary and start to /healthz (fresh data dir, then restart)
    log("start-up times")
    fresh, again = [], []
    for i in range(5):
        s = Server(f"start{i}", root).start()
        fresh.append(s.startup_s)
        s.stop()
        s.start()
        again.append(s.startup_s)
        s.stop()
    results["footprint"].update(
        binary_bytes=BIN.stat().st_size,
        start_to_healthz_fresh_ms=med(fresh) * 1000,
        start_to_healthz_restart_ms=med(again) * 1000,
    )

    # -- the main SQLite server: files and links for scenarios 1 and 2
    log("seeding the main server (SQLite)")
    main_srv = Server("main", root, extra_env=CACHE_ON).start().sign_in()
    results["footprint"]["rss_idle_started_kib"] = main_srv.rss_started_kib
    small = www / "report.txt"
    small.write_bytes(b"spacelinks benchmark\n" * 50)
    small_id = main_srv.upload(small)
    small_token, _ = main_srv.new_link(small_id)
    resolve_path = f"/api/2.0/files/share/{small_token}"
    info_path = f"/api/2.0/files/file/{small_id}"
    info_headers = [f"Request-Token: {small_token}"]
    # nginx answers exactly the bytes spacelinks answers.
    _, body = http("GET", main_srv.base + resolve_path)
    (www / "resolve.json").write_bytes(body)
    _, body = http("GET", main_srv.base + info_path, headers={"Request-Token": small_token})
    (www / "info.json").write_bytes(body)
    results["settings"]["json_bytes"] = {"resolve": (www / "resolve.json").stat().st_size,
                                         "file_info": (www / "info.json").stat().st_size}
    downloads = {}
    if groups & {"download", "s3"}:
        for name, size in (("1m", MIB), ("100m", 100 * MIB)):
            f = www / f"{name}.bin"
            with open(f, "wb") as fh:
                for _ in range(size // MIB):
                    fh.write(os.urandom(MIB))
            if name == "100m":
                results["footprint"].update(upload_memory(main_srv, f))
                fid = results["footprint"].pop("upload_file_id")
            else:
                fid = main_srv.upload(f)
            downloads[name] = download_path(main_srv, fid, size)
    for p in www.iterdir():
        p.chmod(0o644)
    time.sleep(1)
    results["footprint"]["rss_idle_seeded_kib"] = rss_kib([main_srv.pid])
    nginx = Nginx(root, www).start()

    # -- 7. the same files from an S3 store (s3s-fs on loopback, same disk)
    s3_srv, s3_downloads = None, {}
    if "s3" in groups:
        if Path(args.s3s_fs).is_file():
            log("seeding the S3 server")
            try:
                s3_srv = s3_server(root, Path(args.s3s_fs))
                for name, size in (("1m", MIB), ("100m", 100 * MIB)):
                    s3_downloads[name] = download_path(s3_srv, s3_srv.upload(www / f"{name}.bin"), size)
            except Exception as e:  # the other groups still run
                log(f"  the S3 server failed: {e}")
                results["notes"].append(f"The S3 scenarios did not run: {e}")
                if s3_srv:
                    s3_srv.stop()
                s3_srv, s3_downloads = None, {}
        else:
            results["notes"].append(f"No s3s-fs at {args.s3s_fs} (bench/run installs it): no S3 figures.")

    # -- 8. the link cache off: a second server like the main one
    nocache_srv = None
    if "nocache" in groups:
        log("seeding the server with the link cache off")
        nocache_srv = Server("nocache", root, extra_env=CACHE_OFF).start().sign_in()
        nc_id = nocache_srv.upload(small)
        nc_token, _ = nocache_srv.new_link(nc_id)
        nc_resolve, nc_info = f"/api/2.0/files/share/{nc_token}", f"/api/2.0/files/file/{nc_id}"
    results["footprint"]["nginx_start_ms"] = nginx.startup_s * 1000
    results["footprint"]["nginx_rss_idle_kib"] = rss_kib(process_tree(nginx.pid))

    # -- 3. PUT .../links: 100 files with one link each, on SQLite and PostgreSQL
    put_servers = {}
    if "put" in groups:
        backends = [("sqlite", None)]
        if pg_available():
            backends.append(("postgres", pg_database()))
        else:
            results["notes"].append("PostgreSQL was not reachable at 127.0.0.1:5432: no PostgreSQL figures.")
        for backend, url in backends:
            log(f"seeding the PUT server ({backend})")
            s = Server(f"put-{backend}", root, url).start().sign_in()
            lines = []
            for i in range(100):
                fid = s.new_file(f"put-{i}.txt")
                _, lid = s.new_link(fid)
                body = json.dumps({"linkId": lid, "access": 2, "title": "Link {n}"})
                lines.append(f"/api/2.0/files/file/{fid}/links\t{body}")
            paths = root / f"put-{backend}.paths"
            paths.write_text("\n".join(lines) + "\n")
            put_servers[backend] = (s, paths)

    # -- 4. scale: 10^3 and 10^6 links seeded through the store
    scale_servers = {}
    if "scale" in groups:
        for label, n in (("1e3", 1000), ("1e6", args.scale)):
            log(f"seeding {n} links through the store ({label})")
            s = Server(f"scale-{label}", root).start().sign_in()
            tpl = s.new_file("template.txt")
            seeded = helper("seed", s.database_url, s.data_dir / "secret.key", tpl, n, 1000)
            log(f"  {seeded['links']} links on {seeded['files']} files in {seeded['seconds']:.1f}s")
            rp, lp = root / f"resolve-{label}.paths", root / f"list-{label}.paths"
            rp.write_text("".join(f"/api/2.0/files/share/{x['token']}\n" for x in seeded["sample"]))
            lp.write_text("".join(f"/api/2.0/files/file/{x['fileId']}/links\n" for x in seeded["sample"]))
            for path in (rp, lp):  # every sampled path answers 200 before we measure
                for p in path.read_text().split()[:: max(1, len(seeded["sample"]) // 20)]:
                    http("GET", s.base + p, headers={"Authorization": f"Bearer {s.key}"})
            results["settings"][f"seeded_{label}"] = {k: v for k, v in seeded.items() if k != "sample"}
            scale_servers[label] = (s, rp, lp)

    # -- the load runs, interleaved round by round
    auth = lambda s: [f"Authorization: Bearer {s.key}"]  # noqa: E731
    plan = []
    if "http" in groups:
        plan += [
            ("resolve", main_srv.pid, lambda: wrk(main_srv.base + resolve_path, main_srv.pid, args)),
            ("nginx_resolve_json", nginx.pid, lambda: wrk(nginx.base + "/resolve.json", nginx.pid, args)),
            ("file_info", main_srv.pid, lambda: wrk(main_srv.base + info_path, main_srv.pid, args, headers=info_headers)),
            ("nginx_file_info_json", nginx.pid, lambda: wrk(nginx.base + "/info.json", nginx.pid, args)),
        ]
    if "download" in groups:
        for name in downloads:
            plan += [
                (f"download_{name}", main_srv.pid, lambda n=name: wrk(main_srv.base + downloads[n], main_srv.pid, args)),
                (f"nginx_sendfile_{name}", nginx.pid, lambda n=name: wrk(nginx.base + f"/{n}.bin", nginx.pid, args)),
            ]
    if "webapp" in groups:
        cookie = [f"Cookie: spacelinks_session={main_srv.session}"]
        page = f"/files/file/{small_id}"
        status, body = http("GET", main_srv.base + page, headers={"Cookie": cookie[0].split(": ", 1)[1]})
        assert status == 200 and b"<html" in body.lower()[:500], f"the file page answered {status}"
        plan += [
            ("webapp_file_page", main_srv.pid, lambda: wrk(main_srv.base + page, main_srv.pid, args, headers=cookie)),
            ("owner_file_info", main_srv.pid, lambda: wrk(main_srv.base + info_path, main_srv.pid, args,
                                                          headers=[f"Authorization: {main_srv.session}"])),
        ]
    if nocache_srv:
        # The cache-on baseline is the main server's resolve and file info
        # runs of the same round when the http group runs, else runs of their own.
        plan += [("resolve_cache_off", nocache_srv.pid,
                  lambda: wrk(nocache_srv.base + nc_resolve, nocache_srv.pid, args))]
        if "http" not in groups:
            plan += [("resolve_cache_on", main_srv.pid, lambda: wrk(main_srv.base + resolve_path, main_srv.pid, args))]
        plan += [("file_info_cache_off", nocache_srv.pid, lambda: wrk(
            nocache_srv.base + nc_info, nocache_srv.pid, args, headers=[f"Request-Token: {nc_token}"]))]
        if "http" not in groups:
            plan += [("file_info_cache_on", main_srv.pid, lambda: wrk(
                main_srv.base + info_path, main_srv.pid, args, headers=info_headers))]
    if s3_srv:
        # Fewer connections: S3 through s3s-fs on the same cores is slow
        # enough that 32 parallel 100 MiB responses would outlast the run.
        c4 = argparse.Namespace(**{**vars(args), "connections": S3_CONNECTIONS})
        for name in s3_downloads:
            plan += [
                (f"download_{name}_s3", s3_srv.pid, lambda n=name: wrk(s3_srv.base + s3_downloads[n], s3_srv.pid, c4)),
                (f"download_{name}_local_c{S3_CONNECTIONS}", main_srv.pid,
                 lambda n=name: wrk(main_srv.base + downloads[n], main_srv.pid, c4)),
            ]
    for backend, (s, paths) in put_servers.items():
        plan += [
            (f"put_links_{backend}", s.pid, lambda s=s, p=paths: wrk(
                s.base + "/", s.pid, args, headers=auth(s) + ["Content-Type: application/json"],
                script="rotate.lua", script_args=[f"paths={p}", "method=PUT"])),
            (f"store_updates_{backend}", None, lambda s=s: store_ceiling(s, args)),
        ]
    if scale_servers:
        for kind in ("resolve", "list"):
            for label, (s, rp, lp) in scale_servers.items():
                paths = rp if kind == "resolve" else lp
                # Resolving is anonymous, as a recipient does; listing is the owner's.
                plan.append((f"{kind}_{label}", s.pid, lambda s=s, p=paths, k=kind: wrk(
                    s.base + "/", s.pid, args, headers=auth(s) if k == "list" else [], script="rotate.lua",
                    script_args=[f"paths={p}", "method=GET"])))

    log("warm-up")
    for name, _, fn in plan:
        if not name.startswith("store_updates"):
            run_warm(fn, args)
    for rnd in range(args.repeat):
        log(f"round {rnd + 1}/{args.repeat}")
        for name, pid, fn in plan:
            if rnd == 0 and name == args.perf:
                with Perf(name, pid):
                    record(name, fn())
            else:
                record(name, fn())

    results["footprint"]["rss_idle_after_load_kib"] = rss_kib([main_srv.pid])
    for s, *_ in list(put_servers.values()) + list(scale_servers.values()):
        s.stop()
    for s in (s3_srv, nocache_srv):
        if s:
            s.stop()
    main_srv.stop()
    nginx.stop()

    summarise(results, runs)
    write_outputs(results)


S3_CONNECTIONS = 4


def download_path(srv, fid, size):
    """A link to the file and the download URL through it, checked once."""
    tok, _ = srv.new_link(fid)
    path = f"/filehandler.ashx?action=download&fileid={fid}&share={tok}"
    _, got = http("GET", srv.base + path)
    assert len(got) == size, f"download of {size} bytes returned {len(got)}"
    return path


def upload_memory(srv, path):
    """Uploads `path` (multipart, curl) and reports how far the server's
    resident memory rose above where it was: VmHWM, reset just before."""
    time.sleep(1)
    before = rss_kib([srv.pid])
    exact = reset_peak_rss(srv.pid)
    with RssSampler(srv.pid) as sampled:
        t0 = time.perf_counter()
        fid = srv.upload(path)
        secs = time.perf_counter() - t0
    peak = rss_kib([srv.pid], "VmHWM") if exact else sampled.peak
    return {"upload_file_id": fid, "upload_100m_rss_before_kib": before, "upload_100m_rss_peak_kib": peak,
            "upload_100m_rss_growth_kib": max(0, peak - before), "upload_100m_mib_s": path.stat().st_size / MIB / secs,
            "upload_100m_peak_exact": exact}


def s3_server(root, s3s_fs):
    """s3s-fs on loopback and a spacelinks server storing its blobs there."""
    store = root / "s3"
    (store / "bench").mkdir(parents=True)
    port = free_port()
    spawn([s3s_fs, "--host", "127.0.0.1", "--port", port, "--access-key", "bench", "--secret-key", "bench-secret",
           store], logfile=root / "s3s-fs.log")
    deadline = time.time() + 30
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.time() > deadline:
            raise RuntimeError("s3s-fs did not listen within 30 s")
        time.sleep(0.05)
    env = {**CACHE_ON, "SPACELINKS_BLOB_URL": "s3://bench/spacelinks", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true"}
    return Server("s3", root, extra_env=env).start().sign_in()


class Perf:
    """`perf record` (199 Hz, DWARF call graphs) of the process under load; the
    unwinding slows that round, so do not take figures from a profiled run."""

    def __init__(self, name, pid):
        self.name, self.pid = name, pid

    def __enter__(self):
        self.data = OUT / f"perf-{self.name}.data"
        self.proc = spawn(["perf", "record", "-e", "cpu-clock", "-F", "199", "--call-graph", "dwarf,16384",
                           "-p", self.pid, "-o", self.data], logfile=OUT / f"perf-{self.name}.log")
        time.sleep(0.5)

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(120)
        _children.remove(self.proc)
        with open(OUT / f"perf-{self.name}.txt", "w") as fh:
            subprocess.run(["perf", "report", "-i", self.data, "--stdio", "--no-children", "--percent-limit", "0.5",
                            "--sort", "dso,symbol", "-g", "none"], stdout=fh, stderr=subprocess.DEVNULL)
        with open(OUT / f"perf-{self.name}-children.txt", "w") as fh:
            subprocess.run(["perf", "report", "-i", self.data, "--stdio", "--children", "--percent-limit", "2",
                            "--sort", "symbol", "-g", "caller,0.5,callee,function,percent", "--max-stack", "40"],
                           stdout=fh, stderr=subprocess.DEVNULL)
        log(f"  profile: {OUT / f'perf-{self.name}.txt'}")


def run_warm(fn, args):
    saved = args.duration
    args.duration = 2
    try:
        fn()
    finally:
        args.duration = saved


def store_ceiling(s, args):
    r = helper("write-ceiling", s.database_url, args.duration, args.connections)
    return {"rps": r["perSecond"], "mib_s": 0.0, "requests": r["updates"], "bytes": 0,
            "duration_us": int(r["seconds"] * 1e6), "latency_us": {"p50": 0, "p90": 0, "p99": 0, "mean": 0, "max": 0},
            "errors": {}, "peak_rss_kib": 0}


def summarise(results, runs):
    for on, same in (("resolve_cache_on", "resolve"), ("file_info_cache_on", "file_info")):
        if on not in runs and same in runs:
            runs[on] = runs[same]  # the main server runs with the cache on
    sc = results["scenarios"]
    for name, rs in runs.items():
        sc[name] = {
            "rounds": len(rs),
            "req_s": med([r["rps"] for r in rs]),
            "mib_s": med([r["mib_s"] for r in rs]),
            "p50_ms": med([r["latency_us"]["p50"] / 1000 for r in rs]),
            "p99_ms": med([r["latency_us"]["p99"] / 1000 for r in rs]),
            "peak_rss_mib": max(r["peak_rss_kib"] for r in rs) / 1024,
            "req_s_each_round": [round(r["rps"], 1) for r in rs],
        }

    def paired(a, b, key="rps", invert=False):
        """Median over rounds of a/b (each round's pair ran back to back)."""
        if a not in runs or b not in runs:
            return None
        xs = [(y[key] / x[key]) if invert else (x[key] / y[key]) for x, y in zip(runs[a], runs[b])]
        return med(xs)

    ratios = results["ratios"]
    ratios["resolve_vs_nginx"] = paired("resolve", "nginx_resolve_json")
    ratios["file_info_vs_nginx"] = paired("file_info", "nginx_file_info_json")
    ratios["download_1m_vs_nginx"] = paired("download_1m", "nginx_sendfile_1m", "mib_s")
    ratios["download_100m_vs_nginx"] = paired("download_100m", "nginx_sendfile_100m", "mib_s")
    ratios["put_links_sqlite_vs_store"] = paired("put_links_sqlite", "store_updates_sqlite")
    ratios["put_links_postgres_vs_store"] = paired("put_links_postgres", "store_updates_postgres")
    ratios["put_links_postgres_vs_sqlite"] = paired("put_links_postgres", "put_links_sqlite")
    # Slowdown: how many times fewer requests/s with 10^6 links than with 10^3.
    ratios["resolve_1e6_slowdown"] = paired("resolve_1e6", "resolve_1e3", invert=True)
    ratios["list_1e6_slowdown"] = paired("list_1e6", "list_1e3", invert=True)
    ratios["webapp_file_page_vs_api"] = paired("webapp_file_page", "owner_file_info")
    ratios["resolve_cache_off_vs_on"] = paired("resolve_cache_off", "resolve_cache_on")
    ratios["file_info_cache_off_vs_on"] = paired("file_info_cache_off", "file_info_cache_on")
    for n in ("1m", "100m"):
        ratios[f"download_{n}_s3_vs_local"] = paired(f"download_{n}_s3", f"download_{n}_local_c{S3_CONNECTIONS}", "mib_s")
    server_runs = [n for n in sc if not n.startswith(("nginx_", "store_"))]
    fp = results["footprint"]
    if server_runs:
        fp["rss_under_load_peak_kib"] = max(sc[n]["peak_rss_mib"] for n in server_runs) * 1024
        fp["rss_under_load_peak_scenario"] = max(server_runs, key=lambda n: sc[n]["peak_rss_mib"])
        ratios["rss_under_load_mib"] = fp["rss_under_load_peak_kib"] / 1024
        local = [n for n in server_runs if not n.endswith("_s3")]
        if local and len(local) < len(server_runs):
            fp["rss_under_load_peak_local_kib"] = max(sc[n]["peak_rss_mib"] for n in local) * 1024
    nginx_runs = [n for n in sc if n.startswith("nginx_")]
    if nginx_runs:
        fp["nginx_rss_under_load_peak_kib"] = max(sc[n]["peak_rss_mib"] for n in nginx_runs) * 1024
    for k, (op, limit) in TARGETS.items():
        v = ratios.get(k)
        if v is None:
            continue
        met = {">=": v >= limit, "<=": v <= limit, "<": v < limit}[op]
        results["targets"][k] = {"value": v, "target": f"{op} {limit}", "met": met}


LABELS = {
    "resolve": ("Resolve a link `GET files/share/{key}`", "nginx_resolve_json", "nginx, static JSON (same bytes)"),
    "file_info": ("File info through a link `GET files/file/{id}` + Request-Token", "nginx_file_info_json",
                  "nginx, static JSON (same bytes)"),
    "download_1m": ("Download 1 MiB through a link", "nginx_sendfile_1m", "nginx, sendfile"),
    "download_100m": ("Download 100 MiB through a link", "nginx_sendfile_100m", "nginx, sendfile"),
    "put_links_sqlite": ("`PUT files/file/{id}/links` update, SQLite", "store_updates_sqlite",
                         "store's `update_link`, no HTTP"),
    "put_links_postgres": ("`PUT files/file/{id}/links` update, PostgreSQL", "store_updates_postgres",
                           "store's `update_link`, no HTTP"),
    "resolve_1e6": ("Resolve, 10^6 links in the database", "resolve_1e3", "10^3 links"),
    "list_1e6": ("List a file's links, 10^6 links in the database", "list_1e3", "10^3 links"),
    "webapp_file_page": ("Owner web app: file page `GET /files/file/{id}` (session cookie)", "owner_file_info",
                         "API file info, same session"),
    "resolve_cache_off": ("Resolve a link, link cache off", "resolve_cache_on", "the same, cache on"),
    "file_info_cache_off": ("File info through a link, link cache off", "file_info_cache_on", "the same, cache on"),
    "download_1m_s3": (f"Download 1 MiB through a link, S3 store (s3s-fs), -c{S3_CONNECTIONS}",
                       f"download_1m_local_c{S3_CONNECTIONS}", "the same, local store"),
    "download_100m_s3": (f"Download 100 MiB through a link, S3 store (s3s-fs), -c{S3_CONNECTIONS}",
                         f"download_100m_local_c{S3_CONNECTIONS}", "the same, local store"),
}
RATIO_OF = {
    "resolve": "resolve_vs_nginx", "file_info": "file_info_vs_nginx", "download_1m": "download_1m_vs_nginx",
    "download_100m": "download_100m_vs_nginx", "put_links_sqlite": "put_links_sqlite_vs_store",
    "put_links_postgres": "put_links_postgres_vs_store", "resolve_1e6": "resolve_1e6_slowdown",
    "list_1e6": "list_1e6_slowdown", "webapp_file_page": "webapp_file_page_vs_api",
    "resolve_cache_off": "resolve_cache_off_vs_on", "file_info_cache_off": "file_info_cache_off_vs_on",
    "download_1m_s3": "download_1m_s3_vs_local", "download_100m_s3": "download_100m_s3_vs_local",
}


def fmt(v, nd=0):
    return "—" if v is None else f"{v:,.{nd}f}"


def target_cell(results, key):
    t = results["targets"].get(key)
    if not t:
        return "—"
    return f"{t['target']}: **{'met' if t['met'] else 'missed'}**"


def markdown(results):
    m, sc, ra, fp, st = results["machine"], results["scenarios"], results["ratios"], results["footprint"], results["settings"]
    out = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
        f"{m['date']}; commit {m['commit']}; load average at start {', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}.  ",
        f"Load: {m['wrk']}, `-t{st['threads']} -c{st['connections']} -d{st['duration']}s` against every target; "
        f"median of {st['repeat']} interleaved rounds; ratios are the median of the per-round ratios. "
        f"Baseline: {m['nginx']}.",
        "",
        "| scenario | spacelinks | p50 / p99 ms | baseline | baseline figure | ratio | target |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    for name, (title, base, base_label) in LABELS.items():
        if name not in sc:
            continue
        s, b = sc[name], sc.get(base, {})
        if name.startswith("download"):
            fig, bfig = f"{fmt(s['mib_s'])} MiB/s", f"{fmt(b.get('mib_s'))} MiB/s"
        else:
            fig, bfig = f"{fmt(s['req_s'])} req/s", f"{fmt(b.get('req_s'))} req/s"
        lat = f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f}"
        if base.startswith("resolve_1e3") or base.startswith("list_1e3"):
            bfig += f" (p50 {b['p50_ms']:.2f} ms)"
        key = RATIO_OF[name]
        ratio = ra.get(key)
        rtxt = "—" if ratio is None else (f"{ratio:.2f}× slower" if "slowdown" in key else f"{ratio:.2f}×")
        out.append(f"| {title} | {fig} | {lat} | {base_label} | {bfig} | {rtxt} | {target_cell(results, key)} |")
    if ra.get("put_links_postgres_vs_sqlite") is not None:
        out.append(f"| PUT links, PostgreSQL ÷ SQLite | | | | | {ra['put_links_postgres_vs_sqlite']:.2f}× | — |")
    out += [
        "",
        "| footprint | spacelinks | nginx | target |",
        "|---|---:|---:|---|",
        f"| resident memory, idle after start | {fp['rss_idle_started_kib'] / 1024:.1f} MiB | "
        f"{fp['nginx_rss_idle_kib'] / 1024:.1f} MiB (master + 2 workers) | — |",
        f"| resident memory, idle after seeding (incl. a 100 MiB upload) | {fp['rss_idle_seeded_kib'] / 1024:.1f} MiB | | — |",
    ]
    if "upload_100m_rss_growth_kib" in fp:
        how = "VmHWM, reset before" if fp["upload_100m_peak_exact"] else "VmRSS sampled every 50 ms"
        out.append(f"| resident memory, rise during a 100 MiB multipart upload (curl, {fp['upload_100m_mib_s']:.0f} MiB/s; "
                   f"{how}) | +{fp['upload_100m_rss_growth_kib'] / 1024:.1f} MiB (from "
                   f"{fp['upload_100m_rss_before_kib'] / 1024:.1f} to {fp['upload_100m_rss_peak_kib'] / 1024:.1f}) | | "
                   "a few MiB |")
    if "rss_under_load_peak_kib" in fp:
        out.append(
            f"| resident memory, peak under load (every scenario; highest: {fp['rss_under_load_peak_scenario']}) | "
            f"{fp['rss_under_load_peak_kib'] / 1024:.1f} MiB | {fp.get('nginx_rss_under_load_peak_kib', 0) / 1024:.1f} MiB | "
            f"{target_cell(results, 'rss_under_load_mib')} |")
        if "rss_under_load_peak_local_kib" in fp:
            out.append(f"| resident memory, peak under load of the servers on the local store (all but the S3 server) | "
                       f"{fp['rss_under_load_peak_local_kib'] / 1024:.1f} MiB | | — |")
    out += [
        f"| resident memory, idle after the load | {fp['rss_idle_after_load_kib'] / 1024:.1f} MiB | | — |",
        f"| binary size (release, not stripped of symbols) | {fp['binary_bytes'] / MIB:.1f} MiB | | — |",
        f"| start to `/healthz` 200, fresh data dir (migrations, owner's Argon2id hash) | "
        f"{fp['start_to_healthz_fresh_ms']:.0f} ms | {fp['nginx_start_ms']:.0f} ms (start to first 200) | — |",
        f"| start to `/healthz` 200, existing data dir | {fp['start_to_healthz_restart_ms']:.0f} ms | | — |",
    ]
    if "rss_under_load_peak_kib" in fp:
        out += ["", "Peak resident memory per scenario (MiB): " + ", ".join(
            f"{n} {s['peak_rss_mib']:.1f}" for n, s in sc.items() if not n.startswith("store_"))]
    for k in ("seeded_1e3", "seeded_1e6"):
        if k in st:
            x = st[k]
            out.append(f"\nSeeded {k[-3:]}: {x['links']:,} links on {x['files']:,} files (7 per file) in "
                       f"{x['seconds']:.1f} s; {x['linksInDatabase']:,} links in the database. Each run cycles "
                       "through 1,000 links (or their files) drawn uniformly from them.")
    for n in results["notes"]:
        out.append(f"\nNote: {n}")
    return "\n".join(out) + "\n"


def chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        results["notes"].append("matplotlib is missing: no chart.")
        return
    sc = results["scenarios"]
    req = [n for n in LABELS if n in sc and not n.startswith("download")]
    dl = [n for n in LABELS if n in sc and n.startswith("download")]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [max(len(req), 1), max(len(dl), 1)]})
    for ax, names, key, unit in ((axes[0], req, "req_s", "requests/s"), (axes[1], dl, "mib_s", "MiB/s")):
        xs = range(len(names))
        ours = [sc[n][key] for n in names]
        base = [sc.get(LABELS[n][1], {}).get(key, 0) for n in names]
        ax.bar([x - 0.2 for x in xs], ours, 0.4, label="spacelinks", color="#2c6fbb")
        ax.bar([x + 0.2 for x in xs], base, 0.4, label="baseline", color="#999999")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([n.replace("_", "\n", 1) for n in names], fontsize=8)
        ax.set_ylabel(unit + (" (log scale)" if key == "req_s" else ""))
        if key == "req_s":
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
        for x, n in zip(xs, names):
            r = results["ratios"].get(RATIO_OF[n])
            if r is not None:
                txt = f"{r:.2f}× slower" if "slowdown" in RATIO_OF[n] else f"{r:.2f}×"
                ax.annotate(txt, (x, max(sc[n][key], base[x])), ha="center", va="bottom", fontsize=8)
    axes[0].set_title("requests/s (baseline: nginx JSON, store updates, or 10^3 links)", fontsize=9)
    axes[1].set_title("download throughput (baseline: nginx sendfile)", fontsize=9)
    axes[0].legend(fontsize=8)
    m = results["machine"]
    fig.suptitle(f"spacelinks throughput per scenario — {m['nproc']} cores, {m['cpu']}, {m['date']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_outputs(results):
    chart(results, OUT / "throughput.png")
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    md = markdown(results)
    (OUT / "results.md").write_text(md)
    print()
    print(md)
    log(f"wrote {OUT / 'results.json'}, {OUT / 'results.md'}, {OUT / 'throughput.png'}")


if __name__ == "__main__":
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(130))
    try:
        main()
    finally:
        cleanup()
