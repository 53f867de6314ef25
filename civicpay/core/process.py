"""Start-up settings of a long-running process (gunicorn worker, ``manage.py civicpay_worker``).

Garbage collection, measured on documents (``bench/documents.py``, docs/performance.md): with Python's
defaults the collector took ~10–13 ms of every ~90 ms document. WeasyPrint and pyHanko allocate hundreds of
thousands of short-lived objects per document, so the young generation (700 objects) filled several times
per document, and every older collection re-scanned the ~200,000 objects Django and the libraries create at
start-up and keep for the life of the process. ``gc.freeze()`` moves those start-up objects out of every
later collection (and, in a server that forks after loading the application, keeps their memory pages
shared with the parent); a young threshold of 5,000 collects ~7 times less often. Cycles are still
collected, in fewer and larger batches: a few thousand more objects alive at a time, no leak.
"""

from __future__ import annotations

import gc

# Young-generation threshold of the garbage collector (Python's default: 700). 20,000 and 50,000 were no
# faster on documents: a larger young generation costs more per collection.
GC_GEN0_THRESHOLD = 5000


def configure_long_running_process() -> None:
    """Call once, after ``django.setup()`` (the application and its libraries loaded)."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
