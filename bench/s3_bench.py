"""Upload and download throughput through spacelinks with the local blob
store and with S3 (s3s-fs on loopback, backed by the same disk), one client
at a time, rounds interleaved (local, S3, local, S3, ...) so that the shared
machine's load falls on both alike. Prints a Markdown table and writes
bench/out/s3.json. Uses only the standard library and curl."""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

OWNER = ("owner@example.com", "owner-password-1")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, proc, what):
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited at start")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} not ready in 30 s")
        time.sleep(0.05)


def post_json(url, body, headers=None):
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)["response"]


def curl(args, output="/dev/stdout"):
    """Runs curl; returns (HTTP status, seconds, body)."""
    out = subprocess.run(
        ["curl", "-sS", "-o", output, "-w", "\n%{http_code} %{time_total}", *args],
        capture_output=True,
        check=True,
    ).stdout
    body, _, tail = out.rpartition(b"\n")
    code, secs = tail.decode().split()
    return int(code), float(secs), body


class Server:
    def __init__(self, binary, env, label):
        self.dir = tempfile.mkdtemp(prefix=f"spacelinks-bench-{label}-")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            SPACELINKS_LISTEN=f"127.0.0.1:{port}",
            SPACELINKS_DATA_DIR=self.dir,
            SPACELINKS_OWNER_EMAIL=OWNER[0],
            SPACELINKS_OWNER_PASSWORD=OWNER[1],
            SPACELINKS_MAX_UPLOAD_MB="1024",
            RUST_LOG="warn",
            **env,
        )
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(f"{self.base}/readyz", self.proc, label)
        token = post_json(f"{self.base}/api/2.0/authentication", {"userName": OWNER[0], "password": OWNER[1]})["token"]
        self.key = post_json(f"{self.base}/api/2.0/keys", {"name": "bench"}, {"Authorization": token})["key"]

    def upload(self, path):
        code, secs, body = curl(
            [f"{self.base}/api/2.0/files/@my/upload", "-H", f"Authorization: Bearer {self.key}", "-F", f"File=@{path}"]
        )
        assert code == 200, body[:200]
        return secs, json.loads(body)["response"][0]["id"]

    def download(self, file_id, size):
        code, secs, _ = curl(
            [
                f"{self.base}/filehandler.ashx?action=download&fileid={file_id}",
                "-H",
                f"Authorization: Bearer {self.key}",
            ],
            output="/dev/null",
        )
        assert code == 200
        return secs

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True, help="the spacelinks release binary")
    ap.add_argument("--s3s-fs", required=True, help="the s3s-fs binary")
    ap.add_argument("--mib", type=int, default=100, help="file size in MiB (default 100)")
    ap.add_argument("--rounds", type=int, default=5, help="uploads and downloads per store (default 5)")
    args = ap.parse_args()

    s3_root = tempfile.mkdtemp(prefix="spacelinks-bench-s3-")
    os.mkdir(os.path.join(s3_root, "bench"))
    s3_port = free_port()
    creds = dict(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench-secret",
        AWS_REGION="us-east-1",
        AWS_ENDPOINT=f"http://127.0.0.1:{s3_port}",
        AWS_ALLOW_HTTP="true",
    )
    s3s = subprocess.Popen(
        [args.s3s_fs, "--host", "127.0.0.1", "--port", str(s3_port), "--access-key", "bench", "--secret-key", "bench-secret", s3_root],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    src = tempfile.NamedTemporaryFile(prefix="spacelinks-bench-", delete=False)
    src.write(os.urandom(args.mib * 1024 * 1024))
    src.close()
    size = args.mib * 1024 * 1024
    servers = {}
    try:
        time.sleep(0.2)
        servers["local"] = Server(args.bin, {}, "local")
        servers["s3"] = Server(args.bin, {"SPACELINKS_BLOB_URL": "s3://bench/spacelinks", **creds}, "s3")
        up = {k: [] for k in servers}
        down = {k: [] for k in servers}
        for _ in range(args.rounds):
            for label, s in servers.items():
                secs, file_id = s.upload(src.name)
                up[label].append(size / secs / 2**20)
                down[label].append(size / s.download(file_id, size) / 2**20)
    finally:
        for s in servers.values():
            s.stop()
        s3s.terminate()
        s3s.wait(timeout=10)
        shutil.rmtree(s3_root, ignore_errors=True)
        os.unlink(src.name)

    result = {
        "file_mib": args.mib,
        "rounds": args.rounds,
        "upload_mib_s": {k: statistics.median(v) for k, v in up.items()},
        "download_mib_s": {k: statistics.median(v) for k, v in down.items()},
        "samples": {"upload": up, "download": down},
    }
    os.makedirs("bench/out", exist_ok=True)
    with open("bench/out/s3.json", "w") as f:
        json.dump(result, f, indent=2)
    print(f"| {args.mib} MiB, one client, median of {args.rounds} | local | S3 (s3s-fs) | S3 ÷ local |")
    print("|---|---:|---:|---:|")
    for what, figures in (("upload", result["upload_mib_s"]), ("download", result["download_mib_s"])):
        print(f"| {what} | {figures['local']:.0f} MiB/s | {figures['s3']:.0f} MiB/s | {figures['s3'] / figures['local']:.2f}× |")


if __name__ == "__main__":
    main()
