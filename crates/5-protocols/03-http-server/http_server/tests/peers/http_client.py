"""A real HTTP client for the web server's tests: Python's http.client.

Usage:
  http_client.py PORT chunked-post PATH FORM   POST FORM in chunks; print the status, then the body
  http_client.py PORT revalidate PATH          GET, then revalidate with If-None-Match and
                                               If-Modified-Since, then GET again, all on one
                                               connection; print "status body-length cache-control"
"""
import http.client
import sys

port, mode, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

if mode == "chunked-post":
    form = sys.argv[4].encode()
    # A body given as an iterator, without a length: http.client sends it chunked,
    # one chunk per piece.
    pieces = iter([form[: len(form) // 2], form[len(form) // 2 :]])
    conn.request(
        "POST",
        path,
        body=pieces,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    print(response.status)
    sys.stdout.write(response.read().decode())
elif mode == "revalidate":
    conn.request("GET", path)
    local = conn.sock.getsockname()
    first = conn.getresponse()
    body = first.read()
    print(first.status, len(body), first.getheader("Cache-Control"))
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}, {}):
        conn.request("GET", path, headers=headers)
        if conn.sock.getsockname() != local:
            sys.exit("http.client had to open a new connection")
        response = conn.getresponse()
        print(response.status, len(response.read()), response.getheader("Cache-Control"))
else:
    sys.exit(f"unknown mode {mode}")
