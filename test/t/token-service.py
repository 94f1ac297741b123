#!/usr/bin/env python3
# token-service.py: a registry token service for the tests (the Docker/OCI "Bearer" flow):
# GET /token?service=S&scope=repository:NAME:ACTIONS with Basic credentials USER:PASSWORD
# answers {"token": JWT}, the JWT signed RS256 by KEY (openssl dgst) and carrying CERT in its
# x5c header, which the registry checks against its rootcertbundle. Wrong credentials: 401.
# usage: token-service.py PORT ISSUER USER:PASSWORD KEY CERT
import base64
import json
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, ISSUER, CRED, KEY, CERT = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der():
    return subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"],
                          capture_output=True, check=True).stdout


def sign(data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=data,
                          capture_output=True, check=True).stdout


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        if url.path != "/token" or auth != "Basic " + base64.b64encode(CRED.encode()).decode():
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(cert_der()).decode()]}
        claims = {"iss": ISSUER, "sub": CRED.split(":")[0], "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(now),
                  "access": access}
        head = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        token = head + "." + b64url(sign(head.encode()))
        body = json.dumps({"token": token}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
