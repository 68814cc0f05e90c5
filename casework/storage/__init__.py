"""Storage: engines and column types, the schema, the unit of work, the shared tables and the chain's write side."""
