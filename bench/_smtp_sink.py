"""An SMTP server on 127.0.0.1 that counts what it receives (for bench/letters.py).

`python -m bench._smtp_sink PORT COUNTFILE`: accepts every e-mail, keeps nothing but the
number of messages and their Message-IDs' count, written to COUNTFILE when stopped (SIGTERM).
"""

from __future__ import annotations

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.received += 1
        return "250 OK"


def main() -> None:
    port, count_file = int(sys.argv[1]), sys.argv[2]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    with open(count_file, "w") as f:
        f.write(str(counter.received))


if __name__ == "__main__":
    main()
