#!/usr/bin/python3
# rp.py: one resource provider's HTTP API (pocbake POC): GET /health, GET/POST /items.
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME, PORT = sys.argv[1], int(sys.argv[2])
ITEMS = []


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"provider": NAME, "status": "ok"})
        elif self.path == "/items":
            self.reply(200, {"provider": NAME, "items": ITEMS})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/items":
            self.reply(404, {"error": "not found"})
            return
        n = int(self.headers.get("Content-Length", "0"))
        try:
            ITEMS.append(json.loads(self.rfile.read(n) or b"{}"))
        except ValueError:
            self.reply(400, {"error": "body is not JSON"})
            return
        self.reply(201, {"provider": NAME, "count": len(ITEMS)})


ThreadingHTTPServer(("", PORT), Handler).serve_forever()
