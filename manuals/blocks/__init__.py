"""Reusable blocks: written once, embedded in many sections and FAQ answers with
{{block:KEY}}; services, views and forms."""
