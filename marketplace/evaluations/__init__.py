"""Yearly organization evaluation rounds: government, peer and public scores (4 : 3 : 3), grades
A1–A5 valid five years, and the tiers 名木 / 成木 / 苗木 with yearly quotas."""
