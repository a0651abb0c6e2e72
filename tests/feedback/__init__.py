"""Tests of feedback, analytics and reports."""
