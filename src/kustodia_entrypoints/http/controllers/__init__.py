"""One controller per area of the contract."""
