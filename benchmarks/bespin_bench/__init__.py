"""`make bench`: the node-topology benchmarks against a private sandbox (see benchmarks/README.md)."""
