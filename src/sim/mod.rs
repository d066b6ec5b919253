//! The simulated tenant: Graph- and Exchange-shaped HTTP server (filled in by its own issue).
