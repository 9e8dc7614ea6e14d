"""Full-text search: the essays' pages indexed by Pagefind, shard by shard.

`shards` decides which bundle each essay goes into (pure), `pagefind` runs the indexer on
one shard's pages (a process, files in a temporary folder), and `index.SearchIndex`, owned
by the pipeline's Builder, indexes again only the shards whose essays changed.
"""
