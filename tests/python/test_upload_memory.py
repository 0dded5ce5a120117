"""A 100 MiB multipart upload streams to the blob store through bounded
buffers: the server's resident memory rises by a few MiB at most, whatever
the client sends at once (loopback, so the socket holds as much as it can).

The peak is the kernel's own: VmHWM of the server process, reset to the
current VmRSS just before the upload (/proc/PID/clear_refs, Linux >= 4.0).
"""
import os
import time

import pytest
import requests

from conftest import start_server

MIB = 1024 * 1024
# The upload itself holds about 4 MiB (three 1 MiB parts, the parser's and
# hyper's buffers); what the allocator keeps on top varies from run to run
# (3 to 11 MiB measured on a busy 2-core machine). Before the parts had
# buffers of their own, the first 100 MiB upload raised it by 27 to 34 MiB.
LIMIT_MIB = 20


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def multipart(boundary, name, size):
    """The body, generated 1 MiB at a time (the client holds no 100 MiB)."""
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"File\"; filename=\"{name}\"\r\n"
           "Content-Type: application/octet-stream\r\n\r\n").encode()
    chunk = os.urandom(MIB)
    for _ in range(size // MIB):
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


def test_a_100_mib_upload_raises_resident_memory_by_a_few_mib():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pytest.skip("this kernel does not reset VmHWM")
    server = start_server({"SPACELINKS_MAX_UPLOAD_MB": "200"})
    try:
        key = server.new_api_key()
        headers = {"Authorization": f"Bearer {key}"}
        boundary = "spacelinks-upload-memory"
        url = f"{server.base_url}/api/2.0/files/@my/upload"
        # A first small upload, then a second of quiet: start-up work (the
        # owner's Argon2id hash) is done and every lazily built thing exists.
        small = requests.post(url, headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                              data=b"".join(multipart(boundary, "warm.bin", MIB)))
        assert small.status_code == 200, small.text
        time.sleep(1.5)
        pid = server.proc.pid
        before = status_kib(pid, "VmRSS")
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        r = requests.post(url, headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                          data=multipart(boundary, "big.bin", 100 * MIB))
        assert r.status_code == 200, r.text
        assert r.json()["response"][0]["pureContentLength"] == 100 * MIB
        peak = status_kib(pid, "VmHWM")
        rise = (peak - before) / 1024
        print(f"VmRSS before {before / 1024:.1f} MiB, peak during the upload {peak / 1024:.1f} MiB: +{rise:.1f} MiB")
        assert rise <= LIMIT_MIB, f"a 100 MiB upload raised resident memory by {rise:.1f} MiB"
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)
