"""Stage 3: the site model, plain data, assembled from every parsed file."""
