"""indico_sync: keep a working group's website in step with its Indico category."""

__version__ = "0.1.0"
