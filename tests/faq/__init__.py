"""Tests of the FAQ and agent questions."""
