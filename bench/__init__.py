"""Benchmarks: indico_sync's build and sync against Hugo, Jekyll and curl (`python -m bench`)."""
