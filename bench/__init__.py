"""``make bench``: Facteur's speed, each figure a ratio to a baseline measured in the same run."""
