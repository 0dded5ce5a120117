#!/usr/bin/env python3
"""Server memory while a folder link's zip streams (issue 12). Not a timed test.

Starts the release binary on a fresh data directory, uploads a tree of
`--files` files of `--mib` MiB each (random bytes, spread over three folder
levels), shares the top folder with a link and downloads its zip through the
link as a visitor would, reading slowly enough that the server must hold the
archive back. The server's resident memory (VmRSS) is sampled every 50 ms
before and during the download; the zip is checked (entry count and size).

  CARGO_TARGET_DIR=... cargo build --release -p spacelinks
  python3 bench/zip_memory.py --bin $CARGO_TARGET_DIR/release/spacelinks --files 64 --mib 16   # 1 GiB

Prints one JSON object: the tree's size, the zip's size, RSS before and the
peak during the download, and the throughput.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import zipfile

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--mib", type=int, default=16)
    ap.add_argument("--read-kib-per-s", type=int, default=0, help="throttle the reader (0: as fast as possible)")
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="spacelinks-zipbench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, SPACELINKS_LISTEN=f"127.0.0.1:{port}", SPACELINKS_DATA_DIR=data,
               SPACELINKS_OWNER_EMAIL="owner@example.com", SPACELINKS_OWNER_PASSWORD="owner-password-1",
               RUST_LOG="warn")
    env.pop("SPACELINKS_DATABASE_URL", None)
    proc = subprocess.Popen([args.bin, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.05)
        token = requests.post(f"{base}/api/2.0/authentication",
                              json={"userName": "owner@example.com", "password": "owner-password-1"}).json()["response"]["token"]
        h = {"Authorization": token}
        root = requests.get(f"{base}/api/2.0/files/@my", headers=h).json()["response"]["current"]["id"]

        def folder(parent, title):
            return requests.post(f"{base}/api/2.0/files/folder/{parent}", json={"title": title}, headers=h).json()["response"]["id"]

        top = folder(root, "Big")
        levels = [top, folder(top, "Level 2")]
        levels.append(folder(levels[1], "Level 3"))
        chunk = os.urandom(1 << 20)
        for i in range(args.files):
            body = chunk * args.mib
            r = requests.post(f"{base}/api/2.0/files/{levels[i % 3]}/upload", headers=h,
                              files={"file": (f"part-{i:04d}.bin", body)})
            r.raise_for_status()
        link = requests.put(f"{base}/api/2.0/files/folder/{top}/links", json={"access": 2}, headers=h).json()["response"]
        share = link["sharedLink"]["requestToken"]

        time.sleep(0.5)
        before = rss_kib(proc.pid)
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(proc.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        out = os.path.join(data, "download.zip")
        started = time.monotonic()
        size = 0
        with requests.get(f"{base}/filehandler.ashx?action=bulk&folderid={top}&share={share}", stream=True) as r, \
                open(out, "wb") as f:
            r.raise_for_status()
            for part in r.iter_content(1 << 16):
                f.write(part)
                size += len(part)
                if args.read_kib_per_s:
                    time.sleep(len(part) / 1024 / args.read_kib_per_s)
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
        with zipfile.ZipFile(out) as z:
            entries = [i for i in z.infolist() if not i.is_dir()]
            assert len(entries) == args.files, len(entries)
            assert sum(i.file_size for i in entries) == args.files * args.mib << 20
        os.remove(out)
        print(json.dumps({
            "tree_mib": args.files * args.mib,
            "zip_mib": round(size / (1 << 20), 1),
            "rss_before_mib": round(before / 1024, 1),
            "rss_peak_during_mib": round(peak[0] / 1024, 1),
            "rss_growth_mib": round((peak[0] - before) / 1024, 1),
            "seconds": round(elapsed, 2),
            "mib_per_s": round(size / (1 << 20) / elapsed, 1),
        }, indent=2))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        # The tree's blobs take as much disk as the tree: never leave them behind.
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
