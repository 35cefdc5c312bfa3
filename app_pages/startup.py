"""App process start-up, done once when app.py first imports this module (a rerun does not redo it).

TensorFlow and Keras load in a background thread from here, and the models after them (``common.load_in_background``),
so that the first page (the Draw page's canvas) is drawn at once, not after about 15 s of loading. The import waits
until the first page has been sent (``first_page_sent``) and a moment more for the browser to fetch the canvas:
importing TensorFlow holds Python's GIL for long stretches, and run side by side with the first page it put the
canvas at about 4 s after start-up instead of 2 (BENCHMARKS.md, "First visit").
"""

import gc
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

# After every script run (every fragment rerun and poll too) Streamlit calls gc.collect(2) and, with
# Keras loaded, keras.backend.clear_session(). The collection cost about 0.4 s of CPU with TensorFlow's
# objects in view: freezing what the imports created takes them out of the collector's view (they
# live as long as the process anyway). clear_session() empties TensorFlow's kernel cache, so the
# next prediction rebuilt its kernels: about 70 ms of every stroke on the Draw page with the default
# model (BENCHMARKS.md, "Draw page latency"). It is there for apps that build a model at every run;
# this one builds each model once and never trains in this process, so it is made a no-op here.

LOADER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-loader")  # one load at a time, in order


def _keep_kernel_cache() -> None:
    """Stands in for keras.backend.clear_session in the app process (see above)."""


_FIRST_PAGE_SENT = threading.Event()
BROWSER_GRACE_S = 0.3  # after the first page is sent, for the browser to load the canvas component from this server
FIRST_PAGE_TIMEOUT_S = 20.0  # start anyway if no page comes


def first_page_sent() -> None:
    """Called after each script run; the first one lets the Keras import start."""
    _FIRST_PAGE_SENT.set()


def _import_keras() -> None:
    if "keras" not in sys.modules and _FIRST_PAGE_SENT.wait(FIRST_PAGE_TIMEOUT_S):  # (already there in tests)
        time.sleep(BROWSER_GRACE_S)
    import keras

    keras.backend.clear_session = _keep_kernel_cache
    gc.freeze()


KERAS: Future = LOADER.submit(_import_keras)
