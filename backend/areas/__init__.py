"""Areas: the administrative hierarchy (district, township, village), grids, households."""
