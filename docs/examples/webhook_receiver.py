#!/usr/bin/env python3
"""A webhook receiver for spacelinks (and DocSpace), standard library only.

It answers DocSpace's HEAD probe with 200 and checks every POST:

* `x-docspace-signature-256: sha256=<HEX>`, HMAC-SHA256 of the exact body
  with the webhook's secret (what DocSpace sends; compare case-insensitively);
* `x-spacelinks-signature: t=<unix>,v1=<hex>`, HMAC-SHA256 of "<t>.<body>",
  refused when `t` is more than five minutes away from now (replay);
* `x-spacelinks-event-id`, the same for every attempt and retry of one
  event: an event already handled is acknowledged and skipped.

A request that fails a check gets 401 and nothing is done with it. Each
accepted event is printed as one JSON line: {"trigger", "eventId", "payload"}.

    WEBHOOK_SECRET=... python3 webhook_receiver.py [PORT]
"""
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["WEBHOOK_SECRET"].encode()
TOLERANCE_SECONDS = 300
seen_events = set()
lock = threading.Lock()  # requests are handled in parallel threads


def hmac_hex(message):
    return hmac.new(SECRET, message, hashlib.sha256).hexdigest()


def verified(headers, body):
    """True when both signatures match the body and the timestamp is fresh."""
    docspace = headers.get("x-docspace-signature-256", "")
    if not hmac.compare_digest(docspace.lower(), "sha256=" + hmac_hex(body)):
        return False
    parts = dict(p.split("=", 1) for p in headers.get("x-spacelinks-signature", "").split(",") if "=" in p)
    t = parts.get("t", "")
    if not t.isdigit() or abs(time.time() - int(t)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(parts.get("v1", ""), hmac_hex(t.encode() + b"." + body))


class Receiver(BaseHTTPRequestHandler):
    def do_HEAD(self):
        # DocSpace and spacelinks probe the URL with HEAD when a webhook is saved.
        self.send_response(200)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if not verified(self.headers, body):
            self.send_response(401)
            self.end_headers()
            return
        event_id = self.headers.get("x-spacelinks-event-id")
        with lock:
            new = event_id not in seen_events
            seen_events.add(event_id)
            if new:
                event = json.loads(body)
                line = {"trigger": event["event"]["trigger"], "eventId": event_id, "payload": event["payload"]}
                print(json.dumps(line), flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
