"""An HTTPS server that takes multipart form uploads, for the upload tests.

    python3 upload-form-server.py PORT DIR CERT KEY AUTHFILE

It listens on 127.0.0.1:PORT only, answers 401 unless the request carries the basic
credentials in AUTHFILE ("user:password"), and stores each file field of a POST to /upload as
DIR/<its file name> (the base name only). It reads at most 64 MiB of a body.
"""
import base64
import email.parser
import email.policy
import http.server
import os
import ssl
import sys

port, store, cert, key, authfile = sys.argv[1:6]
with open(authfile, "rb") as f:
    expected = b"Basic " + base64.b64encode(f.read().strip())


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    def answer(self, code, text):
        body = text.encode() + b"\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if self.headers.get("Authorization", "").encode() != expected:
            # Read what was sent first, so that the client sees the answer.
            self.rfile.read(min(length, 64 << 20))
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="drop"')
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        if self.path != "/upload" or length > 64 << 20:
            self.answer(404 if self.path != "/upload" else 413, "no")
            return
        data = self.rfile.read(length)
        head = "Content-Type: %s\r\n\r\n" % self.headers.get("Content-Type", "")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head.encode() + data)
        stored = 0
        for part in msg.iter_parts() if msg.is_multipart() else []:
            name = part.get_filename()
            if not name:
                continue
            with open(os.path.join(store, os.path.basename(name)), "wb") as out:
                out.write(part.get_payload(decode=True))
            stored += 1
        self.answer(201 if stored else 400, "stored %d" % stored)


class Server(http.server.HTTPServer):
    allow_reuse_address = True


server = Server(("127.0.0.1", int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
