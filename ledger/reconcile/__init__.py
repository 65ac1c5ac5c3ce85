"""Registry reconciliation: registry sources, imports of their retirements, matching against
the log's retirements, and findings."""
