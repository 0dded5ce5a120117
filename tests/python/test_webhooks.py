"""Webhooks against the release binary: the official SDK manages them
(`settings/webhook*`, wire compatibility), the receiver example of
docs/WEBHOOKS.md verifies both signatures of real deliveries, and a server
stopped mid-delivery delivers after its restart.

Loopback is private, so the servers here run with
SPACELINKS_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8.
"""
import json
import os
import pathlib
import queue
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from docspace_api_sdk import (
    CreateWebhooksConfigRequestsDto,
    UpdateWebhooksConfigRequestsDto,
    WebhookRetryRequestsDto,
    WebhooksApi,
    WebhookTrigger,
)

from conftest import free_port, start_server
from sdk_support import client

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "examples" / "webhook_receiver.py"
SECRET = "hook-Secret-1"
ALLOW_LOOPBACK = {"SPACELINKS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}


def wait_until(check, what, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)


class ExampleReceiver:
    """docs/examples/webhook_receiver.py as a process; its printed lines."""

    def __init__(self, secret):
        self.port = free_port()
        env = dict(os.environ, WEBHOOK_SECRET=secret)
        self.proc = subprocess.Popen(
            [sys.executable, str(EXAMPLE), str(self.port)], env=env, stdout=subprocess.PIPE, text=True
        )
        self.lines = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(json.loads(l)) for l in self.proc.stdout], daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/hook"

        def up():
            try:
                return requests.head(self.url, timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(up, "the example receiver starting")

    def next_of(self, trigger):
        while True:
            line = self.lines.get(timeout=60)
            if line["trigger"] == trigger:
                return line

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def share(server, token, name, content):
    """Uploads a file and gives it a Read link: (file id, share token)."""
    h = {"Authorization": token}
    r = requests.post(f"{server.base_url}/api/2.0/files/@my/upload", files={"file": (name, content)}, headers=h)
    r.raise_for_status()
    file_id = r.json()["response"][0]["id"]
    r = requests.put(f"{server.base_url}/api/2.0/files/file/{file_id}/links", json={"access": "Read"}, headers=h)
    r.raise_for_status()
    link = r.json()["response"]["sharedLink"]["requestToken"]
    return file_id, link


def test_the_sdk_manages_webhooks_and_the_example_receiver_verifies_deliveries():
    receiver = ExampleReceiver(SECRET)
    server = start_server(ALLOW_LOOPBACK)
    try:
        token = server.login()
        key = server.new_api_key(token)
        hooks = WebhooksApi(client(server, key))
        created = hooks.create_webhook(
            CreateWebhooksConfigRequestsDto(name="py", uri=receiver.url, secret_key=SECRET, enabled=True, triggers=WebhookTrigger(0))
        ).response
        assert (created.name, created.uri, created.enabled, created.triggers) == ("py", receiver.url, True, 0)
        listed = hooks.get_tenant_webhooks().response
        assert [w.configs.id for w in listed] == [created.id]
        names = [t.name for t in hooks.get_webhook_triggers().response]
        assert names[:2] == ["*", "user.created"] and "file.downloaded" in names and names[-1] == "link.usedUp"

        file_id, link = share(server, token, "Report.txt", b"0123456789")
        r = requests.get(f"{server.base_url}/api/2.0/files/share/{link}", headers={"User-Agent": "py-test"})
        assert r.status_code == 200
        opened = receiver.next_of("link.opened")
        assert opened["payload"]["file"]["id"] == file_id
        assert opened["payload"]["client"] == {"ip": "127.0.0.1", "userAgent": "py-test"}
        r = requests.get(f"{server.base_url}/filehandler.ashx", params={"action": "download", "fileid": file_id, "share": link})
        assert r.content == b"0123456789"
        downloaded = receiver.next_of("file.downloaded")
        assert downloaded["payload"]["id"] == file_id and downloaded["payload"]["title"] == "Report.txt"

        # The SDK reads the log (file.uploaded: a value its trigger enum knows).
        logs = wait_until(
            lambda: [l for l in hooks.get_webhooks_logs(trigger=WebhookTrigger(256)).response if l.status == 200],
            "the upload's delivery being logged",
        )
        assert logs[0].config_name == "py" and logs[0].delivery is not None
        retried = hooks.retry_webhook(logs[0].id).response
        assert retried.id > logs[0].id and retried.status == 0
        again = hooks.retry_webhooks(WebhookRetryRequestsDto(ids=[logs[0].id, 999999])).response
        assert len(again) == 1

        update = UpdateWebhooksConfigRequestsDto(id=created.id, name="renamed", uri=receiver.url, enabled=False)
        assert hooks.update_webhook(update).response.name == "renamed"
        update.enabled = True
        assert hooks.enable_webhook(update).response.enabled is True
        assert hooks.remove_webhook(created.id).response.id == created.id
        assert hooks.get_tenant_webhooks().response == []
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)
        receiver.close()


class HoldingReceiver(BaseHTTPRequestHandler):
    """Holds the first POST until told to let go; answers later ones 200."""

    posts = queue.Queue()
    release = threading.Event()
    first = True

    def do_HEAD(self):
        self.send_response(200)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        HoldingReceiver.posts.put((dict(self.headers), body))
        if HoldingReceiver.first:
            HoldingReceiver.first = False
            HoldingReceiver.release.wait(60)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_server_stopped_mid_delivery_delivers_after_its_restart():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), HoldingReceiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    server = start_server(ALLOW_LOOPBACK)
    try:
        token = server.login()
        h = {"Authorization": token}
        body = {"name": "r", "uri": url, "secretKey": SECRET, "enabled": True, "triggers": 256}
        requests.post(f"{server.base_url}/api/2.0/settings/webhook", json=body, headers=h).raise_for_status()
        share(server, token, "Kept.txt", b"k")
        first_headers, _ = HoldingReceiver.posts.get(timeout=60)
        # Stopped while the receiver has not answered: the delivery is not done.
        server.proc.terminate()
        server.proc.wait(timeout=30)
        HoldingReceiver.release.set()
        server = start_server({**ALLOW_LOOPBACK, "SPACELINKS_DATA_DIR": server.data_dir})
        headers, _ = HoldingReceiver.posts.get(timeout=60)
        assert headers["x-spacelinks-event-id"] == first_headers["x-spacelinks-event-id"]
        token = server.login()

        def delivered():
            r = requests.get(f"{server.base_url}/api/2.0/settings/webhooks/log", headers={"Authorization": token})
            return [e for e in r.json()["response"] if e["status"] == 200]

        assert len(wait_until(delivered, "the delivery after the restart being logged")) == 1
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)
        httpd.shutdown()


def test_the_documented_verification_is_the_example_s():
    """docs/WEBHOOKS.md quotes the example's `verified`; they must not drift."""
    doc = (EXAMPLE.parents[1] / "WEBHOOKS.md").read_text()
    quoted = doc.split("```python\n", 1)[1].split("```", 1)[0]
    assert quoted.strip() and quoted in EXAMPLE.read_text()
