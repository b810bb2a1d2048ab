# Interop peer: a Python `websockets` echo server driven by text commands; prints JSON lines on stdout.
import asyncio
import json
import sys

import websockets


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def handler(ws, *_):
    try:
        async for msg in ws:
            if isinstance(msg, str) and msg.startswith("__cmd:"):
                parts = msg.split(":")
                cmd = parts[1]
                if cmd == "close":
                    code = int(parts[2]) if parts[2] else 1000
                    await ws.close(code, ":".join(parts[3:]))
                elif cmd == "frag":
                    n = int(parts[2])
                    text = ":".join(parts[3:])
                    size = max(1, -(-len(text) // n))
                    await ws.send([text[i : i + size] for i in range(0, len(text), size)] or [""])
                elif cmd == "fragbin":
                    n = int(parts[2])
                    total = int(parts[3])
                    data = bytes(i % 251 for i in range(total))
                    size = max(1, -(-total // n))
                    await ws.send([data[i : i + size] for i in range(0, total, size)] or [b""])
                elif cmd == "ping":
                    payload = ":".join(parts[2:]).encode()
                    waiter = await ws.ping(payload)
                    await asyncio.wait_for(waiter, 5)
                    await ws.send("__pong:" + payload.decode())
                continue
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass
    finally:
        await ws.wait_closed()
        emit({"event": "closed", "code": ws.close_code, "reason": ws.close_reason})


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=16 * 1024 * 1024, ping_interval=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        emit({"event": "listening", "port": port})
        loop = asyncio.get_running_loop()
        # Exit when stdin closes (the test process ended or stopped us).
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
