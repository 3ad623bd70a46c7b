"""Benchmarks: `make bench` (python -m bench). See bench/__main__.py."""
