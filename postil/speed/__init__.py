"""What only saves time: caches, stores, digests and workers, used by the pipeline driver alone."""
