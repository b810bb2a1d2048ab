# Interop peer: a Python `websockets` client driven by JSON-line commands on stdin; answers one JSON line per command.
import asyncio
import base64
import hashlib
import json
import sys

import websockets


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def pattern(size, binary):
    if binary:
        return bytes(i % 251 for i in range(size))
    return "".join(chr(97 + i % 26) for i in range(size))


def payload_of(cmd):
    if "text" in cmd:
        return cmd["text"]
    if "b64" in cmd:
        return base64.b64decode(cmd["b64"])
    return pattern(cmd["size"], cmd.get("binary", False))


def describe(msg):
    raw = msg.encode() if isinstance(msg, str) else msg
    out = {"kind": "text" if isinstance(msg, str) else "binary", "len": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    if len(raw) <= 70000:
        out["b64"] = base64.b64encode(raw).decode()
    if isinstance(msg, str) and len(msg) <= 1000:
        out["text"] = msg
    return out


async def main():
    ws = None
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        op = cmd["op"]
        rid = cmd.get("id")
        try:
            if op == "connect":
                # `deflate`: absent = no compression (the default of these tests); {} = websockets'
                # default permessage-deflate offer; an object = ClientPerMessageDeflateFactory arguments.
                deflate = cmd.get("deflate")
                extensions = None
                if deflate is not None and len(deflate) > 0:
                    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

                    extensions = [ClientPerMessageDeflateFactory(**deflate)]
                ws = await websockets.connect(
                    cmd["url"],
                    max_size=16 * 1024 * 1024,
                    ping_interval=None,
                    subprotocols=cmd.get("subprotocols"),
                    compression="deflate" if deflate is not None and len(deflate) == 0 else None,
                    extensions=extensions,
                )
                emit({"id": rid, "ok": True, "subprotocol": ws.subprotocol, "extensions": ws.response_headers.get("Sec-WebSocket-Extensions")})
            elif op == "send":
                await ws.send(payload_of(cmd))
                emit({"id": rid, "ok": True})
            elif op == "sendfrag":
                if "parts_b64" in cmd:
                    parts = [base64.b64decode(p) for p in cmd["parts_b64"]]
                else:
                    parts = cmd["parts"]
                await ws.send(parts)
                emit({"id": rid, "ok": True})
            elif op == "recv":
                try:
                    msg = await asyncio.wait_for(ws.recv(), cmd.get("timeout", 10))
                    emit({"id": rid, **describe(msg)})
                except websockets.ConnectionClosed:
                    emit({"id": rid, "closed": True, "code": ws.close_code, "reason": ws.close_reason})
            elif op == "ping":
                waiter = await ws.ping(cmd.get("data", "").encode())
                await asyncio.wait_for(waiter, cmd.get("timeout", 5))
                emit({"id": rid, "ok": True})
            elif op == "close":
                await asyncio.wait_for(ws.close(cmd.get("code", 1000), cmd.get("reason", "")), 10)
                emit({"id": rid, "code": ws.close_code, "reason": ws.close_reason})
            elif op == "wait_closed":
                await asyncio.wait_for(ws.wait_closed(), cmd.get("timeout", 10))
                emit({"id": rid, "code": ws.close_code, "reason": ws.close_reason})
            else:
                emit({"id": rid, "error": "unknown op " + op})
        except Exception as e:  # report every failure to the test instead of dying
            emit({"id": rid, "error": type(e).__name__ + ": " + str(e)})
    if ws is not None:
        await ws.close()


asyncio.run(main())
