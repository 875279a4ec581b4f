"""The domain core: settings, enums, models, the database, the stores, datasets and image sets.

Everything else builds on this package (core <- sandbox <- evaluator <- app); it imports
nothing of theirs, and nothing heavy (no Flask, no torch, no Docker).
"""
