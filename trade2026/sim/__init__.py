"""Market simulation (PRISM) and Monte Carlo validation."""
