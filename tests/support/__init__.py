"""Test helpers: constants, fixtures and probes, registered once as plugins by tests/conftest.py."""
