"""`postil serve`: the preview server, the watcher, and the loop that joins them to `build()`."""
