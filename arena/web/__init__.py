"""The web layer: blueprints, per-request sessions, error pages and shared extensions."""
