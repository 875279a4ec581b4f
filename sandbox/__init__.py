"""Running untrusted style-transfer generators in hardened Docker containers (see README.md)."""
