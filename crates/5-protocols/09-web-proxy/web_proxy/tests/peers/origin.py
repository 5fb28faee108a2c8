"""An origin server for web_proxy's tests, made with Python's http.server: each request's
query string chooses the caching fields of its response, so a test can ask for exactly
the response it needs.

Usage: origin.py   (listens on 127.0.0.1, a free port; prints `listening on ADDR`)

One line per request on stderr, written before the response is sent:
    origin: GET /path?query inm=<If-None-Match or -> ims=<If-Modified-Since or -> -> STATUS

Query parameters (all optional):
    cc=VALUE     Cache-Control: VALUE
    expires=N    Expires: now + N seconds (N may be negative); expires=junk sends "Expires: 0"
    date=N       Date: now + N seconds (default: now)
    etag=TAG     ETag: "TAG"; a request with If-None-Match: "TAG" gets 304
    lm=N         Last-Modified: N seconds ago; If-Modified-Since not older gets 304
    vary=NAME    Vary: NAME; the body names the request's NAME
    age=N        Age: N
    size=N       a body of N bytes: byte i is i % 251 (default: a line of text)
    chunked=1    the body in chunks of 64 KiB (no Content-Length)
    status=N     the status (default 200)
    version=V    a body that says V (to tell two versions of an object apart)
Paths with a behaviour of their own:
    /garbage     bytes that are not HTTP, then close
    /truncated   Content-Length: 1000, 10 bytes, close
    /echo        the request's header lines as the body (no caching fields)
"""
import email.utils
import http.server
import sys
import time
import urllib.parse

PATTERN = bytes(i % 251 for i in range(251 * 256))


def pattern(offset, length):
    """The bytes offset .. offset+length of the repeating pattern."""
    out = bytearray()
    while length > 0:
        start = offset % 251
        piece = PATTERN[start : start + min(length, len(PATTERN) - start)]
        out += piece
        offset += len(piece)
        length -= len(piece)
    return bytes(out)


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass  # one line of our own per request instead

    def note(self, status):
        inm = self.headers.get("If-None-Match", "-")
        ims = self.headers.get("If-Modified-Since", "-")
        sys.stderr.write(f"origin: {self.command} {self.path} inm={inm} ims={ims} -> {status}\n")
        sys.stderr.flush()

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.note(200)
        text = b"posted " + body
        self.send_response(200)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/garbage":
            self.note("garbage")
            self.wfile.write(b"THIS IS NOT HTTP\r\n\r\n")
            self.close_connection = True
            return
        if url.path == "/truncated":
            self.note("truncated")
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nCache-Control: max-age=60\r\n\r\n0123456789")
            self.close_connection = True
            return
        if url.path == "/echo":
            body = str(self.headers).encode()
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return

        now = time.time()
        fields = []
        if "cc" in query:
            fields.append(("Cache-Control", query["cc"]))
        if "expires" in query:
            try:
                fields.append(("Expires", email.utils.formatdate(now + int(query["expires"]), usegmt=True)))
            except ValueError:
                fields.append(("Expires", "0"))
        etag = f'"{query["etag"]}"' if "etag" in query else None
        if etag:
            fields.append(("ETag", etag))
        modified = None
        if "lm" in query:
            modified = int(now) - int(query["lm"])
            fields.append(("Last-Modified", email.utils.formatdate(modified, usegmt=True)))
        if "vary" in query:
            fields.append(("Vary", query["vary"]))
        if "age" in query:
            fields.append(("Age", query["age"]))

        status = int(query.get("status", "200"))
        if etag and self.headers.get("If-None-Match") == etag:
            status = 304
        elif modified is not None and "If-None-Match" not in self.headers:
            since = self.headers.get("If-Modified-Since")
            if since and email.utils.parsedate_to_datetime(since).timestamp() >= modified:
                status = 304
        self.note(status)

        if "size" in query:
            size = int(query["size"])
        else:
            text = f"object {url.path} version {query.get('version', '1')}"
            if "vary" in query:
                text += f" for {query['vary']}={self.headers.get(query['vary'], '-')}"
            size = None
            body = (text + "\n").encode()

        self.send_response_only(status)
        self.send_header("Date", email.utils.formatdate(now + int(query.get("date", "0")), usegmt=True))
        self.send_header("Server", "origin.py")
        for name, value in fields:
            self.send_header(name, value)
        if status == 304:
            self.end_headers()
            return
        chunked = query.get("chunked") == "1"
        length = size if size is not None else len(body)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        sent = 0
        while sent < length:
            piece = pattern(sent, min(65536, length - sent)) if size is not None else body
            if chunked:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                self.wfile.write(piece)
            sent += len(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Origin)
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
