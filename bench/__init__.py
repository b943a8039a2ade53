"""Benchmarks: figures printed and saved, never timed assertions in tests."""
