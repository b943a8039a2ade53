"""Live data from the channel systems: loaders, degradation rules, the types they feed."""
