"""Files shared between threads, processes and app replicas: atomic writes (``atomic``) and folder locks (``locks``)."""
