"""Chapter 4, "The rates": one module per experiment (being written)."""
