"""Test-data builders and helpers for envctl's integration tests."""
