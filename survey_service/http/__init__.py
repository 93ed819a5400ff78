"""What every HTTP route shares: the one error shape, security headers, body limits, rate limits."""
