"""Training runs in a child process; their state on disk. (Filled in by the Train-page work.)"""
