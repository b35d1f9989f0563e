"""A Python runner for age's own CLI test scripts (go-internal testscript format)."""
