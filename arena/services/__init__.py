"""Plain service functions: take a session and values, return values; no Flask globals."""
