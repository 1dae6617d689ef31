"""Abuse reports and the staff moderation queue."""
