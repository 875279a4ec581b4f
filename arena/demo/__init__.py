"""The demo competition: deterministic demo datasets, baseline generators and `stylearena demo`."""
