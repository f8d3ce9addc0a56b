"""The browser tests' server: a browser that resets a connection leaves no file open."""

from __future__ import annotations

import gc
import socket
import struct
import time
import warnings

REVALIDATE = (
    b"GET /static/app.css HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"If-Modified-Since: Wed, 21 Oct 2099 07:28:00 GMT\r\n\r\n"
)


def test_a_reset_connection_leaves_no_file_open(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(10):
            # Ask to revalidate the stylesheet, then reset the connection (as Chromium does
            # when it navigates away): werkzeug's server then fails before closing the response.
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.sendall(REVALIDATE)
                time.sleep(0.02)
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            time.sleep(0.02)
        time.sleep(0.3)
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
