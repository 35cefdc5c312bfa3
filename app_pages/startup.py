"""App process start-up, done once when app.py first imports this module (a rerun does not redo it)."""

import gc

import keras  # imported once per process, before the freeze and for the clear_session stand-in below

# After every script run (every fragment rerun and poll too) Streamlit calls gc.collect(2) and, with
# Keras loaded, keras.backend.clear_session(). The collection cost about 0.4 s of CPU with TensorFlow's
# objects in view: freezing what the imports created takes them out of the collector's view (they
# live as long as the process anyway). clear_session() empties TensorFlow's kernel cache, so the
# next prediction rebuilt its kernels: about 70 ms of every stroke on the Draw page with the default
# model (BENCHMARKS.md, "Draw page latency"). It is there for apps that build a model at every run;
# this one builds each model once (st.cache_resource) and never trains in this process, so it is
# made a no-op here.
gc.freeze()


def _keep_kernel_cache() -> None:
    """Stands in for keras.backend.clear_session in the app process (see above)."""


keras.backend.clear_session = _keep_kernel_cache
