"""Benchmarks print what they measure; they are run by `make bench`, never by make test."""
