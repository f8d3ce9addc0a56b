"""A small load generator for when wrk is missing: `python -m bench._load URL SECONDS HEADERS`.

Four threads, each on its own keep-alive connection (reopened when the server closes it), GET
the URL until the time is up; prints requests per second. Runs in its own process so the
server under test does not share an interpreter with it.
"""

from __future__ import annotations

import ast
import http.client
import sys
import threading
import time
from urllib.parse import urlsplit

CONNECTIONS = 4


def main() -> None:
    url, seconds, headers = sys.argv[1], float(sys.argv[2]), ast.literal_eval(sys.argv[3])
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + seconds
    counts = [0] * CONNECTIONS

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
        while time.monotonic() < deadline:
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port)
                continue
            if response.status != 200:
                raise SystemExit(f"{response.status} from {url}")
            counts[n] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(sum(counts) / (time.monotonic() - started))


if __name__ == "__main__":
    main()
