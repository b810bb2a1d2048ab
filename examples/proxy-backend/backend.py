"""A Switchboard proxy backend in Python, standard library only: the application's rules for a small chat.

Switchboard POSTs each hook (connect, refresh, subscribe, publish) and RPC call here as signed JSON
(docs/backend-proxy.md); this service checks the signature and answers allow, refuse, or allow with changes.

    SWITCHBOARD_PROXY_SECRET=... python3 examples/proxy-backend/backend.py      # PORT=3001 by default
"""
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("SWITCHBOARD_PROXY_SECRET", "").encode()
TOLERANCE_SECONDS = 300  # how far the signer's clock may be from ours
MAX_BODY_BYTES = 1024 * 1024
BANNED = {"mallory"}


def verify(header: str | None, body: bytes, now: float | None = None) -> bool:
    """Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">; any v1 may match."""
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(SECRET, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, c) for c in candidates)


def refuse(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def decide(req: dict) -> dict:
    """The application's rules; {} allows as is."""
    kind, user = req["request"], req["user"]
    if kind in ("connect", "refresh"):
        if user in BANNED:
            return refuse("forbidden", "This account is suspended")
        return {"result": {"info": {"name": user.capitalize()}}}  # shown in presence
    if kind == "subscribe":
        if req["namespace"] == "admin" and "admin" not in req["roles"]:
            return refuse("forbidden", "Admins only")
        return {}
    if kind == "publish":
        data = req["data"]
        if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not data["text"].strip():
            return refuse("invalid_message", "A message needs some text")
        text = data["text"].strip().replace("darn", "****")
        return {"result": {"data": {"text": text, "by": user}}}  # what is stored and delivered
    if kind == "rpc":
        if req["method"] == "chat.shout":
            return {"result": {"data": {"text": str(req.get("data", "")).upper()}}}
        if req["method"] == "time":
            return {"result": {"data": {"now": int(time.time() * 1000)}}}
        return refuse("not_found", f"Unknown method {req['method']}")
    return refuse("not_available", f"Unknown request {kind}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Switchboard reuses its connections

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self.send_json(413, {"message": "too large"})
        body = self.rfile.read(length)
        if not verify(self.headers.get("Switchboard-Signature"), body):
            return self.send_json(401, {"message": "bad signature"})  # Switchboard answers the client `internal`
        try:
            req = json.loads(body)
        except ValueError:
            return self.send_json(400, {"message": "not JSON"})
        self.send_json(200, decide(req))

    def log_message(self, format: str, *args) -> None:  # quiet: one line per request on stderr is noise here
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # listen backlog: Switchboard opens up to proxy.maxConcurrency (64) connections at once
    daemon_threads = True


def main() -> None:
    if not SECRET:
        sys.exit("Set SWITCHBOARD_PROXY_SECRET to the secret of the proxy section (proxy.secret)")
    server = Server(("127.0.0.1", int(os.environ.get("PORT", "3001"))), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
