"""The confidentiality rules 4, 5, 7 and 8 of DESIGN.md as pure functions: no HTTP, no SQL."""
