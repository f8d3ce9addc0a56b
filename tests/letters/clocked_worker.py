"""The app's RQ worker (`jobs.run_worker`, what `flask worker` runs) on a set clock.

`python -m tests.letters.clocked_worker ISO_MOMENT [--burst]`, settings from the environment
as for `flask worker`. The fault tests run workers as processes of their own, to kill them;
their clock starts at ISO_MOMENT (a weekday morning) and runs on, so that the legal contact
hours never hold an e-mail or SMS back whenever the suite runs.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine

from agency import create_app, jobs


def main() -> None:
    moment = datetime.fromisoformat(sys.argv[1])
    with time_machine.travel(moment, tick=True):
        app = create_app()
        jobs.run_worker(app, burst="--burst" in sys.argv)


if __name__ == "__main__":
    main()
