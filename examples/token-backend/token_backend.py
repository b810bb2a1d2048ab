"""A token backend for Switchboard in Python, standard library only (no PyJWT needed).

Your application already knows who its users are; this service turns that into a short-lived JWT that the
Switchboard server accepts, because both share one HS256 secret (SWITCHBOARD_AUTH__HS256_SECRET on the server).

    SWITCHBOARD_SECRET=... python3 examples/token-backend/token_backend.py     # PORT=3000 by default
    curl -u alice:alice-password -X POST http://127.0.0.1:3000/token          # {"token": "eyJ...", "expires": ...}
"""
import base64
import hashlib
import hmac
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("SWITCHBOARD_SECRET", "").encode()
TTL_SECONDS = 15 * 60  # short: the client asks again before expiry and sends the new token as `refresh`

# Stand-in for your user store and sign-in: replace with your session check (cookie, OAuth, ...).
USERS = {
    "alice": {"password": "alice-password", "roles": ["user"], "info": {"name": "Alice"}},
    "root": {"password": "root-password", "roles": ["admin"], "info": {"name": "Operator"}},
}


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(sub: str, roles: list, info: dict, secret: bytes, now: float | None = None) -> dict:
    """HS256 JWT (RFC 7519) with the claims Switchboard reads: sub, roles, info, iat, exp."""
    iat = int(now if now is not None else time.time())
    header = base64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": sub, "roles": roles, "info": info, "iat": iat, "exp": iat + TTL_SECONDS}
    payload = base64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return {"token": f"{header}.{payload}.{base64url(signature)}", "expires": (iat + TTL_SECONDS) * 1000}


def authenticate(authorization: str | None):
    """The user named by HTTP Basic credentials, or None."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme != "Basic":
        return None
    try:
        name, _, password = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    user = USERS.get(name)
    if user is None or not hmac.compare_digest(password, user["password"]):
        return None
    return {"sub": name, **user}


class Handler(BaseHTTPRequestHandler):
    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path != "/token":
            return self.send_json(404, {"error": "not_found"})
        user = authenticate(self.headers.get("Authorization"))
        if user is None:
            return self.send_json(401, {"error": "unauthorized"})
        self.send_json(200, sign_token(user["sub"], user["roles"], user["info"], SECRET))

    def log_message(self, format: str, *args) -> None:  # quiet: one line per request on stderr is noise here
        pass


def main() -> None:
    if len(SECRET) < 32:
        sys.exit("Set SWITCHBOARD_SECRET to the server's HS256 secret (at least 32 bytes)")
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "3000"))), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
