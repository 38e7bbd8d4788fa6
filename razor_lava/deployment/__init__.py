"""Running network files on Lava: graph assembly, per-sample runs, backends."""
