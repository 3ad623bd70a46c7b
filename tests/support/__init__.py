"""Helpers shared by the tests: each test module imports from here, never from another
test module."""
