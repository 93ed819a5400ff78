"""What tests share: fixtures' helpers, data builders, servers in subprocesses, and waiting."""
